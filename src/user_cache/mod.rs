//! The Redis user cache that batch-get reads and writes and `webhook serve` keeps true: where
//! users are kept, and what happens when Redis is not there.
//!
//! Layout: `clerk:{INSTANCE}:user:{ID}` holds the user's JSON as the server sent it (on one
//! line), with a TTL; `clerk:{INSTANCE}:version:{ID}` the newest `updated_at` a `user.updated`
//! delivery announced, and `clerk:{INSTANCE}:deleted:{ID}` a tombstone left by `user.deleted`:
//! neither is ever a cache hit, both only refuse older writes (see [`write`]). INSTANCE is `SecretKey::fingerprint()`, a one-way hash of the secret key, so
//! two instances sharing a Redis never see each other's users and the key is never stored. The
//! braces make INSTANCE a Redis Cluster hash tag: one instance's users live in one slot, and
//! `SCAN MATCH clerk:{INSTANCE}:user:*` finds exactly them.
//!
//! Every write goes through [`write::write`], one Lua script for batch-get and `webhook serve`.
//!
//! Redis is an accelerator, not a dependency: unreachable at the start or gone mid-run, it is
//! warned about once and the run goes on uncached — unless `--cache-required`, then exit 1.

pub mod deliveries;
pub mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use write::{Expiry, Item, Mode, Outcome};

use crate::error::{Exit, fail};
use crate::redis_store::{Redis, RedisDown, RedisTarget, glob_escape};
use crate::ui::Ui;

/// `clerk:{INSTANCE}:` — the prefix of everything clerk-rl keeps in Redis for one instance.
pub fn instance_prefix(fingerprint: &str) -> String {
    format!("clerk:{{{fingerprint}}}:")
}

/// The key of one cached user.
pub fn user_key(prefix: &str, id: &str) -> String {
    format!("{prefix}user:{id}")
}

/// The key of a user's version marker: the newest `updated_at` a delivery announced.
pub fn version_key(prefix: &str, id: &str) -> String {
    format!("{prefix}version:{id}")
}

/// The key of a deleted user's tombstone.
pub fn tombstone_key(prefix: &str, id: &str) -> String {
    format!("{prefix}deleted:{id}")
}

/// A SCAN pattern matching every cached user of the instance, and nothing else.
pub fn user_pattern(prefix: &str) -> String {
    format!("{}user:*", glob_escape(prefix))
}

/// SCAN patterns matching the instance's version markers and tombstones.
pub fn guard_patterns(prefix: &str) -> [String; 2] {
    let p = glob_escape(prefix);
    [format!("{p}version:*"), format!("{p}deleted:*")]
}

/// What [`UserCache::put_many`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub written: u64,
    /// Not written: Redis knows a later version of the user, or that it was deleted.
    pub refused: u64,
}

pub struct UserCache {
    redis: Option<Redis>,
    shown: String,
    prefix: String,
    ttl: Duration,
    required: bool,
    /// Set once Redis failed; from then on the run is uncached.
    down: AtomicBool,
    ui: Arc<Ui>,
}

impl UserCache {
    /// No cache at all.
    pub fn none(ui: Arc<Ui>) -> Self {
        UserCache {
            redis: None,
            shown: String::new(),
            prefix: String::new(),
            ttl: Duration::ZERO,
            required: false,
            down: AtomicBool::new(true),
            ui,
        }
    }

    /// Connect to `target`. Unavailable: exit 1 when `required`, else one warning and no cache.
    pub async fn open(
        target: &RedisTarget,
        fingerprint: &str,
        ttl: Duration,
        required: bool,
        ui: Arc<Ui>,
    ) -> anyhow::Result<Self> {
        let mut cache = UserCache {
            redis: None,
            shown: target.shown().to_string(),
            prefix: instance_prefix(fingerprint),
            ttl,
            required,
            down: AtomicBool::new(false),
            ui,
        };
        match target.connect().await {
            Ok(r) => cache.redis = Some(r),
            Err(e) => cache.lost(e)?,
        }
        Ok(cache)
    }

    /// Redis is connected and has not failed.
    pub fn active(&self) -> bool {
        self.redis.is_some() && !self.down.load(Relaxed)
    }

    /// For the summary: where the cache is and how it fared.
    pub fn describe(&self) -> String {
        match (&self.redis, self.down.load(Relaxed)) {
            (_, _) if self.shown.is_empty() => "off".into(),
            (None, _) => format!("{} (unavailable)", self.shown),
            (Some(_), true) => format!("{} (lost during the run)", self.shown),
            (Some(_), false) => format!(
                "{} (ttl {})",
                self.shown,
                humantime::format_duration(self.ttl)
            ),
        }
    }

    /// Cached values of `ids`, in order (`None`: not cached). All `None` when Redis is down.
    pub async fn get_many(&self, ids: &[String]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        if let Some(r) = self.usable() {
            let keys: Vec<String> = ids.iter().map(|id| user_key(&self.prefix, id)).collect();
            match r.mget(&keys).await {
                Ok(v) => return Ok(v),
                Err(e) => self.lost(e)?,
            }
        }
        Ok(vec![None; ids.len()])
    }

    /// Store users (id, JSON without the newline, `updated_at`) for `ttl`, each only if Redis
    /// knows no later version of it and no tombstone. Nothing when Redis is down.
    pub async fn put_many(
        &self,
        users: &[(&str, &[u8], Option<i64>)],
        ttl: Duration,
    ) -> anyhow::Result<Written> {
        let mut done = Written::default();
        let Some(r) = self.usable() else {
            return Ok(done);
        };
        let items: Vec<Item> = users
            .iter()
            .map(|&(id, line, updated_at)| Item {
                id,
                line,
                updated_at,
            })
            .collect();
        let expiry = Expiry {
            entry: ttl,
            markers: None,
        };
        match write::write(r, &self.prefix, None, Mode::Put, expiry, &items).await {
            Ok(outcomes) => {
                for o in outcomes {
                    match o {
                        Outcome::Written => done.written += 1,
                        _ => done.refused += 1,
                    }
                }
            }
            Err(e) => self.lost(e)?,
        }
        Ok(done)
    }

    /// `--cache-ttl`.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn usable(&self) -> Option<&Redis> {
        self.redis.as_ref().filter(|_| !self.down.load(Relaxed))
    }

    /// Redis failed: exit 1 with `--cache-required`, else warn (once) and go on without it.
    fn lost(&self, e: RedisDown) -> anyhow::Result<()> {
        if self.required {
            return Err(fail(
                Exit::Other,
                format!("{e} (--cache-required: stopping)"),
            ));
        }
        if !self.down.swap(true, Relaxed) {
            self.ui
                .warn(&format!("{e}; going on without the cache for this run"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_layout() {
        let p = instance_prefix("0123abcd0123abcd");
        assert_eq!(p, "clerk:{0123abcd0123abcd}:");
        assert_eq!(
            user_key(&p, "user_2x"),
            "clerk:{0123abcd0123abcd}:user:user_2x"
        );
        assert_eq!(user_pattern(&p), "clerk:{0123abcd0123abcd}:user:*");
        assert_eq!(
            version_key(&p, "user_2x"),
            "clerk:{0123abcd0123abcd}:version:user_2x"
        );
        assert_eq!(
            tombstone_key(&p, "user_2x"),
            "clerk:{0123abcd0123abcd}:deleted:user_2x"
        );
        assert_eq!(
            guard_patterns(&p),
            [
                "clerk:{0123abcd0123abcd}:version:*".to_string(),
                "clerk:{0123abcd0123abcd}:deleted:*".to_string()
            ]
        );
    }
}
