//! The Clerk-compatible sandbox: a local Backend API server with generated users, a configurable
//! rate limiter and injected faults, so the tool (and its users) can exercise everything without a
//! Clerk account. Served over real HTTP; `start` runs it in-process on its own tokio task.
//!
//! One concern per file: `users` generates users, `store` holds state and answers list/count,
//! `limiter` decides 429s, `faults` draws injected failures, `log` records requests, `errors` is
//! Clerk's error shape and `routes` wires them to HTTP.

pub mod body;
pub mod endpoint_limits;
pub mod errors;
pub mod faults;
pub mod limiter;
pub mod log;
pub mod misbehave;
pub mod model;
pub mod org_store;
pub mod orgs;
pub mod query;
pub mod routes;
pub mod state;
pub mod store;
pub mod users;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::ValueEnum;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::pacing::algorithm::Algorithm;
use crate::pacing::budget::Budget;
pub use faults::{FaultKind, FaultSpec};
pub use log::LogEntry;
pub use misbehave::Misbehave;
use state::{AppState, KeyKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum HeaderStyle {
    /// X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (seconds until reset)
    #[value(name = "x-ratelimit")]
    XRateLimit,
    /// IETF draft-10: RateLimit-Policy: "default";q=N;w=W and RateLimit: "default";r=R;t=T
    Ietf,
    /// No rate-limit headers: only Retry-After on a 429, as Clerk documents
    #[default]
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RetryAfterStyle {
    /// Retry-After: whole seconds, rounded up (what Clerk documents)
    #[default]
    Seconds,
    /// Retry-After: an HTTP-date (RFC 9110 allows it; some servers send it)
    #[value(name = "http-date")]
    HttpDate,
    /// No Retry-After header on a 429
    None,
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub listen: SocketAddr,
    pub users: u64,
    pub seed: u64,
    pub budget: Budget,
    pub algorithm: Algorithm,
    /// After a 429, refuse every request of that key for this long.
    pub block: Option<Duration>,
    pub headers: HeaderStyle,
    pub retry_after: RetryAfterStyle,
    /// Append one JSON line per request to this file.
    pub request_log: Option<PathBuf>,
    /// Keys accepted besides `Sandbox::key()`.
    pub accept_keys: Vec<String>,
    /// Keys that authenticate but get 403 `quota_exceeded`.
    pub over_quota_keys: Vec<String>,
    /// Keys that authenticate but get 403 `authorization_invalid`.
    pub forbidden_keys: Vec<String>,
    /// Answer `starting_after` with 422 `form_param_unknown`, as an API version without cursors.
    pub reject_cursor: bool,
    /// Answer a parameter `GET /v1/users` or `/count` does not define with 422
    /// `form_param_unknown` (Clerk ignores it, so a typo silently widens the result).
    pub strict: bool,
    pub faults: FaultSpec,
    /// Seed of the fault draws; `seed` when unset.
    pub fault_seed: Option<u64>,
    /// Inject at most this many faults in total.
    pub faults_max: Option<u64>,
    /// Round-trip time added to every request, as a distant server has: half before the request
    /// is stamped (counted by the limiter and logged), half after, before the response leaves.
    pub latency: Duration,
    /// Each half of the round trip varies by up to this fraction (0.2 = ±20%).
    pub jitter: f64,
    /// Server time per user on a list page.
    pub per_user: Duration,
    /// Requests served at once at most (the rest queue before they are stamped).
    pub capacity: Option<usize>,
    /// The endpoint limits enforced besides the budget (Clerk's documented ones by default).
    pub endpoint_limits: crate::pacing::endpoint_limits::EndpointLimits,
    /// How many generated organizations it holds.
    pub organizations: u64,
    /// Misbehaviours of `GET /v1/users` (see `misbehave`), for rehearsing broken servers.
    pub misbehave: Vec<Misbehave>,
    /// Rehearse deletions during a walk: once this many pages of `GET /v1/users` were served,
    /// delete this many of the oldest users (once), as an admin would between two pages.
    pub delete_after_pages: Option<(u64, u64)>,
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
            forbidden_keys: Vec::new(),
            reject_cursor: false,
            strict: false,
            faults: FaultSpec::default(),
            fault_seed: None,
            faults_max: None,
            latency: Duration::ZERO,
            jitter: 0.0,
            per_user: Duration::ZERO,
            capacity: None,
            endpoint_limits: Default::default(),
            organizations: 120,
            misbehave: Vec::new(),
            delete_after_pages: None,
        }
    }

    /// One line for humans: what this sandbox serves (no keys).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} users (seed {}), budget {}, {}",
            self.users,
            self.seed,
            self.budget.describe(),
            self.algorithm.name()
        );
        if self.algorithm == Algorithm::Bucket {
            s.push_str(&format!(" of capacity {}", self.budget.bucket_capacity()));
        }
        if let Some(b) = self.block {
            s.push_str(&format!(", block {}", humantime::format_duration(b)));
        }
        if !self.faults.is_empty() {
            s.push_str(&format!(", faults {}", self.faults));
        }
        if self.reject_cursor {
            s.push_str(", no starting_after");
        }
        for m in &self.misbehave {
            s.push_str(&format!(", misbehaving: {}", m.name()));
        }
        if self.strict {
            s.push_str(", strict parameters");
        }
        s.push_str(&self.model().describe());
        s
    }

    /// The server model: round trip, jitter, time per user, capacity.
    pub fn model(&self) -> model::ServerModel {
        model::ServerModel {
            latency: self.latency,
            jitter: self.jitter,
            per_user: self.per_user,
            capacity: self.capacity,
        }
    }
}

/// The secret key a sandbox with this seed accepts: `sk_test_` and 42 base62 characters, the
/// shape of a Clerk development key.
pub fn sandbox_key(seed: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::from("sk_test_");
    let mut block = 0u32;
    while out.len() < 8 + 42 {
        let digest = Sha256::digest(format!("clerk-rl sandbox key {seed} {block}"));
        for b in digest {
            // 248 = 4 * 62: rejecting above it keeps the characters uniform.
            if b < 248 && out.len() < 8 + 42 {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
        block += 1;
    }
    out
}

/// A running sandbox. Dropping it stops the server too; `shutdown` waits for that.
pub struct Sandbox {
    addr: SocketAddr,
    key: String,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// `http://127.0.0.1:PORT`, the base URL (without /v1) clients take.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An `sk_test_` key it accepts, the same for the same seed.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Every request so far (the newest `log::MEMORY_LOG_CAP`), oldest first.
    pub fn log(&self) -> Vec<LogEntry> {
        self.state.log.entries()
    }

    /// How many users exist now.
    pub fn user_count(&self) -> u64 {
        self.state
            .store
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Stop accepting, let requests in flight finish (at most 5 s), and return.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind `cfg.listen`, spawn the server, and return once it accepts connections.
pub async fn start(cfg: SandboxConfig) -> anyhow::Result<Sandbox> {
    let key = sandbox_key(cfg.seed);
    let mut keys = HashMap::new();
    keys.insert(key.clone(), KeyKind::Accepted);
    for k in &cfg.accept_keys {
        keys.insert(k.clone(), KeyKind::Accepted);
    }
    for k in &cfg.forbidden_keys {
        keys.insert(k.clone(), KeyKind::Forbidden);
    }
    for k in &cfg.over_quota_keys {
        keys.insert(k.clone(), KeyKind::OverQuota);
    }
    let log = log::RequestLog::new(cfg.request_log.as_deref()).with_context(|| {
        format!(
            "cannot open the request log {}",
            cfg.request_log
                .as_deref()
                .unwrap_or_else(|| "".as_ref())
                .display()
        )
    })?;
    let state = Arc::new(AppState {
        started: Instant::now(),
        keys,
        store: RwLock::new(store::Store::new(cfg.seed, cfg.users)),
        limiter: Mutex::new(limiter::Limiter::new(&cfg.budget, cfg.algorithm, cfg.block)),
        faults: Mutex::new(faults::FaultDraw::new(
            cfg.faults.clone(),
            cfg.fault_seed.unwrap_or(cfg.seed),
            cfg.faults_max,
        )),
        log,
        headers: cfg.headers,
        retry_after: cfg.retry_after,
        reject_cursor: cfg.reject_cursor,
        strict: cfg.strict,
        model: model::Model::new(cfg.model(), cfg.seed),
        endpoint_limiter: Mutex::new(endpoint_limits::EndpointLimiter::new(
            cfg.endpoint_limits.clone(),
            cfg.algorithm,
        )),
        orgs: Mutex::new(org_store::OrgStore::new(cfg.seed, cfg.organizations)),
        misbehave: cfg.misbehave.clone(),
        delete_after_pages: cfg.delete_after_pages,
        pages_served: std::sync::atomic::AtomicU64::new(0),
    });
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let app = routes::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("clerk-rl: error: sandbox: server error: {e}");
        }
    });
    Ok(Sandbox {
        addr,
        key,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_a_stable_development_key() {
        let k = sandbox_key(42);
        assert!(k.starts_with("sk_test_"));
        assert_eq!(k.len(), 50);
        assert!(k[8..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(k, sandbox_key(42));
        assert_ne!(k, sandbox_key(43));
    }
}
