//! The one HTTP client: every request of every subcommand is paced, sent, classified and
//! retried here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use super::diagnose::{self, Diagnosis};
use super::error::{ClerkError, HttpError};
use super::retry::{GiveUp, Outcome, Policy, Verdict, decide};
use crate::pacing::headers::RateLimitView;
use crate::pacing::limiter::Limiter;
use crate::pacing::monitor::Monitor;
use crate::secret::SecretKey;
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
    pub timeout: Duration,
    pub max_retries: u32,
    pub max_wait: Duration,
    pub http_version: HttpVersion,
}

/// Which HTTP the client speaks (`--http-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpVersion {
    /// https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1.
    Auto,
    /// HTTP/1.1 only.
    #[value(name = "1.1")]
    Http1,
    /// HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http.
    #[value(name = "2")]
    Http2,
}

impl HttpVersion {
    /// As `--http-version` spells it (the names clap parses, not a second list of them).
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
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

/// One request as the core sends it: any method, an optional JSON body, extra headers (such as
/// `Idempotency-Key`). The key, the API version and the user agent are added by the client.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    /// Sent as `application/json`.
    pub body: Option<Bytes>,
}

impl Request {
    pub fn get(url: &Url) -> Self {
        Request {
            method: Method::GET,
            url: url.clone(),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// Safe to send twice: GET, HEAD and DELETE are idempotent by definition, and any request
    /// carrying an `Idempotency-Key` is declared so by its sender.
    pub fn idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::DELETE)
            || self.headers.contains_key("idempotency-key")
    }
}

/// What one paced try came to.
enum Tried {
    Answer(Box<Response>),
    /// No response: the connection failed or dropped, the time ran out, the body was cut off.
    NoResponse(String),
    /// The body is over `MAX_BODY`.
    Oversized(String),
    /// No response, and retrying cannot bring one (see `diagnose::no_response`).
    Hopeless(String),
    /// Not sent: a recorded server block lasts longer than `--max-wait`.
    Blocked(Duration),
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
    /// When a request may go: chosen once, before the client was built.
    limiter: Arc<Limiter>,
    monitor: Arc<Monitor>,
    ui: Arc<Ui>,
    /// Some response has come from the server in this run (a refused connection is then a
    /// restart worth retrying, not a wrong URL).
    answered: Arc<AtomicBool>,
}

impl Client {
    pub fn new(cfg: ClientConfig, limiter: Limiter, ui: Arc<Ui>) -> anyhow::Result<Self> {
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
            .pool_max_idle_per_host(64);
        // Over HTTP/1.1 each request in flight has a connection of its own, and each connection
        // keeps the read buffer its largest page grew (about 400 KB): most of a large export's
        // memory. HTTP/2 carries them all on one connection.
        let http = match cfg.http_version {
            HttpVersion::Auto => http,
            HttpVersion::Http1 => http.http1_only(),
            HttpVersion::Http2 => http.http2_prior_knowledge(),
        };
        let http = http.build()?;
        Ok(Client {
            http,
            limiter: Arc::new(limiter),
            cfg: Arc::new(cfg),
            monitor: Arc::new(Monitor::default()),
            ui,
            answered: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// The monitor, shared: for the metrics and the heartbeat `top` reads.
    pub fn monitor_handle(&self) -> Arc<Monitor> {
        Arc::clone(&self.monitor)
    }

    pub fn ui(&self) -> &Ui {
        &self.ui
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
        match self.run(&Request::get(url), validate).await? {
            (resp, Some(t)) => Ok((resp, t)),
            (resp, None) => Err(HttpError::Clerk(ClerkError::parse(
                resp.status.as_u16(),
                &resp.headers,
                &resp.body,
            ))),
        }
    }

    /// Any request, paced and retried as the policy allows. `Ok` is the server's final answer,
    /// whatever its status (a 2xx, a 4xx retrying cannot change, or the 5xx of a request that is
    /// not safe to repeat); `Err` is a request that got no final answer.
    pub async fn execute(&self, req: &Request) -> Result<Response, HttpError> {
        self.run(req, |_| Ok(())).await.map(|(resp, _)| resp)
    }

    /// The request loop: try, ask the policy, wait or give up. `Some(T)`: a validated 2xx.
    async fn run<T>(
        &self,
        req: &Request,
        validate: impl Fn(&Response) -> Result<T, String>,
    ) -> Result<(Response, Option<T>), HttpError> {
        let policy = Policy {
            max_retries: self.cfg.max_retries,
            max_wait: self.cfg.max_wait,
            idempotent: req.idempotent(),
        };
        let mut attempt: u32 = 0;
        loop {
            let (outcome, answer, why) = match self.try_once(req, attempt + 1).await {
                Tried::Answer(resp) => match Outcome::of_status(resp.status.as_u16()) {
                    Outcome::Success => match validate(&resp) {
                        Ok(t) => return Ok((*resp, Some(t))),
                        Err(why) => {
                            let why = diagnose::unusable_body(&resp.headers, why);
                            (Outcome::Invalid, Some(*resp), why)
                        }
                    },
                    other => {
                        let e = ClerkError::parse(resp.status.as_u16(), &resp.headers, &resp.body);
                        (other, Some(*resp), e.to_string())
                    }
                },
                Tried::NoResponse(why) => (Outcome::NoResponse, None, why),
                Tried::Oversized(why) => (Outcome::Oversized, None, why),
                Tried::Hopeless(why) => (Outcome::Hopeless, None, why),
                Tried::Blocked(wait) => {
                    return Err(HttpError::WaitTooLong {
                        wait,
                        max_wait: self.cfg.max_wait,
                    });
                }
            };
            match outcome {
                Outcome::RateLimited => self.monitor.rate_limited(),
                Outcome::ServerError | Outcome::Invalid | Outcome::NoResponse => {
                    self.monitor.transient()
                }
                _ => {}
            }
            let view = answer.as_ref().map(|r| &r.view);
            let verdict = decide(outcome, view, attempt, &policy, rand::random());
            let wait = match verdict {
                Verdict::GiveUp(why_not) => {
                    // The key stays blocked after we leave: record it (state file, Redis), so
                    // the next process on the key gives up at once instead of sending into it.
                    if let GiveUp::WaitTooLong(wait) = why_not
                        && outcome == Outcome::RateLimited
                    {
                        self.limiter.pause(wait).await;
                    }
                    return self.give_up(req, outcome, answer, why, attempt, why_not);
                }
                Verdict::RetryAfter(wait) | Verdict::PauseEveryone(wait) => wait,
            };
            let tries = format!("try {} of {}", attempt + 2, self.cfg.max_retries + 1);
            if outcome == Outcome::RateLimited {
                self.ui.info(&format!(
                    "429 from {}: every request waits {} ({tries})",
                    req.url.path(),
                    fmt_ms(wait)
                ));
            } else {
                self.ui.info(&format!(
                    "{why}; retrying {} in {} ({tries})",
                    req.url.path(),
                    fmt_ms(wait)
                ));
            }
            if let Verdict::PauseEveryone(_) = verdict {
                // Everyone waits, not just this request: the limit is per key.
                self.limiter.pause(wait).await;
                self.monitor.server_wait(wait);
            } else {
                tokio::time::sleep(wait).await;
            }
            self.monitor.retry();
            attempt += 1;
        }
    }

    /// The error (or final answer) when the policy stops trying.
    fn give_up<T>(
        &self,
        req: &Request,
        outcome: Outcome,
        answer: Option<Response>,
        why: String,
        attempt: u32,
        why_not: GiveUp,
    ) -> Result<(Response, Option<T>), HttpError> {
        match (why_not, answer) {
            (GiveUp::WaitTooLong(wait), _) => Err(HttpError::WaitTooLong {
                wait,
                max_wait: self.cfg.max_wait,
            }),
            (GiveUp::OutOfRetries, Some(resp)) if outcome == Outcome::RateLimited => {
                Err(HttpError::RateLimited {
                    retries: attempt,
                    last: ClerkError::parse(429, &resp.headers, &resp.body),
                })
            }
            (GiveUp::OutOfRetries, _) | (GiveUp::Final, None) => Err(HttpError::Transport {
                retries: attempt,
                detail: why,
            }),
            // The server answered; a request not safe to repeat keeps that answer as final.
            (GiveUp::Final | GiveUp::NotIdempotent, Some(resp)) => Ok((resp, None)),
            (GiveUp::NotIdempotent, None) => Err(HttpError::NotRetried {
                method: req.method.to_string(),
                detail: why,
            }),
        }
    }

    /// One unpaced, unretried GET, for `probe`, which must provoke 429s on purpose and see each
    /// one: no pacer, no retry, no pause on an exhausted window. It still goes through the same
    /// reqwest client (key, API version, no redirects), `--timeout`, body limit and header
    /// parsing as every other request. Any status is `Ok`; `Err` is a transport failure, a
    /// timeout or an oversized body, as one line.
    pub async fn send_once(&self, url: &Url) -> Result<Response, String> {
        self.exchange(&Request::get(url), 1)
            .await
            .map_err(|e| match e {
                Exchange::Failed(why) | Exchange::TooLarge(why) | Exchange::Hopeless(why) => why,
            })
    }

    /// One paced try.
    async fn try_once(&self, req: &Request, attempt: u32) -> Tried {
        // A block recorded past --max-wait (by a 429 another process gave up on): sending would
        // only meet the same 429, and waiting is more than allowed.
        let blocked = self.limiter.blocked_for().await;
        if blocked > self.cfg.max_wait {
            return Tried::Blocked(blocked);
        }
        let admission = self
            .limiter
            .admit(req.method.as_str(), req.url.path())
            .await;
        if let Some((scope, waited)) = &admission.endpoint_wait {
            self.monitor.paced(*waited);
            if *waited >= Duration::from_secs(1) {
                self.ui.info(&format!(
                    "waited {} for the endpoint budget {scope}",
                    fmt_ms(*waited)
                ));
            }
        }
        self.monitor.paced(admission.instance_wait);
        let exchanged = self.exchange(req, attempt).await;
        // The response has arrived (or the try is over): from now the server has surely counted
        // this request, which is what the pacer's window is anchored on.
        let own = self.limiter.release(admission).await;
        let resp = match exchanged {
            Ok(resp) => resp,
            Err(Exchange::Failed(why)) => return Tried::NoResponse(why),
            Err(Exchange::TooLarge(detail)) => return Tried::Oversized(detail),
            Err(Exchange::Hopeless(why)) => return Tried::Hopeless(why),
        };
        self.monitor.observe(&resp.view);
        let verdict = self.limiter.react(&resp.view, own, self.cfg.max_wait).await;
        self.monitor.verdict(&verdict, &self.ui);
        if let Some(wait) = verdict.pause {
            self.monitor.server_wait(wait);
        }
        Tried::Answer(Box::new(resp))
    }

    /// What every request shares, paced or not: send within `--timeout`, read the body within
    /// its limit, parse the rate-limit view, log it. Deciding what the status means is the
    /// caller's business.
    async fn exchange(&self, req: &Request, attempt: u32) -> Result<Response, Exchange> {
        let _flight = self.monitor.request_sent();
        let started = Instant::now();
        let sent = tokio::time::timeout(self.cfg.timeout, self.send(req)).await;
        let latency = started.elapsed();
        let status = match &sent {
            Ok(Ok((status, _, _))) => Some(status.as_u16()),
            _ => None,
        };
        self.monitor
            .answered(req.method.as_str(), req.url.path(), status, latency);
        let (status, headers, body) = match sent {
            Err(_) => {
                return Err(Exchange::Failed(format!(
                    "no complete response within --timeout {}",
                    humantime::format_duration(self.cfg.timeout)
                )));
            }
            Ok(Err(SendError::Transport(e))) => return Err(Exchange::Failed(e)),
            Ok(Err(SendError::TooLarge(detail))) => return Err(Exchange::TooLarge(detail)),
            Ok(Err(SendError::Hopeless(why))) => return Err(Exchange::Hopeless(why)),
            Ok(Ok(parts)) => parts,
        };
        self.answered.store(true, Ordering::Relaxed);
        // The command's in-flight count follows the round trip (Little's law).
        crate::pacing::inflight::answered(latency);
        let view = RateLimitView::from_headers(&headers, SystemTime::now());
        for m in &view.malformed {
            self.ui
                .info(&format!("ignored a malformed rate-limit header: {m}"));
        }
        self.ui.debug(&format!(
            "{} {} -> {} in {} ({} bytes)",
            req.method,
            display_path(&req.url),
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

    async fn send(&self, req: &Request) -> Result<(StatusCode, HeaderMap, Bytes), SendError> {
        let mut resp = self.builder(req).send().await.map_err(|e| {
            let first = !self.answered.load(Ordering::Relaxed);
            match diagnose::no_response(&e, &req.url, first, describe(&e)) {
                Diagnosis::Retry(why) => SendError::Transport(why),
                Diagnosis::Hopeless(why) => SendError::Hopeless(why),
            }
        })?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        if let Some(len) = resp.content_length()
            && len > MAX_BODY as u64
        {
            return Err(SendError::TooLarge(format!(
                "the server announced a {len}-byte body, over the {MAX_BODY}-byte limit"
            )));
        }
        // Sized once from the announced length (bounded above), not grown chunk by chunk.
        let mut body = BytesMut::with_capacity(resp.content_length().unwrap_or(0) as usize);
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

impl Client {
    /// The reqwest request for `req`: its method, URL, extra headers and JSON body.
    fn builder(&self, req: &Request) -> reqwest::RequestBuilder {
        let mut b = self
            .http
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone());
        if let Some(body) = &req.body {
            b = b
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        b
    }
}

enum SendError {
    Transport(String),
    TooLarge(String),
    Hopeless(String),
}

/// Why one exchange produced no response: worth retrying, or not.
enum Exchange {
    Failed(String),
    TooLarge(String),
    Hopeless(String),
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
