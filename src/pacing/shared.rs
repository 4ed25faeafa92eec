//! One key's budget shared by many processes through Redis (`--budget-store redis://…`).
//!
//! The contract is the local pacer's, across every process using the same key and store: never
//! more than N requests in any window W as the server sees them. Two sorted sets per instance
//! hold the requests that count: `inflight` (score: a lease expiry, in case a process dies
//! mid-request) and `done` (score: response time + W). One Lua script admits a request when
//! fewer than N are counted, with Redis `TIME` as the only clock, so machines with skewed clocks
//! still agree. A 429 seen by any process sets a shared "blocked until" that every process
//! honors. Processes announce themselves with a heartbeat, for `status --budget-store`.
//!
//! No polling: when the window is full, the script hands the caller the slot that frees first
//! (the oldest response's, at the instant it ages out), entered at once so no one else can take
//! it, and the caller sleeps exactly until then. A request costs two round trips (admit,
//! release); a caller comes back without a slot only when every slot is a request in flight,
//! and then a window later, the soonest one can free. The release answers how many requests of
//! all the processes the server can be counting, for reading Remaining headers (see
//! [`crate::pacing::pacer::judge`]), and whether a block is on, which the process then honors before
//! sending what it already holds.
//!
//! The keys share the hash tag `{<instance hash>}`, so on Redis Cluster they live in one slot
//! and the script can touch them all. The instance hash is the key's fingerprint, never the key.
//!
//! When Redis is lost mid-run, the process retries briefly, then paces locally at the budget
//! divided by the processes it last saw, after first waiting out a whole window: whatever the
//! others sent in the last window is unknown, so none of it is assumed free. Meanwhile it dials
//! Redis again with capped, jittered backoff (the cap a quarter of W, at most 2 s) and, once
//! Redis answers, returns to the shared budget, first entering the requests it sent on its own
//! in the last window (each counted a full window from then: later than the truth, the safe
//! side).
//!
//! A store found empty is a store that may have lost the last window's requests (a restart
//! without persistence, `FLUSHALL`, a failover to an empty replica): an `epoch` key, set when
//! the budget's state is first written and never expiring, tells a store that holds the state
//! from one that lost it. The script that finds it missing sets it and blocks everyone for W, so
//! no process (a new one included, which knows nothing of the others) takes the window the lost
//! requests may still fill. A fresh store costs that one window once. Budgets whose window is
//! longer than [`EMPTY_GUARD_MAX`] are not held (an hour's wait on first use would be worse than
//! the risk), nor are the endpoint budgets (one per scope, some per user: each would wait a
//! window on first use); a store that lost them can cost a 429 there, which every process then
//! honors.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::pacing::activity::Activity;
use crate::pacing::budget::{Budget, Rate};
use crate::pacing::headers::RateLimitView;
use crate::pacing::monitor::Monitor;
use crate::pacing::pacer::{Pacer, Verdict, judge};
use crate::redis_store::{Backoff, RESPONSE_TIMEOUT, Redis, RedisDown};
use crate::ui::Ui;

/// Admit a request now or at a reserved instant, or say how long to wait (ms); with the number
/// of processes registered, so each process always knows its share should Redis be lost.
/// KEYS: inflight, done, blocked, procs, epoch. ARGV: limit, window_ms, lease_ms, slot id,
/// horizon_ms, epoch (empty: the budget is not guarded against an emptied store).
/// Returns {admitted, wait_ms, processes, start_ms}: admitted with a wait means the slot is
/// reserved from start_ms (Redis clock) on; admitted -1: the store was found empty, and
/// everyone is held for wait_ms.
const ACQUIRE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local procs = redis.call('HLEN', KEYS[4])
if ARGV[6] ~= '' and redis.call('EXISTS', KEYS[5]) == 0 then
  -- The budget's state is gone (or never was): the last window may hold requests nobody
  -- counts any more. The window counts as full.
  redis.call('SET', KEYS[5], ARGV[6])
  local window = tonumber(ARGV[2])
  if redis.call('PTTL', KEYS[3]) < window then redis.call('SET', KEYS[3], 'empty', 'PX', window) end
  return {-1, redis.call('PTTL', KEYS[3]), procs, now}
end
local blocked = redis.call('PTTL', KEYS[3])
if blocked > 0 then return {0, blocked, procs, now} end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- Responses are kept past their window for the release's count of what the server may count.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
local flying = redis.call('ZCARD', KEYS[1])
local counted = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local at = now
local over = flying + counted - limit + 1
if over > 0 then
  -- Full: take the slots that free first (one, unless the limit was lowered), at the instant
  -- the last of them ages out. Entered now, so nobody else can take them.
  local first = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, over)
  if #first < over * 2 then
    -- Every other slot is a request in flight: none frees sooner than a window from now.
    return {0, window, procs, now}
  end
  for i = 1, #first, 2 do redis.call('ZREM', KEYS[2], first[i]) end
  at = tonumber(first[#first])
end
redis.call('ZADD', KEYS[1], at + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[1], at - now + lease + window)
return {1, at - now, procs, at}
"#;

/// The response to a request arrived: it counts until a window from now. KEYS: inflight, done,
/// blocked. ARGV: window_ms, slot id, since_ms, keep_ms. Returns {requests the server can be
/// counting as of this response (every process's: in flight, reserved, and responses after
/// since_ms minus a window), the block's remaining ms}.
const COMPLETE: &str = r#"
local t = redis.call('TIME')
-- Rounded up, plus a millisecond: the request must count until at least a full window after
-- the real response time, never a fraction of a millisecond less.
local now = tonumber(t[1]) * 1000 + math.ceil(tonumber(t[2]) / 1000) + 1
local window = tonumber(ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[2])
local counted = redis.call('ZCARD', KEYS[1]) + redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[3], '+inf') + 1
redis.call('ZADD', KEYS[2], now + window, ARGV[2])
redis.call('PEXPIRE', KEYS[2], window + tonumber(ARGV[4]))
return {counted, redis.call('PTTL', KEYS[3])}
"#;

/// Renew a slot in flight whose request still waits to be sent: its lease runs `lease_ms` from
/// now (never shortened). KEYS: inflight. ARGV: slot id, lease_ms, window_ms. Returns 1, or 0
/// when the slot is gone.
const RENEW: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until = now + tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
if tonumber(score) < until then redis.call('ZADD', KEYS[1], until, ARGV[1]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) + tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
end
return 1
"#;

/// Back from a fallback: enter the requests this process sent on its own (each counted a full
/// window from now), after the same check for an emptied store as [`ACQUIRE`]'s. KEYS: done,
/// epoch, blocked. ARGV: requests, window_ms, slot id prefix, epoch (empty: not guarded).
/// Returns 1 when the store was found empty.
const REJOIN: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local born = 0
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[4])
  if redis.call('PTTL', KEYS[3]) < window then redis.call('SET', KEYS[3], 'empty', 'PX', window) end
  born = 1
end
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('ZADD', KEYS[1], now + window, ARGV[3] .. ':' .. i)
end
if n > 0 and redis.call('PTTL', KEYS[1]) < 2 * window then
  redis.call('PEXPIRE', KEYS[1], 2 * window)
end
return born
"#;

/// Block everyone for at least `ms` (never shortens a longer block). KEYS: blocked. ARGV: ms.
const BLOCK: &str = r#"
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 1
"#;

/// A process's heartbeat is stale after this; `status` and `top` ignore stale ones.
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(5);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// Stale heartbeats are pruned once per this many beats (a read of every process's).
const PRUNE_EVERY_BEATS: u32 = 5;
/// Redis errors in a row before a process gives up on the store and paces locally.
const TRIES_BEFORE_FALLBACK: u32 = 3;
/// The longest window an emptied store is held for (see the module's doc).
pub const EMPTY_GUARD_MAX: Duration = Duration::from_secs(60);
/// How long a process sharing through Redis tells the key's state file so (renewed with each
/// heartbeat).
const STATE_FILE_NOTE: Duration = Duration::from_secs(5);

/// What one process says of itself in its heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProcessInfo {
    pub id: String,
    pub pid: u32,
    pub host: String,
    pub command: String,
    /// Requests this process sent in the last window.
    pub sent_last_window: u64,
    pub last_seen_ms: u64,
    /// Its work so far, for `top` (see [`Activity`]).
    #[serde(flatten)]
    pub activity: Activity,
}

/// The hash of the processes sharing the budget of the instance `fingerprint` (one field per
/// process), under the budget's hash tag: on Redis Cluster it lives in the budget's slot.
pub fn processes_key(fingerprint: &str) -> String {
    Keys::new(fingerprint).procs
}

impl std::fmt::Debug for SharedBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedBudget({}, {})", self.redis.shown(), self.rate)
    }
}

pub struct SharedBudget {
    redis: Redis,
    keys: Keys,
    rate: Rate,
    /// The budget's limit, lowered when a server's Limit header is below it.
    limit: AtomicU32,
    /// How far back a server may count: our window, or a longer one a policy header stated.
    horizon: Mutex<Duration>,
    /// A block (429, or a window others filled) this process knows of: nothing is sent before.
    blocked_until: Mutex<Option<Instant>>,
    lease: Duration,
    me: ProcessInfo,
    sent: Mutex<VecDeque<Instant>>,
    /// Processes seen in the last heartbeat (including this one): the divisor on fallback.
    last_seen_processes: Mutex<usize>,
    /// Redis was lost: the pacer this process paces on alone until Redis answers again.
    fallback: Mutex<Option<Arc<Pacer>>>,
    /// Requests sent through the fallback, all told, and those still in flight.
    local_sent: AtomicU64,
    local_inflight: AtomicU32,
    failures: Mutex<u32>,
    /// The epoch written when this process finds the store empty; empty: not guarded.
    epoch: String,
    /// The key's state file, told that this process shares through Redis (see
    /// [`crate::pacing::state_file::LocalBudget::note_redis_user`]).
    state_file: OnceLock<crate::pacing::state_file::LocalBudget>,
    warned_state_file: AtomicBool,
    ui: Arc<Ui>,
    /// Where the heartbeat reads this process's work (`report_activity`).
    monitor: OnceLock<Arc<Monitor>>,
}

struct Keys {
    inflight: String,
    done: String,
    blocked: String,
    procs: String,
    epoch: String,
}

impl Keys {
    fn new(fingerprint: &str) -> Self {
        let p = format!("clerk-rl:{{{fingerprint}}}:");
        Keys {
            inflight: format!("{p}inflight"),
            done: format!("{p}done"),
            blocked: format!("{p}blocked"),
            procs: format!("{p}procs"),
            epoch: format!("{p}epoch"),
        }
    }
}

/// The heartbeats in `all` (field and record, as the hash holds them), read once: the
/// processes whose heartbeats are fresh at `now_ms`, and the fields of the stale or unreadable
/// ones (processes that died without leaving).
fn fresh(all: Vec<(String, Vec<u8>)>, now_ms: u64) -> (Vec<ProcessInfo>, Vec<String>) {
    let mut live = Vec::new();
    let mut stale = Vec::new();
    for (field, v) in all {
        match serde_json::from_slice::<ProcessInfo>(&v) {
            Ok(p) if now_ms.saturating_sub(p.last_seen_ms) <= ms(HEARTBEAT_TTL) => live.push(p),
            _ => stale.push(field),
        }
    }
    (live, stale)
}

/// The processes among `all` (fresh heartbeats) that spend the key: those that sent a request
/// in the last window, and those just starting (started within the window, or not yet
/// reporting their work: a heartbeat from before the process's HTTP core was attached). A
/// `webhook serve` or a `top` that has sent nothing for a window is not counted: a command that
/// plans its work for its share of the budget would take too small a share.
pub fn spending(all: &[ProcessInfo], now_ms: u64, window: Duration) -> usize {
    let window = window.as_millis() as u64;
    all.iter()
        .filter(|p| {
            p.sent_last_window > 0
                || p.activity.started_ms == 0
                || now_ms.saturating_sub(p.activity.started_ms) < window
        })
        .count()
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn ms(d: Duration) -> u64 {
    d.as_millis().clamp(1, u64::MAX as u128) as u64
}

/// A slot held in the shared budget, released by [`SharedBudget::complete`].
#[derive(Debug)]
pub enum Slot {
    /// The slot's id and its start on the Redis clock (ms).
    Shared(String, i64),
    /// Redis was lost: the slot is held by the local fallback pacer.
    Local(crate::pacing::pacer::Permit),
}

impl SharedBudget {
    /// Join the shared budget of the instance `fingerprint`. `timeout` bounds one request: an
    /// in-flight slot is leased for that plus a window. A store found empty holds everyone for
    /// a window (see the module's doc).
    pub async fn join(
        redis: Redis,
        fingerprint: &str,
        budget: &Budget,
        timeout: Duration,
        command: &str,
        ui: Arc<Ui>,
    ) -> Arc<Self> {
        Self::join_guarded(redis, fingerprint, budget, timeout, command, ui, true).await
    }

    /// [`join`](Self::join), with `guard` false for a budget an emptied store does not hold:
    /// the endpoint budgets, one per scope (per user for some), each of which would otherwise
    /// wait a window the first time it is used.
    pub async fn join_guarded(
        redis: Redis,
        fingerprint: &str,
        budget: &Budget,
        timeout: Duration,
        command: &str,
        ui: Arc<Ui>,
        guard: bool,
    ) -> Arc<Self> {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        let me_id = format!("{:016x}", rand::random::<u64>());
        let me = ProcessInfo {
            id: me_id.clone(),
            pid: std::process::id(),
            host,
            command: command.to_string(),
            sent_last_window: 0,
            last_seen_ms: unix_ms(),
            activity: Activity::default(),
        };
        let sb = Arc::new(SharedBudget {
            redis,
            keys: Keys::new(fingerprint),
            rate: budget.rate,
            limit: AtomicU32::new(budget.rate.limit),
            horizon: Mutex::new(budget.rate.window),
            blocked_until: Mutex::new(None),
            lease: timeout + budget.rate.window,
            me,
            sent: Mutex::new(VecDeque::new()),
            last_seen_processes: Mutex::new(1),
            fallback: Mutex::new(None),
            local_sent: AtomicU64::new(0),
            local_inflight: AtomicU32::new(0),
            failures: Mutex::new(0),
            epoch: if guard && budget.rate.window <= EMPTY_GUARD_MAX {
                format!("{}:{}", me_id, unix_ms())
            } else {
                String::new()
            },
            state_file: OnceLock::new(),
            warned_state_file: AtomicBool::new(false),
            ui,
            monitor: OnceLock::new(),
        });
        let _ = sb.heartbeat(true).await;
        let weak = Arc::downgrade(&sb);
        tokio::spawn(async move {
            let mut beats = 0u32;
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let Some(sb) = weak.upgrade() else { return };
                sb.note_in_state_file().await;
                if sb.is_local() {
                    // The rejoin task dials Redis meanwhile.
                    continue;
                }
                beats += 1;
                let _ = sb.heartbeat(beats.is_multiple_of(PRUNE_EVERY_BEATS)).await;
            }
        });
        sb
    }

    /// Wait for a slot in the shared budget (or the local fallback's).
    pub async fn acquire(self: &Arc<Self>) -> (Slot, Duration) {
        let started = Instant::now();
        loop {
            if let Some(local) = self.local() {
                let (permit, _) = local.acquire().await;
                if !self.local().is_some_and(|l| Arc::ptr_eq(&l, &local)) {
                    // Redis answered again while this waited: the slot is the shared budget's.
                    drop(permit);
                    continue;
                }
                self.note_sent();
                self.local_sent.fetch_add(1, Relaxed);
                self.local_inflight.fetch_add(1, Relaxed);
                return (Slot::Local(permit), started.elapsed());
            }
            self.honor_block().await;
            let id = format!("{}:{:016x}", self.me.id, rand::random::<u64>());
            let asked = Instant::now();
            let r: Result<(i64, i64, i64, i64), RedisDown> = self
                .redis
                .eval(
                    ACQUIRE,
                    &[
                        &self.keys.inflight,
                        &self.keys.done,
                        &self.keys.blocked,
                        &self.keys.procs,
                        &self.keys.epoch,
                    ],
                    &[
                        self.limit.load(Relaxed).to_string(),
                        ms(self.rate.window).to_string(),
                        ms(self.lease).to_string(),
                        id.clone(),
                        ms(self.horizon()).to_string(),
                        self.epoch.clone(),
                    ],
                )
                .await;
            if let Ok((_, _, procs, _)) = r {
                // Registered processes, stale ones included until pruned: on fallback that
                // errs toward a smaller share, which is the safe side.
                *self.last_seen_processes.lock().expect("lock") = procs.max(1) as usize;
                *self.failures.lock().expect("lock") = 0;
            }
            match r {
                Ok((-1, wait_ms, _, _)) => {
                    self.found_empty(Duration::from_millis(wait_ms.max(0) as u64));
                }
                Ok((1, wait_ms, _, at)) => {
                    super::ahead::booked_in(Duration::from_millis(wait_ms.max(0) as u64));
                    // The slot is ours from `at`: sleep exactly until then (the answer took
                    // some time to arrive, so this errs late, the safe side).
                    if wait_ms > 0 {
                        tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
                    }
                    // A block another process announced meanwhile still holds this one.
                    self.honor_block().await;
                    self.note_sent();
                    return (Slot::Shared(id, at), started.elapsed());
                }
                Ok((_, wait_ms, _, _)) => {
                    let wait = Duration::from_millis(wait_ms.max(1) as u64);
                    super::ahead::booked_in(wait.min(self.rate.window));
                    tokio::time::sleep(wait.min(self.rate.window)).await;
                }
                Err(e) => self.failed(&e, asked.elapsed()).await,
            }
        }
    }

    /// The response to the request holding `slot` arrived. Returns how many requests of all
    /// the processes the server can be counting as of it; `None` when unknown.
    pub async fn complete(&self, slot: Slot) -> Option<u32> {
        match slot {
            Slot::Local(p) => {
                p.complete();
                self.local_inflight.fetch_sub(1, Relaxed);
                None
            }
            Slot::Shared(id, at) => {
                let horizon = self.horizon();
                // Responses whose window reaches back past this request's start.
                let since = at - ms(horizon) as i64 + ms(self.rate.window) as i64;
                let r: Result<(i64, i64), RedisDown> = self
                    .redis
                    .eval(
                        COMPLETE,
                        &[&self.keys.inflight, &self.keys.done, &self.keys.blocked],
                        &[
                            ms(self.rate.window).to_string(),
                            id,
                            since.to_string(),
                            ms(horizon.max(self.rate.window)).to_string(),
                        ],
                    )
                    .await;
                match r {
                    Ok((counted, blocked_ms)) => {
                        if blocked_ms > 0 {
                            self.block_locally(Duration::from_millis(blocked_ms as u64));
                        }
                        Some(counted.clamp(0, u32::MAX as i64) as u32)
                    }
                    Err(e) => {
                        // Lost: the slot's lease expires on its own, later than the truth:
                        // still safe.
                        self.ui
                            .info(&format!("could not release a shared slot: {e}"));
                        None
                    }
                }
            }
        }
    }

    /// How long a slot in flight is leased (`--timeout` + W).
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The request holding `slot` still waits to be sent: its lease runs a full term from now.
    /// True when renewed (or held locally, where no lease runs out).
    pub async fn renew(&self, slot: &Slot) -> Result<bool, RedisDown> {
        let Slot::Shared(id, _) = slot else {
            return Ok(true);
        };
        let r: i64 = self
            .redis
            .eval(
                RENEW,
                &[&self.keys.inflight],
                &[
                    id.clone(),
                    ms(self.lease).to_string(),
                    ms(self.rate.window).to_string(),
                ],
            )
            .await?;
        Ok(r == 1)
    }

    /// Judge a response's headers against every process's count; a lower Limit takes effect at
    /// once for this process (each process reads the headers it gets), a pause is the caller's.
    pub fn react(&self, view: &RateLimitView, counted: Option<u32>) -> Verdict {
        if let Some(w) = view.window {
            let mut h = self.horizon.lock().expect("lock");
            *h = (*h).max(w.min(Duration::from_secs(86_400)));
        }
        let verdict = judge(view, counted, self.limit.load(Relaxed));
        if let Some(l) = verdict.lower_limit_to {
            self.limit.fetch_min(l.max(1), Relaxed);
            if let Some(local) = self.local() {
                local.react(view, None);
            }
        }
        verdict
    }

    /// A 429 (or a window others filled): every process holds off for `wait`.
    pub async fn block_for(&self, wait: Duration) {
        self.block_locally(wait);
        if let Some(local) = self.local() {
            local.pause_until(Instant::now() + wait);
            return;
        }
        let r: Result<i64, RedisDown> = self
            .redis
            .eval(BLOCK, &[&self.keys.blocked], &[ms(wait).to_string()])
            .await;
        if let Err(e) = r {
            self.ui
                .info(&format!("could not share a Retry-After wait: {e}"));
        }
    }

    /// How long a 429 recorded by any process on the key (or seen here) still holds everyone.
    /// Redis lost: what this process knows.
    pub async fn blocked_for(&self) -> Duration {
        let here = self
            .blocked_until
            .lock()
            .expect("lock")
            .map_or(Duration::ZERO, |u| {
                u.saturating_duration_since(Instant::now())
            });
        if self.is_local() {
            return here;
        }
        let pttl: Result<i64, RedisDown> = self
            .redis
            .eval(
                "return redis.call('PTTL', KEYS[1])",
                &[&self.keys.blocked],
                &[] as &[String],
            )
            .await;
        let shared = pttl.map_or(Duration::ZERO, |ms| Duration::from_millis(ms.max(0) as u64));
        here.max(shared)
    }

    fn block_locally(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut b = self.blocked_until.lock().expect("lock");
        if b.is_none_or(|b| b < until) {
            *b = Some(until);
        }
    }

    async fn honor_block(&self) {
        let until = *self.blocked_until.lock().expect("lock");
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    fn horizon(&self) -> Duration {
        *self.horizon.lock().expect("lock")
    }

    /// Put this process's work (its HTTP core's monitor) in its heartbeat, for `top`.
    pub fn report_activity(&self, monitor: Arc<Monitor>) {
        let _ = self.monitor.set(monitor);
    }

    /// Leave the budget: drop this process's heartbeat.
    pub async fn leave(&self) {
        let _ = self.redis.hdel(&self.keys.procs, &self.me.id).await;
    }

    /// The processes sharing this budget now (fresh heartbeats only).
    pub async fn processes(&self) -> Result<Vec<ProcessInfo>, RedisDown> {
        let all = self.redis.hgetall(&self.keys.procs).await?;
        let (mut out, _) = fresh(all, unix_ms());
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// How many processes spend the key now, this one included (at least 1): those that sent
    /// a request in the last window, or that are just starting (see [`spending`]). Also kept
    /// for [`super::ahead::sharing`].
    pub async fn spending_now(&self) -> Result<usize, RedisDown> {
        let all = self.processes().await?;
        let n = spending(&all, unix_ms(), self.rate.window).max(1);
        super::ahead::shared_by(n);
        Ok(n)
    }

    pub fn shown(&self) -> &str {
        self.redis.shown()
    }

    /// True while Redis is lost and this process paces on its own.
    pub fn is_local(&self) -> bool {
        self.local().is_some()
    }

    fn local(&self) -> Option<Arc<Pacer>> {
        self.fallback.lock().expect("lock").clone()
    }

    /// The store held no state of the budget (new, restarted, flushed): everyone waits `wait`.
    fn found_empty(&self, wait: Duration) {
        self.block_locally(wait);
        self.ui.info(&format!(
            "the shared budget in {} holds no state (a new, restarted or flushed store): its last window may hold requests nobody counts any more, so it counts as full for {}",
            self.redis.shown(),
            humantime::format_duration(wait)
        ));
    }

    /// Tell the key's state file (the budget of processes without `--budget-store`) that this
    /// process shares through Redis; warn once when processes count there too.
    pub fn watch_state_file(self: &Arc<Self>, file: crate::pacing::state_file::LocalBudget) {
        if self.state_file.set(file).is_ok() {
            let me = Arc::clone(self);
            tokio::spawn(async move { me.note_in_state_file().await });
        }
    }

    async fn note_in_state_file(&self) {
        let Some(file) = self.state_file.get().cloned() else {
            return;
        };
        let shown = self.redis.shown().to_string();
        let r = tokio::task::spawn_blocking(move || file.note_redis_user(&shown, STATE_FILE_NOTE))
            .await;
        if let Ok(Ok(true)) = r
            && !self.warned_state_file.swap(true, Relaxed)
        {
            self.ui.warn(&format!(
                "other clerk-rl processes on this machine share this key's budget through its state file (without --budget-store) while this one shares it through Redis at {}: neither sees the other's requests, so together they can exceed the budget; give every process on the key the same --budget-store",
                self.redis.shown()
            ));
        }
    }

    /// Requests this process sent on its own that the server can still be counting: those of
    /// the last window, and those still in flight (some twice: the safe side).
    fn own_recent(&self) -> u64 {
        let now = Instant::now();
        let mut sent = self.sent.lock().expect("lock");
        while sent.front().is_some_and(|&t| t + self.rate.window <= now) {
            sent.pop_front();
        }
        (sent.len() as u64 + self.local_inflight.load(Relaxed) as u64)
            .min(self.limit.load(Relaxed) as u64)
    }

    /// Dial Redis again with capped, jittered backoff until it answers, then share again.
    fn start_rejoining(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: (self.rate.window / 4).clamp(Duration::from_millis(100), Duration::from_secs(2)),
        };
        tokio::spawn(async move {
            let mut attempt = 0u32;
            loop {
                tokio::time::sleep(backoff.delay(attempt)).await;
                attempt = attempt.saturating_add(1);
                let Some(sb) = weak.upgrade() else { return };
                if sb.try_rejoin().await {
                    return;
                }
            }
        });
    }

    async fn refill(&self, n: u64) -> Result<i64, RedisDown> {
        self.redis
            .eval(
                REJOIN,
                &[&self.keys.done, &self.keys.epoch, &self.keys.blocked],
                &[
                    n.to_string(),
                    ms(self.rate.window).to_string(),
                    format!("{}:refill:{:08x}", self.me.id, rand::random::<u32>()),
                    self.epoch.clone(),
                ],
            )
            .await
    }

    /// One try at returning to the shared budget. True when back.
    async fn try_rejoin(&self) -> bool {
        let before = self.local_sent.load(Relaxed);
        let born = match self.refill(self.own_recent()).await {
            Ok(b) => b,
            Err(_) => return false,
        };
        *self.fallback.lock().expect("lock") = None;
        *self.failures.lock().expect("lock") = 0;
        // Requests taken locally while the first refill was on its way.
        let late = self.local_sent.load(Relaxed) - before;
        if late > 0 {
            let _ = self.refill(late).await;
        }
        if born == 1 {
            self.block_locally(self.rate.window);
        }
        let _ = self.heartbeat(false).await;
        self.ui.warn(&format!(
            "Redis at {} answers again: sharing the budget through it again{}",
            self.redis.shown(),
            if born == 1 {
                format!(
                    " (it had lost the budget's state: the window counts as full for {})",
                    humantime::format_duration(self.rate.window)
                )
            } else {
                String::new()
            }
        ));
        true
    }

    fn note_sent(&self) {
        let now = Instant::now();
        let mut sent = self.sent.lock().expect("lock");
        sent.push_back(now);
        while sent.front().is_some_and(|&t| t + self.rate.window <= now) {
            sent.pop_front();
        }
    }

    async fn heartbeat(&self, prune: bool) -> Result<(), RedisDown> {
        let mut me = self.me.clone();
        {
            let now = Instant::now();
            let mut sent = self.sent.lock().expect("lock");
            while sent.front().is_some_and(|&t| t + self.rate.window <= now) {
                sent.pop_front();
            }
            me.sent_last_window = sent.len() as u64;
        }
        me.last_seen_ms = unix_ms();
        if let Some(m) = self.monitor.get() {
            me.activity = Activity::of(m, self.limit.load(Relaxed), self.rate.window);
        }
        let value = serde_json::to_vec(&me).unwrap_or_default();
        self.redis
            .hset_with_ttl(&self.keys.procs, &me.id, &value, HEARTBEAT_TTL * 4)
            .await?;
        let now = unix_ms();
        let (live, stale) = fresh(self.redis.hgetall(&self.keys.procs).await?, now);
        super::ahead::shared_by(spending(&live, now, self.rate.window).max(1));
        if !prune {
            return Ok(());
        }
        // Drop the heartbeats of processes that died without leaving.
        for field in stale {
            let _ = self.redis.hdel(&self.keys.procs, &field).await;
        }
        Ok(())
    }

    /// A Redis error: retry briefly; past that, pace locally on a share of the budget.
    /// `took`: how long the failed call waited. A store that stopped answering fails only
    /// after the response timeout: that wait counts as every try, so the process paces locally
    /// at once instead of waiting it out again.
    async fn failed(self: &Arc<Self>, e: &RedisDown, took: Duration) {
        let n = {
            let mut f = self.failures.lock().expect("lock");
            *f += 1;
            if took >= RESPONSE_TIMEOUT / 2 {
                *f = (*f).max(TRIES_BEFORE_FALLBACK);
            }
            *f
        };
        if n < TRIES_BEFORE_FALLBACK {
            tokio::time::sleep(Duration::from_millis(100 * n as u64)).await;
            return;
        }
        let k = (*self.last_seen_processes.lock().expect("lock")).max(1) as u32;
        let share = Rate::new((self.limit.load(Relaxed) / k).max(1), self.rate.window);
        let budget = Budget::new(crate::pacing::budget::Plan::Free, Some(share), None);
        let local = Pacer::new(&budget);
        // The others' requests of the last window are unknown: wait the window out first.
        local.pause_until(Instant::now() + self.rate.window);
        let fresh = {
            let mut f = self.fallback.lock().expect("lock");
            let fresh = f.is_none();
            if fresh {
                *f = Some(local);
            }
            fresh
        };
        if fresh {
            self.ui.warn(&format!(
                "{e}; pacing locally at {share} (the budget shared by the {k} process(es) last seen), after waiting out one window, until Redis answers again"
            ));
            self.start_rejoining();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(sent_last_window: u64, started_ms: u64) -> ProcessInfo {
        ProcessInfo {
            id: format!("p{sent_last_window}-{started_ms}"),
            pid: 1,
            host: "h".into(),
            command: "export-users".into(),
            sent_last_window,
            last_seen_ms: 100_000,
            activity: Activity {
                started_ms,
                ..Activity::default()
            },
        }
    }

    #[test]
    fn processes_that_sent_in_the_window_or_are_starting_spend_the_key_and_idle_ones_do_not() {
        let w = Duration::from_secs(10);
        let now = 100_000;
        let all = [
            // Sent in the last window.
            process(40, 1_000),
            // Started 2 s ago, nothing sent yet.
            process(0, 98_000),
            // Its heartbeat came before its HTTP core was attached: just starting.
            process(0, 0),
            // A `webhook serve` idle for longer than a window.
            process(0, 50_000),
        ];
        assert_eq!(spending(&all, now, w), 3);
        assert_eq!(spending(&all[3..], now, w), 0);
    }
}
