//! Servers that misbehave as a proxy, a cache or an older API version can (`sandbox --misbehave`),
//! met over real HTTP: every export ends with the exact set of users, or with exit 6, one line
//! saying what the server did, no output file and the checkpoint kept. Never a hang.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clerk_rl::sandbox::{Misbehave, Sandbox};
use common::{Run, all_ids, cmd, parse_export, sandbox_with};

/// No run here may take this long: a walk that stops making progress must end by itself.
const HANG: Duration = Duration::from_secs(90);

/// Run to completion, failing the test (and killing the child) if it does not end.
pub async fn bounded(c: Command) -> Run {
    tokio::task::spawn_blocking(move || common::bounded::run_within(c, HANG))
        .await
        .unwrap()
}

fn export(sb: &Sandbox, out: Option<&Path>, extra: &[&str]) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["export-users", "--rate", "2000/1s", "--page-size", "100"])
        .args(extra);
    if let Some(o) = out {
        c.arg("--output").arg(o);
    }
    c
}

async fn misbehaving(users: u64, how: Misbehave) -> Sandbox {
    sandbox_with(users, "2000/1s", |c| c.misbehave = vec![how]).await
}

/// What the same sandbox holds, read by a well-behaved client (a second sandbox, same seed).
async fn truth(users: u64) -> Vec<(i64, String)> {
    let sb = sandbox_with(users, "2000/1s", |_| {}).await;
    all_ids(&sb).await
}

fn sorted(mut v: Vec<(i64, String)>) -> Vec<(i64, String)> {
    v.sort();
    v
}

/// Exit 6, the reason on one line, no output file, the checkpoint kept.
fn assert_refused(r: &Run, out: &Path, why: &str) {
    assert_eq!(r.code, 6, "{}", r.stderr);
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("clerk-rl: error:"))
        .unwrap_or_else(|| panic!("no error line: {}", r.stderr));
    assert!(line.contains(why), "{line}");
    assert!(!out.exists(), "an unproven export was put into place");
    assert!(checkpoint(out).exists(), "the checkpoint must be kept");
}

fn checkpoint(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.checkpoint", out.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn ignore_order_is_walked_newest_first_and_exact() {
    let sb = misbehaving(1200, Misbehave::IgnoreOrder).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = bounded(export(&sb, Some(&out), &[])).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("newest first whatever order_by").count(),
        1,
        "{}",
        r.stderr
    );
    let got = parse_export(&common::read(&out));
    assert!(got.windows(2).all(|w| w[0].0 >= w[1].0), "newest first");
    assert_eq!(got.len(), 1200);
    assert_eq!(sorted(got), sorted(truth(1200).await));
    assert!(!checkpoint(&out).exists());
    // The same to stdout, over several concurrent streams asked for: still one exact walk.
    let r = bounded(export(&sb, None, &["--concurrency", "4"])).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sorted(parse_export(&r.stdout)), sorted(truth(1200).await));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeat_page_ends_with_exit_6_after_a_few_requests() {
    let sb = misbehaving(1200, Misbehave::RepeatPage).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = bounded(export(&sb, Some(&out), &[])).await;
    assert_refused(&r, &out, "repeats page 1");
    // At most page 1, its repeat under the cursor, and its repeat under offset, per stream
    // (up to 16 streams), plus the one request that plans them.
    let pages = sb.log().iter().filter(|e| e.path == "/v1/users").count();
    assert!(
        pages <= 3 * 16 + 2,
        "{pages} page requests: the budget is burnt"
    );
    // One stream: page 1, its repeat under the cursor, its repeat under offset; then it stops.
    let sb = misbehaving(1200, Misbehave::RepeatPage).await;
    let r = bounded(export(&sb, None, &["--concurrency", "1"])).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("repeats page 1"), "{}", r.stderr);
    let pages = sb.log().iter().filter(|e| e.path == "/v1/users").count();
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn jump_back_ends_with_exit_6() {
    let sb = misbehaving(1200, Misbehave::JumpBack).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = bounded(export(&sb, Some(&out), &["--concurrency", "1"])).await;
    assert_refused(&r, &out, "goes back");
    // A resume meets the same server and the same verdict: no output, still no loop.
    let r = bounded(export(&sb, Some(&out), &["--concurrency", "1", "--resume"])).await;
    assert_refused(&r, &out, "goes back");
}

#[tokio::test(flavor = "multi_thread")]
async fn shuffled_pages_end_with_exit_6() {
    let sb = misbehaving(1200, Misbehave::ShufflePage).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = bounded(export(&sb, Some(&out), &[])).await;
    assert_refused(&r, &out, "is not in created_at order");
}

/// A server whose pages look right but leave users out: only the count can tell.
#[tokio::test(flavor = "multi_thread")]
async fn fewer_users_than_the_count_ends_with_exit_6() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let user = |i: i64| serde_json::json!({"object": "user", "id": format!("user_{i}"), "created_at": 1_700_000_000_000i64 + i});
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!([user(1), user(2)])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/count"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"object": "total_count", "total_count": 1200})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let mut c = cmd();
    c.env("CLERK_API_URL", server.uri())
        .args(["export-users", "--output"])
        .arg(&out);
    let r = bounded(c).await;
    assert_refused(&r, &out, "wrote 2 of 1,200 users");
    // --no-count accepts it unchecked, and says so.
    let mut c = cmd();
    c.env("CLERK_API_URL", server.uri())
        .args(["export-users", "--no-count"]);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("not proven"), "{}", r.stderr);
}

/// A server that answers at most 10 users to a user_id= list: batch-get notices (an id left out
/// exists), asks 10 at a time, and reports missing exactly the ids no user has.
#[tokio::test(flavor = "multi_thread")]
async fn capped_user_id_lists_never_report_existing_users_missing() {
    use clerk_rl::sandbox::users::{Generator, user_id};
    let sb = misbehaving(300, Misbehave::CapResults).await;
    let g = Generator::new(7, 300);
    let mut ids: Vec<String> = (0..300).map(|i| user_id(7, i, g.created_at(i))).collect();
    let unknown: Vec<String> = (0..5)
        .map(|i| format!("user_2NoSuchUserAtAll{i:08}"))
        .collect();
    for (k, u) in unknown.iter().enumerate() {
        ids.insert(k * 60 + 7, u.clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, ids.join("\n") + "\n").unwrap();
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["batch-get", "--rate", "2000/1s"])
        .arg(&input);
    let r = bounded(c).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let got: Vec<String> = r
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = ids
        .iter()
        .filter(|i| !unknown.contains(i))
        .cloned()
        .collect();
    assert_eq!(got, want, "every existing user, in input order");
    let mut missing: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("not found: "))
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        unknown.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        r.stderr.matches("asking 10 ids at a time").count(),
        1,
        "{}",
        r.stderr
    );
}

/// A server without /v1/users/count: the export cannot be checked, so it is not exit 0 unless
/// --no-count accepts it unchecked.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_cannot_count_cannot_prove_an_export() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let user =
        serde_json::json!({"object": "user", "id": "user_1", "created_at": 1_700_000_000_000i64});
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([user])))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let mut c = cmd();
    c.env("CLERK_API_URL", server.uri())
        .args(["export-users", "--output"])
        .arg(&out);
    let r = bounded(c).await;
    assert_refused(&r, &out, "cannot be checked");
    assert!(r.stderr.contains("--no-count"), "{}", r.stderr);
}
