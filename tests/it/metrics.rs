//! `--metrics-listen`: `/metrics` scraped from a running export against the sandbox reads as
//! OpenMetrics, with the conventions the issue asks (the `clerk_rl_` prefix, `_total` counters,
//! base units, no ids in labels), and counts the 429s the sandbox answers; a bad or taken address
//! is a usage error before any request.

use crate::common;

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::openmetrics::{parse, value};
use common::redis_server::free_port;
use common::{cmd, sandbox_with};

/// The child is killed if the test fails before it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_of_a_running_export_are_openmetrics_and_count_its_429s() {
    // The sandbox allows 10 requests a second; the export is told 100: 429s come at once.
    // It sends no rate-limit headers, so nothing lowers the budget to its limit before a 429.
    let sb = sandbox_with(2000, "10/1s", |_| {}).await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["--metrics-listen", &listen, "--rate", "100/1s", "--json"])
        .args(["export-users", "--page-size", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = Running(c.spawn().unwrap());
    let http = reqwest::Client::new();
    let url = format!("http://{listen}/metrics");
    let deadline = Instant::now() + common::DEADLINE;
    let (text, families) = loop {
        assert!(Instant::now() < deadline, "no 429 counted in time");
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the export ended before a 429 was scraped"
        );
        if let Ok(r) = http.get(&url).send().await {
            assert_eq!(r.status(), 200);
            let ct = r.headers()["content-type"].to_str().unwrap().to_string();
            assert!(
                ct.starts_with("application/openmetrics-text; version=1.0.0"),
                "{ct}"
            );
            let text = r.text().await.unwrap();
            let families = parse(&text);
            if value(&families, "clerk_rl_http_rate_limited_total", &[]).unwrap_or(0.0) >= 1.0 {
                break (text, families);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Names: the prefix everywhere; counters end in _total (the parser checks each sample
    // belongs to its family's type); time in seconds.
    for (name, (kind, _)) in &families {
        assert!(name.starts_with("clerk_rl_"), "{name}");
        if name.contains("wait") || name.contains("round_trip") || name.contains("window") {
            assert!(name.ends_with("_seconds"), "{name} is not in seconds");
        }
        assert!(!kind.is_empty(), "{name} has no TYPE");
    }
    for (name, kind) in [
        ("clerk_rl_http_requests", "counter"),
        ("clerk_rl_http_rate_limited", "counter"),
        ("clerk_rl_http_retries", "counter"),
        ("clerk_rl_budget_wait_seconds", "counter"),
        ("clerk_rl_server_wait_seconds", "counter"),
        ("clerk_rl_http_requests_in_flight", "gauge"),
        ("clerk_rl_budget_limit", "gauge"),
        ("clerk_rl_http_round_trip_seconds", "histogram"),
    ] {
        assert_eq!(
            families.get(name).map(|f| f.0.as_str()),
            Some(kind),
            "{name}:\n{text}"
        );
    }
    let ok = value(
        &families,
        "clerk_rl_http_requests_total",
        &["endpoint=\"/v1/users\"", "status_class=\"2xx\""],
    );
    assert!(ok.unwrap_or(0.0) >= 1.0, "{text}");
    let limited = value(
        &families,
        "clerk_rl_http_requests_total",
        &["status_class=\"4xx\""],
    );
    assert!(
        limited.unwrap_or(0.0) >= 1.0,
        "the 429s by endpoint:\n{text}"
    );
    assert_eq!(value(&families, "clerk_rl_budget_limit", &[]), Some(100.0));
    // No header stated them: the gauges are absent rather than a made-up 0.
    assert!(
        !families.contains_key("clerk_rl_ratelimit_remaining"),
        "{text}"
    );
    assert!(!text.contains("user_"), "an id in a label:\n{text}");
    assert!(
        !text.contains(common::KEY) && !text.contains("sk_test"),
        "{text}"
    );

    // The export goes on to its end, unharmed, and its summary counts at least those 429s.
    let status = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let deadline = Instant::now() + common::DEADLINE;
        loop {
            if let Some(s) = child.0.try_wait().unwrap() {
                let mut err = String::new();
                use std::io::Read;
                child
                    .0
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                return (s.code(), err);
            }
            assert!(Instant::now() < deadline, "the export did not end");
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    let (code, stderr) = status;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("metrics on http://{listen}/metrics")),
        "{stderr}"
    );
    let summary = common::summary_of(&stderr, Some("http"));
    let scraped = value(&families, "clerk_rl_http_rate_limited_total", &[]).unwrap();
    assert!(
        summary["http"]["rate_limited"].as_f64().unwrap() >= scraped,
        "{summary}"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_or_taken_metrics_address_is_a_usage_error_before_any_request() {
    // Nothing listens at the API URL: a request would end in exit 6, not 2.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (flag, want) in [
        (addr.as_str(), "cannot listen there"),
        ("localhost:9464", "is not IP:PORT"),
        ("9464", "is not IP:PORT"),
    ] {
        let r = common::run(
            &["--metrics-listen", flag, "--max-retries", "0", "status"],
            "http://127.0.0.1:9",
        )
        .await;
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(
            r.stderr.contains("--metrics-listen"),
            "{flag}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(want), "{flag}: {}", r.stderr);
    }
}
