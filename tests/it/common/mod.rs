//! Helpers shared by the integration tests: run the real binary with a controlled environment.

pub mod bounded;
pub use bounded::{DEADLINE, bounded, bounded_sync, output};
pub mod openmetrics;
pub mod redis_server;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use clerk_rl::face::{Budget, Plan};
use clerk_rl::sandbox::{self, Sandbox, SandboxConfig};
use serde_json::Value;

/// A key no test output may ever contain.
pub const KEY: &str = "sk_test_RECOGNISABLE0secret0key0abcdefXYZW";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_clerk-rl")
}

/// The binary with no inherited clerk-rl settings and the test key in the environment.
/// This test process's state folder (see [`cmd`]).
pub fn test_state_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("clerk-rl-test-state-")
            .tempdir()
            .expect("a state folder for the tests")
    })
    .path()
}

/// A new, empty state folder inside [`test_state_dir`].
pub fn fresh_state_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = test_state_dir().join(format!("run-{n}"));
    std::fs::create_dir_all(&dir).expect("a state folder for one run");
    dir
}

pub fn cmd() -> Command {
    let mut c = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("CLERK_") {
            c.env_remove(k);
        }
    }
    c.env("CLERK_SECRET_KEY", KEY);
    // Every command keeps the key's budget in a state file (issue 22), per key and server. A
    // run gets a folder of its own: a block one test provoked (a 429 with a long Retry-After)
    // must never reach another test whose server has the same address (wiremock hands out
    // pooled servers, ports are reused) through a shared folder. Tests that share a budget
    // between commands name their folder themselves (a later `env` wins).
    c.env("CLERK_RL_STATE_DIR", fresh_state_dir());
    // Tables wrap to COLUMNS (else 80): tests read whole lines, so give them room. Wrapping
    // itself is tested in tests/cli_conventions.rs.
    c.env("COLUMNS", "1000");
    c.stdin(Stdio::null());
    c
}

/// `program` (a shell, `/usr/bin/time`) with [`cmd`]'s environment, to run the binary inside it.
pub fn cmd_via(program: &str) -> Command {
    let mut c = Command::new(program);
    for (k, v) in cmd().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.stdin(Stdio::null());
    c
}

/// Requests for pages of `GET /v1/users` the sandbox has logged.
pub fn user_pages(sb: &Sandbox) -> usize {
    sb.log().iter().filter(|e| e.path == "/v1/users").count()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !r.stdout.contains(KEY) && !r.stderr.contains(KEY),
            "the secret key leaked into the output:\n{}\n{}",
            r.stdout,
            r.stderr
        );
        r
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", self.stdout))
    }
}

/// Run the binary to completion (or [`DEADLINE`]) off the async runtime (servers in the test keep
/// serving).
pub async fn run(args: &[&str], api_url: &str) -> Run {
    let mut c = cmd();
    c.args(args).env("CLERK_API_URL", api_url);
    bounded(c).await
}

pub fn run_sync(args: &[&str]) -> Run {
    let mut c = cmd();
    c.args(args);
    bounded_sync(c)
}

/// The end-of-run JSON summary on `stderr` (`--json`, or `-v`'s last line): the last line that is
/// a JSON object holding the field `with` (any object when `None`).
pub fn summary_of(stderr: &str, with: Option<&str>) -> Value {
    let key = with.map(|f| format!("\"{f}\""));
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with('{') && key.as_ref().is_none_or(|k| l.contains(k.as_str())))
        .unwrap_or_else(|| panic!("no JSON summary (with {with:?}) on stderr:\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON summary ({e}): {line}"))
}

impl Run {
    /// The client's end-of-run summary: the last JSON line with its `http` counters.
    pub fn summary(&self) -> Value {
        summary_of(&self.stderr, Some("http"))
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A sandbox with `users` users limiting at `rate`, seed 7, accepting [`KEY`].
pub async fn sandbox_with(
    users: u64,
    rate: &str,
    tweak: impl FnOnce(&mut SandboxConfig),
) -> Sandbox {
    let budget = Budget::new(Plan::Free, Some(rate.parse().unwrap()), None);
    let mut cfg = SandboxConfig::new(budget);
    cfg.users = users;
    cfg.seed = 7;
    cfg.accept_keys.push(KEY.to_string());
    tweak(&mut cfg);
    sandbox::start(cfg).await.unwrap()
}

/// Every user the sandbox holds, read independently of clerk-rl (offset pages, newest first).
pub async fn all_ids(sb: &Sandbox) -> Vec<(i64, String)> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let url = format!(
            "{}/v1/users?limit=500&offset={offset}&order_by=%2Bcreated_at",
            sb.url()
        );
        let page: Vec<Value> = serde_json::from_slice(
            &http
                .get(url)
                .bearer_auth(sb.key())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        for u in &page {
            out.push((
                u["created_at"].as_i64().unwrap(),
                u["id"].as_str().unwrap().to_string(),
            ));
        }
        if page.len() < 500 {
            return out;
        }
        offset += 500;
    }
}

/// The `id` of each JSON line on `stdout`, in order (`api --paginate`'s items).
pub fn ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The users of a JSON Lines export: (created_at, id), with every line checked to be valid JSON.
pub fn parse_export(text: &str) -> Vec<(i64, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {l:.200}", i + 1));
            (
                v["created_at"].as_i64().unwrap(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The export holds exactly the expected users, once each, in created_at order.
pub fn assert_exact(got: &[(i64, String)], want: &[(i64, String)]) {
    let ids: HashSet<&String> = got.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), got.len(), "duplicates in the export");
    let want_ids: HashSet<&String> = want.iter().map(|(_, id)| id).collect();
    let missing: Vec<_> = want_ids.difference(&ids).take(5).collect();
    let extra: Vec<_> = ids.difference(&want_ids).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert!(
        got.windows(2).all(|w| w[0].0 <= w[1].0),
        "the export is not in created_at order"
    );
}
