//! The one HTTP client: every request of every subcommand is paced, sent, classified and
//! retried here.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio::time::Instant;

use super::error::{ClerkError, HttpError};
use super::ratelimit::RateLimitView;
use super::retry::{Class, classify, wait_after};
use crate::budget::Budget;
use crate::monitor::Monitor;
use crate::pacer::{Pacer, Permit, Verdict};
use crate::secret::SecretKey;
use crate::shared_budget::{SharedBudget, Slot};
use crate::ui::Ui;

/// The Backend API version clerk-rl speaks (the newest, as Clerk's SDKs send it).
pub const API_VERSION: &str = "2026-05-12";

/// The largest body read from a server. A page of 500 users is about 1 MB; anything far beyond
/// is a broken or hostile server, and reading it would only exhaust memory.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base: Url,
    pub key: SecretKey,
    pub budget: Budget,
    pub timeout: Duration,
    pub max_retries: u32,
    pub max_wait: Duration,
}

/// One response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub view: RateLimitView,
    pub latency: Duration,
    /// 1 when the first try succeeded.
    pub attempts: u32,
}

/// Why a single try failed in a way worth retrying.
enum TryError {
    RateLimited(ClerkError, RateLimitView),
    Transient(String, Option<RateLimitView>),
}

/// Where a request gets its slot: this process's pacer, or a budget shared through Redis.
#[derive(Debug, Clone)]
enum Gate {
    Local(Arc<Pacer>),
    Shared(Arc<SharedBudget>),
}

enum Held {
    Local(Permit),
    Shared(Slot),
}

impl Gate {
    async fn acquire(&self) -> (Held, Duration) {
        match self {
            Gate::Local(p) => {
                let (permit, waited) = p.acquire().await;
                (Held::Local(permit), waited)
            }
            Gate::Shared(s) => {
                let (slot, waited) = s.acquire().await;
                (Held::Shared(slot), waited)
            }
        }
    }

    /// Returns how many of our requests (shared: every process's) the server can be counting
    /// as of this response; `None` when unknown.
    async fn release(&self, held: Held) -> Option<u32> {
        match (self, held) {
            (Gate::Local(_), Held::Local(permit)) => Some(permit.complete()),
            // Redis was lost: this process's count says nothing of the others'.
            (_, Held::Local(permit)) => {
                permit.complete();
                None
            }
            (Gate::Shared(s), Held::Shared(slot)) => s.complete(slot).await,
            (Gate::Local(_), Held::Shared(_)) => None,
        }
    }

    /// Act on a response's rate-limit headers (see [`crate::pacer::judge`]): a Limit below the
    /// budget lowers it; a window others filled holds everyone until the server's Reset.
    async fn react(&self, view: &RateLimitView, own: Option<u32>, max_wait: Duration) -> Verdict {
        let mut verdict = match self {
            Gate::Local(p) => p.react(view, own),
            Gate::Shared(s) => s.react(view, own),
        };
        if let Some(wait) = verdict.pause {
            if wait > max_wait {
                verdict.pause = None;
            } else {
                self.pause(wait).await;
            }
        }
        verdict
    }

    /// The server asked for a wait: every request of this process (and, shared, of every
    /// process on the key) holds off.
    async fn pause(&self, wait: Duration) {
        match self {
            Gate::Local(p) => p.pause_until(Instant::now() + wait),
            Gate::Shared(s) => s.block_for(wait).await,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
    gate: Gate,
    monitor: Arc<Monitor>,
    ui: Arc<Ui>,
}

impl Client {
    pub fn new(cfg: ClientConfig, ui: Arc<Ui>) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", cfg.key.expose()))?;
        auth.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert("Clerk-API-Version", HeaderValue::from_static(API_VERSION));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("clerk-rl/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the key somewhere else; Clerk's API never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Client {
            http,
            gate: Gate::Local(Pacer::new(&cfg.budget)),
            cfg: Arc::new(cfg),
            monitor: Arc::new(Monitor::default()),
            ui,
        })
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Draw every request from a budget shared with other processes instead of this one's.
    pub fn share_budget(&mut self, shared: Arc<SharedBudget>) {
        self.gate = Gate::Shared(shared);
    }

    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    pub fn budget(&self) -> &Budget {
        &self.cfg.budget
    }

    pub fn base(&self) -> &Url {
        &self.cfg.base
    }

    /// `/v1/users?limit=1` style path and query, joined to the base.
    pub fn url<K: AsRef<str>, V: AsRef<str>>(&self, path: &str, query: &[(K, V)]) -> Url {
        let mut url = self
            .cfg
            .base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.cfg.base.clone());
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        }
        url
    }

    /// GET with pacing and retries; any 2xx is a success.
    pub async fn get(&self, url: &Url) -> Result<Response, HttpError> {
        self.get_with(url, |_| Ok(())).await.map(|(r, ())| r)
    }

    /// GET, then `validate` the 2xx response: an `Err` from it is treated like a transient
    /// failure (a truncated or malformed page is retried, then reported), never half-used.
    pub async fn get_with<T>(
        &self,
        url: &Url,
        validate: impl Fn(&Response) -> Result<T, String>,
    ) -> Result<(Response, T), HttpError> {
        let mut attempt: u32 = 0;
        loop {
            let err = match self.try_once(url, attempt + 1).await {
                Ok(resp) => match validate(&resp) {
                    Ok(t) => return Ok((resp, t)),
                    Err(why) => TryError::Transient(why, Some(resp.view)),
                },
                Err(Ok(e)) => e,
                Err(Err(fatal)) => return Err(fatal),
            };
            let unit: f64 = rand::random();
            match err {
                TryError::RateLimited(clerk, view) => {
                    self.monitor.rate_limited();
                    let wait = wait_after(&view, attempt, unit);
                    if wait > self.cfg.max_wait {
                        return Err(HttpError::WaitTooLong {
                            wait,
                            max_wait: self.cfg.max_wait,
                        });
                    }
                    if attempt >= self.cfg.max_retries {
                        return Err(HttpError::RateLimited {
                            retries: attempt,
                            last: clerk,
                        });
                    }
                    // Everyone waits, not just this request: the limit is per key.
                    self.gate.pause(wait).await;
                    self.monitor.server_wait(wait);
                    self.ui.info(&format!(
                        "429 from {}: every request waits {} (try {} of {})",
                        url.path(),
                        fmt_ms(wait),
                        attempt + 2,
                        self.cfg.max_retries + 1
                    ));
                }
                TryError::Transient(why, view) => {
                    self.monitor.transient();
                    if attempt >= self.cfg.max_retries {
                        return Err(HttpError::Transport {
                            retries: attempt,
                            detail: why,
                        });
                    }
                    let view = view.unwrap_or_default();
                    let wait = wait_after(&view, attempt, unit);
                    if wait > self.cfg.max_wait {
                        return Err(HttpError::WaitTooLong {
                            wait,
                            max_wait: self.cfg.max_wait,
                        });
                    }
                    if view.retry_after.is_some() {
                        self.gate.pause(wait).await;
                        self.monitor.server_wait(wait);
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                    self.ui.info(&format!(
                        "{why}; retrying {} in {} (try {} of {})",
                        url.path(),
                        fmt_ms(wait),
                        attempt + 2,
                        self.cfg.max_retries + 1
                    ));
                }
            }
            self.monitor.retry();
            attempt += 1;
        }
    }

    /// One unpaced, unretried GET, for `probe`, which must provoke 429s on purpose and see each
    /// one: no pacer, no retry, no pause on an exhausted window. It still goes through the same
    /// reqwest client (key, API version, no redirects), `--timeout`, body limit and header
    /// parsing as every other request. Any status is `Ok`; `Err` is a transport failure, a
    /// timeout or an oversized body, as one line.
    pub async fn send_once(&self, url: &Url) -> Result<Response, String> {
        self.exchange(url, 1).await.map_err(|e| match e {
            Exchange::Failed(why) | Exchange::TooLarge(why) => why,
        })
    }

    /// One paced try. `Err(Ok(_))` is worth retrying, `Err(Err(_))` is final.
    async fn try_once(
        &self,
        url: &Url,
        attempt: u32,
    ) -> Result<Response, Result<TryError, HttpError>> {
        let (held, waited) = self.gate.acquire().await;
        self.monitor.paced(waited);
        let exchanged = self.exchange(url, attempt).await;
        // The response has arrived (or the try is over): from now the server has surely counted
        // this request, which is what the pacer's window is anchored on.
        let own = self.gate.release(held).await;
        let resp = match exchanged {
            Ok(resp) => resp,
            Err(Exchange::Failed(why)) => return Err(Ok(TryError::Transient(why, None))),
            Err(Exchange::TooLarge(detail)) => {
                return Err(Err(HttpError::Transport {
                    retries: attempt - 1,
                    detail,
                }));
            }
        };
        self.monitor.observe(&resp.view);
        let verdict = self.gate.react(&resp.view, own, self.cfg.max_wait).await;
        self.monitor.verdict(&verdict, &self.ui);
        if let Some(wait) = verdict.pause {
            self.monitor.server_wait(wait);
        }
        match classify(resp.status.as_u16()) {
            Class::Success => Ok(resp),
            Class::RateLimited => {
                let e = ClerkError::parse(429, &resp.headers, &resp.body);
                Err(Ok(TryError::RateLimited(e, resp.view)))
            }
            Class::Transient => {
                let e = ClerkError::parse(resp.status.as_u16(), &resp.headers, &resp.body);
                Err(Ok(TryError::Transient(e.to_string(), Some(resp.view))))
            }
            Class::Fatal => Err(Err(HttpError::Clerk(ClerkError::parse(
                resp.status.as_u16(),
                &resp.headers,
                &resp.body,
            )))),
        }
    }

    /// What every request shares, paced or not: send within `--timeout`, read the body within
    /// its limit, parse the rate-limit view, log it. Deciding what the status means is the
    /// caller's business.
    async fn exchange(&self, url: &Url, attempt: u32) -> Result<Response, Exchange> {
        self.monitor.request_sent();
        let started = Instant::now();
        let sent = tokio::time::timeout(self.cfg.timeout, self.send(url)).await;
        let latency = started.elapsed();
        let (status, headers, body) = match sent {
            Err(_) => {
                return Err(Exchange::Failed(format!(
                    "no complete response within --timeout {}",
                    humantime::format_duration(self.cfg.timeout)
                )));
            }
            Ok(Err(SendError::Transport(e))) => return Err(Exchange::Failed(e)),
            Ok(Err(SendError::TooLarge(detail))) => return Err(Exchange::TooLarge(detail)),
            Ok(Ok(parts)) => parts,
        };
        let view = RateLimitView::from_headers(&headers, SystemTime::now());
        for m in &view.malformed {
            self.ui
                .info(&format!("ignored a malformed rate-limit header: {m}"));
        }
        self.ui.debug(&format!(
            "GET {} -> {} in {} ({} bytes)",
            display_path(url),
            status.as_u16(),
            fmt_ms(latency),
            body.len()
        ));
        Ok(Response {
            status,
            headers,
            body,
            view,
            latency,
            attempts: attempt,
        })
    }

    async fn send(&self, url: &Url) -> Result<(StatusCode, HeaderMap, Bytes), SendError> {
        let mut resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| SendError::Transport(describe(&e)))?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        if let Some(len) = resp.content_length()
            && len > MAX_BODY as u64
        {
            return Err(SendError::TooLarge(format!(
                "the server announced a {len}-byte body, over the {MAX_BODY}-byte limit"
            )));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| SendError::Transport(format!("the body was cut off: {}", describe(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(SendError::TooLarge(format!(
                    "the response body is over the {MAX_BODY}-byte limit"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body.freeze()))
    }
}

enum SendError {
    Transport(String),
    TooLarge(String),
}

/// Why one exchange produced no response: worth retrying, or not.
enum Exchange {
    Failed(String),
    TooLarge(String),
}

/// reqwest's error with its causes, on one line, without the URL's query (which may hold ids).
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_body() || e.is_decode() {
        "error reading the body".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
    }
    s
}

fn display_path(url: &Url) -> String {
    match url.query() {
        Some(q) if q.len() > 120 => format!("{}?{}…", url.path(), &q[..120]),
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

pub fn fmt_ms(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
