//! A budget shared by the processes of one machine through a small state file: every command
//! that sends (status, export-users, batch-get, api; not probe, which measures) records its
//! requests there, so `status` then `export-users`, Ctrl-C then `--resume`, or a loop of
//! `xargs -n1 clerk-rl api …` each know what the others sent. The endpoint budgets without
//! `--budget-store` live in such files too.
//!
//! The contract is the pacer's (never more than N requests in any window W as the server stamps
//! them): a request counts while in flight (leased, in case its process dies) and until W after
//! its response arrived. The state is one file per budget, read, changed and rewritten in place
//! under an exclusive advisory lock (`flock`) on the file itself, released by the OS when a
//! process dies, so a crash never leaves it held.
//!
//! No polling: when the window is full, the caller is handed the slot that frees first, entered
//! at once so no other process can take it, and sleeps exactly until it frees (as the Redis
//! script does). A request costs two locked reads and writes of the file (take, release).
//!
//! **Why this format (issue 22, the file's CPU cost).** The file was JSON, opened, parsed,
//! serialised to a temporary file and renamed into place (two opens, a create, a rename and a
//! directory update) on every take and every release: about 0.8 ms of CPU a request at 1000/10s,
//! where the window holds up to 2N stamps. Now each handle keeps the file open and each
//! operation is `flock`, a `stat` of the path (a file deleted or replaced under us is reopened,
//! so two processes never lock two different files), one `pread`, one `pwrite` of a compact
//! binary record and the unlock, done on the caller's thread when the lock is free at once (a
//! thread of the blocking pool only when another process holds it); the block every request
//! asks about first is read under the shared lock from the record's head alone. The record
//! ([`State::encode`]): an 8-byte magic with the format's version, the body's length, the body
//! (boot id, block, unknown-until, a Redis user's note, leases, responses as u64 stamps) and an
//! XXH3 checksum of all that (bytes after it, left by a longer record, are never read; the file is
//! cut back only once it is twice the record). Writing in place gives up rename's all-or-nothing, so the checksum
//! takes its role: a process killed inside its `pwrite`, a truncated or garbage file, or an
//! older format fails it and counts as a full window, as before. No `fsync`: the only loss it
//! guards against is the machine's, and after a reboot the boot id differs, which is a full
//! window anyway. A new file is written whole beside the path and linked into place, so an
//! empty file is never a legitimate state (it reads as a full window too); the first handle of
//! a budget whose file is missing migrates the older JSON file (`<stem>.json`) when there is
//! one, read as it always was (another boot's, or unreadable: a full window), never as empty.
//! (A binary of the format before, still running beside a new one, keeps its own JSON file: the
//! two do not share a count until it ends. Upgrade between runs.)
//! mmap was weighed and left out: a file another process truncates turns a read into SIGBUS,
//! and at 16 KB a `pread` costs microseconds. No crate keeps such a record under `flock` with
//! these semantics (leases, reserved slots, boot-dated stamps), so the format is written here:
//! about 80 lines with its bounds checks.
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
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, TryLockError};
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
    /// process ever wrote it); empty, garbage, truncated, torn by a crash, an older format or
    /// another boot's stamps are a full window.
    pub fn read(bytes: Option<&[u8]>, boot: &str, now: u64, window: Duration) -> Self {
        let Some(bytes) = bytes else {
            return State {
                boot: boot.to_string(),
                ..State::default()
            };
        };
        match State::decode(bytes) {
            Some(s) if s.boot == boot => s,
            _ => State::unknown(boot, now, window),
        }
    }

    /// The state the older JSON file (before the binary record) holds, read as it always was:
    /// missing is empty; unreadable or of another boot is a full window. Used once, to migrate.
    pub fn read_json(bytes: Option<&[u8]>, boot: &str, now: u64, window: Duration) -> Self {
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

    /// The record written to the file (see the module's doc): magic, body length, body, XXH3 of
    /// the bytes before it. `out` is cleared first (a buffer kept between operations).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&0u32.to_le_bytes());
        put_str(out, &self.boot);
        out.extend_from_slice(&self.blocked_until.to_le_bytes());
        out.extend_from_slice(&self.unknown_until.to_le_bytes());
        out.extend_from_slice(&self.redis_until.to_le_bytes());
        put_str(out, &self.redis_shown);
        out.extend_from_slice(&(self.inflight.len() as u32).to_le_bytes());
        for (id, until) in &self.inflight {
            put_str(out, id);
            out.extend_from_slice(&until.to_le_bytes());
        }
        out.extend_from_slice(&(self.done.len() as u32).to_le_bytes());
        for until in &self.done {
            out.extend_from_slice(&until.to_le_bytes());
        }
        let body = (out.len() - HEADER) as u32;
        out[MAGIC.len()..HEADER].copy_from_slice(&body.to_le_bytes());
        let sum = xxhash_rust::xxh3::xxh3_64(out);
        out.extend_from_slice(&sum.to_le_bytes());
    }

    /// The state a record holds; `None` when it is not one whole (wrong magic, short, checksum
    /// or bounds wrong). Bytes after the record (left by a longer one before) are ignored.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::body(bytes)?;
        let boot = r.str()?;
        let blocked_until = r.u64()?;
        let unknown_until = r.u64()?;
        let redis_until = r.u64()?;
        let redis_shown = r.str()?;
        let n = r.u32()? as usize;
        let mut inflight = Vec::with_capacity(n.min(r.0.len() / 10));
        for _ in 0..n {
            inflight.push((r.str()?, r.u64()?));
        }
        let n = r.u32()? as usize;
        if r.0.len() != n.checked_mul(8)? {
            return None;
        }
        let done =
            r.0.chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()));
        Some(State {
            boot,
            inflight,
            done: done.collect(),
            blocked_until,
            unknown_until,
            redis_until,
            redis_shown,
        })
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

/// The record's first bytes: what it is and the format's version.
const MAGIC: &[u8; 8] = b"clrlst\x00\x03";
/// The magic and the body's length.
const HEADER: usize = MAGIC.len() + 4;

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

/// Reads a record's body front to back; `None` past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The body of a whole record: `None` when the magic, the length or the checksum is wrong.
    fn body(bytes: &'a [u8]) -> Option<Self> {
        if bytes.get(..MAGIC.len())? != MAGIC {
            return None;
        }
        let body = u32::from_le_bytes(bytes.get(MAGIC.len()..HEADER)?.try_into().ok()?) as usize;
        let end = HEADER.checked_add(body)?;
        let sum = u64::from_le_bytes(bytes.get(end..end.checked_add(8)?)?.try_into().ok()?);
        if xxhash_rust::xxh3::xxh3_64(&bytes[..end]) != sum {
            return None;
        }
        Some(Reader(&bytes[HEADER..end]))
    }

    /// A whole record's block (`blocked_until`), when it is of boot `boot`: read without
    /// decoding the requests, on every request's way out.
    fn blocked_until(bytes: &[u8], boot: &str) -> Option<u64> {
        let mut r = Reader::body(bytes)?;
        if r.take(2)? != (boot.len() as u16).to_le_bytes() || r.take(boot.len())? != boot.as_bytes()
        {
            return None;
        }
        r.u64()
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = u16::from_le_bytes(self.take(2)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
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
    /// The JSON file of the format before, migrated when `data` is missing.
    old_json: PathBuf,
    rate: Rate,
    /// The limit this process holds to: the budget's, lowered by a server's Limit header.
    limit: Arc<AtomicU32>,
    lease_ms: u64,
    clock: Arc<dyn Clock>,
    cost: Arc<FileCost>,
    /// The file, kept open, and its buffers; the mutex orders this process's threads (an
    /// `flock` is held by an open file, which they share).
    file: Arc<Mutex<Handle>>,
    /// Told once that a process on the key shares its budget through Redis instead.
    ui: Option<Arc<crate::ui::Ui>>,
    warned: Arc<AtomicBool>,
}

/// The open state file and the buffers its reads and writes reuse.
#[derive(Debug)]
struct Handle {
    /// Opened (created if need be) by the first operation: opening a budget touches nothing.
    file: Option<File>,
    /// The open file's device and inode, read once (an open file's never change).
    ident: Option<(u64, u64)>,
    read: Vec<u8>,
    write: Vec<u8>,
}

/// This process holds the file's lock (exclusive, or shared for a read only).
struct Locked<'a> {
    h: MutexGuard<'a, Handle>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(f) = &self.h.file {
            let _ = f.unlock();
        }
    }
}

/// A slot held in a state file: its id, and when it may be used (ms after it was taken).
#[derive(Debug, Clone)]
pub struct FileSlot {
    pub id: String,
    pub wait: Duration,
}

/// How to take the lock.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Exclusive, waiting for it.
    Wait,
    /// Exclusive, or `None` when anyone (a thread of ours, another process) holds it now.
    Try,
    /// Shared, waiting for it: a read only.
    Shared,
    /// Shared, or `None` when a thread of ours or a writer holds it now.
    TryShared,
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
        let data = dir.join(format!("{stem}.state"));
        let old_json = dir.join(format!("{stem}.json"));
        Ok(LocalBudget {
            data,
            old_json,
            rate,
            limit: Arc::new(AtomicU32::new(rate.limit)),
            lease_ms: ms(timeout + rate.window),
            clock,
            cost: Arc::new(FileCost::default()),
            file: Arc::new(Mutex::new(Handle {
                file: None,
                ident: None,
                read: Vec::new(),
                write: Vec::new(),
            })),
            ui: None,
            warned: Arc::new(AtomicBool::new(false)),
        })
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

    /// Hold the file's lock, on the file the path names now (one deleted or replaced under us
    /// is reopened: two processes must never lock two different files).
    fn lock(&self, mode: Mode) -> io::Result<Option<Locked<'_>>> {
        let mut h = match mode {
            Mode::Try | Mode::TryShared => match self.file.try_lock() {
                Ok(h) => h,
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
            },
            _ => self.file.lock().unwrap_or_else(|p| p.into_inner()),
        };
        loop {
            if h.file.is_none() {
                let file = open_or_create(
                    &self.data,
                    &self.old_json,
                    self.clock.as_ref(),
                    self.rate.window,
                )?;
                h.ident = Some(ident_of(&file)?);
                h.file = Some(file);
            }
            let ident = h.ident;
            let file = h.file.as_ref().expect("opened above");
            match mode {
                Mode::Wait => file.lock()?,
                Mode::Shared => file.lock_shared()?,
                Mode::Try | Mode::TryShared => {
                    let got = if mode == Mode::Try {
                        file.try_lock()
                    } else {
                        file.try_lock_shared()
                    };
                    match got {
                        Ok(()) => {}
                        Err(fs::TryLockError::WouldBlock) => return Ok(None),
                        Err(fs::TryLockError::Error(e)) => return Err(e),
                    }
                }
            }
            let same = same_file(ident, &self.data);
            if let Ok(true) = same {
                return Ok(Some(Locked { h }));
            }
            let _ = file.unlock();
            // Deleted or replaced: open the one the path names now.
            h.file = None;
            same?;
        }
    }

    /// Read, change and write the state under the lock (short: no wait but for the lock).
    fn change<T>(
        &self,
        mut locked: Locked<'_>,
        f: impl FnOnce(&mut State, u64) -> T,
    ) -> io::Result<T> {
        // Read the clock under the lock: stamps in the file then only ever grow.
        let now = self.clock.now_ms();
        let Handle {
            file, read, write, ..
        } = &mut *locked.h;
        let file = file.as_ref().expect("a locked file is open");
        read_all(file, read)?;
        let mut state = State::read(Some(read), &self.clock.boot_id(), now, self.rate.window);
        let out = f(&mut state, now);
        state.encode(write);
        file.write_all_at(write, 0)?;
        // The record says its own length, so bytes a longer one left after it are never read
        // as state: the file is cut back only once it is over twice the record (and 4 KB), not
        // on every shrink (a truncate on most requests as the window's stamps expire, about a
        // fifth of the file's CPU).
        if read.len() > 2 * write.len().max(2048) {
            file.set_len(write.len() as u64)?;
        }
        Ok(out)
    }

    /// [`change`](Self::change) the state, on this thread when the lock is free now, else on
    /// one of the blocking pool's threads waiting for it.
    async fn with_state<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalBudget, &mut State, u64) -> T + Send + 'static,
    ) -> io::Result<T> {
        let started = Instant::now();
        // The lock's guard is not `Send`: it is gone before any await.
        let inline = match self.lock(Mode::Try)? {
            Some(locked) => Ok(self.change(locked, |s, now| f(self, s, now))),
            None => Err(f),
        };
        let out = match inline {
            Ok(out) => out,
            Err(f) => {
                let me = self.clone();
                tokio::task::spawn_blocking(move || {
                    let locked = me.lock(Mode::Wait)?.expect("a waiting lock is always had");
                    me.change(locked, |s, now| f(&me, s, now))
                })
                .await
                .map_err(io::Error::other)?
            }
        };
        self.count(started);
        out
    }

    /// The blocking form of [`with_state`](Self::with_state) (for a caller on a blocking thread,
    /// and the tests).
    fn with_state_now<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> io::Result<T> {
        let started = Instant::now();
        let locked = self
            .lock(Mode::Wait)?
            .expect("a waiting lock is always had");
        let out = self.change(locked, f);
        self.count(started);
        out
    }

    /// Warn through `ui` (once) when a process on the key shares its budget through Redis.
    pub fn warn_through(mut self, ui: Arc<crate::ui::Ui>) -> Self {
        self.ui = Some(ui);
        self
    }

    /// A process sharing this key's budget through Redis at `shown` says so for `ttl` from
    /// now, for the processes counting in this file to warn about. Returns true when requests
    /// of those processes count now (in flight or within W of their response): the two kinds
    /// do not see each other's requests. Blocking: call it off the async runtime.
    pub fn note_redis_user(&self, shown: &str, ttl: Duration) -> io::Result<bool> {
        self.with_state_now(|s, now| {
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

    fn count(&self, started: Instant) {
        self.cost.ops.fetch_add(1, Relaxed);
        self.cost
            .micros
            .fetch_add(started.elapsed().as_micros() as u64, Relaxed);
    }

    /// Take a slot, waiting while none can be had. The slot may be one that frees later: the
    /// caller sleeps `wait` before sending (see [`take`](Self::take)).
    pub async fn acquire(&self) -> io::Result<(String, Duration)> {
        let started = tokio::time::Instant::now();
        let slot = self.take().await?;
        super::ahead::booked_in(slot.wait);
        tokio::time::sleep(slot.wait).await;
        Ok((slot.id, started.elapsed()))
    }

    /// Take a slot: returned at once, with how long to sleep before it may be used. Waits
    /// (asking again) only while every slot is held by a request in flight or a block is on.
    pub async fn take(&self) -> io::Result<FileSlot> {
        let id = format!("{}:{:016x}", std::process::id(), rand::random::<u64>());
        loop {
            let slot = id.clone();
            let (r, redis) = self
                .with_state(move |me, s, now| {
                    let redis = (s.redis_until > now).then(|| s.redis_shown.clone());
                    (s.admit(me.rate_now(), me.lease_ms, &slot, now), redis)
                })
                .await?;
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
                    let wait = Duration::from_millis(wait_ms).min(self.rate.window);
                    super::ahead::booked_in(wait);
                    tokio::time::sleep(wait).await
                }
            }
        }
    }

    /// Keep slot `id` for a request not sent yet: its lease runs a full term from now. False
    /// when the slot is gone.
    pub async fn renew(&self, id: String) -> io::Result<bool> {
        self.with_state(move |me, s, now| s.renew(&id, me.lease_ms, now))
            .await
    }

    /// Give back slot `id` unused.
    pub async fn abandon(&self, id: String) -> io::Result<()> {
        self.with_state(move |_, s, _| s.abandon(&id)).await
    }

    /// The response to the request holding slot `id` arrived. Returns the requests counted now,
    /// every process's.
    pub async fn complete(&self, id: String) -> io::Result<u32> {
        self.with_state(move |me, s, now| s.complete(me.rate, me.lease_ms, &id, now))
            .await
    }

    /// How long a 429 recorded by any process sharing this file still holds everyone. A read
    /// only, under the shared lock (the file is rewritten in place), on this thread when the lock
    /// is free now; asked before every request, so only the block is decoded.
    pub async fn blocked_for(&self) -> io::Result<Duration> {
        if let Some(locked) = self.lock(Mode::TryShared)? {
            return self.read_block(locked);
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let locked = me
                .lock(Mode::Shared)?
                .expect("a waiting lock is always had");
            me.read_block(locked)
        })
        .await
        .map_err(io::Error::other)?
    }

    fn read_block(&self, mut locked: Locked<'_>) -> io::Result<Duration> {
        let now = self.clock.now_ms();
        let Handle { file, read, .. } = &mut *locked.h;
        let file = file.as_ref().expect("a locked file is open");
        read_all(file, read)?;
        let until = Reader::blocked_until(read, &self.clock.boot_id()).unwrap_or(0);
        Ok(Duration::from_millis(until.saturating_sub(now)))
    }

    /// The server asked for a wait: every process sharing this file holds off for `wait`.
    pub async fn block_for(&self, wait: Duration) -> io::Result<()> {
        self.with_state(move |_, s, now| s.block_until(now + ms(wait)))
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

/// The file at `path`, opened to read and write. A missing one is created whole: its first
/// state (migrated from `old_json`, the format before, when that exists; else empty) is written
/// beside it and linked into place, so no process ever reads a file half created.
fn open_or_create(
    path: &Path,
    old_json: &Path,
    clock: &dyn Clock,
    window: Duration,
) -> io::Result<File> {
    loop {
        match File::options().read(true).write(true).open(path) {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let old = match fs::read(old_json) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            // Unreadable is unknown, not empty.
            Err(_) => Some(Vec::new()),
        };
        let first = State::read_json(old.as_deref(), &clock.boot_id(), clock.now_ms(), window);
        let mut bytes = Vec::new();
        first.encode(&mut bytes);
        let tmp = path.with_extension(format!(
            "new.{}.{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let mut opts = File::options();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(&tmp)?.write_all(&bytes)?;
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            // Ours is in place: the JSON file is migrated.
            Ok(()) => {
                let _ = fs::remove_file(old_json);
            }
            // Another process's came first: use it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

/// An open file's device and inode, to compare with what a path names.
fn ident_of(file: &File) -> io::Result<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata()?;
        Ok((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok((0, 0))
    }
}

/// The open file (`ident`, read once when it was opened) is the one `path` names: not deleted
/// or replaced since. One `stat` of the path an operation.
fn same_file(ident: Option<(u64, u64)>, path: &Path) -> io::Result<bool> {
    let named = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(ident == Some((named.dev(), named.ino())))
    }
    #[cfg(not(unix))]
    {
        let _ = (ident, named);
        Ok(true)
    }
}

/// The whole file into `buf` (reused).
fn read_all(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    let mut at = 0u64;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = file.read_at(&mut chunk, at)?;
        buf.extend_from_slice(&chunk[..n]);
        at += n as u64;
        // A short read of a regular file is its end: no second read to be told so.
        if n < chunk.len() {
            return Ok(());
        }
    }
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
        lb.with_state_now(|s, now| s.admit(lb.rate, lb.lease_ms, id, now))
            .unwrap()
    }

    fn send_and_answer(lb: &LocalBudget, clock: &Machine, n: usize) {
        for i in 0..n {
            let id = format!("p{i}");
            assert_eq!(take(lb, &id), Admit::At(0), "request {i}");
            clock.advance(5);
            lb.with_state_now(|s, now| s.complete(lb.rate, lb.lease_ms, &id, now))
                .unwrap();
        }
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
    fn the_binary_record_round_trips_and_any_cut_or_flipped_byte_is_refused() {
        let s = State {
            boot: "boot-1".into(),
            inflight: vec![("123:00ff".into(), 40_000), ("9:aa".into(), 41_000)],
            done: (0..2000).map(|i| 1_000_000 + i).collect(),
            blocked_until: 7,
            unknown_until: 9,
            redis_until: 11,
            redis_shown: "redis://r:6379/0".into(),
        };
        let mut bytes = Vec::new();
        s.encode(&mut bytes);
        assert_eq!(State::decode(&bytes), Some(s.clone()));
        // A longer record left behind it (the file shrank, a crash before the truncate).
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0xee; 64]);
        assert_eq!(State::decode(&longer), Some(s.clone()));
        for cut in 0..bytes.len() {
            assert_eq!(State::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        for at in [0, 9, 20, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x40;
            assert_eq!(State::decode(&bad), None, "byte {at} flipped");
        }
    }

    /// The JSON file of the format before is migrated when the binary file is missing: its
    /// requests still count (never an empty window); unreadable, it is a full window.
    #[test]
    fn a_state_file_of_the_json_format_before_is_migrated_never_read_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let r = rate(3, 10_000);
        let (a, _) = handles(dir.path(), &clock, r);
        let (data, json) = (a.data.clone(), a.old_json.clone());
        drop(a);
        assert!(!data.exists(), "opening a budget touches nothing");
        let now = clock.now_ms();
        let old = format!(
            r#"{{"boot":"boot-1","inflight":[],"done":[{},{}],"blocked_until":0}}"#,
            now + 5000,
            now + 6000
        );
        fs::write(&json, old).unwrap();
        let (b, _) = handles(dir.path(), &clock, r);
        assert_eq!(take(&b, "x"), Admit::At(0));
        assert!(!json.exists(), "migrated, the JSON file is gone");
        // The two migrated responses and x fill the budget of 3: y is handed the first of them
        // to free.
        assert_eq!(take(&b, "y"), Admit::At(5000));
        drop(b);
        fs::remove_file(&data).unwrap();
        for bad in [&b"{\"inflight\":["[..], b"", b"\x00garbage"] {
            fs::write(&json, bad).unwrap();
            let (c, _) = handles(dir.path(), &clock, r);
            assert_eq!(take(&c, "x"), Admit::Retry(10_001), "{bad:?}");
            drop(c);
            fs::remove_file(&data).unwrap();
        }
    }

    /// The file deleted or replaced under a handle that keeps it open: the handle follows the
    /// path, so it and a new process count in one file.
    #[test]
    fn a_handle_follows_its_file_when_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let r = rate(2, 10_000);
        let (a, _) = handles(dir.path(), &clock, r);
        assert_eq!(take(&a, "a1"), Admit::At(0));
        fs::remove_file(&a.data).unwrap();
        let (b, _) = handles(dir.path(), &clock, r);
        assert_eq!(take(&b, "b1"), Admit::At(0));
        assert_eq!(take(&a, "a2"), Admit::At(0));
        assert_eq!(
            take(&b, "b2"),
            Admit::Retry(10_000),
            "a2 and b1 in one file"
        );
    }

    #[test]
    fn the_boot_clock_reads_the_kernel_boot_id_and_never_goes_back() {
        let c = BootClock::new();
        let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
        assert_eq!(c.boot_id(), id.trim());
        let (t1, t2) = (c.now_ms(), c.now_ms());
        assert!(t1 > 0 && t2 >= t1);
    }

    /// The block is read from the record's head alone: every request asks it first.
    #[tokio::test]
    async fn a_block_is_read_by_every_handle_and_not_across_a_reboot() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Machine::new();
        let (a, b) = handles(dir.path(), &clock, rate(5, 10_000));
        assert_eq!(
            b.blocked_for().await.unwrap(),
            Duration::ZERO,
            "no file yet"
        );
        send_and_answer(&a, &clock, 3);
        a.block_for(Duration::from_millis(4000)).await.unwrap();
        clock.advance(1000);
        assert_eq!(b.blocked_for().await.unwrap(), Duration::from_millis(3000));
        let torn = fs::read(&a.data).unwrap();
        // The record's own length (a longer one before may have left bytes after it).
        let body = u32::from_le_bytes(torn[MAGIC.len()..HEADER].try_into().unwrap()) as usize;
        fs::write(&a.data, &torn[..HEADER + body + 8 - 1]).unwrap();
        assert_eq!(
            b.blocked_for().await.unwrap(),
            Duration::ZERO,
            "torn: no block read"
        );
        fs::write(&a.data, &torn).unwrap();
        clock.reboot();
        assert_eq!(
            b.blocked_for().await.unwrap(),
            Duration::ZERO,
            "another boot's"
        );
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
            lb.with_state_now(|s, now| (s.redis_until > now).then(|| s.redis_shown.clone()))
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
}
