//! The real `clerk-rl sandbox` process: its two stdout lines, a request with the printed key, a
//! clean exit on SIGTERM, and `--help` documenting every option with an example.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_clerk-rl");

#[tokio::test]
async fn prints_url_and_key_serves_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let mut child = Command::new(BIN)
        .args([
            "--rate", "50/1s", "sandbox", "--port", "0", "--users", "1000000",
        ])
        .arg("--request-log")
        .arg(&log)
        .env_remove("CLERK_RL_PLAN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    let mut key = String::new();
    out.read_line(&mut url).unwrap();
    out.read_line(&mut key).unwrap();
    let ready = t.elapsed();
    let url = url
        .trim()
        .strip_prefix("CLERK_API_URL=")
        .expect("first line")
        .to_string();
    let key = key
        .trim()
        .strip_prefix("CLERK_SECRET_KEY=")
        .expect("second line")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(key.starts_with("sk_test_"), "{key}");
    // A million users are generated on demand: the server is up at once.
    assert!(ready < Duration::from_secs(2), "ready after {ready:?}");

    let r = reqwest::Client::new()
        .get(format!("{url}/v1/users/count"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"object":"total_count","total_count":1000000}"#
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("1000000 users"), "{err}");
    assert!(err.contains("50/1s"), "{err}");
    assert!(!err.contains(&key), "the key stays off stderr");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.lines().count(), 1);
    assert!(!logged.contains(&key));
}

#[test]
fn sigterm_right_after_the_env_lines_still_exits_0() {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    out.read_line(&mut line).unwrap();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = common::output(Command::new(BIN).args(["sandbox", "--port", &port])).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no env lines unless bound");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn help_documents_every_option_with_an_example() {
    let out = common::output(Command::new(BIN).args(["sandbox", "--help"])).unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--port",
        "--listen",
        "--users",
        "--seed",
        "--accept-key",
        "--over-quota-key",
        "--forbidden-key",
        "--algorithm",
        "--block",
        "--rate-limit-headers",
        "--retry-after",
        "--faults",
        "--fault-seed",
        "--faults-max",
        "--request-log",
        "--reject-cursor",
    ] {
        assert!(help.contains(opt), "{opt} is not in --help");
        let examples = help
            .lines()
            .filter(|l| l.trim_start().starts_with("clerk-rl ") && l.contains(" sandbox"));
        let mut examples = examples;
        assert!(examples.any(|l| l.contains(opt)), "{opt} has no example");
    }
    assert!(help.contains("CLERK_API_URL=") && help.contains("CLERK_SECRET_KEY="));

    // A bad --faults names the bad part and exits 2 (a usage error).
    let out = common::output(Command::new(BIN).args(["sandbox", "--faults", "500:0.1,teapot:0.2"]))
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("teapot"), "{err}");
}
