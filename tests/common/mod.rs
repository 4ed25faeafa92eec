//! Helpers shared by the integration tests: run the real binary with a controlled environment.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A key no test output may ever contain.
pub const KEY: &str = "sk_test_RECOGNISABLE0secret0key0abcdefXYZW";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_clerk-rl")
}

/// The binary with no inherited clerk-rl settings and the test key in the environment.
pub fn cmd() -> Command {
    let mut c = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("CLERK_") {
            c.env_remove(k);
        }
    }
    c.env("CLERK_SECRET_KEY", KEY);
    c.stdin(Stdio::null());
    c
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

/// Run the binary to completion off the async runtime (servers in the test keep serving).
pub async fn run(args: &[&str], api_url: &str) -> Run {
    let mut c = cmd();
    c.args(args).env("CLERK_API_URL", api_url);
    tokio::task::spawn_blocking(move || Run::from(c.output().expect("run clerk-rl")))
        .await
        .unwrap()
}

pub fn run_sync(args: &[&str]) -> Run {
    Run::from(cmd().args(args).output().expect("run clerk-rl"))
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
