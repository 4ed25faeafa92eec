//! `clerk-rl api --batch FILE` over HTTP against the sandbox: each user ends at the file's last
//! update with no 429 while the per-user limit binds, a failure holds the later lines of its
//! user, a SIGKILL and a rerun send no finished line again, a lost answer to a PATCH is
//! `unknown` and never sent again, `--dry-run` sends nothing, and the exit codes. Every run of
//! the binary is bounded (`common::bounded`).

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use clerk_rl::face::EndpointLimits;
use clerk_rl::face::Rate;
use clerk_rl::sandbox::{FaultSpec, LogEntry, Sandbox, SandboxConfig};
use common::{Run, all_ids, bounded, cmd, sandbox_with};
use serde_json::{Value, json};

fn per_user(rate: &str) -> impl FnOnce(&mut SandboxConfig) {
    let rate: Rate = rate.parse().unwrap();
    move |c: &mut SandboxConfig| {
        c.endpoint_limits = EndpointLimits::new(&[("user-update".into(), rate)]);
    }
}

/// The binary against `sb` with its own state folder (endpoint budgets), `args` after the
/// budget flags.
fn batch_cmd(sb: &Sandbox, state: &Path, args: &[&str]) -> Command {
    let mut c = cmd();
    c.args(args)
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", state);
    c
}

async fn batch(sb: &Sandbox, state: &Path, args: &[&str]) -> Run {
    bounded(batch_cmd(sb, state, args)).await
}

fn patch_line(user: &str, n: i64, key: Option<&str>) -> String {
    let mut v = json!({
        "method": "PATCH",
        "path": format!("/v1/users/{user}/metadata"),
        "body": {"public_metadata": {"n": n}},
        "id": format!("{user}#{n}"),
    });
    if let Some(k) = key {
        v["idempotency_key"] = json!(k);
    }
    v.to_string()
}

/// `per` updates for each user, interleaved (user 0 n=0, user 1 n=0, …, user 0 n=1, …).
fn interleaved(users: &[String], per: i64, keyed: bool) -> String {
    let mut s = String::new();
    for n in 0..per {
        for u in users {
            let key = format!("{u}-{n}");
            s.push_str(&patch_line(u, n, keyed.then_some(key.as_str())));
            s.push('\n');
        }
    }
    s
}

/// The ids of the sandbox's first `n` users, oldest first.
async fn first_ids(sb: &Sandbox, n: usize) -> Vec<String> {
    all_ids(sb).await[..n].iter().map(|u| u.1.clone()).collect()
}

/// Every one of `users` has `public_metadata.n == n`: the file's last update for each.
async fn assert_all_at(sb: &Sandbox, users: &[String], n: i64) {
    for u in users {
        assert_eq!(user(sb, u).await["public_metadata"]["n"], json!(n), "{u}");
    }
}

async fn user(sb: &Sandbox, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn patches(log: &[LogEntry]) -> Vec<&LogEntry> {
    log.iter().filter(|e| e.method == "PATCH").collect()
}

fn results(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The most requests matching `f` in any window of `w` seconds, on the sandbox's clock.
fn fullest_window(log: &[&LogEntry], w: f64) -> usize {
    let mut t: Vec<f64> = log.iter().map(|e| e.t).collect();
    t.sort_by(f64::total_cmp);
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|&&x| x < t[i] + w).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_user_ends_at_the_files_last_update_with_no_429_while_the_per_user_limit_binds() {
    let dir = tempfile::tempdir().unwrap();
    // The instance allows plenty; 3/1s per user is what binds (8 updates a user: 3 windows).
    let sb = sandbox_with(30, "200/1s", per_user("3/1s")).await;
    let users: Vec<String> = first_ids(&sb, 6).await;
    let file = dir.path().join("updates.jsonl");
    std::fs::write(&file, interleaved(&users, 8, false)).unwrap();
    let out = dir.path().join("results.jsonl");
    let r = batch(
        &sb,
        dir.path(),
        &[
            "--rate",
            "200/1s",
            "--endpoint-rate",
            "user-update=3/1s",
            "api",
            "--batch",
            file.to_str().unwrap(),
            "--results",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "results go to --results");
    let res = results(&common::read(&out));
    assert_eq!(res.len(), 48);
    for (i, v) in res.iter().enumerate() {
        assert_eq!(v["line"], json!(i + 1), "input order");
        assert_eq!(v["status"], "ok", "{v}");
        // Each answer shows the state right after its own line: the user's lines ran in order.
        let n = (i / users.len()) as i64;
        assert_eq!(v["body"]["public_metadata"]["n"], json!(n), "{v}");
        assert_eq!(v["id"], json!(format!("{}#{n}", users[i % users.len()])));
    }
    let log = sb.log();
    let p = patches(&log);
    assert_eq!(p.len(), 48, "each line once");
    assert_eq!(p.iter().filter(|e| e.status == 429).count(), 0, "no 429");
    for u in &users {
        let mine: Vec<&LogEntry> = p
            .iter()
            .copied()
            .filter(|e| e.path.contains(u.as_str()))
            .collect();
        assert!(
            fullest_window(&mine, 1.0) <= 3,
            "the per-user limit kept for {u}"
        );
        assert_eq!(user(&sb, u).await["public_metadata"]["n"], json!(7), "{u}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_line_holds_the_later_lines_of_its_user_and_the_rerun_sends_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(20, "100/1s", |_| {}).await;
    let ids: Vec<String> = first_ids(&sb, 2).await;
    let (a, b) = (&ids[0], &ids[1]);
    let bad = json!({"method": "PATCH", "path": format!("/v1/users/{a}/metadata"), "body": {"public_metadata": "not an object"}});
    let text = [
        patch_line(a, 0, None),
        patch_line(b, 0, None),
        bad.to_string(),
        "# a comment".to_string(),
        patch_line(a, 2, None),
        patch_line(b, 1, None),
    ]
    .join("\n");
    let file = dir.path().join("b.jsonl");
    std::fs::write(&file, text).unwrap();
    let args = ["--rate", "100/1s", "api", "--batch", file.to_str().unwrap()];
    let r = batch(&sb, dir.path(), &args).await;
    assert_eq!(r.code, 7, "some failed: {}", r.stderr);
    let res = results(&r.stdout);
    let status: Vec<&str> = res.iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "ok", "failed", "skipped", "ok"]);
    assert_eq!(res[2]["http_status"], 422);
    assert_eq!(res[3]["line"], 5, "line numbers count the file's lines");
    assert_eq!(res[3]["blocked_by"], 3);
    assert!(r.stderr.contains("1 failed, 1 skipped"), "{}", r.stderr);
    assert_eq!(
        user(&sb, a).await["public_metadata"]["n"],
        0,
        "a never got ahead of its failed line"
    );
    assert_eq!(user(&sb, b).await["public_metadata"]["n"], 1);
    let before = patches(&sb.log()).len();
    assert_eq!(before, 4);
    // The rerun sends the failed line again (it fails again) and nothing that finished.
    let r = batch(&sb, dir.path(), &args).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 5);
    assert_eq!(res[0]["earlier_run"], true);
    assert_eq!(res[3]["status"], "skipped");
    assert_eq!(
        patches(&sb.log()).len(),
        before + 1,
        "only the failed line again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_halfway_then_rerun_sends_no_finished_line_again_and_every_user_ends_last() {
    let dir = tempfile::tempdir().unwrap();
    // 2/1s per user, 10 updates a user: the run takes about 5 s, time to kill it halfway.
    let sb = sandbox_with(20, "100/1s", per_user("2/1s")).await;
    let users: Vec<String> = first_ids(&sb, 4).await;
    let file = dir.path().join("u.jsonl");
    std::fs::write(&file, interleaved(&users, 10, true)).unwrap();
    let journal = dir.path().join("u.jsonl.batch-journal");
    let args = [
        "--rate",
        "100/1s",
        "--endpoint-rate",
        "user-update=2/1s",
        "api",
        "--batch",
        file.to_str().unwrap(),
    ];
    let mut c = batch_cmd(&sb, dir.path(), &args);
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let t0 = Instant::now();
    let done = |text: &str| text.lines().filter(|l| l.contains("\"result\"")).count();
    loop {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        if done(&text) >= 16 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        assert!(t0.elapsed() < common::DEADLINE, "the run never got halfway");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    let finished = done(&text);
    assert!(finished < 40, "killed halfway, not at the end");
    let sending = text.lines().filter(|l| l.contains("\"sending\"")).count();
    // Lines sent whose answer was not recorded: safe to send again (idempotency keys).
    let open = sending - finished;
    let r = batch(&sb, dir.path(), &args).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 40);
    assert!(res.iter().all(|v| v["status"] == "ok"));
    let earlier = res.iter().filter(|v| v["earlier_run"] == true).count();
    assert_eq!(
        earlier, finished,
        "the rerun took the finished lines from the journal"
    );
    let sent = patches(&sb.log()).len();
    assert!(
        (40..=40 + open).contains(&sent),
        "{sent} PATCHes for 40 lines, {open} of them open at the kill: a finished line was sent again"
    );
    assert_eq!(
        patches(&sb.log())
            .iter()
            .filter(|e| e.status == 429)
            .count(),
        0
    );
    assert_all_at(&sb, &users, 9).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_to_a_patch_without_idempotency_key_is_unknown_and_never_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    // The ids depend only on the seed: read them from a twin without faults.
    let twin = sandbox_with(20, "100/1s", |_| {}).await;
    let a = all_ids(&twin).await[0].1.clone();
    // The first request is applied, then its body is cut off: the answer is lost.
    let sb = sandbox_with(20, "100/1s", |c| {
        c.faults = "truncate:1".parse::<FaultSpec>().unwrap();
        c.faults_max = Some(1);
    })
    .await;
    let file = dir.path().join("l.jsonl");
    std::fs::write(
        &file,
        [patch_line(&a, 1, None), patch_line(&a, 2, None)].join("\n"),
    )
    .unwrap();
    let args = ["--rate", "100/1s", "api", "--batch", file.to_str().unwrap()];
    let r = batch(&sb, dir.path(), &args).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res[0]["status"], "unknown", "{}", res[0]);
    assert_eq!(res[1]["status"], "skipped");
    assert_eq!(res[1]["blocked_by"], 1);
    assert_eq!(patches(&sb.log()).len(), 1, "not sent twice");
    assert_eq!(
        user(&sb, &a).await["public_metadata"]["n"],
        1,
        "the change took effect"
    );
    let r = batch(&sb, dir.path(), &args).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res[0]["status"], "unknown");
    assert_eq!(res[0]["earlier_run"], true);
    assert_eq!(res[1]["status"], "skipped");
    assert_eq!(
        patches(&sb.log()).len(),
        1,
        "a rerun does not send it either"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_sent_when_the_run_died_is_unknown_without_a_key_and_sent_again_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(20, "100/1s", |_| {}).await;
    let ids: Vec<String> = first_ids(&sb, 2).await;
    let (plain, keyed) = (
        patch_line(&ids[0], 5, None),
        patch_line(&ids[1], 5, Some("k")),
    );
    let file = dir.path().join("d.jsonl");
    std::fs::write(&file, format!("{plain}\n{keyed}\n")).unwrap();
    // What a run killed between sending and recording the answer leaves behind.
    let hash = |t: &str| {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(t.as_bytes())[..8])
    };
    let journal = format!(
        "{}\n{}\n",
        json!({"line": 1, "h": hash(&plain), "sending": true}),
        json!({"line": 2, "h": hash(&keyed), "sending": true})
    );
    std::fs::write(dir.path().join("d.jsonl.batch-journal"), journal).unwrap();
    let r = batch(
        &sb,
        dir.path(),
        &["--rate", "100/1s", "api", "--batch", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res[0]["status"], "unknown");
    assert_eq!(res[1]["status"], "ok");
    let p = patches(&sb.log())
        .iter()
        .map(|e| e.path.clone())
        .collect::<Vec<_>>();
    assert_eq!(
        p,
        [format!("/v1/users/{}/metadata", ids[1])],
        "only the keyed line is sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_says_how_long_the_per_user_limit_needs() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(20, "100/1s", |_| {}).await;
    // 25 updates of one user at Clerk's 10/10s: 3 windows, 20 s at least.
    let mut text = String::new();
    for n in 0..25 {
        text.push_str(&patch_line("user_one", n, None));
        text.push('\n');
    }
    text.push_str("{\"method\":\"GET\",\"path\":\"/v1/users/count\"}\n");
    let file = dir.path().join("p.jsonl");
    std::fs::write(&file, &text).unwrap();
    let r = batch(
        &sb,
        dir.path(),
        &[
            "--plan",
            "prod",
            "--json",
            "api",
            "--batch",
            file.to_str().unwrap(),
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["lines"], 26);
    assert_eq!(v["to_send"], 26);
    assert_eq!(v["plan"]["least_s"], 20.0);
    assert_eq!(v["plan"]["binding"], "user-update");
    assert_eq!(v["plan"]["endpoints"][0]["busiest"], "user-update:user_one");
    let r = batch(
        &sb,
        dir.path(),
        &["api", "--batch", file.to_str().unwrap(), "--dry-run"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("at least 20s in all"), "{}", r.stdout);
    // An invalid line: named, exit 2.
    text.push_str("{\"method\":\"PATCH\",\"path\":\"/v1/users/x\",\"body\":\"nope\"}\n");
    std::fs::write(&file, &text).unwrap();
    let r = batch(
        &sb,
        dir.path(),
        &["api", "--batch", file.to_str().unwrap(), "--dry-run"],
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 27"), "{}", r.stderr);
    assert!(sb.log().is_empty(), "a dry run sends nothing");
    assert!(
        !dir.path().join("p.jsonl.batch-journal").exists(),
        "nor writes a journal"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_batch_input_exits_2_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "100/1s", |_| {}).await;
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "# nothing\n\n").unwrap();
    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "hello\nworld\n").unwrap();
    let missing = dir.path().join("missing.jsonl");
    for (args, why) in [
        (
            vec!["api", "--batch", empty.to_str().unwrap()],
            "no request",
        ),
        (
            vec!["api", "--batch", garbage.to_str().unwrap()],
            "no valid request",
        ),
        (
            vec!["api", "--batch", missing.to_str().unwrap()],
            "missing.jsonl",
        ),
        (
            vec!["api", "users", "--batch", empty.to_str().unwrap()],
            "cannot be used",
        ),
        (vec!["api", "users", "--dry-run"], "--batch"),
    ] {
        let r = batch(&sb, dir.path(), &args).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{args:?}: {}", r.stderr);
    }
    assert!(sb.log().is_empty());
}

/// 8 users x 6 updates, one user's third update failing, read in windows of 4
/// lines: the results are still every line in input order, the failed user's later lines are
/// skipped though its chain ended between them, and a rerun reads the finished results back
/// from the journal.
#[tokio::test(flavor = "multi_thread")]
async fn results_stay_in_input_order_and_a_failure_holds_its_user_across_windows_smaller_than_the_file()
 {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(20, "500/1s", per_user("4/1s")).await;
    let users: Vec<String> = first_ids(&sb, 8).await;
    let mut lines: Vec<String> = interleaved(&users, 6, false)
        .lines()
        .map(str::to_string)
        .collect();
    // users[1]'s update n=2 (line 18) fails; its n=3..5 are held.
    lines[2 * 8 + 1] = json!({"method": "PATCH", "path": format!("/v1/users/{}/metadata", users[1]), "body": {"public_metadata": "no"}}).to_string();
    let file = dir.path().join("w.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let args = [
        "--rate",
        "500/1s",
        "--endpoint-rate",
        "user-update=4/1s",
        "api",
        "--batch",
        file.to_str().unwrap(),
    ];
    let mut c = batch_cmd(&sb, dir.path(), &args);
    c.env("CLERK_RL_BATCH_WINDOW", "4");
    let r = bounded(c).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 48);
    for (i, v) in res.iter().enumerate() {
        assert_eq!(v["line"], json!(i + 1), "input order: {v}");
        let (n, u) = (i / 8, i % 8);
        let want = match (u, n) {
            (1, 2) => "failed",
            (1, 3..) => "skipped",
            _ => "ok",
        };
        assert_eq!(v["status"], want, "{v}");
        if want == "ok" {
            assert_eq!(v["body"]["public_metadata"]["n"], json!(n), "{v}");
        }
    }
    assert_eq!(res[8 * 5 + 1]["blocked_by"], 18);
    assert_eq!(
        patches(&sb.log()).len(),
        45,
        "each line once, none past the failed one"
    );
    for (k, u) in users.iter().enumerate() {
        let want = if k == 1 { 1 } else { 5 };
        assert_eq!(
            user(&sb, u).await["public_metadata"]["n"],
            json!(want),
            "{u}"
        );
    }
    // The rerun: finished lines come back from the journal as they were, in order.
    let mut c = batch_cmd(&sb, dir.path(), &[&["-v"], &args[..]].concat());
    c.env("CLERK_RL_BATCH_WINDOW", "4");
    let r = bounded(c).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 48);
    for (i, v) in res.iter().enumerate() {
        assert_eq!(v["line"], json!(i + 1), "input order: {v}");
    }
    assert_eq!(res[0]["earlier_run"], true);
    assert_eq!(res[0]["body"]["public_metadata"]["n"], 0, "{}", res[0]);
    assert_eq!(patches(&sb.log()).len(), 46, "only the failed line again");
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains("finished before") && l.contains(" 44 ")),
        "{}",
        r.stderr
    );
}

/// Requests on stdin are read as the run needs them (spooled once, not held), results in order.
#[tokio::test(flavor = "multi_thread")]
async fn requests_on_stdin_run_in_order_through_a_small_window() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(10, "500/1s", |_| {}).await;
    let users: Vec<String> = first_ids(&sb, 3).await;
    let text: &'static str = Box::leak(interleaved(&users, 4, true).into_boxed_str());
    let mut c = batch_cmd(
        &sb,
        dir.path(),
        &["--rate", "500/1s", "api", "--batch", "-"],
    );
    c.env("CLERK_RL_BATCH_WINDOW", "2");
    let r = common::bounded::bounded_with_stdin(c, text.as_bytes()).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 12);
    for (i, v) in res.iter().enumerate() {
        assert_eq!(v["line"], json!(i + 1));
        assert_eq!(v["status"], "ok");
    }
    assert_all_at(&sb, &users, 3).await;
}

/// `--results` is written to a partial file, synced, then renamed: the finished file is whole
/// and no partial file is left; no progress bar when stderr is not a terminal.
#[tokio::test(flavor = "multi_thread")]
async fn the_results_file_is_whole_and_no_partial_is_left_and_no_bar_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_with(10, "500/1s", |_| {}).await;
    let users: Vec<String> = first_ids(&sb, 2).await;
    let file = dir.path().join("r.jsonl");
    std::fs::write(&file, interleaved(&users, 3, false)).unwrap();
    let out = dir.path().join("out.jsonl");
    let r = batch(
        &sb,
        dir.path(),
        &[
            "--rate",
            "500/1s",
            "api",
            "--batch",
            file.to_str().unwrap(),
            "--results",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(results(&common::read(&out)).len(), 6);
    assert!(!dir.path().join("out.jsonl.partial").exists());
    assert!(
        !r.stderr.contains("ETA"),
        "no bar off a terminal: {}",
        r.stderr
    );
}
