//! A budget shared by the processes of one machine through a small state file, for endpoint
//! budgets without `--budget-store`: `xargs -n1 clerk-rl api -X PATCH …` starts one process per
//! call, and each must know what the others sent.
//!
//! The contract is the pacer's (never more than N requests in any window W as the server stamps
//! them): a request counts while in flight (leased, in case its process dies) and until W after
//! its response arrived. The state is one JSON file per budget, read and rewritten under an
//! exclusive advisory lock on a sibling `.lock` file (released by the OS when a process dies, so
//! a crash never leaves it held); the JSON is replaced by rename, so a reader never sees half.
//! The wall clock is the only clock: every process is on the same machine.
//!
//! The folder: `CLERK_RL_STATE_DIR`, else `$XDG_STATE_HOME/clerk-rl`, else
//! `~/.local/state/clerk-rl`. File names are hashes of the key's fingerprint and the budget's
//! scope: no key, no user id.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::budget::Rate;

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

/// The requests that count: in flight (id, lease expiry) and done (when each stops counting),
/// both in Unix milliseconds.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub inflight: Vec<(String, u64)>,
    pub done: Vec<u64>,
    /// A 429 seen by any process holds every process until then.
    #[serde(default)]
    pub blocked_until: u64,
}

impl State {
    fn prune(&mut self, now: u64) {
        self.inflight.retain(|(_, until)| *until > now);
        self.done.retain(|until| *until > now);
    }

    /// Admit request `id` at `now`, or say how long until a slot may free up (ms).
    pub fn admit(&mut self, rate: Rate, lease_ms: u64, id: &str, now: u64) -> Result<(), u64> {
        self.prune(now);
        if self.blocked_until > now {
            return Err(self.blocked_until - now);
        }
        if self.inflight.len() + self.done.len() < rate.limit as usize {
            self.inflight.push((id.to_string(), now + lease_ms));
            return Ok(());
        }
        let window = ms(rate.window);
        // A request in flight frees its slot no sooner than a window after now.
        let in_flight_frees = if self.inflight.is_empty() {
            u64::MAX
        } else {
            window
        };
        let done_frees = self
            .done
            .iter()
            .min()
            .map_or(u64::MAX, |t| t.saturating_sub(now));
        Err(in_flight_frees.min(done_frees).clamp(1, window))
    }

    /// The response to `id` arrived at `now`: it counts until a window later (plus a millisecond,
    /// so never a fraction less than a full window).
    /// Returns how many requests (every process's) the server can be counting now: what the
    /// core weighs a Remaining header against.
    pub fn complete(&mut self, rate: Rate, id: &str, now: u64) -> u32 {
        self.inflight.retain(|(i, _)| i != id);
        self.done.push(now + ms(rate.window) + 1);
        self.prune(now);
        (self.inflight.len() + self.done.len()) as u32
    }
}

impl State {
    /// Hold everyone until `until` (never shortens a longer hold).
    pub fn block_until(&mut self, until: u64) {
        self.blocked_until = self.blocked_until.max(until);
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().clamp(1, u64::MAX as u128) as u64
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One budget in a state file.
#[derive(Debug, Clone)]
pub struct LocalBudget {
    data: PathBuf,
    lock: PathBuf,
    rate: Rate,
    lease_ms: u64,
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
        create_private_dir(dir)?;
        // The rate stays out of the name: processes with different budgets still share the
        // count, each holding to its own limit.
        let h = Sha256::digest(format!("{fingerprint}\n{scope}").as_bytes());
        let stem = format!("budget-{}", &hex::encode(h)[..32]);
        Ok(LocalBudget {
            data: dir.join(format!("{stem}.json")),
            lock: dir.join(format!("{stem}.lock")),
            rate,
            lease_ms: ms(timeout + rate.window),
        })
    }

    /// Read, change and write the state under the lock (blocking; short).
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> io::Result<T> {
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)?;
        lock.lock()?;
        // A missing or unreadable file is an empty state: a crash can only lose it between
        // writes, and the rename below never leaves half a file.
        let mut state: State = fs::read(&self.data)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let out = f(&mut state);
        let tmp = self
            .data
            .with_extension(format!("json.{}", std::process::id()));
        let mut file = File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(&state).map_err(io::Error::other)?)?;
        drop(file);
        fs::rename(&tmp, &self.data)?;
        drop(lock);
        Ok(out)
    }

    /// Wait for a slot; returns its id and how long the wait took.
    pub async fn acquire(&self) -> io::Result<(String, Duration)> {
        let started = tokio::time::Instant::now();
        let id = format!("{}:{:016x}", std::process::id(), rand::random::<u64>());
        loop {
            let me = self.clone();
            let slot = id.clone();
            let r = tokio::task::spawn_blocking(move || {
                me.with_state(|s| s.admit(me.rate, me.lease_ms, &slot, now_ms()))
            })
            .await
            .map_err(io::Error::other)??;
            match r {
                Ok(()) => return Ok((id, started.elapsed())),
                Err(wait_ms) => tokio::time::sleep(Duration::from_millis(wait_ms)).await,
            }
        }
    }

    /// The response to the request holding slot `id` arrived. Returns the requests counted now,
    /// every process's.
    pub async fn complete(&self, id: String) -> io::Result<u32> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.with_state(|s| s.complete(me.rate, &id, now_ms())))
            .await
            .map_err(io::Error::other)?
    }
}

impl LocalBudget {
    /// How long a 429 recorded by any process sharing this file still holds everyone.
    pub async fn blocked_for(&self) -> io::Result<Duration> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            me.with_state(|s| Duration::from_millis(s.blocked_until.saturating_sub(now_ms())))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// The server asked for a wait: every process sharing this file holds off for `wait`.
    pub async fn block_for(&self, wait: Duration) -> io::Result<()> {
        let me = self.clone();
        let until = now_ms() + ms(wait);
        tokio::task::spawn_blocking(move || me.with_state(|s| s.block_until(until)))
            .await
            .map_err(io::Error::other)?
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

    fn rate(n: u32, w_ms: u64) -> Rate {
        Rate::new(n, Duration::from_millis(w_ms))
    }

    #[test]
    fn admits_n_then_waits_for_the_oldest_response_plus_a_window() {
        let r = rate(2, 1000);
        let mut s = State::default();
        assert_eq!(s.admit(r, 5000, "a", 0), Ok(()));
        assert_eq!(s.admit(r, 5000, "b", 10), Ok(()));
        // Both in flight: a slot frees no sooner than a window from now.
        assert_eq!(s.admit(r, 5000, "c", 20), Err(1000));
        assert_eq!(s.complete(r, "a", 100), 2);
        // a counts until 100 + 1000 + 1.
        assert_eq!(s.admit(r, 5000, "c", 200), Err(901));
        assert_eq!(s.admit(r, 5000, "c", 1101), Ok(()));
    }

    #[test]
    fn a_block_holds_every_request_until_it_ends() {
        let r = rate(5, 1000);
        let mut s = State::default();
        s.block_until(500);
        s.block_until(200);
        assert_eq!(s.admit(r, 3000, "a", 100), Err(400));
        assert_eq!(s.admit(r, 3000, "a", 500), Ok(()));
    }

    #[test]
    fn a_dead_process_lease_expires() {
        let r = rate(1, 1000);
        let mut s = State::default();
        assert_eq!(s.admit(r, 3000, "dead", 0), Ok(()));
        assert!(s.admit(r, 3000, "x", 2999).is_err());
        assert_eq!(s.admit(r, 3000, "x", 3000), Ok(()));
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
        // The third must wait about a minute: it is not admitted within 200 ms.
        let third = tokio::time::timeout(Duration::from_millis(200), a.acquire()).await;
        assert!(third.is_err(), "a third slot was admitted in a budget of 2");
        // Another scope is another budget.
        let other =
            LocalBudget::open(dir.path(), "fp", "other", r, Duration::from_secs(1)).unwrap();
        assert!(other.acquire().await.is_ok());
    }
}
