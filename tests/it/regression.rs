//! Regressions from issue 23 (faults around us): each test is named after what broke, and runs
//! the real binary with a deadline against the sandbox or a small server started here.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::bounded::{bounded, finish_within};
use common::redis_server::free_port;
use common::{Run, cmd, user_pages};

/// `cmd()` with its own state folder (the budget's state file of `api` stays in the test).
fn cmd_in(state: &Path) -> Command {
    let mut c = cmd();
    c.env("CLERK_RL_STATE_DIR", state);
    c
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn assert_no_retry(r: &Run) {
    assert!(
        !r.stderr.contains("retrying") && !r.stderr.contains("retries)"),
        "a hopeless failure must not be retried:\n{}",
        r.stderr
    );
}

// ---- row 2: a host that does not resolve, a certificate for another name ----

#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_does_not_resolve_is_no_longer_retried_eight_times() {
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", "https://api.clerk-rl-test.invalid")
        .args(["-v", "api", "users"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("api.clerk-rl-test.invalid does not resolve"),
        "{}",
        r.stderr
    );
    assert_no_retry(&r);
}

/// Make a test CA and a server certificate signed by it for `san` (openssl, as the rediss test).
fn certificate_for(dir: &Path, san: &str) -> (String, String, String) {
    let d = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (ca, cert, key) = (d("ca.pem"), d("cert.pem"), d("key.pem"));
    let (ca_key, csr, ext) = (d("ca.key"), d("leaf.csr"), d("ext"));
    std::fs::write(
        &ext,
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"),
    )
    .unwrap();
    let steps: [Vec<&str>; 3] = [
        vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=clerk-rl test CA",
            "-keyout",
            &ca_key,
            "-out",
            &ca,
        ],
        vec![
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=other",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
        vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    ];
    for args in steps {
        let made = common::output(Command::new("openssl").args(&args))
            .expect("openssl is needed to make a test certificate (scripts/test installs it)");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    (ca, cert, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_for_another_name_is_no_longer_retried_nor_its_names_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificate_for(
        dir.path(),
        "DNS:a.other.example,DNS:b.other.example,DNS:c.other.example",
    );
    let port = free_port();
    let server = Killed(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-cert", &cert, "-key", &key])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server"),
    );
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "openssl s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = cmd_in(dir.path());
    // Trusted issuer, wrong name: the one failure left is the name.
    c.env("CLERK_API_URL", format!("https://127.0.0.1:{port}"))
        .env("SSL_CERT_FILE", &ca)
        .args(["-v", "api", "users"]);
    let r = bounded(c).await;
    drop(server);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stderr.contains("is for another name, not 127.0.0.1"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("c.other.example"), "{}", r.stderr);
    assert_no_retry(&r);
}

// ---- row 4: a --checkpoint on one of the export's own files; ./u.jsonl is u.jsonl ----

fn export_cmd(sb: &clerk_rl::sandbox::Sandbox, cwd: &Path, extra: &[&str]) -> Command {
    let mut c = cmd_in(cwd);
    c.current_dir(cwd)
        .env("CLERK_API_URL", sb.url())
        .args(["export-users", "--rate", "2000/1s", "--page-size", "100"])
        .args(extra);
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoint_equal_to_output_partial_or_lock_no_longer_deletes_the_export() {
    let sb = common::sandbox_with(300, "2000/1s", |_| {}).await;
    for checkpoint in ["u.jsonl", "./u.jsonl.partial", "u.jsonl.lock"] {
        let dir = tempfile::tempdir().unwrap();
        let r = bounded(export_cmd(
            &sb,
            dir.path(),
            &["--output", "u.jsonl", "--checkpoint", checkpoint],
        ))
        .await;
        assert_eq!(r.code, 2, "--checkpoint {checkpoint}: {}", r.stderr);
        assert!(
            r.stderr.contains("give the checkpoint a file of its own"),
            "{}",
            r.stderr
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "--checkpoint {checkpoint} touched files: {left:?}"
        );
    }
    assert!(sb.log().is_empty(), "refused before any request");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resume_spelt_dot_slash_is_no_longer_refused_as_another_export() {
    let sb = common::sandbox_with(300, "2000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // An unfinished export into u.jsonl: killed (SIGKILL, as a crash) once its checkpoint is
    // there; the slow rate keeps it from finishing first.
    let c = export_cmd(&sb, dir.path(), &["--output", "u.jsonl"]);
    let pos = c.get_args().position(|a| a == "2000/1s").unwrap();
    let mut args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    args[pos] = "1/1s".into();
    let mut slow = cmd_in(dir.path());
    slow.current_dir(dir.path())
        .env("CLERK_API_URL", sb.url())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = Killed(slow.spawn().unwrap());
    let cp = dir.path().join("u.jsonl.checkpoint");
    let t0 = Instant::now();
    while !cp.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no checkpoint");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.0.kill();
    let _ = child.0.wait();
    assert!(
        !dir.path().join("u.jsonl").exists(),
        "it finished before the kill"
    );
    // ...resumed as ./u.jsonl: the same file.
    let r = bounded(export_cmd(
        &sb,
        dir.path(),
        &["--output", "./u.jsonl", "--resume"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        common::read(&dir.path().join("u.jsonl")).lines().count(),
        300
    );
}

// ---- row 6: --resume of a finished export with other filters ----

#[tokio::test(flavor = "multi_thread")]
async fn resume_of_a_finished_export_with_other_filters_is_no_longer_already_complete() {
    let sb = common::sandbox_with(300, "2000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let filtered = ["--output", "u.jsonl", "--filter", "banned=true"];
    let r = bounded(export_cmd(&sb, dir.path(), &filtered)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = common::read(&dir.path().join("u.jsonl"));
    let r = bounded(export_cmd(
        &sb,
        dir.path(),
        &["--output", "u.jsonl", "--resume"],
    ))
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--filter banned=true"), "{}", r.stderr);
    assert_eq!(common::read(&dir.path().join("u.jsonl")), before);
    // The same filters, spelt ./u.jsonl: complete, nothing to do.
    let again = [
        "--output",
        "./u.jsonl",
        "--filter",
        "banned=true",
        "--resume",
    ];
    let r = bounded(export_cmd(&sb, dir.path(), &again)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already complete"), "{}", r.stderr);
}

// ---- row 7: a 429 whose Retry-After exceeds --max-wait ----

/// A server that answers every request 429 with `Retry-After: 600`, counting them.
async fn blocking_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        let seen = std::sync::Arc::clone(&seen);
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "600"), ("content-type", "application/json")],
                r#"{"errors":[{"message":"Too many requests","code":"too_many_requests"}]}"#,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

async fn next_process_sends_into_a_block(extra: &[&str]) {
    use std::sync::atomic::Ordering;
    let (url, hits) = blocking_server().await;
    let state = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let mut c = cmd_in(state.path());
        c.env("CLERK_API_URL", &url)
            .args(["--max-wait", "5s"])
            .args(extra)
            .args(["api", "users"]);
        let r = bounded(c).await;
        assert_eq!(r.code, 3, "round {round}: {}", r.stderr);
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "round {round} sent into the recorded block: {}",
            r.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_max_wait_is_no_longer_forgotten_by_the_state_file() {
    next_process_sends_into_a_block(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_max_wait_is_no_longer_forgotten_by_redis() {
    let redis = common::redis_server::RedisServer::start();
    next_process_sends_into_a_block(&["--budget-store", &redis.url()]).await;
}

// ---- row 12 and the stdin read twice: what -F sends ----

/// A server that answers every request 200 with the body it was sent.
async fn echo_server() -> String {
    let app = axum::Router::new().fallback(|body: axum::body::Bytes| async move {
        ([("content-type", "application/json")], body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_fields_no_longer_send_big_integers_and_floats_as_other_numbers() {
    let url = echo_server().await;
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", &url).args([
        "api",
        "-X",
        "PATCH",
        "users/user_1/metadata",
        "-F",
        "public_metadata[acct]=123456789012345678901",
        "-F",
        "public_metadata[big]=12345678901234567890",
        "-F",
        "n=1e3",
        "-F",
        "r=1.5",
        "-F",
        "i=-42",
    ]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Compared as text: a JSON parser in the test could round a number just as the bug did.
    assert_eq!(
        r.stdout.trim(),
        r#"{"public_metadata":{"acct":"123456789012345678901","big":12345678901234567890},"n":"1e3","r":"1.5","i":-42}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_from_stdin_with_input_from_stdin_no_longer_sends_an_empty_body() {
    let url = echo_server().await;
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", &url).args([
        "api",
        "-X",
        "POST",
        "invitations",
        "--input",
        "-",
        "-F",
        "a=@-",
    ]);
    let r = common::bounded::bounded_with_stdin(c, br#"{"email_address":"a@example.com"}"#).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("read only once"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "nothing sent: {}", r.stdout);
}

// ---- smaller ones: duplicate filters, a POST answered 408 ----

#[tokio::test(flavor = "multi_thread")]
async fn a_one_value_filter_given_twice_is_no_longer_silently_dropped() {
    let sb = common::sandbox_with(50, "2000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let twice = [
        "--output",
        "u.jsonl",
        "--filter",
        "banned=true",
        "--filter",
        "banned=false",
    ];
    let r = bounded(export_cmd(&sb, dir.path(), &twice)).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("given twice"), "{}", r.stderr);
    let r = bounded(export_cmd(
        &sb,
        dir.path(),
        &[
            "--filter",
            "created_at_after=1",
            "--filter",
            "created_at_after=2",
        ],
    ))
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(sb.log().is_empty(), "refused before any request");
    // An array filter repeats: any of the values.
    let r = bounded(export_cmd(
        &sb,
        dir.path(),
        &["--filter", "user_id=user_a", "--filter", "user_id=user_b"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_answered_408_no_longer_exits_1_without_saying_it_may_have_been_applied() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        seen.fetch_add(1, Ordering::SeqCst);
        async { (axum::http::StatusCode::REQUEST_TIMEOUT, "request timeout") }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", &url).args([
        "api",
        "-X",
        "POST",
        "invitations",
        "-f",
        "email_address=a@example.com",
    ]);
    let r = bounded(c).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("may have been applied"), "{}", r.stderr);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a POST is never sent twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_on_a_count_is_no_longer_retried_eight_times() {
    let sb = common::sandbox_with(20, "2000/1s", |_| {}).await;
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", sb.url())
        .args(["-v", "api", "--paginate", "users/count"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("not a list endpoint"), "{}", r.stderr);
    assert_no_retry(&r);
    assert_eq!(sb.log().len(), 1, "one request: {}", r.stderr);
}

// ---- row 5: a plain-array list with no count whose server caps its pages ----

/// `GET /v1/things`: `items` plain-array items, at most `cap` per page whatever the limit,
/// paged by `offset`; no count anywhere. Counts the requests.
async fn capped_list(
    items: usize,
    cap: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/v1/things",
        axum::routing::get(move |q: axum::extract::Query<HashMap<String, String>>| {
            seen.fetch_add(1, Ordering::SeqCst);
            let n = |k: &str, d: usize| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
            let (offset, limit) = (n("offset", 0), n("limit", 10).min(cap));
            let page: Vec<_> = (offset..items.min(offset + limit))
                .map(|i| serde_json::json!({"id": format!("thing_{i:05}"), "created_at": i}))
                .collect();
            async move { axum::Json(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

async fn paginate_things(url: &str, extra: &[&str]) -> Run {
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", url)
        .args(["api", "--paginate", "things"])
        .args(extra);
    bounded(c).await
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_on_a_capped_list_without_a_count_no_longer_exits_0_with_the_first_page() {
    let (url, _) = capped_list(1000, 100).await;
    let r = paginate_things(&url, &[]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("caps its pages"), "{}", r.stderr);
    assert!(r.stderr.contains("--page-size 100"), "{}", r.stderr);
    // What it says to do walks it all.
    let r = paginate_things(&url, &["--page-size", "100"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_first_page_that_is_the_end_costs_one_request_more_and_exits_0() {
    let (url, hits) = capped_list(30, 100).await;
    let r = paginate_things(&url, &[]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 30);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

// ---- row 3: offset paging dropped live users when more than a tenth of a page was deleted ----

/// A sandbox of 1,000 users that refuses the cursor and deletes its 50 oldest users (already
/// written by then) once it has served 3 pages: the next offset page shifts by 50 rows, more
/// than the overlap of 10 re-reads.
async fn deleting_sandbox() -> (clerk_rl::sandbox::Sandbox, Vec<String>) {
    let sb = common::sandbox_with(1000, "2000/1s", |c| {
        c.reject_cursor = true;
        c.delete_after_pages = Some((3, 50));
    })
    .await;
    // The generated users are a function of the seed: a twin sandbox lists them untouched.
    let twin = common::sandbox_with(1000, "2000/1s", |_| {}).await;
    let want = common::all_ids(&twin)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    (sb, want)
}

fn assert_every_user_once(stdout: &str, want: &[String]) {
    let got: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let set: std::collections::HashSet<&String> = got.iter().collect();
    assert_eq!(set.len(), got.len(), "an item written twice");
    let missing = want.iter().filter(|id| !set.contains(id)).count();
    assert_eq!(
        missing,
        0,
        "{missing} existing users missing of {}",
        want.len()
    );
    assert_eq!(got.len(), want.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_export_no_longer_drops_live_users_when_more_than_a_tenth_of_a_page_is_deleted() {
    let (sb, want) = deleting_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let r = bounded(export_cmd(&sb, dir.path(), &["--concurrency", "1", "-v"])).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("paging by offset instead"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("asking it again from offset"),
        "{}",
        r.stderr
    );
    // The 50 deleted users were written before their deletion; no live user is missing.
    assert_every_user_once(&r.stdout, &want);
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_paginate_no_longer_drops_live_users_when_more_than_a_tenth_of_a_page_is_deleted() {
    let (sb, want) = deleting_sandbox().await;
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", sb.url()).args([
        "--rate",
        "2000/1s",
        "api",
        "--paginate",
        "users",
        "--page-size",
        "100",
    ]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("paging by offset instead"),
        "{}",
        r.stderr
    );
    assert_every_user_once(&r.stdout, &want);
}

// ---- row 1, generalised: batch-get and api --paginate behind a reader that leaves ----

/// Spawn `c` with stdout piped, read `lines` lines, drop the reader and return the requests the
/// sandbox had logged then, the exit code and stderr. The child must end within 20 s.
async fn read_then_leave(
    mut c: Command,
    lines: usize,
    sb: std::sync::Arc<clerk_rl::sandbox::Sandbox>,
) -> (usize, Option<i32>, String) {
    use std::io::{BufRead, BufReader};
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = Killed(c.spawn().unwrap());
        let mut out = BufReader::new(child.0.stdout.take().unwrap());
        let mut line = String::new();
        for _ in 0..lines {
            line.clear();
            out.read_line(&mut line).unwrap();
            assert!(line.starts_with('{'), "{line:?}");
        }
        let at_leaving = user_pages(&sb);
        drop(out);
        let (status, err) = finish_within(
            &mut child.0,
            Duration::from_secs(20),
            "it kept going after its reader left",
        );
        (at_leaving, status.code(), err)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_no_longer_fetches_a_whole_window_after_its_reader_left() {
    // 50 ms a request, one at a time: a window of 1,000 ids is 10 requests, half a second.
    let sb = std::sync::Arc::new(
        common::sandbox_with(5000, "1000/1s", |c| c.latency = Duration::from_millis(50)).await,
    );
    let ids: Vec<String> = common::all_ids(&sb)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, ids.join("\n") + "\n").unwrap();
    let mut c = cmd_in(dir.path());
    c.env("CLERK_API_URL", sb.url()).args([
        "--rate",
        "1000/1s",
        "batch-get",
        "--concurrency",
        "1",
        file.to_str().unwrap(),
    ]);
    let before = user_pages(&sb);
    // The whole first window read: the reader leaves while the second one is fetched.
    let (at_leaving, code, stderr) = read_then_leave(c, 1000, std::sync::Arc::clone(&sb)).await;
    assert_eq!(code, Some(0), "{stderr}");
    // Requests sent just before the exit are logged after the sandbox's latency.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = user_pages(&sb) - before;
    let at_leaving = at_leaving - before;
    assert!(
        after <= at_leaving + 2,
        "{} requests after the reader left (the rest of the window)",
        after - at_leaving
    );
    assert!(after < 20, "{after} requests of 50");
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_no_longer_sends_the_next_page_after_its_reader_left() {
    let sb = std::sync::Arc::new(common::sandbox_with(5000, "1000/1s", |_| {}).await);
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    // 1 a second (the count, then a page a second): the third page waits for the budget when
    // the reader leaves after two.
    c.env("CLERK_API_URL", sb.url()).args([
        "--rate",
        "1/1s",
        "api",
        "--paginate",
        "users",
        "--page-size",
        "100",
    ]);
    let (at_leaving, code, stderr) = read_then_leave(c, 200, std::sync::Arc::clone(&sb)).await;
    assert_eq!(code, Some(0), "{stderr}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        user_pages(&sb),
        at_leaving,
        "a page asked for after the reader left: {stderr}"
    );
}

// ---- smaller ones ----

#[tokio::test(flavor = "multi_thread")]
async fn a_web_page_answered_200_to_api_no_longer_exits_0() {
    let app = axum::Router::new().route(
        "/v1/users",
        axum::routing::get(|| async {
            (
                [("content-type", "text/html; charset=utf-8")],
                "<!doctype html><html><body>Sign in</body></html>",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", &url).args(["api", "users"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no page as the answer: {}", r.stdout);
    assert!(
        r.stderr.contains("a web page") && r.stderr.contains("Content-Type: text/html"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_dir_hint_no_longer_says_to_set_it_when_it_is_set() {
    let sb = common::sandbox_with(10, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: the state file cannot be made there.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let mut c = cmd_in(&not_a_dir);
    c.env("CLERK_API_URL", sb.url())
        .args(["api", "users/count"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("cannot share the budget"), "{}", r.stderr);
    assert!(!r.stderr.contains("set CLERK_RL_STATE_DIR"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("make the folder CLERK_RL_STATE_DIR names writable"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_redis_password_in_argv_is_no_longer_taken_without_a_warning() {
    let url = "redis://:hunter2@127.0.0.1:9/0";
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd_in(dir.path());
    c.env("XDG_CONFIG_HOME", dir.path())
        .args(["--budget-store", url, "config", "show"]);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: the Redis password in --budget-store is visible")
            && r.stderr.contains("CLERK_RL_BUDGET_STORE"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"));
    // From the environment: out of ps, no warning.
    let mut c = cmd_in(dir.path());
    c.env("XDG_CONFIG_HOME", dir.path())
        .env("CLERK_RL_BUDGET_STORE", url)
        .args(["config", "show"]);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_on_a_newest_first_list_no_longer_exits_6_where_export_walks_it() {
    let sb = common::sandbox_with(1200, "2000/1s", |c| {
        c.misbehave.push(clerk_rl::sandbox::Misbehave::IgnoreOrder)
    })
    .await;
    let twin = common::sandbox_with(1200, "2000/1s", |_| {}).await;
    let want: Vec<String> = common::all_ids(&twin)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let state = tempfile::tempdir().unwrap();
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", sb.url()).args([
        "--rate",
        "2000/1s",
        "api",
        "--paginate",
        "users",
        "--page-size",
        "100",
    ]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("newest first whatever order_by").count(),
        1,
        "{}",
        r.stderr
    );
    assert_every_user_once(&r.stdout, &want);
}

#[test]
fn config_show_no_longer_exits_0_for_a_profile_every_command_refuses() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("clerk-rl")).unwrap();
    std::fs::write(
        home.path().join("clerk-rl/config.toml"),
        "[profiles.bad]\napi_url = \"http://api.example.com\"\nsecret_key_file = \"/nonexistent/clerk.key\"\n",
    )
    .unwrap();
    let mut c = cmd_in(home.path());
    c.env("XDG_CONFIG_HOME", home.path())
        .env_remove("CLERK_SECRET_KEY")
        .args(["--profile", "bad", "config", "show"]);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("profile bad"),
        "still shown: {}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("profile bad: every command would refuse it")
            && r.stderr.contains("/nonexistent/clerk.key")
            && r.stderr.contains("plain http"),
        "{}",
        r.stderr
    );
    // Every command does refuse it.
    let mut c = cmd_in(home.path());
    c.env("XDG_CONFIG_HOME", home.path())
        .env_remove("CLERK_SECRET_KEY")
        .args(["--profile", "bad", "status"]);
    assert_eq!(common::bounded_sync(c).code, 2);
}

// ---- issue 22: one memory of what the key spent, for every command (the state file) ----

/// The sandbox's answers with status 429.
fn count_429(sb: &clerk_rl::sandbox::Sandbox) -> usize {
    sb.log().iter().filter(|e| e.status == 429).count()
}

/// The most requests in any window of `w` seconds, on the sandbox's clock.
fn fullest_window(sb: &clerk_rl::sandbox::Sandbox, w: f64) -> usize {
    fullest_window_of(sb, w, |_| true)
}

/// [`fullest_window`] of the requests `ours` picks (not the test's own reads).
fn fullest_window_of(
    sb: &clerk_rl::sandbox::Sandbox,
    w: f64,
    ours: impl Fn(&clerk_rl::sandbox::LogEntry) -> bool,
) -> usize {
    let mut t: Vec<f64> = sb.log().iter().filter(|e| ours(e)).map(|e| e.t).collect();
    t.sort_by(f64::total_cmp);
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|&&x| x < t[i] + w).count())
        .max()
        .unwrap_or(0)
}

/// Only `api` used the state file: `status` then `export-users` at once each spent the whole
/// budget and the export met a 429.
#[tokio::test(flavor = "multi_thread")]
async fn status_then_export_at_once_no_longer_gets_a_429() {
    let sb = common::sandbox_with(6, "3/1s", |_| {}).await;
    let state = tempfile::tempdir().unwrap();
    let out = state.path().join("users.jsonl");
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", sb.url())
        .args(["--rate", "3/1s", "--max-retries", "0", "status"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut c = cmd_in(state.path());
    c.env("CLERK_API_URL", sb.url())
        .args(["--rate", "3/1s", "--max-retries", "0", "--no-progress"])
        .args(["export-users", "--page-size", "2", "-o"])
        .arg(&out);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(common::read(&out).lines().count(), 6);
    assert_eq!(count_429(&sb), 0, "{:?}", sb.log());
    assert!(fullest_window(&sb, 1.0) <= 3, "{:?}", sb.log());
}

/// A loop of `batch-get` calls, one process each: every call alone was within the budget, the
/// loop was not.
#[tokio::test(flavor = "multi_thread")]
async fn a_loop_of_batch_get_calls_no_longer_gets_a_429() {
    let sb = common::sandbox_with(10, "3/1s", |_| {}).await;
    let ids = common::all_ids(&sb).await;
    let state = tempfile::tempdir().unwrap();
    for (i, (_, id)) in ids.iter().take(7).enumerate() {
        let input = state.path().join(format!("ids{i}"));
        std::fs::write(&input, format!("{id}\n")).unwrap();
        let mut c = cmd_in(state.path());
        c.env("CLERK_API_URL", sb.url())
            .args(["--rate", "3/1s", "--max-retries", "0", "-q", "batch-get"])
            .arg(&input);
        let r = bounded(c).await;
        assert_eq!(r.code, 0, "call {i}: {}", r.stderr);
        assert!(r.stdout.contains(id.as_str()), "call {i}: {}", r.stdout);
    }
    assert_eq!(count_429(&sb), 0, "{:?}", sb.log());
    // The test's own read of the ids (all_ids, another key) is not the loop's.
    let by_id = |e: &clerk_rl::sandbox::LogEntry| e.query.contains("user_id=");
    assert!(fullest_window_of(&sb, 1.0, by_id) <= 3, "{:?}", sb.log());
}

// ---- issue 23 row 8: an endpoint slot's lease ran out while its request waited ----

/// A server that answers the first request 429 with `Retry-After: 4` and the rest 200 `{}`,
/// logging when each PATCH arrived (seconds since it started).
async fn first_request_blocks_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<f64>>>) {
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let seen = std::sync::Arc::clone(&arrivals);
    let t0 = Instant::now();
    let app = axum::Router::new().fallback(move |method: axum::http::Method| {
        let seen = std::sync::Arc::clone(&seen);
        async move {
            let first = {
                let mut s = seen.lock().unwrap();
                if method == axum::http::Method::PATCH {
                    s.push(t0.elapsed().as_secs_f64());
                }
                s.len() == 1
            };
            if first {
                (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "4"), ("content-type", "application/json")],
                    r#"{"errors":[{"message":"Too many requests","code":"too_many_requests"}]}"#,
                )
            } else {
                (
                    axum::http::StatusCode::OK,
                    [
                        ("cache-control", "no-store"),
                        ("content-type", "application/json"),
                    ],
                    "{}",
                )
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, arrivals)
}

/// The per-user slot was leased for --timeout + W from when it was taken; a server block
/// outlasted the lease while its holder waited for the instance, other processes took the
/// "free" slots, and all of them sent at the block's end (16 PATCHes for one user in 30 ms).
#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_lease_no_longer_runs_out_while_its_request_waits_out_a_block() {
    let (url, arrivals) = first_request_blocks_server().await;
    let state = tempfile::tempdir().unwrap();
    // Lease: --timeout 1s + W 1s = 2 s; the block lasts 4 s.
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let mut c = cmd_in(state.path());
            c.env("CLERK_API_URL", &url)
                .args(["--rate", "100/1s", "--timeout", "1s", "-q"])
                .args(["--endpoint-rate", "user-update=2/1s"])
                .args(["api", "-X", "PATCH", "users/user_1", "-f", "first_name=a"]);
            tokio::spawn(bounded(c))
        })
        .collect();
    for r in runs {
        let r = r.await.unwrap();
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let mut t = arrivals.lock().unwrap().clone();
    t.sort_by(f64::total_cmp);
    assert_eq!(t.len(), 7, "six PATCHes and one retry: {t:?}");
    let fullest = (0..t.len())
        .map(|i| t[i..].iter().take_while(|&&x| x < t[i] + 1.0).count())
        .max()
        .unwrap();
    assert!(
        fullest <= 2,
        "{fullest} PATCHes for one user within 1 s: {t:?}"
    );
}

/// scripts/gen-assets ran `./target/debug/clerk-rl` after `cargo build`, which with
/// CARGO_TARGET_DIR set (as every worktree here builds) is not the binary just built: the assets
/// came from a stale binary, or the script failed. It must run the binary of the target folder
/// cargo built into.
#[test]
fn gen_assets_no_longer_runs_a_binary_other_than_the_one_cargo_built() {
    let script = common::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-assets"));
    let runs: Vec<&str> = script
        .lines()
        .filter(|l| l.contains("completions --dir") || l.contains("man --dir"))
        .collect();
    assert_eq!(runs.len(), 2, "{script}");
    for l in runs {
        assert!(!l.contains("./target/"), "{l}");
        assert!(l.trim_start().starts_with("\"$bin\""), "{l}");
    }
    assert!(
        script.contains("bin=\"${CARGO_TARGET_DIR:-target}/debug/clerk-rl\""),
        "{script}"
    );
}

/// export-users installed its signal handlers first, then counted the users without listening
/// to them: a SIGTERM while the count waited for the budget (a window another process filled)
/// was ignored until the slot came, a minute later here.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_the_first_count_waits_for_the_budget_is_no_longer_ignored() {
    let sb = common::sandbox_with(20, "100/10s", |_| {}).await;
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // status spends the one request of a 1-per-minute budget in the shared state file.
    let mut status = cmd_in(state.path());
    status
        .env("CLERK_API_URL", sb.url())
        .args(["--rate", "1/60s", "status"]);
    let r = bounded(status).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sent_before = sb.log().len();
    let mut export = cmd_in(state.path());
    export
        .env("CLERK_API_URL", sb.url())
        .args(["--rate", "1/60s", "export-users", "-o"])
        .arg(out.path().join("users.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = Killed(export.spawn().unwrap());
    // Long enough for the export to be waiting on the count's slot.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the export ended early"
    );
    let sent = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // A hang guard, not a speed target: ignoring the signal means waiting out the minute.
    let t = Instant::now();
    let code = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "SIGTERM was ignored while the count waited for the budget"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(code, Some(143), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(sb.log().len(), sent_before, "the export sent a request");
    sb.shutdown().await;
}

// ---- row 9: Redis restarted, flushed, or not used by every process on the key ----

/// An `export-users` of every user through `store` (a state folder of its own unless `state`),
/// run in the background with the suite's deadline.
fn sharing_export(
    sb: &clerk_rl::sandbox::Sandbox,
    store: Option<&str>,
    state: Option<&Path>,
    rate: &str,
    out: &Path,
) -> tokio::task::JoinHandle<Run> {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url());
    if let Some(s) = store {
        c.env("CLERK_RL_BUDGET_STORE", s);
    }
    if let Some(s) = state {
        c.env("CLERK_RL_STATE_DIR", s);
    }
    c.args(["--rate", rate, "export-users", "--page-size", "20"])
        .args(["--concurrency", "1", "--output"])
        .arg(out);
    tokio::task::spawn_blocking(move || common::bounded::bounded_sync(c))
}

async fn wait_for_requests(sb: &clerk_rl::sandbox::Sandbox, n: usize) {
    let t0 = Instant::now();
    while sb.log().len() < n {
        assert!(t0.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every export finished with every user exactly once, and the server never said 429 nor
/// handled more than `limit` of the key's requests in one second.
async fn assert_shared_cleanly(
    sb: &clerk_rl::sandbox::Sandbox,
    runs: Vec<(std::path::PathBuf, Run)>,
    limit: usize,
) {
    let want = common::all_ids(sb).await;
    for (out, r) in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
        common::assert_exact(&common::parse_export(&common::read(out)), &want);
    }
    let n429 = sb.log().iter().filter(|e| e.status == 429).count();
    let fullest = crate::shared_budget::fullest_window(sb, common::KEY, 1.0);
    let stderr: Vec<&str> = runs.iter().map(|(_, r)| r.stderr.as_str()).collect();
    assert_eq!(n429, 0, "429s; stderr:\n{}", stderr.join("\n---\n"));
    assert!(
        fullest <= limit,
        "{fullest} requests in one second (budget {limit})"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_restart_under_sharing_exports_no_longer_leaves_them_local_nor_lets_new_ones_take_the_window()
 {
    let mut redis = common::redis_server::RedisServer::start();
    let url = redis.url();
    let sb = common::sandbox_with(1000, "40/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<_> = (0..6)
        .map(|i| dir.path().join(format!("{i}.jsonl")))
        .collect();
    let mut running: Vec<_> = outs[..4]
        .iter()
        .map(|o| sharing_export(&sb, Some(&url), None, "40/1s", o))
        .collect();
    wait_for_requests(&sb, 60).await;
    // Down for a second (every process falls back and paces alone), then back on the same
    // port, empty, and two new exports start at once: they know nothing of the last window.
    redis.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    redis.restart();
    running.extend(
        outs[4..]
            .iter()
            .map(|o| sharing_export(&sb, Some(&url), None, "40/1s", o)),
    );
    let mut runs = Vec::new();
    for (o, h) in outs.iter().zip(running) {
        runs.push((o.clone(), h.await.unwrap()));
    }
    for (_, r) in &runs[..4] {
        assert!(r.stderr.contains("pacing locally"), "{}", r.stderr);
        assert!(
            r.stderr.contains("answers again"),
            "never reconnected:\n{}",
            r.stderr
        );
    }
    assert_shared_cleanly(&sb, runs, 40).await;
    // Every process shared through the restarted Redis again: its budget holds their state.
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":epoch")),
        "{:?}",
        redis.keys()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flushall_under_sharing_exports_no_longer_empties_the_window() {
    let redis = common::redis_server::RedisServer::start();
    let url = redis.url();
    let sb = common::sandbox_with(1000, "40/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<_> = (0..4)
        .map(|i| dir.path().join(format!("{i}.jsonl")))
        .collect();
    let running: Vec<_> = outs
        .iter()
        .map(|o| sharing_export(&sb, Some(&url), None, "40/1s", o))
        .collect();
    wait_for_requests(&sb, 60).await;
    redis::cmd("FLUSHALL")
        .query::<()>(&mut redis.conn())
        .unwrap();
    let mut runs = Vec::new();
    for (o, h) in outs.iter().zip(running) {
        runs.push((o.clone(), h.await.unwrap()));
    }
    assert_shared_cleanly(&sb, runs, 40).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_with_and_without_budget_store_on_one_key_are_no_longer_silent() {
    let redis = common::redis_server::RedisServer::start();
    let sb = common::sandbox_with(1000, "20/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let file_user = sharing_export(&sb, None, Some(&state), "20/1s", &a);
    wait_for_requests(&sb, 5).await;
    let redis_user = sharing_export(&sb, Some(&redis.url()), Some(&state), "20/1s", &b);
    let (ra, rb) = (file_user.await.unwrap(), redis_user.await.unwrap());
    assert_eq!(ra.code, 0, "{}", ra.stderr);
    assert_eq!(rb.code, 0, "{}", rb.stderr);
    let lines = |r: &Run, what: &str| r.stderr.lines().filter(|l| l.contains(what)).count();
    assert_eq!(
        lines(&ra, "shares this key's budget through Redis at"),
        1,
        "{}",
        ra.stderr
    );
    assert_eq!(
        lines(&rb, "share this key's budget through its state file"),
        1,
        "{}",
        rb.stderr
    );
    // Alone on a key, neither warns.
    let c = dir.path().join("c.jsonl");
    let alone = sharing_export(&sb, Some(&redis.url()), None, "20/1s", &c)
        .await
        .unwrap();
    assert!(
        !alone.stderr.contains("through its state file"),
        "{}",
        alone.stderr
    );
}
