//! Stop signals on the long-running servers, sent to the real binary: SIGHUP (a closed terminal
//! or session) drains `clerk-rl sandbox` as Ctrl-C and SIGTERM do (issue 23 row 11: it died
//! with the request in flight). `webhook serve`'s SIGHUP is in tests/webhook.rs (it needs
//! Redis and a signed delivery), probe's in tests/probe.rs.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A request the sandbox has counted but not yet answered (half of `--latency` to go) when
/// SIGHUP arrives: it is answered, then the sandbox exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_drains_the_sandbox_with_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let mut child = Command::new(common::bin())
        .args(["sandbox", "--port", "0", "--latency", "2s"])
        .arg("--request-log")
        .arg(&log)
        .env_remove("CLERK_RL_PLAN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut url, mut key) = (String::new(), String::new());
    out.read_line(&mut url).unwrap();
    out.read_line(&mut key).unwrap();
    let url = url
        .trim()
        .strip_prefix("CLERK_API_URL=")
        .unwrap()
        .to_string();
    let key = key
        .trim()
        .strip_prefix("CLERK_SECRET_KEY=")
        .unwrap()
        .to_string();
    let asked = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .get(format!("{url}/v1/users/count"))
            .bearer_auth(&key)
            .send()
            .await?;
        let status = r.status().as_u16();
        r.text().await.map(|t| (status, t))
    });
    // Logged after the first half of the latency: the request is in flight.
    let t0 = Instant::now();
    while std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count()
        < 1
    {
        assert!(
            t0.elapsed() < common::DEADLINE,
            "the request was never logged"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sandbox ended early"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let s = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(s.success());
    let (status, body) = tokio::time::timeout(common::DEADLINE, asked)
        .await
        .expect("the request in flight was never answered")
        .unwrap()
        .expect("the request in flight was dropped instead of drained");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("total_count"), "{body}");
    let t = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if t.elapsed() > common::DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no exit after SIGHUP");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        code,
        Some(0),
        "SIGHUP must stop the sandbox cleanly, not kill it"
    );
}
