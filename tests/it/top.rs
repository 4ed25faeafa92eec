//! `clerk-rl top`: real exports sharing a budget through a real redis-server, each listed by
//! `top --once --json` while it runs, and a killed one gone once its heartbeat expires.

use crate::common;
use crate::schema::Schema;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::redis_server::RedisServer;
use common::{cmd, sandbox_with};
use serde_json::Value;

/// Exports killed when the test ends, however it ends.
struct Exports(Vec<Child>);

impl Drop for Exports {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn top(store: &str, api: &str) -> Value {
    let r = common::run(&["--budget-store", store, "top", "--once", "--json"], api).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let errs = Schema::output("top").validate(&v);
    assert!(errs.is_empty(), "{errs:#?}\n{v}");
    v
}

fn pids(v: &Value) -> Vec<u64> {
    let mut p: Vec<u64> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    p.sort();
    p
}

/// Ask `top` until `want` holds of its answer (the deadline only stops a hang).
async fn until(store: &str, api: &str, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + common::DEADLINE;
    loop {
        let v = top(store, api).await;
        if want(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "never {what}: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_lists_every_export_sharing_the_budget_and_drops_a_killed_one() {
    let redis = RedisServer::start();
    lists_every_export_and_drops_a_killed_one(&redis.url()).await;
}

/// The same through a 3-node Redis Cluster: the heartbeats live under the budget's hash tag, so
/// one node holds them all and `top` reads them from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_on_a_redis_cluster_lists_every_export_and_drops_a_killed_one() {
    let cluster = tokio::task::spawn_blocking(common::redis_server::RedisCluster::start)
        .await
        .unwrap();
    lists_every_export_and_drops_a_killed_one(&cluster.url()).await;
}

async fn lists_every_export_and_drops_a_killed_one(store: &str) {
    let store = store.to_string();
    // A slow budget (5 a second, shared) and small pages: the exports outlast the test.
    let sb = sandbox_with(100_000, "1000/1s", |_| {}).await;
    let mut exports = Exports(Vec::new());
    for _ in 0..4 {
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url())
            .args(["--budget-store", &store, "--rate", "5/1s", "-q"])
            .args(["export-users", "--page-size", "10"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        exports.0.push(c.spawn().unwrap());
    }
    let mut want: Vec<u64> = exports.0.iter().map(|c| u64::from(c.id())).collect();
    want.sort();
    let v = until(&store, &sb.url(), "all 4 listed with their work", |v| {
        pids(v) == want
            && v["processes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["requests"].as_u64().unwrap() > 0)
    })
    .await;
    for p in v["processes"].as_array().unwrap() {
        assert_eq!(p["command"], "export-users", "{p}");
        assert!(p["started_ms"].as_u64().unwrap() > 0, "{p}");
    }
    assert_eq!(v["budget"]["limit"], 5, "{v}");
    assert_eq!(v["budget"]["source"], "processes", "{v}");
    assert_eq!(v["window"], 1.0, "{v}");
    // The key's total in the window is every process's (each counted at its own heartbeat, up to
    // a second apart, so it may read above the limit for a moment: no budget check here).
    let total = v["total_in_window"].as_u64().unwrap();
    let sum: u64 = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sent_last_window"].as_u64().unwrap())
        .sum();
    assert_eq!(total, sum, "{v}");
    assert!(!v.to_string().contains(common::KEY));

    // SIGKILL: no goodbye, only the heartbeat stops. Its record ages out within seconds.
    let mut killed = exports.0.remove(0);
    let gone = u64::from(killed.id());
    killed.kill().unwrap();
    killed.wait().unwrap();
    want.retain(|p| *p != gone);
    until(&store, &sb.url(), "the killed export dropped", |v| {
        pids(v) == want
    })
    .await;
    drop(exports);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn top_without_a_store_is_a_usage_error_and_the_table_says_who_spends() {
    let r = common::run(&["top", "--once"], "http://127.0.0.1:9").await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--budget-store"), "{}", r.stderr);
    // Nobody on the key: the table says so (stdout is not a terminal: printed once).
    let redis = RedisServer::start();
    let r = common::run(
        &["--budget-store", &redis.url(), "top"],
        "http://127.0.0.1:9",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("no process is spending the key"),
        "{}",
        r.stdout
    );
}

/// `tmux` on a private socket, through the suite's deadline.
fn tmux(socket: &str, args: &[&str]) -> common::Run {
    let mut c = std::process::Command::new("tmux");
    c.args(["-L", socket]).args(args).stdin(Stdio::null());
    match common::output(&mut c) {
        Ok(out) => common::Run::from(out),
        Err(e) => panic!(
            "tmux: {e} (this test needs a real terminal: scripts/test installs tmux, or apt-get install tmux)"
        ),
    }
}

/// In a real terminal (tmux), `top` draws its view in place: each frame from the top-left
/// corner, one header on the screen however many refreshes, the clock in it moving; Ctrl-C
/// ends it.
#[test]
fn top_in_a_terminal_redraws_in_place_and_ends_on_ctrl_c() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, common::KEY).unwrap();
    let socket = format!("clerk-rl-test-{}", std::process::id());
    // The private tmux server goes, whatever happens to the test.
    struct Server(String);
    impl Drop for Server {
        fn drop(&mut self) {
            tmux(&self.0, &["kill-server"]);
        }
    }
    let _server = Server(socket.clone());
    let command = format!(
        "{} --secret-key-file {} --budget-store {} top --interval 300ms",
        common::bin(),
        key.display(),
        redis.url()
    );
    let r = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "top",
            "-x",
            "160",
            "-y",
            "20",
            &command,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let screen = || tmux(&socket, &["capture-pane", "-p", "-t", "top"]).stdout;
    let deadline = Instant::now() + common::DEADLINE;
    let mut frames: Vec<String> = Vec::new();
    while frames.len() < 3 {
        let s = screen();
        let first = s.lines().next().unwrap_or("").to_string();
        if first.starts_with("clerk-rl top:") && frames.last() != Some(&first) {
            // One view on the screen, at its top: redrawn over, never scrolled below.
            assert_eq!(s.matches("clerk-rl top:").count(), 1, "{s}");
            assert!(s.contains("no process is spending the key"), "{s}");
            frames.push(first);
        }
        assert!(Instant::now() < deadline, "no 3 frames in place:\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux(&socket, &["send-keys", "-t", "top", "C-c"]);
    while tmux(&socket, &["has-session", "-t", "top"]).code == 0 {
        assert!(
            Instant::now() < deadline,
            "top did not end on Ctrl-C:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
