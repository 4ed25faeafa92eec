//! The Clerk-compatible sandbox server (placeholder: the public API other modules rely on).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;

use crate::budget::Budget;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Algorithm {
    Fixed,
    #[default]
    Sliding,
    Bucket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum HeaderStyle {
    #[value(name = "x-ratelimit")]
    XRateLimit,
    Ietf,
    #[default]
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RetryAfterStyle {
    #[default]
    Seconds,
    #[value(name = "http-date")]
    HttpDate,
    None,
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub listen: SocketAddr,
    pub users: u64,
    pub seed: u64,
    pub budget: Budget,
    pub algorithm: Algorithm,
    pub block: Option<Duration>,
    pub headers: HeaderStyle,
    pub retry_after: RetryAfterStyle,
    pub request_log: Option<PathBuf>,
    pub accept_keys: Vec<String>,
    pub over_quota_keys: Vec<String>,
    pub reject_cursor: bool,
}

impl SandboxConfig {
    pub fn new(budget: Budget) -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: 1000,
            seed: 42,
            budget,
            algorithm: Algorithm::default(),
            block: None,
            headers: HeaderStyle::default(),
            retry_after: RetryAfterStyle::default(),
            request_log: None,
            accept_keys: Vec::new(),
            over_quota_keys: Vec::new(),
            reject_cursor: false,
        }
    }
}

pub struct Sandbox {
    addr: SocketAddr,
    key: String,
}

impl Sandbox {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn key(&self) -> &str {
        &self.key
    }
    pub async fn shutdown(self) {}
}

pub async fn start(cfg: SandboxConfig) -> anyhow::Result<Sandbox> {
    let _ = cfg;
    anyhow::bail!("the sandbox is not built yet")
}
