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
//! The keys share the hash tag `{<instance hash>}`, so on Redis Cluster they live in one slot
//! and the script can touch them all. The instance hash is the key's fingerprint, never the key.
//!
//! When Redis is lost mid-run, the process retries briefly, then paces locally at the budget
//! divided by the processes it last saw, after first waiting out a whole window: whatever the
//! others sent in the last window is unknown, so none of it is assumed free.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::budget::{Budget, Rate};
use crate::pacer::Pacer;
use crate::redis_store::{Redis, RedisDown};
use crate::ui::Ui;

/// Admit a request, or say how long to wait (ms); with the number of processes registered, so
/// each process always knows its share should Redis be lost. KEYS: inflight, done, blocked,
/// procs. ARGV: limit, window_ms, lease_ms, slot id.
const ACQUIRE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local procs = redis.call('HLEN', KEYS[4])
local blocked = redis.call('PTTL', KEYS[3])
if blocked > 0 then return {0, blocked, procs} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local flying = redis.call('ZCARD', KEYS[1])
local done = redis.call('ZCARD', KEYS[2])
if flying + done < limit then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + window)
  return {1, 0, procs}
end
-- Full. A request in flight frees its slot no sooner than a window from now; a finished one
-- frees it exactly at its score.
local wait = window
if flying == 0 then wait = window * 2 end
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
  local w = tonumber(first[2]) - now
  if w < wait then wait = w end
end
if wait < 1 then wait = 1 end
return {0, wait, procs}
"#;

/// The response to a request arrived: it counts until a window from now. KEYS: inflight, done.
/// ARGV: window_ms, slot id.
const COMPLETE: &str = r#"
local t = redis.call('TIME')
-- Rounded up, plus a millisecond: the request must count until at least a full window after
-- the real response time, never a fraction of a millisecond less.
local now = tonumber(t[1]) * 1000 + math.ceil(tonumber(t[2]) / 1000) + 1
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]) * 2)
return 1
"#;

/// Block everyone for at least `ms` (never shortens a longer block). KEYS: blocked. ARGV: ms.
const BLOCK: &str = r#"
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 1
"#;

/// A process's heartbeat is stale after this; `status` ignores stale ones.
const HEARTBEAT_TTL: Duration = Duration::from_secs(5);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// Redis errors in a row before a process gives up on the store and paces locally.
const TRIES_BEFORE_FALLBACK: u32 = 3;

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
    lease: Duration,
    me: ProcessInfo,
    sent: Mutex<VecDeque<Instant>>,
    /// Processes seen in the last heartbeat (including this one): the divisor on fallback.
    last_seen_processes: Mutex<usize>,
    fallback: OnceLock<Arc<Pacer>>,
    failures: Mutex<u32>,
    ui: Arc<Ui>,
}

struct Keys {
    inflight: String,
    done: String,
    blocked: String,
    procs: String,
}

impl Keys {
    fn new(fingerprint: &str) -> Self {
        let p = format!("clerk-rl:{{{fingerprint}}}:");
        Keys {
            inflight: format!("{p}inflight"),
            done: format!("{p}done"),
            blocked: format!("{p}blocked"),
            procs: format!("{p}procs"),
        }
    }
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
    Shared(String),
    /// Redis was lost: the slot is held by the local fallback pacer.
    Local(crate::pacer::Permit),
}

impl SharedBudget {
    /// Join the shared budget of the instance `fingerprint`. `timeout` bounds one request: an
    /// in-flight slot is leased for that plus a window.
    pub async fn join(
        redis: Redis,
        fingerprint: &str,
        budget: &Budget,
        timeout: Duration,
        command: &str,
        ui: Arc<Ui>,
    ) -> Arc<Self> {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        let me = ProcessInfo {
            id: format!("{:016x}", rand::random::<u64>()),
            pid: std::process::id(),
            host,
            command: command.to_string(),
            sent_last_window: 0,
            last_seen_ms: unix_ms(),
        };
        let sb = Arc::new(SharedBudget {
            redis,
            keys: Keys::new(fingerprint),
            rate: budget.rate,
            lease: timeout + budget.rate.window,
            me,
            sent: Mutex::new(VecDeque::new()),
            last_seen_processes: Mutex::new(1),
            fallback: OnceLock::new(),
            failures: Mutex::new(0),
            ui,
        });
        let _ = sb.heartbeat().await;
        let weak = Arc::downgrade(&sb);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let Some(sb) = weak.upgrade() else { return };
                if sb.fallback.get().is_some() {
                    return;
                }
                let _ = sb.heartbeat().await;
            }
        });
        sb
    }

    /// Wait for a slot in the shared budget (or the local fallback's).
    pub async fn acquire(self: &Arc<Self>) -> (Slot, Duration) {
        let started = Instant::now();
        loop {
            if let Some(local) = self.fallback.get() {
                let (permit, _) = local.acquire().await;
                self.note_sent();
                return (Slot::Local(permit), started.elapsed());
            }
            let id = format!("{}:{:016x}", self.me.id, rand::random::<u64>());
            let r: Result<(i64, i64, i64), RedisDown> = self
                .redis
                .eval(
                    ACQUIRE,
                    &[
                        &self.keys.inflight,
                        &self.keys.done,
                        &self.keys.blocked,
                        &self.keys.procs,
                    ],
                    &[
                        self.rate.limit.to_string(),
                        ms(self.rate.window).to_string(),
                        ms(self.lease).to_string(),
                        id.clone(),
                    ],
                )
                .await;
            if let Ok((_, _, procs)) = r {
                // Registered processes, stale ones included until pruned: on fallback that
                // errs toward a smaller share, which is the safe side.
                *self.last_seen_processes.lock().expect("lock") = procs.max(1) as usize;
                *self.failures.lock().expect("lock") = 0;
            }
            match r {
                Ok((1, _, _)) => {
                    self.note_sent();
                    return (Slot::Shared(id), started.elapsed());
                }
                Ok((_, wait_ms, _)) => {
                    let wait = Duration::from_millis(wait_ms.max(1) as u64);
                    tokio::time::sleep(wait.min(self.rate.window)).await;
                }
                Err(e) => self.failed(&e).await,
            }
        }
    }

    /// The response to the request holding `slot` arrived.
    pub async fn complete(&self, slot: Slot) {
        match slot {
            Slot::Local(p) => p.complete(),
            Slot::Shared(id) => {
                let r: Result<i64, RedisDown> = self
                    .redis
                    .eval(
                        COMPLETE,
                        &[&self.keys.inflight, &self.keys.done],
                        &[ms(self.rate.window).to_string(), id],
                    )
                    .await;
                // Lost: the slot's lease expires on its own, later than the truth: still safe.
                if let Err(e) = r {
                    self.ui
                        .info(&format!("could not release a shared slot: {e}"));
                }
            }
        }
    }

    /// A 429: every process holds off for `wait`.
    pub async fn block_for(&self, wait: Duration) {
        if let Some(local) = self.fallback.get() {
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

    /// Leave the budget: drop this process's heartbeat.
    pub async fn leave(&self) {
        let _ = self.redis.hdel(&self.keys.procs, &self.me.id).await;
    }

    /// The processes sharing this budget now (fresh heartbeats only).
    pub async fn processes(&self) -> Result<Vec<ProcessInfo>, RedisDown> {
        let all = self.redis.hgetall(&self.keys.procs).await?;
        let now = unix_ms();
        let mut out: Vec<ProcessInfo> = all
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<ProcessInfo>(&v).ok())
            .filter(|p| now.saturating_sub(p.last_seen_ms) <= ms(HEARTBEAT_TTL))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    pub fn shown(&self) -> &str {
        self.redis.shown()
    }

    /// True once Redis was lost and this process paces on its own.
    pub fn is_local(&self) -> bool {
        self.fallback.get().is_some()
    }

    fn note_sent(&self) {
        let now = Instant::now();
        let mut sent = self.sent.lock().expect("lock");
        sent.push_back(now);
        while sent.front().is_some_and(|&t| t + self.rate.window <= now) {
            sent.pop_front();
        }
    }

    async fn heartbeat(&self) -> Result<(), RedisDown> {
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
        let value = serde_json::to_vec(&me).unwrap_or_default();
        self.redis
            .hset_with_ttl(&self.keys.procs, &me.id, &value, HEARTBEAT_TTL * 4)
            .await?;
        // Drop the heartbeats of processes that died without leaving.
        let all = self.redis.hgetall(&self.keys.procs).await?;
        let now = unix_ms();
        for (field, v) in all {
            let stale = serde_json::from_slice::<ProcessInfo>(&v).map_or(true, |p| {
                now.saturating_sub(p.last_seen_ms) > ms(HEARTBEAT_TTL)
            });
            if stale {
                let _ = self.redis.hdel(&self.keys.procs, &field).await;
            }
        }
        Ok(())
    }

    /// A Redis error: retry briefly; past that, pace locally on a share of the budget.
    async fn failed(&self, e: &RedisDown) {
        let n = {
            let mut f = self.failures.lock().expect("lock");
            *f += 1;
            *f
        };
        if n < TRIES_BEFORE_FALLBACK {
            tokio::time::sleep(Duration::from_millis(100 * n as u64)).await;
            return;
        }
        let k = (*self.last_seen_processes.lock().expect("lock")).max(1) as u32;
        let share = Rate::new((self.rate.limit / k).max(1), self.rate.window);
        let budget = Budget::new(crate::budget::Plan::Free, Some(share), None);
        let local = Pacer::new(&budget);
        // The others' requests of the last window are unknown: wait the window out first.
        local.pause_until(Instant::now() + self.rate.window);
        if self.fallback.set(local).is_ok() {
            self.ui.warn(&format!(
                "{e}; pacing locally at {share} (the budget shared by the {k} process(es) last seen), after waiting out one window"
            ));
        }
    }
}
