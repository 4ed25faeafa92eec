//! The one limiter a client holds: when may a request go, chosen once before the first request.
//!
//! Three back-ends keep the instance budget's count, and [`Limiter::choose`] picks one from the
//! settings: Redis (`--budget-store`: every process on every machine using the store), a locked
//! state file (every process of this user on this machine, per key and server), or this process
//! alone (`probe`, a `--burst` bucket, an unusable state folder). Beside it, the endpoint budgets
//! (`endpoint_gates`) keep the few endpoints Clerk limits apart, in the same kind of store.
//!
//! The client asks four things and never knows which back-end answers: may this request go
//! ([`Limiter::admit`]), it was answered ([`Limiter::release`]), what do the server's headers
//! say ([`Limiter::react`]), and the server asked for a pause ([`Limiter::pause`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::Budget;
use super::endpoint_gates::{self, EndpointGates};
use super::endpoint_limits::{EndpointLimits, Scope};
use super::headers::RateLimitView;
use super::pacer::{self, Pacer, Permit};
use super::shared::{self, SharedBudget};
use super::state_file::{self, LocalBudget};
use crate::error::{Exit, fail};
use crate::redis_store::RedisTarget;
use crate::ui::Ui;

/// What [`Limiter::choose`] needs to know, all of it resolved from the settings beforehand.
pub struct Choice<'a> {
    pub budget: Budget,
    /// The key's fingerprint (never the key): names its count in Redis and in the state folder.
    pub fingerprint: String,
    /// The server's origin (`scheme://host:port`): a sandbox on another port is another budget.
    pub origin: String,
    /// `--budget-store`, parsed and not yet connected.
    pub store: Option<RedisTarget>,
    /// `--budget-store-optional`: an unreachable store means pacing alone, not exit 1.
    pub store_optional: bool,
    /// Share through the state file when there is no store: every command that spends the
    /// budget; not `probe`, which measures the server (429s included).
    pub share_locally: bool,
    pub endpoints: EndpointLimits,
    pub timeout: Duration,
    /// The command, as the shared budget's heartbeat names it.
    pub command: &'a str,
}

/// Where the instance budget's count lives.
#[derive(Debug)]
enum Gate {
    Local(Arc<Pacer>),
    Shared(Arc<SharedBudget>),
    /// The state file, with this process's pacer to fall back on should the file fail.
    File(LocalBudget, Arc<Pacer>),
}

enum Held {
    Local(Permit),
    Shared(shared::Slot),
    File(String),
}

/// The slots one request holds from its admission to its answer.
pub struct Admission {
    instance: Held,
    endpoint: Option<endpoint_gates::Held>,
    /// The endpoint budget the request counts in, and the time waited for its slot.
    pub endpoint_wait: Option<(Scope, Duration)>,
    /// The time waited for the instance slot.
    pub instance_wait: Duration,
}

#[derive(Debug)]
pub struct Limiter {
    gate: Gate,
    endpoints: EndpointGates,
    limits: EndpointLimits,
    shared: Option<Arc<SharedBudget>>,
}

impl Limiter {
    /// Pick the back-end once: Redis when a store is given and answers (exit 1 when it does not,
    /// unless optional), else the state file when the command shares locally, else this process.
    /// What was chosen is said on stderr at `-v`; a fallback is a warning.
    pub async fn choose(c: Choice<'_>, ui: &Arc<Ui>) -> anyhow::Result<Limiter> {
        let endpoints = EndpointGates::new(c.fingerprint.clone(), c.timeout, Arc::clone(ui));
        let local = || Gate::Local(Pacer::new(&c.budget));
        let mut shared = None;
        if let Some(target) = &c.store {
            match target.connect().await {
                Ok(redis) => {
                    endpoints.share_through(redis.clone());
                    let sb = SharedBudget::join(
                        redis,
                        &c.fingerprint,
                        &c.budget,
                        c.timeout,
                        c.command,
                        Arc::clone(ui),
                    )
                    .await;
                    ui.info(&format!(
                        "sharing the budget {} through {}",
                        c.budget.describe(),
                        sb.shown()
                    ));
                    // Processes on the key without --budget-store count in its state file:
                    // each side is told of the other.
                    if c.share_locally
                        && let Some(Ok(file)) = Self::open_state_file(&c)
                    {
                        sb.watch_state_file(file);
                    }
                    shared = Some(sb);
                }
                Err(e) if c.store_optional => {
                    ui.warn(&format!(
                        "{e}; pacing this process alone (--budget-store-optional)"
                    ));
                }
                Err(e) => {
                    return Err(fail(
                        Exit::Other,
                        format!(
                            "{e}; start it, fix --budget-store, or pass --budget-store-optional to pace locally"
                        ),
                    ));
                }
            }
        }
        let gate = match &shared {
            Some(sb) => Gate::Shared(Arc::clone(sb)),
            None if c.share_locally => Self::state_file(&c, ui).unwrap_or_else(local),
            None => local(),
        };
        Ok(Limiter {
            gate,
            endpoints,
            limits: c.endpoints,
            shared,
        })
    }

    /// The instance budget in the key's state file, shared with this machine's other clerk-rl
    /// processes (`status` then `export-users`, Ctrl-C then `--resume`, a loop of `api` calls).
    /// A token bucket (`--burst`) is paced per process: the file keeps windows only.
    fn state_file(c: &Choice<'_>, ui: &Arc<Ui>) -> Option<Gate> {
        match Self::open_state_file(c)? {
            Ok(file) => Some(Gate::File(
                file.warn_through(Arc::clone(ui)),
                Pacer::new(&c.budget),
            )),
            Err(e) => {
                let dir = state_file::state_dir().unwrap_or_default();
                ui.warn(&format!(
                    "cannot share the budget through {} ({e}); pacing this process alone ({})",
                    dir.display(),
                    state_file::state_dir_hint()
                ));
                None
            }
        }
    }

    /// The key's instance state file at this server; `None`: no state folder, or a `--burst`
    /// budget (paced alone).
    fn open_state_file(c: &Choice<'_>) -> Option<std::io::Result<LocalBudget>> {
        if c.budget.burst.is_some() {
            return None;
        }
        let dir = state_file::state_dir()?;
        let scope = format!("instance@{}", c.origin);
        Some(LocalBudget::open(
            &dir,
            &c.fingerprint,
            &scope,
            c.budget.rate,
            c.timeout,
        ))
    }

    /// The budget shared through Redis, when that is the back-end.
    pub fn shared(&self) -> Option<&Arc<SharedBudget>> {
        self.shared.as_ref()
    }

    /// The state file's locked reads and writes so far and their mean cost in µs, when the
    /// budget is shared through one.
    pub fn state_file_cost(&self) -> Option<(u64, u64)> {
        match &self.gate {
            Gate::File(f, _) => Some(f.cost().get()),
            _ => None,
        }
    }

    /// Leave the shared budget (its heartbeat ends at once rather than expire).
    pub async fn leave(&self) {
        if let Some(sb) = &self.shared {
            sb.leave().await;
        }
    }

    /// Wait until a request for `method path` may go: its endpoint budget's slot first, when it
    /// has one (it may wait long, and must not hold an instance slot meanwhile), then the
    /// instance's. The endpoint slot's lease is renewed while the instance slot is waited for,
    /// so it never lapses before the answer (issue 23 row 8).
    pub async fn admit(&self, method: &str, path: &str) -> Admission {
        let Some(scope) = self.limits.scope(method, path) else {
            let (instance, instance_wait) = self.gate.acquire().await;
            return Admission {
                instance,
                endpoint: None,
                endpoint_wait: None,
                instance_wait,
            };
        };
        let (endpoint, waited) = self.endpoints.acquire(&scope).await;
        let (instance, instance_wait) = self.acquire_keeping(&endpoint).await;
        Admission {
            instance,
            endpoint: Some(endpoint),
            endpoint_wait: Some((scope, waited)),
            instance_wait,
        }
    }

    /// The instance slot, while the endpoint slot already taken is kept alive.
    async fn acquire_keeping(&self, endpoint: &endpoint_gates::Held) -> (Held, Duration) {
        let Some(every) = self.endpoints.renew_every(endpoint) else {
            return self.gate.acquire().await;
        };
        let acquire = self.gate.acquire();
        tokio::pin!(acquire);
        let got = loop {
            tokio::select! {
                got = &mut acquire => break got,
                _ = tokio::time::sleep(every) => self.endpoints.renew(endpoint).await,
            }
        };
        // A short wait still leaves the lease its W beyond --timeout.
        if got.1 >= Duration::from_millis(50) {
            self.endpoints.renew(endpoint).await;
        }
        got
    }

    /// The request's answer arrived (or its try is over): from now the server has surely counted
    /// it, which is what the windows are anchored on. Returns how many of our requests (shared:
    /// every process's) the server can be counting as of this response; `None` when unknown.
    pub async fn release(&self, admission: Admission) -> Option<u32> {
        let own = self.gate.release(admission.instance).await;
        if let Some(held) = admission.endpoint {
            self.endpoints.release(held).await;
        }
        own
    }

    /// Act on a response's rate-limit headers (see [`pacer::judge`]): a Limit below the budget
    /// lowers it; a window others filled holds everyone until the server's Reset (a pause past
    /// `max_wait` is left to the caller).
    pub async fn react(
        &self,
        view: &RateLimitView,
        own: Option<u32>,
        max_wait: Duration,
    ) -> pacer::Verdict {
        let mut verdict = match &self.gate {
            Gate::Local(p) => p.react(view, own),
            Gate::File(f, p) => {
                let v = p.react(view, own);
                if let Some(l) = v.lower_limit_to {
                    f.lower_limit(l);
                }
                v
            }
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

    /// How long a recorded server block (a 429's Retry-After, this process's or, shared,
    /// another's) still holds every request.
    pub async fn blocked_for(&self) -> Duration {
        match &self.gate {
            Gate::Local(p) => left(p),
            Gate::Shared(s) => s.blocked_for().await,
            Gate::File(f, fallback) => {
                left(fallback).max(f.blocked_for().await.unwrap_or(Duration::ZERO))
            }
        }
    }

    /// The server asked for a wait: every request of this process (and, shared, of every
    /// process on the key) holds off.
    pub async fn pause(&self, wait: Duration) {
        match &self.gate {
            Gate::Local(p) => p.pause_until(Instant::now() + wait),
            Gate::Shared(s) => s.block_for(wait).await,
            Gate::File(f, fallback) => {
                fallback.pause_until(Instant::now() + wait);
                let _ = f.block_for(wait).await;
            }
        }
    }
}

/// How long this process's own pacer is still blocked.
fn left(p: &Pacer) -> Duration {
    p.blocked_until().map_or(Duration::ZERO, |u| {
        u.saturating_duration_since(Instant::now())
    })
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
            Gate::File(f, fallback) => {
                let started = Instant::now();
                loop {
                    let slot = match f.take().await {
                        Ok(slot) => slot,
                        Err(_) => {
                            let (permit, _) = fallback.acquire().await;
                            return (Held::Local(permit), started.elapsed());
                        }
                    };
                    if slot.wait.is_zero() {
                        return (Held::File(slot.id), started.elapsed());
                    }
                    tokio::time::sleep(slot.wait).await;
                    // A block another process recorded meanwhile holds this request too: the
                    // slot goes back rather than wait out the block on a lease.
                    let blocked =
                        left(fallback).max(f.blocked_for().await.unwrap_or(Duration::ZERO));
                    if blocked.is_zero() {
                        return (Held::File(slot.id), started.elapsed());
                    }
                    let _ = f.abandon(slot.id).await;
                    tokio::time::sleep(blocked).await;
                }
            }
        }
    }

    async fn release(&self, held: Held) -> Option<u32> {
        match (self, held) {
            (Gate::Local(_), Held::Local(permit)) => Some(permit.complete()),
            // The store was lost: this process's count says nothing of the others'.
            (_, Held::Local(permit)) => {
                permit.complete();
                None
            }
            (Gate::Shared(s), Held::Shared(slot)) => s.complete(slot).await,
            // Every process's requests, as the file counts them (lost: the slot's lease expires
            // on its own, later than the truth: still safe, and the count unknown).
            (Gate::File(f, _), Held::File(id)) => f.complete(id).await.ok(),
            (Gate::Local(_) | Gate::File(..), Held::Shared(_)) | (_, Held::File(_)) => None,
        }
    }
}
