//! Reliability: export-users under every fault the sandbox can inject, killed at random
//! moments and resumed, hostile servers (enormous bodies and headers, garbage headers), and the
//! secret key never in any output.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use clerk_rl::sandbox::{RetryAfterStyle, Sandbox};
use common::{KEY, Run, all_ids, assert_exact, cmd, parse_export, sandbox_with};

fn export_cmd(url: &str, args: &[&str]) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", url).arg("export-users").args(args);
    c
}

async fn export(url: &str, args: &[&str]) -> Run {
    let mut c = export_cmd(url, args);
    tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap()
}

/// The truth: the same seed without faults or limits holds the same users.
async fn truth(users: u64) -> Vec<(i64, String)> {
    let sb = sandbox_with(users, "100000/1s", |_| {}).await;
    all_ids(&sb).await
}

/// No request of ours reached the server while a Retry-After it sent was still running, but for
/// those already on their way when the 429 came back (concurrent requests sent before the client
/// could have read it: a short grace).
fn assert_no_request_during_retry_after(sb: &Sandbox, retry_after_s: f64) {
    const GRACE_S: f64 = 0.25;
    let mut log = sb.log();
    // The log is in order of completion; the wait is about arrivals.
    log.sort_by(|a, b| a.t.partial_cmp(&b.t).unwrap());
    for e in log.iter().filter(|e| e.status == 429) {
        let early: Vec<_> = log
            .iter()
            .filter(|n| n.key == e.key && n.t > e.t + GRACE_S && n.t < e.t + retry_after_s - 0.005)
            .map(|n| (n.t, n.status))
            .take(3)
            .collect();
        assert!(
            early.is_empty(),
            "requests during a Retry-After wait after t={}: {early:?}",
            e.t
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_matrix_ends_in_the_exact_set_of_users() {
    let users = 300;
    let want = truth(users).await;
    for spec in [
        "500:0.3",
        "502:0.2,503:0.2,504:0.1",
        "reset:0.25",
        "truncate:0.25",
        "slow=1s:0.2",
        "500:0.04,503:0.04,reset:0.04,truncate:0.04,slow=1s:0.04",
    ] {
        let sb = sandbox_with(users, "100000/1s", |c| c.faults = spec.parse().unwrap()).await;
        let r = export(
            &sb.url(),
            &[
                "--page-size",
                "20",
                "--rate",
                "1000/1s",
                "--timeout",
                "400ms",
                "--max-retries",
                "12",
            ],
        )
        .await;
        assert_eq!(r.code, 0, "{spec}: {}", r.stderr);
        assert_exact(&parse_export(&r.stdout), &want);
        assert!(
            sb.log().iter().any(|e| e.fault.is_some()),
            "{spec}: no fault was injected"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_fault_matrix_ends_in_every_user_in_input_order() {
    use clerk_rl::sandbox::users::{Generator, user_id};
    let users = 500;
    let g = Generator::new(7, users);
    // Every other user, newest first: an order the server would not produce by itself.
    let ids: Vec<String> = (0..users)
        .rev()
        .step_by(2)
        .map(|i| user_id(7, i, g.created_at(i)))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, ids.join("\n")).unwrap();
    for spec in [
        "500:0.3",
        "502:0.2,503:0.2",
        "reset:0.25",
        "truncate:0.25",
        "slow=1s:0.2",
        "500:0.04,503:0.04,reset:0.04,truncate:0.04,slow=1s:0.04",
    ] {
        let sb = sandbox_with(users, "100000/1s", |c| c.faults = spec.parse().unwrap()).await;
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url()).args([
            "--rate",
            "1000/1s",
            "--timeout",
            "400ms",
            "--max-retries",
            "12",
            "batch-get",
            input.to_str().unwrap(),
            "--concurrency",
            "3",
        ]);
        let r = tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
            .await
            .unwrap();
        assert_eq!(r.code, 0, "{spec}: {}", r.stderr);
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
        assert_eq!(got, ids, "{spec}: not every user, or not in input order");
        assert!(
            sb.log().iter().any(|e| e.fault.is_some()),
            "{spec}: no fault was injected"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_through_429_storms_with_and_without_a_block() {
    use clerk_rl::sandbox::users::{Generator, user_id};
    let users = 1000;
    let g = Generator::new(7, users);
    let ids: Vec<String> = (0..users).map(|i| user_id(7, i, g.created_at(i))).collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, ids.join("\n")).unwrap();
    for block in [None, Some(Duration::from_secs(1))] {
        // The server allows 3 per second; the client believes in 100: 429s until it listens.
        let sb = sandbox_with(users, "3/1s", |c| c.block = block).await;
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url()).args([
            "--rate",
            "100/1s",
            "--max-retries",
            "20",
            "batch-get",
            input.to_str().unwrap(),
        ]);
        let r = tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
            .await
            .unwrap();
        assert_eq!(r.code, 0, "{block:?}: {}", r.stderr);
        assert_eq!(r.stdout.lines().count(), 1000);
        assert!(
            sb.log().iter().any(|e| e.status == 429),
            "{block:?}: no storm happened"
        );
        assert_no_request_during_retry_after(&sb, 1.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_storms_with_and_without_a_block_end_in_the_exact_set() {
    let users = 200;
    let want = truth(users).await;
    for (style, block) in [
        (RetryAfterStyle::Seconds, None),
        (RetryAfterStyle::Seconds, Some(Duration::from_secs(1))),
        (RetryAfterStyle::HttpDate, None),
        (RetryAfterStyle::None, None),
    ] {
        // The server allows 10 per second; the client believes in 100: a storm of 429s.
        let sb = sandbox_with(users, "10/1s", |c| {
            c.retry_after = style;
            c.block = block;
        })
        .await;
        let r = export(
            &sb.url(),
            &[
                "--page-size",
                "10",
                "--rate",
                "100/1s",
                "--max-retries",
                "20",
                "--concurrency",
                "1",
            ],
        )
        .await;
        assert_eq!(r.code, 0, "{style:?} {block:?}: {}", r.stderr);
        assert_exact(&parse_export(&r.stdout), &want);
        let n429 = sb.log().iter().filter(|e| e.status == 429).count();
        assert!(n429 > 0, "{style:?}: the storm did not happen");
        if style == RetryAfterStyle::Seconds {
            // The sandbox rounds its wait up to whole seconds, so a full second is announced.
            assert_no_request_during_retry_after(&sb, 1.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_max_wait_exits_3_with_nothing_half_written() {
    let sb = sandbox_with(100, "2/1s", |c| c.block = Some(Duration::from_secs(120))).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("u.jsonl");
    let r = export(
        &sb.url(),
        &[
            "--page-size",
            "5",
            "--rate",
            "100/1s",
            "--max-wait",
            "10s",
            "--output",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("--max-wait") && r.stderr.contains("2m"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "no output file until the export is complete");
    // What was written is whole lines, and resumable.
    let partial = common::read(&dir.path().join("u.jsonl.partial"));
    assert!(partial.is_empty() || partial.ends_with('\n'));
    parse_export(&partial);
    assert!(r.stderr.contains("--resume"), "{}", r.stderr);
}

/// A tiny HTTP server on 127.0.0.1 that answers every request with `response` (raw bytes), then
/// streams `tail_bytes` of filler. Runs until the test ends.
fn raw_server(response: Vec<u8>, tail_bytes: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let response = response.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                if conn.write_all(&response).is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0;
                while sent < tail_bytes {
                    if conn.write_all(&chunk).is_err() {
                        return;
                    }
                    sent += chunk.len() as u64;
                }
            });
        }
    });
    format!("http://{addr}")
}

fn peak_rss_kb(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enormous_body_is_refused_with_bounded_memory() {
    // 1 GB announced and streamed: refused without reading it.
    let url = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n["
            .to_vec(),
        1 << 30,
    );
    let r = export(&url, &["--max-retries", "1", "--no-count"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("over the"), "{}", r.stderr);
    // Chunked, with no length: read up to the limit, then refused; memory stays bounded.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if conn.write_all(head).is_err() {
                    return;
                }
                let body = vec![b' '; 1 << 20];
                let chunk = [
                    format!("{:x}\r\n", body.len()).into_bytes(),
                    body,
                    b"\r\n".to_vec(),
                ]
                .concat();
                for _ in 0..1024 {
                    if conn.write_all(&chunk).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let mut c = common::cmd_via("/usr/bin/time");
    c.arg("-v")
        .arg(common::bin())
        .args(["export-users", "--max-retries", "0", "--no-count"]);
    c.env("CLERK_API_URL", format!("http://{addr}"));
    let r = tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap();
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stderr.contains("over the 67108864-byte limit"),
        "{}",
        r.stderr
    );
    let rss = peak_rss_kb(&r.stderr);
    assert!(
        rss > 0 && rss < 200 * 1024,
        "peak RSS {rss} kB reading a 1 GB body"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enormous_header_is_refused() {
    let mut head = b"HTTP/1.1 200 OK\r\nx-filler: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 100 << 20));
    head.extend(b"\r\ncontent-length: 2\r\n\r\n[]");
    let url = raw_server(head, 0);
    let r = export(&url, &["--max-retries", "1", "--no-count"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().filter(|l| l.contains("error")).count(),
        1,
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rate_limit_header_malformed_is_ignored() {
    let page = r#"[{"id":"user_a","created_at":1},{"id":"user_b","created_at":2}]"#;
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-ratelimit-limit: lots\r\nx-ratelimit-remaining: -1\r\nx-ratelimit-reset: soon\r\nratelimit: ;;;\r\nratelimit-policy: \"x\";q=abc\r\nratelimit-limit: ?\r\nratelimit-remaining: none\r\nratelimit-reset: later\r\nretry-after: tomorrow\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    let url = raw_server(resp.into_bytes(), 0);
    let r = export(&url, &["--no-count", "-v"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2);
    assert!(
        r.stderr.contains("ignored a malformed rate-limit header"),
        "{}",
        r.stderr
    );
}

/// Send `signal` to the export after a pseudo-random delay, `rounds` times, resuming each time,
/// then let it finish: the file holds every user exactly once.
async fn kill_and_resume(signal: &str, rounds: u32) {
    let users = 3000;
    let sb = sandbox_with(users, "300/1s", |_| {}).await;
    let want = all_ids(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let o = out.to_str().unwrap().to_string();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut resumed = false;
    let mut completed_early = false;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // 0..300 ms: mid-request, mid-write and (near the end) mid-rename moments.
        let delay = Duration::from_millis(seed % 300);
        let mut args = vec![
            "--page-size",
            "20",
            "--rate",
            "300/1s",
            "--output",
            o.as_str(),
        ];
        if resumed {
            args.push("--resume");
        }
        let mut c = export_cmd(&sb.url(), &args);
        let sig = signal.to_string();
        let r = tokio::task::spawn_blocking(move || {
            let child = c
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = Command::new("kill")
                .args([&format!("-{sig}"), &child.id().to_string()])
                .status();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap();
        let r = Run::from(r);
        // The file is put into place as the very last step, after the final count check: a
        // signal that lands after it (the process not yet exited) still leaves a complete file,
        // which the exactness check below proves.
        if out.exists() {
            completed_early = true;
            break;
        }
        if signal == "INT" {
            // Interrupted before it had a checkpoint to speak of, or after: 130 either way,
            // unless the signal landed before the handler was installed (killed by the signal).
            assert!(
                r.code == 130 || r.code == -1,
                "round {round}: exit {} {}",
                r.code,
                r.stderr
            );
        }
        assert!(
            !out.exists(),
            "round {round}: the output appeared before completion"
        );
        resumed = Path::new(&format!("{o}.checkpoint")).exists();
    }
    if !completed_early {
        let mut args = vec![
            "--page-size",
            "20",
            "--rate",
            "300/1s",
            "--output",
            o.as_str(),
        ];
        if resumed {
            args.push("--resume");
        }
        let r = export(&sb.url(), &args).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_exact(&parse_export(&common::read(&out)), &want);
    assert_eq!(users as usize, want.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_20_random_moments_then_resume_holds_every_user_once() {
    kill_and_resume("KILL", 20).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_at_random_moments_then_resume_holds_every_user_once() {
    kill_and_resume("INT", 10).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_never_appears_in_any_output_or_the_server_log() {
    let sb = sandbox_with(30, "1000/1s", |c| {
        c.over_quota_keys
            .push("sk_test_OVERQUOTA0000000000000000".into());
        c.faults = "500:0.3".parse().unwrap();
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("u.jsonl");
    let o = out.to_str().unwrap();
    // Run::from asserts the key is absent from stdout and stderr of every run.
    let runs: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["status", "--json", "-vv"],
        vec!["-vv", "export-users", "--page-size", "7"],
        vec!["--json", "-vv", "export-users", "--output", o, "--force"],
        vec!["export-users", "--dry-run", "--json"],
        vec!["export-users", "--page-size", "0"],
        vec!["status", "--rate", "nonsense"],
    ];
    for args in runs {
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url()).args(&args);
        tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
            .await
            .unwrap();
    }
    // Failure paths: a wrong key (401), plain http to another host, a bad key file.
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .env("CLERK_SECRET_KEY", "sk_test_RECOGNISABLEbutWRONG00000")
        .args(["-vv", "status"]);
    let r = Run::from(common::output(&mut c).unwrap());
    assert_eq!(r.code, 4);
    assert!(
        !r.stderr.contains("RECOGNISABLEbutWRONG") && !r.stdout.contains("RECOGNISABLEbutWRONG")
    );
    let mut c = cmd();
    c.env("CLERK_API_URL", "http://example.com")
        .args(["-vv", "status"]);
    assert_eq!(Run::from(common::output(&mut c).unwrap()).code, 2);
    // The sandbox's log holds no key either.
    let log = serde_json::to_string(&sb.log()).unwrap();
    assert!(!log.contains(KEY) && !log.contains("RECOGNISABLE"));
    // Nor does the export's checkpoint (an unfinished one is kept; make one by a failing run).
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(KEY));
    }
}
