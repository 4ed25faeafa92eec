//! The receiver's side of Redis: one atomic step per delivery that both remembers its id and
//! applies it to the user's cache entry.
//!
//! Replay protection lives in Redis, next to the cache it protects: `clerk:{INSTANCE}:webhook:ID`
//! is set (NX) for [`REMEMBER`] in the same Lua script (the cache's one conditional write,
//! [`super::write`]) that deletes or writes the user entry and leaves its version marker or
//! tombstone. So a delivery is acted on at most once however many receivers share the Redis
//! and however often they restart, and never remembered without having been acted on: if Redis fails before the
//! script ran, nothing happened and the 503 makes Svix retry; once the script ran, both did.
//! Memory stays bounded by the deliveries of one [`REMEMBER`] period (about 100 bytes each).

use std::time::Duration;

use super::write::{self, Expiry, Item, Mode, Outcome};
use crate::redis_store::{Redis, RedisDown};

/// How long a delivery id is remembered. A captured delivery can pass the timestamp check only
/// within 5 minutes of its timestamp, so 10 minutes would stop replays; an hour also recognises
/// Svix's retries at 5 s, 5 min and 30 min of a delivery whose 204 was lost on the way back.
pub const REMEMBER: Duration = Duration::from_secs(3600);

/// What to apply to the user's cache entry.
pub enum Change<'a> {
    /// `user.deleted`: drop the entry, leave a tombstone.
    Delete,
    /// `user.updated` without the user to write: drop an older entry, remember the version.
    Supersede { updated_at: Option<i64> },
    /// Write `line` for `ttl`, unless Redis knows a later version or a tombstone.
    Write {
        line: &'a [u8],
        ttl: Duration,
        updated_at: Option<i64>,
    },
}

/// Where deliveries are applied. A receiver must outlive a Redis restart: the [`Redis`]
/// connection dials again on the delivery after a failure.
pub struct Store {
    prefix: String,
    /// How long version markers and tombstones live (`--tombstone-ttl`).
    markers: Duration,
    redis: Redis,
}

impl Store {
    pub fn new(prefix: String, markers: Duration, redis: Redis) -> Self {
        Store {
            prefix,
            markers,
            redis,
        }
    }

    pub fn shown(&self) -> &str {
        self.redis.shown()
    }

    /// Apply one verified delivery. `Err`: Redis is unavailable and nothing was done, or it
    /// failed mid-command and the outcome is unknown; either way the delivery must be retried
    /// (a retry after a script that did run is recognised as a replay, so it is safe).
    pub async fn apply(
        &self,
        delivery_id: &str,
        user_id: &str,
        change: Change<'_>,
    ) -> Result<Outcome, RedisDown> {
        let marker = format!("{}webhook:{delivery_id}", self.prefix);
        let (mode, line, ttl, updated_at) = match change {
            Change::Delete => (Mode::Delete, &b""[..], Duration::ZERO, None),
            Change::Supersede { updated_at } => {
                (Mode::Supersede, &b""[..], Duration::ZERO, updated_at)
            }
            Change::Write {
                line,
                ttl,
                updated_at,
            } => (Mode::Put, line, ttl, updated_at),
        };
        let item = Item {
            id: user_id,
            line,
            updated_at,
        };
        let expiry = Expiry {
            entry: ttl,
            markers: Some(self.markers),
        };
        let delivery = Some((marker.as_str(), REMEMBER));
        let outcomes =
            write::write(&self.redis, &self.prefix, delivery, mode, expiry, &[item]).await?;
        Ok(outcomes.first().copied().unwrap_or(Outcome::Dropped(false)))
    }
}
