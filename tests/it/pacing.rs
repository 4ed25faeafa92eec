//! Pacing against a server that sends rate-limit headers: the real binary against the sandbox
//! with `X-RateLimit-*` headers at a short window, judged by the sandbox's request log (requests
//! per window, 429s) and by the decisions the run reports, never by wall-clock bounds.

use crate::common;

use std::process::{Child, Stdio};

use clerk_rl::sandbox::log::key_tag;
use clerk_rl::sandbox::{Algorithm, HeaderStyle, Sandbox};
use common::redis_server::RedisServer;
use common::{KEY, Run, all_ids, assert_exact, cmd, parse_export, sandbox_with};

/// The server times of the requests of [`KEY`], sorted.
fn times(sb: &Sandbox) -> Vec<f64> {
    let tag = key_tag(KEY);
    let mut t: Vec<f64> = sb
        .log()
        .iter()
        .filter(|e| e.key.as_deref() == Some(tag.as_str()))
        .map(|e| e.t)
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t
}

/// The most of `t` in any window of `window_s` seconds.
fn fullest(t: &[f64], window_s: f64) -> usize {
    (0..t.len())
        .map(|i| t[i..].iter().take_while(|&&u| u - t[i] < window_s).count())
        .max()
        .unwrap_or(0)
}

fn n429(sb: &Sandbox) -> usize {
    sb.log().iter().filter(|e| e.status == 429).count()
}

fn export_args<'a>(rate: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "--rate",
        rate,
        "--json",
        "--no-progress",
        "export-users",
        "--page-size",
        "10",
        "--output",
        out,
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn x_ratelimit_headers_at_5_per_second_cost_no_reset_wait_and_never_exceed_5() {
    for algorithm in [Algorithm::Fixed, Algorithm::Sliding] {
        let sb = sandbox_with(195, "5/1s", |c| {
            c.headers = HeaderStyle::XRateLimit;
            c.algorithm = algorithm;
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("users.jsonl");
        let r = common::run(&export_args("5/1s", out.to_str().unwrap()), &sb.url()).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
        let t = times(&sb);
        // 20 pages, and the count(s) that prove the export complete.
        assert!(t.len() >= 21, "{} requests", t.len());
        assert_eq!(n429(&sb), 0, "{algorithm:?}: 429s");
        let most = fullest(&t, 1.0);
        assert!(
            most <= 5,
            "{algorithm:?}: {most} requests in one 1 s window"
        );
        // Every window the server says Remaining 0, and every time our own count explains it:
        // the run never held back on the server's word (no whole-second Reset waits), and saw
        // no one else on the key.
        let http = &r.summary()["http"];
        assert_eq!(http["lowest_remaining"], 0, "{algorithm:?}: {http}");
        assert_eq!(http["server_wait_s"], 0.0, "{algorithm:?}: {http}");
        assert_eq!(http["others_seen"], 0, "{algorithm:?}: {http}");
        // A lower bound only: n requests at 5 per second span at least (n-1)/5 windows.
        let least = ((t.len() - 1) / 5) as f64;
        assert!(t[t.len() - 1] - t[0] >= least - 0.01, "{t:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_client_on_the_key_is_noticed_and_its_window_waited_out() {
    let sb = sandbox_with(95, "5/1s", |c| {
        c.headers = HeaderStyle::XRateLimit;
        c.algorithm = Algorithm::Fixed;
    })
    .await;
    // The other client: three requests at the start of the export, on the same key.
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let r = http
            .get(format!("{}/v1/users?limit=1", sb.url()))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = common::run(&export_args("5/1s", out.to_str().unwrap()), &sb.url()).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
    let s = r.summary();
    let http = &s["http"];
    assert!(http["others_seen"].as_u64().unwrap() >= 1, "{http}");
    assert!(http["others_waits"].as_u64().unwrap() >= 1, "{http}");
    assert!(r.stderr.contains("not ours"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_limit_below_the_budget_lowers_it_with_one_warning() {
    let sb = sandbox_with(95, "3/1s", |c| {
        c.headers = HeaderStyle::XRateLimit;
        c.algorithm = Algorithm::Sliding;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let r = common::run(&export_args("5/1s", out.to_str().unwrap()), &sb.url()).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
    assert_eq!(n429(&sb), 0);
    let t = times(&sb);
    assert!(fullest(&t, 1.0) <= 3, "{t:?}");
    assert_eq!(r.summary()["http"]["limit_lowered_to"], 3);
    assert_eq!(
        r.stderr.matches("below the budget").count(),
        1,
        "{}",
        r.stderr
    );
}

fn spawn_export(sb: &Sandbox, store: &str, out: &str) -> Child {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .env("CLERK_RL_BUDGET_STORE", store)
        .args(export_args("5/1s", out))
        .args(["--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_sharing_a_budget_read_remaining_against_their_shared_count() {
    let redis = RedisServer::start();
    let sb = sandbox_with(95, "5/1s", |c| {
        c.headers = HeaderStyle::XRateLimit;
        c.algorithm = Algorithm::Sliding;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<String> = (0..2)
        .map(|i| {
            dir.path()
                .join(format!("{i}.jsonl"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let children: Vec<Child> = outs
        .iter()
        .map(|o| spawn_export(&sb, &redis.url(), o))
        .collect();
    let runs: Vec<Run> = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| Run::from(c.wait_with_output().unwrap()))
            .collect()
    })
    .await
    .unwrap();
    let want = all_ids(&sb).await;
    for (r, o) in runs.iter().zip(&outs) {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_exact(&parse_export(&common::read(std::path::Path::new(o))), &want);
        let http = &r.summary()["http"];
        // The other process's requests are part of the shared count, not someone else's.
        assert_eq!(http["others_seen"], 0, "{http}");
        assert_eq!(http["server_wait_s"], 0.0, "{http}");
    }
    assert_eq!(n429(&sb), 0);
    let t = times(&sb);
    assert!(t.len() >= 22, "{} requests", t.len());
    assert!(fullest(&t, 1.0) <= 5, "{t:?}");
    // Not each pacing alone at 5 per second: n requests span at least (n-1)/5 windows.
    let least = ((t.len() - 1) / 5) as f64;
    assert!(t[t.len() - 1] - t[0] >= least - 0.01, "{t:?}");
}
