//! `clerk-rl api` over HTTP against the sandbox: both list shapes paginated exactly once with no
//! 429, endpoint budgets kept by separate processes, no repeat of a request that is not safe to
//! repeat, and the exit codes of the README's table.

use crate::common;
use crate::schema;

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;

use clerk_rl::face::EndpointLimits;
use clerk_rl::face::Rate;
use clerk_rl::sandbox::log::key_tag;
use clerk_rl::sandbox::{LogEntry, Sandbox};
use common::redis_server::RedisServer;
use common::{KEY, Run, all_ids, assert_exact, cmd, parse_export, sandbox_with, user_pages};
use serde_json::Value;

/// Run `clerk-rl` against `sb` with its own state folder for endpoint budgets.
async fn api(sb: &Sandbox, state: &Path, args: &[&str]) -> Run {
    let mut c = cmd();
    c.args(args)
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", state);
    tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).expect("run clerk-rl")))
        .await
        .unwrap()
}

fn count_429(log: &[LogEntry]) -> usize {
    log.iter().filter(|e| e.status == 429).count()
}

/// The most requests matching `f` in any window of length `w` (seconds), on the sandbox's clock.
fn fullest_window(log: &[LogEntry], w: f64, f: impl Fn(&LogEntry) -> bool) -> usize {
    let mut t: Vec<f64> = log.iter().filter(|e| f(e)).map(|e| e.t).collect();
    t.sort_by(f64::total_cmp);
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|&&x| x < t[i] + w).count())
        .max()
        .unwrap_or(0)
}

/// Every organization, read independently of clerk-rl in one request.
async fn all_orgs(sb: &Sandbox) -> Vec<String> {
    let body: Value = reqwest::Client::new()
        .get(format!("{}/v1/organizations?limit=500", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn paginate_each_shape_exactly_once_at_a_small_budget_with_no_429() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(230, "5/1s", |c| c.organizations = 57).await;
    // A plain array, by cursor: 230 users in pages of 40.
    let r = api(
        &sb,
        state.path(),
        &[
            "--rate",
            "5/1s",
            "api",
            "--paginate",
            "users",
            "--page-size",
            "40",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&r.stdout), &all_ids(&sb).await);
    let summary: Value = serde_json::from_str(r.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["items"], 230);
    assert_eq!(summary["shape"], "array");
    assert_eq!(summary["count_checked"], "230");

    // {data, total_count}, by offset: 57 organizations in pages of 10 (newest first).
    let r = api(
        &sb,
        state.path(),
        &[
            "--rate",
            "5/1s",
            "api",
            "--paginate",
            "/v1/organizations",
            "-f",
            "limit=10",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = common::ids(&r.stdout);
    let want = all_orgs(&sb).await;
    assert_eq!(got.len(), 57, "each organization once");
    assert_eq!(got, want, "in the server's order, each once");
    let summary: Value = serde_json::from_str(r.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(summary["shape"], "{data, total_count}");
    assert_eq!(summary["paging"], "offset");

    // clerk-rl's requests (the test's own reads use the sandbox's key, limited apart).
    let tag = key_tag(KEY);
    let log: Vec<LogEntry> = sb
        .log()
        .into_iter()
        .filter(|e| e.key.as_ref() == Some(&tag))
        .collect();
    assert!(log.len() >= 6 + 6, "both walks are in the log");
    assert_eq!(count_429(&log), 0, "no 429 at a budget of 5/1s");
    assert!(fullest_window(&log, 1.0, |_| true) <= 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_loop_of_separate_processes_on_one_user_keeps_the_endpoint_limit_with_no_429() {
    let state = tempfile::tempdir().unwrap();
    // The instance allows plenty; the user-update budget (5/1s per user) is what binds.
    let sb = sandbox_with(20, "100/1s", |c| {
        c.endpoint_limits =
            EndpointLimits::new(&[("user-update".into(), "5/1s".parse::<Rate>().unwrap())]);
    })
    .await;
    let id = all_ids(&sb).await[3].1.clone();
    // What CI does: xargs, one process per call, four at a time; PATCH and /metadata mixed.
    let script = format!(
        "seq 16 | xargs -P4 -I{{}} sh -c 'if [ $(({{}} % 2)) = 0 ]; then \"$0\" --rate 100/1s --endpoint-rate user-update=5/1s api -X PATCH users/{id} -f first_name=n{{}}; else \"$0\" --rate 100/1s --endpoint-rate user-update=5/1s api -X PATCH users/{id}/metadata -F \"public_metadata[n]={{}}\"; fi > /dev/null' {bin}",
        bin = common::bin()
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script])
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", state.path())
        .env("CLERK_SECRET_KEY", KEY)
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || common::output(&mut sh).unwrap())
        .await
        .unwrap();
    let r = Run::from(out);
    assert_eq!(r.code, 0, "every call succeeds: {}", r.stderr);
    let log = sb.log();
    let patches: Vec<LogEntry> = log.into_iter().filter(|e| e.method == "PATCH").collect();
    assert_eq!(patches.len(), 16, "each call once");
    assert_eq!(count_429(&patches), 0, "no 429 from the endpoint limit");
    assert!(fullest_window(&patches, 1.0, |_| true) <= 5);
    // The merges all landed.
    let user: Value = reqwest::Client::new()
        .get(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        user["public_metadata"]["n"].as_i64().map(|n| n % 2),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loop_of_separate_processes_shares_the_instance_budget_with_no_429() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(30, "4/1s", |_| {}).await;
    let ids: Vec<String> = all_ids(&sb)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .take(14)
        .collect();
    // xargs -n1, three at a time: each process one PATCH on its own user; only the instance
    // budget (4/1s) binds, and the processes share it through the state file.
    let script = format!(
        "printf '%s\\n' {} | xargs -n1 -P3 sh -c '\"$0\" --rate 4/1s api -X PATCH users/$1 -F banned=false > /dev/null' {}",
        ids.join(" "),
        common::bin()
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script])
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", state.path())
        .env("CLERK_SECRET_KEY", KEY)
        .stdin(Stdio::null());
    let r = Run::from(
        tokio::task::spawn_blocking(move || common::output(&mut sh).unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let patches: Vec<LogEntry> = sb
        .log()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 14);
    assert_eq!(count_429(&patches), 0);
    assert!(fullest_window(&patches, 1.0, |_| true) <= 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_budget_store_the_endpoint_budget_is_shared_through_redis() {
    let redis = RedisServer::start();
    // A state "folder" that is a file: only Redis can be what the processes share.
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let sb = sandbox_with(20, "100/1s", |c| {
        c.endpoint_limits =
            EndpointLimits::new(&[("user-update".into(), "4/1s".parse::<Rate>().unwrap())]);
    })
    .await;
    let id = all_ids(&sb).await[2].1.clone();
    let script = format!(
        "seq 12 | xargs -P4 -I{{}} \"$0\" --budget-store {url} --rate 100/1s --endpoint-rate user-update=4/1s api -X PATCH users/{id} -f last_name=n{{}} > /dev/null",
        url = redis.url()
    );
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script, common::bin()])
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", &not_a_dir)
        .env("CLERK_SECRET_KEY", KEY)
        .stdin(Stdio::null());
    let r = Run::from(
        tokio::task::spawn_blocking(move || common::output(&mut sh).unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let patches: Vec<LogEntry> = sb
        .log()
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 12);
    assert_eq!(count_429(&patches), 0);
    assert!(fullest_window(&patches, 1.0, |_| true) <= 4);
    let keys = redis.keys();
    assert!(keys.iter().any(|k| k.contains(":endpoint:")), "{keys:?}");
    assert!(
        !keys.iter().any(|k| k.contains(&id)),
        "no user id in Redis: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_enforces_the_user_update_limit_per_user() {
    let sb = sandbox_with(5, "1000/1s", |c| {
        c.endpoint_limits =
            EndpointLimits::new(&[("user-update".into(), "3/10s".parse::<Rate>().unwrap())]);
    })
    .await;
    let ids = all_ids(&sb).await;
    let http = reqwest::Client::new();
    let patch = |id: &str| {
        http.patch(format!("{}/v1/users/{id}", sb.url()))
            .bearer_auth(sb.key())
            .json(&serde_json::json!({"first_name": "x"}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(patch(&ids[0].1).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let other = patch(&ids[1].1).await.unwrap();
    assert_eq!(other.status(), 200, "another user has a budget of its own");
    let refused = patch(&ids[0].1).await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_is_never_retried_after_a_dropped_connection_without_an_idempotency_key() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "1000/1s", |c| {
        c.faults = "reset:1".parse().unwrap();
        c.faults_max = Some(2);
        c.organizations = 3;
    })
    .await;
    let r = api(
        &sb,
        state.path(),
        &["api", "-X", "POST", "organizations", "-f", "name=Once"],
    )
    .await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("not retried"), "{}", r.stderr);
    assert!(r.stderr.contains("Idempotency-Key"), "{}", r.stderr);
    let posts = |sb: &Sandbox| sb.log().into_iter().filter(|e| e.method == "POST").count();
    assert_eq!(posts(&sb), 1, "sent once, never repeated");

    // With an Idempotency-Key the same failure is retried, and the organization is made once.
    let r = api(
        &sb,
        state.path(),
        &[
            "api",
            "-X",
            "POST",
            "organizations",
            "-f",
            "name=Twice",
            "-H",
            "Idempotency-Key: k-1",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(posts(&sb), 3, "the dropped try, then the retry");
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["name"],
        "Twice"
    );
    assert_eq!(
        all_orgs(&sb).await.len(),
        3 + 1,
        "Once never made, Twice made once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_to_a_post_is_final_and_a_429_is_always_retried() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "1000/1s", |c| {
        c.faults = "503:1".parse().unwrap();
        c.faults_max = Some(1);
    })
    .await;
    let r = api(
        &sb,
        state.path(),
        &["api", "-X", "POST", "organizations", "-f", "name=X"],
    )
    .await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stdout.contains("service_unavailable"),
        "the body as sent: {}",
        r.stdout
    );
    assert_eq!(sb.log().iter().filter(|e| e.method == "POST").count(), 1);

    // Four processes POST at once against a server allowing 1/1s, pacing to 10/1s: 429s, each
    // retried, and each organization made exactly once.
    let sb = sandbox_with(5, "1/1s", |c| c.organizations = 0).await;
    let runs = futures::future::join_all((0..4).map(|i| {
        let name = format!("name=Org{i}");
        let (sb, state) = (&sb, state.path());
        async move {
            api(
                sb,
                state,
                &[
                    "--rate",
                    "10/1s",
                    "api",
                    "-X",
                    "POST",
                    "organizations",
                    "-f",
                    &name,
                ],
            )
            .await
        }
    }))
    .await;
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert!(count_429(&sb.log()) > 0, "the test must provoke 429s");
    let names: HashSet<String> = reqwest::Client::new()
        .get(format!("{}/v1/organizations?limit=100", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_for_401_404_422_and_a_429_past_max_wait() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "1/10s", |_| {}).await;
    let st = state.path();
    // 404: the body as sent on stdout, one line on stderr, exit 1.
    let r = api(&sb, st, &["api", "users/user_missing"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("resource_not_found"));
    assert!(r.stderr.contains("HTTP 404"));
    // 429 with Retry-After (about 10 s) above --max-wait 1s: exit 3.
    let r = api(&sb, st, &["--max-wait", "1s", "api", "users/count"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("--max-wait"), "{}", r.stderr);

    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    // 422: a missing required field, exit 2.
    let r = api(&sb, st, &["api", "-X", "POST", "organizations"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.contains("form_param_missing"));
    // 401: a key the server does not know, exit 4.
    let mut c = cmd();
    c.args(["api", "users/count"])
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_STATE_DIR", st)
        .env(
            "CLERK_SECRET_KEY",
            "sk_test_unknown0key0000000000000000000000000000",
        );
    let r = tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap();
    assert_eq!(r.code, 4, "{}", r.stderr);
    // Usage errors before any request: exit 2, nothing sent.
    let sent = sb.log().len();
    for bad in [
        &["api", "https://elsewhere.example/v1/users"][..],
        &["api", "-X", "POST", "organizations", "--paginate"],
        &["api", "users", "-H", "Authorization: Bearer x"],
        &["api", "-X", "BREW", "users"],
    ] {
        let r = api(&sb, st, bad).await;
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
    }
    assert_eq!(sb.log().len(), sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn include_prints_the_status_and_headers_on_stderr_and_the_body_is_untouched() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    let r = api(&sb, state.path(), &["api", "-i", "users/count"]).await;
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "{\"object\":\"total_count\",\"total_count\":5}\n");
    assert!(r.stderr.starts_with("HTTP 200 OK\n"), "{}", r.stderr);
    assert!(r.stderr.contains("content-type: application/json"));
}

/// The sandbox's new routes answer with the spec's shapes (schemas extracted from Clerk's spec
/// by scripts/extract-user-schema.py), so what `clerk-rl api` is tested against is what Clerk sends.
#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_routes_answer_with_the_specs_shapes() {
    let state = tempfile::tempdir().unwrap();
    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    let st = state.path();
    let check = |name: &str, text: &str, v: &Value| {
        let errs = schema::Schema::load(text).validate(v);
        assert!(errs.is_empty(), "{name}: {errs:?}\n{v}");
    };
    let r = api(&sb, st, &["api", "organizations", "-f", "limit=3"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    check(
        "Organizations",
        include_str!("data/organizations.schema.json"),
        &list,
    );
    let r = api(
        &sb,
        st,
        &[
            "api",
            "-X",
            "POST",
            "organizations",
            "-f",
            "name=Acme",
            "-F",
            "public_metadata[tier]=2",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let org: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(org["public_metadata"]["tier"], 2);
    check(
        "Organization",
        include_str!("data/organization.schema.json"),
        &org,
    );
    let r = api(
        &sb,
        st,
        &[
            "api",
            "-X",
            "POST",
            "invitations",
            "-f",
            "email_address=new@example.com",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    check(
        "Invitation",
        include_str!("data/invitation.schema.json"),
        &serde_json::from_str(&r.stdout).unwrap(),
    );
    // A second pending invitation for the same address is refused.
    let r = api(
        &sb,
        st,
        &[
            "api",
            "-X",
            "POST",
            "invitations",
            "-f",
            "email_address=new@example.com",
        ],
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let id = all_ids(&sb).await[0].1.clone();
    let path = format!("users/{id}/metadata");
    let r = api(
        &sb,
        st,
        &["api", "-X", "PATCH", &path, "-F", "public_metadata[a][b]=1"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let user: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(user["public_metadata"]["a"]["b"], 1);
    let errs = schema::Schema::user().validate(&user);
    assert!(errs.is_empty(), "User: {errs:?}");
}

/// `xargs -I{} clerk-rl api users/{}` printed `}{"id"…`: bodies had no newline, so a loop's output
/// was not JSON Lines. Piped, every JSON body is now one compact line ending in a newline.
#[tokio::test(flavor = "multi_thread")]
async fn api_bodies_end_with_a_newline_one_json_value_per_line() {
    let sb = sandbox_with(3, "1000/1s", |_| {}).await;
    let ids: Vec<String> = all_ids(&sb).await.into_iter().map(|(_, id)| id).collect();
    let mut joined = String::new();
    for id in &ids {
        let path = format!("users/{id}");
        let r = common::run(&["api", &path], &sb.url()).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.ends_with('\n'), "{:?}", r.stdout);
        joined.push_str(&r.stdout);
    }
    // A 404's error body too: every body printed is a line.
    let r = common::run(&["api", "users/user_nope"], &sb.url()).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    joined.push_str(&r.stdout);
    let lines: Vec<&str> = joined.lines().collect();
    assert_eq!(lines.len(), ids.len() + 1, "{joined}");
    for (line, id) in lines.iter().zip(&ids) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["id"], id.as_str());
    }
    assert!(serde_json::from_str::<Value>(lines[ids.len()]).unwrap()["errors"].is_array());
}

// ---- --jq ----

/// The lines of a run's stdout.
fn lines_of(r: &Run) -> Vec<String> {
    r.stdout.lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_filters_one_body_strings_raw_and_the_rest_compact_json() {
    let state = tempfile::tempdir().unwrap();
    let st = state.path();
    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    let ids: Vec<String> = all_ids(&sb).await.into_iter().map(|(_, id)| id).collect();
    let r = api(&sb, st, &["api", "users/count", "--jq", ".total_count"]).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "5\n"), "{}", r.stderr);
    // A string is printed raw, as gh does: no quotes.
    let path = format!("users/{}", ids[0]);
    let r = api(&sb, st, &["api", &path, "--jq", ".id"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("{}\n", ids[0]));
    // The example of --help: every id of a plain array, one a line.
    let r = api(&sb, st, &["api", "/v1/users", "--jq", ".[].id"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut got = lines_of(&r);
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
    // Anything else as compact JSON, one value a line, even where the body is one line.
    let r = api(
        &sb,
        st,
        &["api", "users?limit=2", "--jq", ".[] | {id, n: 1}"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in lines_of(&r) {
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line, format!("{{\"id\":{},\"n\":1}}", v["id"]));
    }
    assert_eq!(lines_of(&r).len(), 2);
    // A non-2xx answer is printed unfiltered (as gh does), with its exit code.
    let r = api(&sb, st, &["api", "users/user_missing", "--jq", ".id"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("resource_not_found"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_over_paginate_runs_on_each_item_and_writes_every_id_exactly_once() {
    let state = tempfile::tempdir().unwrap();
    let st = state.path();
    let sb = sandbox_with(230, "1000/1s", |c| c.organizations = 57).await;
    // A plain array, by cursor: 230 users in pages of 40.
    let r = api(
        &sb,
        st,
        &[
            "api",
            "--paginate",
            "users",
            "--page-size",
            "40",
            "--jq",
            ".id",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = lines_of(&r);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "an id written twice");
    let mut want: Vec<String> = all_ids(&sb).await.into_iter().map(|(_, id)| id).collect();
    let mut sorted = got.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want, "every user exactly once");
    // {data, total_count}, by overlapping offset pages: the same filter, on each item.
    let r = api(
        &sb,
        st,
        &[
            "api",
            "--paginate",
            "organizations",
            "-f",
            "limit=10",
            "--jq",
            ".id",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        lines_of(&r),
        all_orgs(&sb).await,
        "each organization once, in order"
    );
    // A filter that drops items: the walk and its checks are the same.
    let r = api(
        &sb,
        st,
        &[
            "api",
            "--paginate",
            "users",
            "--page-size",
            "100",
            "--jq",
            "select(.id | startswith(\"user_\")) | [.id] | length",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "1\n".repeat(230));
    assert_eq!(common::summary_of(&r.stderr, Some("items"))["items"], 230);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_jq_expression_exits_2_before_any_request() {
    let state = tempfile::tempdir().unwrap();
    let st = state.path();
    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    for (expr, said) in [
        (
            ".[] |",
            "--jq: syntax error: expected term at the end of the expression",
        ),
        (".a | ]", "--jq: syntax error: unexpected ']' at column 6"),
        ("map(.id", "expected closing parenthesis"),
        (
            ".[] | frobnicate",
            "--jq: unknown filter 'frobnicate/0' at column 7",
        ),
        (
            "env.CLERK_SECRET_KEY",
            "--jq: env at column 1 is not available",
        ),
        ("$ENV", "--jq: $ENV at column 1 is not available"),
        ("", "--jq: the expression is empty"),
    ] {
        for paginate in [false, true] {
            let mut args = vec!["api", "users", "--jq", expr];
            if paginate {
                args.push("--paginate");
            }
            let r = api(&sb, st, &args).await;
            assert_eq!(r.code, 2, "{expr:?}: {}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
            assert!(r.stderr.contains(said), "{expr:?}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{}", r.stdout);
        }
    }
    // Compiled before the key is even looked at: no key, still the expression's error.
    let mut c = cmd();
    c.env_remove("CLERK_SECRET_KEY")
        .env("CLERK_API_URL", sb.url())
        .args(["api", "users", "--jq", ".a | ]"]);
    let r = common::bounded(c).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--jq: syntax error"), "{}", r.stderr);
    // Nothing to filter, or not with --jq: refused up front too.
    let batch = state.path().join("b.jsonl");
    std::fs::write(&batch, "{\"method\":\"GET\",\"path\":\"users/count\"}\n").unwrap();
    for bad in [
        &["api", "-X", "HEAD", "users/count", "--jq", "."][..],
        &["api", "--batch", batch.to_str().unwrap(), "--jq", "."],
    ] {
        let r = api(&sb, st, bad).await;
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
    }
    assert!(sb.log().is_empty(), "a request was sent: {:?}", sb.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jq_runtime_error_exits_1_after_printing_what_succeeded() {
    let state = tempfile::tempdir().unwrap();
    let st = state.path();
    let sb = sandbox_with(500, "1000/1s", |_| {}).await;
    // One body: the outputs before the error are printed, then one line on stderr, exit 1.
    let r = api(
        &sb,
        st,
        &[
            "api",
            "users/count",
            "--jq",
            ".total_count, (.total_count | .x)",
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "500\n");
    assert!(
        r.stderr.contains("--jq: cannot index 500 with \"x\""),
        "{}",
        r.stderr
    );
    // --paginate: the error on the third item ends the walk there, with no further page.
    let third = {
        let r = api(
            &sb,
            st,
            &[
                "api",
                "users?limit=3&order_by=+created_at",
                "--jq",
                ".[2].id",
            ],
        )
        .await;
        r.stdout.trim().to_string()
    };
    let before = user_pages(&sb);
    let expr = format!("if .id == \"{third}\" then error(\"stop at \\(.id)\") else .id end");
    let r = api(
        &sb,
        st,
        &[
            "api",
            "--paginate",
            "users",
            "--page-size",
            "10",
            "--jq",
            &expr,
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(lines_of(&r).len(), 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains(&format!("--jq: stop at {third} (item {third})")),
        "{}",
        r.stderr
    );
    assert_eq!(
        user_pages(&sb) - before,
        1,
        "a page asked for after the error"
    );
    // A filter written for gh's pages gets told the filter runs on each item.
    let r = api(&sb, st, &["api", "--paginate", "users", "--jq", ".[].id"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("'.id' rather than '.[].id'"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_behind_a_pipe_that_closes_exits_at_once_with_0() {
    let sb = sandbox_with(5000, "1000/1s", |_| {}).await;
    let state = tempfile::tempdir().unwrap();
    // 1 request a second: 50 pages would take most of a minute; `head -1` has its line after
    // the first, and the walk must stop there (exit 0, no second page).
    let mut c = common::cmd_via("bash");
    c.args([
        "-c",
        "\"$0\" \"$@\" | head -1; exit ${PIPESTATUS[0]}",
        common::bin(),
        "--rate",
        "1/1s",
        "api",
        "--paginate",
        "users",
        "--page-size",
        "100",
        "--jq",
        ".id",
    ])
    .env("CLERK_API_URL", sb.url())
    .env("CLERK_RL_STATE_DIR", state.path());
    let r = common::bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lines_of(&r).len(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("user_"), "{}", r.stdout);
    // A request sent just before the exit is logged after the sandbox's latency.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(user_pages(&sb), 1, "a page asked for after the reader left");
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_on_a_2xx_answer_that_is_not_json_exits_6_printing_nothing() {
    let app = axum::Router::new().route(
        "/v1/users/count",
        axum::routing::get(|| async { ([("content-type", "text/plain")], "five") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let r = common::run(&["api", "users/count", "--jq", "."], &url).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("--jq: GET /v1/users/count answered 200 with a body that is not JSON (text/plain, 4 bytes)"),
        "{}",
        r.stderr
    );
    // Without --jq, the body as sent (unchanged).
    let r = common::run(&["api", "users/count"], &url).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "five"), "{}", r.stderr);
}

/// A filter that computes on and on (`last(range(1e15))`) never gives the command's wait for
/// Ctrl-C a turn: Ctrl-C must still end it at once, as it ends any other run (130).
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_ends_a_jq_filter_that_computes_without_end() {
    let sb = std::sync::Arc::new(sandbox_with(5, "1000/1s", |_| {}).await);
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["api", "users/count", "--jq", "last(range(1e15))"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let seen = std::sync::Arc::clone(&sb);
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        use std::time::{Duration, Instant};
        let mut child = c.spawn().unwrap();
        let t0 = Instant::now();
        // The answer is in: the filter computes from then on.
        while seen.log().is_empty() && t0.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let sent = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let (status, err) = common::bounded::finish_within(
            &mut child,
            Duration::from_secs(20),
            "Ctrl-C did not end the filter",
        );
        (status.code(), err)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
}

/// What `--http-version` makes the client send over http (to loopback): HTTP/1.1 by default and
/// with `1.1`; with `2`, the HTTP/2 preface at once (no upgrade), which the sandbox takes.
#[test]
fn http_version_chooses_what_the_client_speaks_over_http() {
    use std::io::Read;
    use std::time::Duration;
    for (flag, want) in [
        (None, "GET /v1/users "),
        (Some("1.1"), "GET /v1/users "),
        (Some("2"), "PRI * HTTP/2.0"),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let reader = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut first = [0u8; 14];
            s.read_exact(&mut first).unwrap();
            String::from_utf8_lossy(&first).into_owned()
        });
        let mut c = cmd();
        c.env("CLERK_API_URL", &url)
            .args(["--timeout", "3s", "--max-retries", "0"]);
        if let Some(v) = flag {
            c.args(["--http-version", v]);
        }
        c.args(["api", "/v1/users"]);
        let r = common::bounded::run_within(c, Duration::from_secs(60));
        assert_eq!(reader.join().unwrap(), want, "--http-version {flag:?}");
        assert_ne!(r.code, 0, "the server closed without answering");
    }
}
