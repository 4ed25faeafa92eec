//! A budget shared by the processes of one machine through a small state file: every command
//! that sends (status, export-users, batch-get, api; not probe, which measures) records its
//! requests there, so `status` then `export-users`, Ctrl-C then `--resume`, or a loop of
//! `xargs -n1 clerk-rl api …` each know what the others sent. The endpoint budgets without
//! `--budget-store` live in such files too.
//!
//! The contract is the pacer's (never more than N requests in any window W as the server stamps
//! them): a request counts while in flight (leased, in case its process dies) and until W after
//! its response arrived. The state is one JSON file per budget, read and rewritten under an
//! exclusive advisory lock on a sibling `.lock` file (released by the OS when a process dies, so
//! a crash never leaves it held); the JSON is replaced by rename, so a reader never sees half.
//!
//! No polling: when the window is full, the caller is handed the slot that frees first, entered
//! at once so no other process can take it, and sleeps exactly until it frees (as the Redis
//! script does). A request costs two locked reads and writes of the file (take, release).
//!
//! The clock is the machine's time since boot (`CLOCK_BOOTTIME`), never the wall clock: a step
//! of the wall clock (NTP, a user) neither frees slots early nor stalls anyone. The boot's id
//! (`/proc/sys/kernel/random/boot_id`) is in the file; stamps from another boot, or a file that
//! cannot be read as a state (garbage, truncated, an older format), mean nothing is known of the
//! last window, so it counts as full for W.
//!
//! The folder: `CLERK_RL_STATE_DIR`, else `$XDG_STATE_HOME/clerk-rl`, else
//! `~/.local/state/clerk-rl`. File names are hashes of the key's fingerprint and the budget's
//! scope: no key, no user id.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pacing::budget::Rate;

pub const ENV_STATE_DIR: &str = "CLERK_RL_STATE_DIR";

/// Where the state files live (not created here).
pub fn state_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env(ENV_STATE_DIR)
        .or_else(|| env("XDG_STATE_HOME").map(|d| d.join("clerk-rl")))
        .or_else(|| env("HOME").map(|h| h.join(".local/state/clerk-rl")))
}

/// What to do when the state folder cannot be used. Setting `CLERK_RL_STATE_DIR` is the hint
/// only when it is not set already: then the folder it names is the one to fix.
pub fn state_dir_hint() -> String {
    if std::env::var_os(ENV_STATE_DIR).is_some_and(|v| !v.is_empty()) {
        format!(
            "make the folder {ENV_STATE_DIR} names writable, point it at another, or use --budget-store"
        )
    } else {
        format!("set {ENV_STATE_DIR} or use --budget-store")
    }
}

/// The clock the state file is dated by: one every process of the machine reads alike, that no
/// step of the wall clock moves. Injected, so a step or a reboot is rehearsed exactly in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The boot the stamps count from.
    fn boot_id(&self) -> String;
    /// Milliseconds since that boot.
    fn now_ms(&self) -> u64;
}

/// `CLOCK_BOOTTIME` (counts through suspend, as the server's clock does) and the kernel's boot
/// id.
#[derive(Debug)]
pub struct BootClock {
    boot: String,
}

impl BootClock {
    pub fn new() -> Self {
        let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            // No boot id: this process's own, so a stranger's stamps are never trusted.
            .unwrap_or_else(|| format!("unknown-{:016x}", rand::random::<u64>()));
        BootClock { boot }
    }
}

impl Default for BootClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for BootClock {
    fn boot_id(&self) -> String {
        self.boot.clone()
    }

    #[cfg(target_os = "linux")]
    fn now_ms(&self) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec, which `ts` is.
        let r = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
        assert_eq!(r, 0, "CLOCK_BOOTTIME is always there on Linux");
        ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
    }

    #[cfg(not(target_os = "linux"))]
    fn now_ms(&self) -> u64 {
        // No boot clock: this process's monotonic clock, under this process's own boot id
        // (see `new`), so no other process trusts these stamps.
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
    }
}

/// The requests that count: in flight (id, lease expiry) and done (when each stops counting),
/// in milliseconds since `boot`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The boot the stamps count from; a state of another boot says nothing about now.
    #[serde(default)]
    pub boot: String,
    pub inflight: Vec<(String, u64)>,
    pub done: Vec<u64>,
    /// A 429 seen by any process holds every process until then.
    #[serde(default)]
    pub blocked_until: u64,
    /// Nothing is known of the requests before this (the file was unreadable, or of another
    /// boot): the window counts as full until then.
    #[serde(default)]
    pub unknown_until: u64,
    /// A process shares this key's budget through Redis (`--budget-store`) until then: the
    /// processes counting here do not see its requests, nor it theirs (see
    /// [`LocalBudget::note_redis_user`]).
    #[serde(default)]
    pub redis_until: u64,
    /// That Redis, without credentials.
    #[serde(default)]
    pub redis_shown: String,
}

/// What taking a slot came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The slot is ours: send after this many ms (0: now); it frees that late.
    At(u64),
    /// No slot: ask again after this many ms.
    Retry(u64),
}

impl State {
    /// The state to use when the file says nothing trustworthy: the window full until W from
    /// now (`rate`'s W).
    pub fn unknown(boot: &str, now: u64, window: Duration) -> Self {
        State {
            boot: boot.to_string(),
            unknown_until: now + ms(window) + 1,
            ..State::default()
        }
    }

    /// The state a file's bytes hold, as seen at `now` of boot `boot`: missing is empty (no
    /// process ever wrote it); garbage, truncated, an older format or another boot's stamps are
    /// a full window.
    pub fn read(bytes: Option<&[u8]>, boot: &str, now: u64, window: Duration) -> Self {
        let Some(bytes) = bytes else {
            return State {
                boot: boot.to_string(),
                ..State::default()
            };
        };
        match serde_json::from_slice::<State>(bytes) {
            Ok(s) if s.boot == boot => s,
            _ => State::unknown(boot, now, window),
        }
    }

    /// Forget leases run out and responses no count can ask about any more: a response is
    /// kept a window past when it stops counting, for [`complete`](Self::complete)'s count of
    /// what the server's window may hold, which reaches back from a request's send.
    fn prune(&mut self, now: u64, window_ms: u64) {
        self.inflight.retain(|(_, until)| *until > now);
        self.done.retain(|until| until + window_ms > now);
    }

    /// Take a slot for request `id` at `now`: at once when fewer than N count, else the slot
    /// that frees first (removed from `done`, so no one else takes it), else (every slot is a
    /// request in flight) ask again later.
    pub fn admit(&mut self, rate: Rate, lease_ms: u64, id: &str, now: u64) -> Admit {
        self.prune(now, ms(rate.window));
        let hold = self.blocked_until.max(self.unknown_until);
        if hold > now {
            return Admit::Retry(hold - now);
        }
        self.done.sort_unstable();
        // Responses that still count start here.
        let from = self.done.partition_point(|&until| until <= now);
        let live = &self.done[from..];
        // A slot reserved for later took the response that frees first, which still counts
        // until the reservation starts: the first `reserved` responses are taken, and counted
        // once, as responses.
        let reserved = self
            .inflight
            .iter()
            .filter(|(_, until)| until.saturating_sub(lease_ms) > now)
            .count()
            .min(live.len());
        let counted = live.len() + self.inflight.len() - reserved;
        let limit = rate.limit.max(1) as usize;
        if counted < limit {
            self.inflight.push((id.to_string(), now + lease_ms));
            return Admit::At(0);
        }
        // Full: the slot that frees first and is not taken, reserved from the instant it frees.
        let over = counted - limit + 1;
        let Some(&at) = live.get(reserved + over - 1) else {
            // Every other slot is a request in flight: none frees sooner than a window from now.
            return Admit::Retry(ms(rate.window));
        };
        if over > 1 {
            // Another process's limit is higher than ours: wait for enough to free.
            return Admit::Retry(at - now);
        }
        self.inflight.push((id.to_string(), at + lease_ms));
        Admit::At(at - now)
    }

    /// The slot `id` is still wanted: its lease runs `lease_ms` from `now` (never shortened).
    /// False when it is gone (expired, or taken from a file that was lost).
    pub fn renew(&mut self, id: &str, lease_ms: u64, now: u64) -> bool {
        match self.inflight.iter_mut().find(|(i, _)| i == id) {
            Some((_, until)) => {
                *until = (*until).max(now + lease_ms);
                true
            }
            None => false,
        }
    }

    /// Give back slot `id` unused (its request was never sent).
    pub fn abandon(&mut self, id: &str) {
        self.inflight.retain(|(i, _)| i != id);
    }

    /// The response to `id` arrived at `now`: it counts until a window later (plus a millisecond,
    /// so never a fraction less than a full window).
    /// Returns how many requests (every process's) the server can be counting as of this
    /// response, as the pacer counts them: this one, the others sent and not answered (a slot
    /// reserved for later is not sent), and every response after this one's send minus W (the
    /// server stamped this one no earlier than its send). What the core weighs a Remaining
    /// header against.
    pub fn complete(&mut self, rate: Rate, lease_ms: u64, id: &str, now: u64) -> u32 {
        let window = ms(rate.window);
        let sent = self
            .inflight
            .iter()
            .find(|(i, _)| i == id)
            .map_or(now, |(_, until)| until.saturating_sub(lease_ms));
        self.inflight.retain(|(i, _)| i != id);
        let flying = self
            .inflight
            .iter()
            .filter(|(_, until)| until.saturating_sub(lease_ms) <= now)
            .count();
        // A response stops counting W + 1 after it arrived: after `sent - W` means past `sent + 1`.
        let earlier = self.done.iter().filter(|&&until| until > sent + 1).count();
        self.done.push(now + window + 1);
        self.prune(now, window);
        (1 + flying + earlier) as u32
    }

    /// Hold everyone until `until` (never shortens a longer hold).
    pub fn block_until(&mut self, until: u64) {
        self.blocked_until = self.blocked_until.max(until);
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().clamp(1, u64::MAX as u128) as u64
}

/// The time spent reading and writing the state file under its lock, for `-vv` and the
/// benchmarks: the file must never be what limits the rate.
#[derive(Debug, Default)]
pub struct FileCost {
    ops: AtomicU64,
    micros: AtomicU64,
}

impl FileCost {
    /// (operations, mean µs per operation).
    pub fn get(&self) -> (u64, u64) {
        let n = self.ops.load(Relaxed);
        (n, self.micros.load(Relaxed).checked_div(n).unwrap_or(0))
    }
}

/// One budget in a state file.
#[derive(Debug, Clone)]
pub struct LocalBudget {
    data: PathBuf,
    lock: PathBuf,
    rate: Rate,
    /// The limit this process holds to: the budget's, lowered by a server's Limit header.
    limit: Arc<AtomicU32>,
    lease_ms: u64,
    clock: Arc<dyn Clock>,
    cost: Arc<FileCost>,
    /// Told once that a process on the key shares its budget through Redis instead.
    ui: Option<Arc<crate::ui::Ui>>,
    warned: Arc<AtomicBool>,
}

/// A slot held in a state file: its id, and when it may be used (ms after it was taken).
#[derive(Debug, Clone)]
pub struct FileSlot {
    pub id: String,
    pub wait: Duration,
}

impl LocalBudget {
    /// The budget `scope` of the instance `fingerprint` in `dir` (created, private to the user,
    /// if missing). `timeout` bounds one request: a slot in flight is leased for that plus W.
    pub fn open(
        dir: &Path,
        fingerprint: &str,
        scope: &str,
        rate: Rate,
        timeout: Duration,
    ) -> io::Result<Self> {
        Self::open_with_clock(
            dir,
            fingerprint,
            scope,
            rate,
            timeout,
            Arc::new(BootClock::new()),
        )
    }

    /// [`open`](Self::open) dated by `clock`.
    pub fn open_with_clock(
        dir: &Path,
        fingerprint: &str,
        scope: &str,
        rate: Rate,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Self> {
        create_private_dir(dir)?;
        // The rate stays out of the name: processes with different budgets still share the
        // count, each holding to its own limit.
        let h = Sha256::digest(format!("{fingerprint}\n{scope}").as_bytes());
        let stem = format!("budget-{}", &hex::encode(h)[..32]);
        Ok(LocalBudget {
            data: dir.join(format!("{stem}.json")),
            lock: dir.join(format!("{stem}.lock")),
            rate,
            limit: Arc::new(AtomicU32::new(rate.limit)),
            lease_ms: ms(timeout + rate.window),
            clock,
            cost: Arc::new(FileCost::default()),
            ui: None,
            warned: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Warn through `ui` (once) when a process on the key shares its budget through Redis.
    pub fn warn_through(mut self, ui: Arc<crate::ui::Ui>) -> Self {
        self.ui = Some(ui);
        self
    }

    /// A process sharing this key's budget through Redis at `shown` says so for `ttl` from
    /// now, for the processes counting in this file to warn about. Returns true when requests
    /// of those processes count now (in flight or within W of their response): the two kinds
    /// do not see each other's requests.
    pub fn note_redis_user(&self, shown: &str, ttl: Duration) -> io::Result<bool> {
        self.with_state(|s, now| {
            s.redis_until = s.redis_until.max(now + ms(ttl));
            s.redis_shown = shown.to_string();
            s.inflight.iter().any(|(_, until)| *until > now) || s.done.iter().any(|u| *u > now)
        })
    }

    fn warn_about_redis(&self, shown: &str) {
        if let Some(ui) = &self.ui
            && !self.warned.swap(true, Relaxed)
        {
            ui.warn(&format!(
                "another clerk-rl process shares this key's budget through Redis at {shown} (--budget-store) while this one counts in the state file: neither sees the other's requests, so together they can exceed the budget; give every process on the key the same --budget-store"
            ));
        }
    }

    /// The server's Limit is below the budget: this process holds to it from now on.
    pub fn lower_limit(&self, limit: u32) {
        self.limit.fetch_min(limit.max(1), Relaxed);
    }

    /// The rate this process holds to now.
    fn rate_now(&self) -> Rate {
        Rate::new(self.limit.load(Relaxed), self.rate.window)
    }

    /// How much the file cost so far.
    pub fn cost(&self) -> &FileCost {
        &self.cost
    }

    /// Read, change and write the state under the lock (blocking; short).
    fn with_state<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> io::Result<T> {
        let started = Instant::now();
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)?;
        lock.lock()?;
        // Read the clock under the lock: stamps in the file then only ever grow.
        let now = self.clock.now_ms();
        let bytes = match fs::read(&self.data) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            // Unreadable is unknown, not empty.
            Err(_) => Some(Vec::new()),
        };
        let mut state = State::read(
            bytes.as_deref(),
            &self.clock.boot_id(),
            now,
            self.rate.window,
        );
        let out = f(&mut state, now);
        let tmp = self
            .data
            .with_extension(format!("json.{}", std::process::id()));
        let mut file = File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(&state).map_err(io::Error::other)?)?;
        drop(file);
        fs::rename(&tmp, &self.data)?;
        drop(lock);
        self.cost.ops.fetch_add(1, Relaxed);
        self.cost
            .micros
            .fetch_add(started.elapsed().as_micros() as u64, Relaxed);
        Ok(out)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalBudget) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(io::Error::other)?
    }

    /// Take a slot, waiting while none can be had. The slot may be one that frees later: the
    /// caller sleeps `wait` before sending (see [`take`](Self::take)).
    pub async fn acquire(&self) -> io::Result<(String, Duration)> {
        let started = tokio::time::Instant::now();
        let slot = self.take().await?;
        tokio::time::sleep(slot.wait).await;
        Ok((slot.id, started.elapsed()))
    }

    /// Take a slot: returned at once, with how long to sleep before it may be used. Waits
    /// (asking again) only while every slot is held by a request in flight or a block is on.
    pub async fn take(&self) -> io::Result<FileSlot> {
        let id = format!("{}:{:016x}", std::process::id(), rand::random::<u64>());
        loop {
            let slot = id.clone();
            let r = self
                .blocking(move |me| {
                    me.with_state(|s, now| {
                        let redis = (s.redis_until > now).then(|| s.redis_shown.clone());
                        (s.admit(me.rate_now(), me.lease_ms, &slot, now), redis)
                    })
                })
                .await?;
            let (r, redis) = r;
            if let Some(shown) = redis {
                self.warn_about_redis(&crate::ui::clean(&shown));
            }
            match r {
                Admit::At(wait) => {
                    return Ok(FileSlot {
                        id,
                        wait: Duration::from_millis(wait),
                    });
                }
                Admit::Retry(wait_ms) => {
                    tokio::time::sleep(Duration::from_millis(wait_ms).min(self.rate.window)).await
                }
            }
        }
    }

    /// Keep slot `id` for a request not sent yet: its lease runs a full term from now. False
    /// when the slot is gone.
    pub async fn renew(&self, id: String) -> io::Result<bool> {
        self.blocking(move |me| me.with_state(|s, now| s.renew(&id, me.lease_ms, now)))
            .await
    }

    /// Give back slot `id` unused.
    pub async fn abandon(&self, id: String) -> io::Result<()> {
        self.blocking(move |me| me.with_state(|s, _| s.abandon(&id)))
            .await
    }

    /// The response to the request holding slot `id` arrived. Returns the requests counted now,
    /// every process's.
    pub async fn complete(&self, id: String) -> io::Result<u32> {
        self.blocking(move |me| me.with_state(|s, now| s.complete(me.rate, me.lease_ms, &id, now)))
            .await
    }

    /// How long a 429 recorded by any process sharing this file still holds everyone. A read
    /// only, without the lock: the file is only ever replaced whole.
    pub async fn blocked_for(&self) -> io::Result<Duration> {
        self.blocking(|me| {
            let now = me.clock.now_ms();
            let until = fs::read(&me.data)
                .ok()
                .and_then(|b| serde_json::from_slice::<State>(&b).ok())
                .filter(|s| s.boot == me.clock.boot_id())
                .map_or(0, |s| s.blocked_until);
            Ok(Duration::from_millis(until.saturating_sub(now)))
        })
        .await
    }

    /// The server asked for a wait: every process sharing this file holds off for `wait`.
    pub async fn block_for(&self, wait: Duration) -> io::Result<()> {
        self.blocking(move |me| me.with_state(|s, now| s.block_until(now + ms(wait))))
            .await
    }

    /// How long a slot's lease runs (`--timeout` + W).
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn rate(n: u32, w_ms: u64) -> Rate {
        Rate::new(n, Duration::from_millis(w_ms))
    }

    /// A machine whose wall clock can be stepped and which can reboot: the state file reads only
    /// its time since boot and its boot id, as [`BootClock`] reads the kernel's.
    #[derive(Debug)]
    struct Machine {
        boot: Mutex<String>,
        since_boot: AtomicU64,
        wall: Mutex<i64>,
    }

    impl Machine {
        fn new() -> Arc<Self> {
            Arc::new(Machine {
                boot: Mutex::new("boot-1".into()),
                since_boot: AtomicU64::new(1_000_000),
                wall: Mutex::new(1_760_000_000_000),
            })
        }
        fn advance(&self, ms: u64) {
            self.since_boot.fetch_add(ms, Relaxed);
            *self.wall.lock().unwrap() += ms as i64;
        }
        /// NTP or a user sets the wall clock: time since boot does not move.
        fn step_wall(&self, ms: i64) {
            *self.wall.lock().unwrap() += ms;
        }
        fn reboot(&self) {
            *self.boot.lock().unwrap() = "boot-2".into();
            self.since_boot.store(20_000, Relaxed);
        }
    }

    impl Clock for Machine {
        fn boot_id(&self) -> String {
            self.boot.lock().unwrap().clone()
        }
        fn now_ms(&self) -> u64 {
            self.since_boot.load(Relaxed)
        }
    }

    #[test]
    fn admits_n_then_hands_out_the_slot_that_frees_first() {
        let r = rate(2, 1000);
        let mut s = State::default();
        assert_eq!(s.admit(r, 5000, "a", 0), Admit::At(0));
        assert_eq!(s.admit(r, 5000, "b", 10), Admit::At(0));
        // Both in flight: a slot frees no sooner than a window from now; ask again then.
        assert_eq!(s.admit(r, 5000, "c", 20), Admit::Retry(1000));
        assert_eq!(s.complete(r, 5000, "a", 100), 2);
        // a counts until 100 + 1000 + 1: c gets that slot, reserved, and d cannot take it.
        assert_eq!(s.admit(r, 5000, "c", 200), Admit::At(901));
        assert_eq!(s.admit(r, 5000, "d", 300), Admit::Retry(1000));
        // b counts itself and a (answered after b's send); c's slot, reserved, is not sent yet.
        assert_eq!(s.complete(r, 5000, "b", 400), 2);
        assert_eq!(s.admit(r, 5000, "d", 500), Admit::At(901));
    }

    #[test]
    fn a_block_holds_every_request_until_it_ends() {
        let r = rate(5, 1000);
        let mut s = State::default();
        s.block_until(500);
        s.block_until(200);
        assert_eq!(s.admit(r, 3000, "a", 100), Admit::Retry(400));
        assert_eq!(s.admit(r, 3000, "a", 500), Admit::At(0));
    }

    #[test]
    fn a_dead_process_lease_expires() {
        let r = rate(1, 1000);
        let mut s = State::default();
        assert_eq!(s.admit(r, 3000, "dead", 0), Admit::At(0));
        assert!(matches!(s.admit(r, 3000, "x", 2999), Admit::Retry(_)));
        assert_eq!(s.admit(r, 3000, "x", 3000), Admit::At(0));
    }

    #[test]
    fn a_renewed_lease_outlives_its_first_term() {
        let r = rate(1, 1000);
        let mut s = State::default();
        assert_eq!(s.admit(r, 3000, "waiting", 0), Admit::At(0));
        assert!(s.renew("waiting", 3000, 2500));
        // Without the renewal the slot would be free at 3000.
        assert!(matches!(s.admit(r, 3000, "x", 5000), Admit::Retry(_)));
        assert_eq!(s.admit(r, 3000, "x", 5500), Admit::At(0));
        assert!(!s.renew("waiting", 3000, 5500), "an expired slot is gone");
        s.abandon("x");
        assert_eq!(s.admit(r, 3000, "y", 5501), Admit::At(0));
    }

    fn handles(dir: &Path, clock: &Arc<Machine>, r: Rate) -> (LocalBudget, LocalBudget) {
        let open = || {
            LocalBudget::open_with_clock(
                dir,
                "fp",
                "user-update:u1",
                r,
                Duration::from_secs(30),
                clock.clone(),
            )
            .unwrap()
        };
        (open(), open())
    }

    fn take(lb: &LocalBudget, id: &str) -> Admit {
        lb.with_state(|s, now| s.admit(lb.rate, lb.lease_ms, id, now))
            .unwrap()
    }

    fn send_and_answer(lb: &LocalBudget, clock: &Machine, n: usize) {
        for i in 0..n {
            let id = format!("p{i}");
            assert_eq!(take(lb, &id), Admit::At(0), "request {i}");
            clock.advance(5);
            lb.with_state(|s, now| s.complete(lb.rate, lb.lease_ms, &id, now))
                .unwrap();
        }
    }

    /// Issue 23 row 9: a process sharing through Redis is seen by the file's users for as long
    /// as it renews its note, and it learns whether they have requests counting.
    #[test]
    fn a_redis_user_note_is_seen_while_renewed_and_sees_the_file_users() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (file_user, redis_user) = handles(dir.path(), &clock, rate(5, 1000));
        assert!(
            !redis_user
                .note_redis_user("redis://r:6379/0", Duration::from_secs(5))
                .unwrap(),
            "nobody counts in the file yet"
        );
        let seen = |lb: &LocalBudget| {
            lb.with_state(|s, now| (s.redis_until > now).then(|| s.redis_shown.clone()))
                .unwrap()
        };
        assert_eq!(seen(&file_user).as_deref(), Some("redis://r:6379/0"));
        send_and_answer(&file_user, &clock, 2);
        assert!(
            redis_user
                .note_redis_user("redis://r:6379/0", Duration::from_secs(5))
                .unwrap()
        );
        clock.advance(5_001);
        assert_eq!(seen(&file_user), None, "a note not renewed lapses");
        assert!(
            !redis_user
                .note_redis_user("redis://r:6379/0", Duration::from_secs(5))
                .unwrap(),
            "the file users' requests aged out"
        );
    }

    /// Issue 23 row 10: dated by the wall clock, a step of +30 s aged every response out at once
    /// and a 6th PATCH went into a budget of 5 per window (a 429).
    #[test]
    fn a_wall_clock_step_forward_no_longer_lets_a_6th_patch_into_a_budget_of_5() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (a, b) = handles(dir.path(), &clock, rate(5, 10_000));
        send_and_answer(&a, &clock, 5);
        clock.step_wall(30_000);
        clock.advance(10);
        // The 6th is handed the first slot to free: a window after the first response.
        assert_eq!(take(&b, "sixth"), Admit::At(10_000 + 1 - 30));
    }

    /// Issue 23 row 10: a step of -10 min kept every response counted 10 minutes longer.
    #[test]
    fn a_wall_clock_step_back_no_longer_stalls_every_process_for_10_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (a, b) = handles(dir.path(), &clock, rate(5, 10_000));
        send_and_answer(&a, &clock, 5);
        clock.step_wall(-600_000);
        clock.advance(10_001);
        assert_eq!(take(&b, "next"), Admit::At(0));
    }

    /// Stamps of another boot say nothing about now: the window is full for W.
    #[test]
    fn a_reboot_counts_as_a_full_window() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (a, b) = handles(dir.path(), &clock, rate(5, 10_000));
        send_and_answer(&a, &clock, 1);
        clock.reboot();
        assert_eq!(take(&b, "x"), Admit::Retry(10_001));
        clock.advance(10_000);
        assert_eq!(take(&b, "x"), Admit::Retry(1));
        clock.advance(1);
        assert_eq!(take(&b, "x"), Admit::At(0));
    }

    /// A file that cannot be read as a state used to be an empty one: a whole budget at once.
    #[test]
    fn a_garbage_or_truncated_state_file_is_a_full_window_not_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (a, _) = handles(dir.path(), &clock, rate(5, 10_000));
        send_and_answer(&a, &clock, 2);
        let whole = fs::read(&a.data).unwrap();
        let old_format = br#"{"inflight":[],"done":[1760000000000],"blocked_until":0}"#;
        for bad in [
            &whole[..whole.len() / 2],
            b"\x00\x01garbage".as_slice(),
            b"".as_slice(),
            old_format.as_slice(),
        ] {
            fs::write(&a.data, bad).unwrap();
            assert_eq!(take(&a, "x"), Admit::Retry(10_001), "{bad:?}");
        }
        // No file at all: no process ever wrote one.
        fs::remove_file(&a.data).unwrap();
        assert_eq!(take(&a, "y"), Admit::At(0));
    }

    #[test]
    fn the_boot_clock_reads_the_kernel_boot_id_and_never_goes_back() {
        let c = BootClock::new();
        let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
        assert_eq!(c.boot_id(), id.trim());
        let (t1, t2) = (c.now_ms(), c.now_ms());
        assert!(t1 > 0 && t2 >= t1);
    }

    /// Two handles on one file (as two processes have) share the count.
    #[tokio::test]
    async fn two_handles_share_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let r = rate(2, 60_000);
        let open = || LocalBudget::open(dir.path(), "fp", "scope", r, Duration::from_secs(1));
        let (a, b) = (open().unwrap(), open().unwrap());
        let (s1, _) = a.acquire().await.unwrap();
        b.complete(s1).await.unwrap();
        let (_s2, _) = b.acquire().await.unwrap();
        // The third is handed a slot about a minute away.
        let third = a.take().await.unwrap();
        assert!(third.wait > Duration::from_secs(59), "{third:?}");
        // Another scope is another budget.
        let other =
            LocalBudget::open(dir.path(), "fp", "other", r, Duration::from_secs(1)).unwrap();
        assert!(other.acquire().await.is_ok());
        assert!(a.cost().get().0 >= 2);
    }
}
