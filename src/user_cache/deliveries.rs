//! The receiver's side of Redis: one atomic step per delivery that both remembers its id and
//! applies it to the user's cache entry.
//!
//! Replay protection lives in Redis, next to the cache it protects: `clerk:{INSTANCE}:webhook:ID`
//! is set (NX) for [`REMEMBER`] in the same Lua script that deletes or writes the user entry. So
//! a delivery is acted on at most once however many receivers share the Redis and however often
//! they restart, and never remembered without having been acted on: if Redis fails before the
//! script ran, nothing happened and the 503 makes Svix retry; once the script ran, both did.
//! Memory stays bounded by the deliveries of one [`REMEMBER`] period (about 100 bytes each).

use std::time::Duration;

use tokio::sync::Mutex;

use super::user_key;
use crate::redis_store::{Redis, RedisDown, RedisTarget};

/// How long a delivery id is remembered. A captured delivery can pass the timestamp check only
/// within 5 minutes of its timestamp, so 10 minutes would stop replays; an hour also recognises
/// Svix's retries at 5 s, 5 min and 30 min of a delivery whose 204 was lost on the way back.
pub const REMEMBER: Duration = Duration::from_secs(3600);

/// Returns -1 when the delivery was seen before (nothing done); else DEL's count, 1 for a write,
/// 2 for a write skipped because the entry holds a later `updated_at` (deliveries may arrive out
/// of order: a retried older update must not overwrite a newer one).
const APPLY: &str = r#"
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return -1 end
if ARGV[2] == 'del' then return redis.call('DEL', KEYS[2]) end
if ARGV[5] ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur then
    local ok, u = pcall(cjson.decode, cur)
    if ok and type(u) == 'table' and type(u.updated_at) == 'number'
        and u.updated_at > tonumber(ARGV[5]) then
      return 2
    end
  end
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return 1
"#;

/// What one delivery did to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The id was seen before: acknowledged, nothing done.
    Replay,
    /// The entry was deleted (`true`) or there was none.
    Deleted(bool),
    Written,
    /// The entry holds a later version of the user; kept.
    KeptNewer,
}

/// What to apply: delete, or write `line` with `ttl`.
pub enum Change<'a> {
    Delete,
    Write {
        line: &'a [u8],
        ttl: Duration,
        updated_at: Option<i64>,
    },
}

/// A Redis connection that is re-established after a failure: the multiplexed connection does
/// not reconnect by itself, and a receiver must outlive a Redis restart.
pub struct Store {
    target: RedisTarget,
    prefix: String,
    conn: Mutex<Option<Redis>>,
}

impl Store {
    pub fn new(target: RedisTarget, prefix: String, first: Redis) -> Self {
        Store {
            target,
            prefix,
            conn: Mutex::new(Some(first)),
        }
    }

    pub fn shown(&self) -> &str {
        self.target.shown()
    }

    /// Apply one verified delivery. `Err`: Redis is unavailable and nothing was done, or it
    /// failed mid-command and the outcome is unknown; either way the delivery must be retried
    /// (a retry after a script that did run is recognised as a replay, so it is safe).
    pub async fn apply(
        &self,
        delivery_id: &str,
        user_id: &str,
        change: Change<'_>,
    ) -> Result<Applied, RedisDown> {
        let redis = self.connection().await?;
        let marker = format!("{}webhook:{delivery_id}", self.prefix);
        let entry = user_key(&self.prefix, user_id);
        let remember = REMEMBER.as_millis().to_string();
        let (mode, line, ttl, stamp) = match &change {
            Change::Delete => ("del", &b""[..], String::new(), String::new()),
            Change::Write {
                line,
                ttl,
                updated_at,
            } => (
                "set",
                *line,
                ttl.as_millis().max(1).to_string(),
                updated_at.map(|t| t.to_string()).unwrap_or_default(),
            ),
        };
        let args: [&[u8]; 5] = [
            remember.as_bytes(),
            mode.as_bytes(),
            line,
            ttl.as_bytes(),
            stamp.as_bytes(),
        ];
        let answer = redis.eval_int(APPLY, &[&marker, &entry], &args).await;
        match answer {
            Ok(-1) => Ok(Applied::Replay),
            Ok(n) if matches!(change, Change::Delete) => Ok(Applied::Deleted(n > 0)),
            Ok(2) => Ok(Applied::KeptNewer),
            Ok(_) => Ok(Applied::Written),
            Err(e) => {
                // Reconnect on the next delivery rather than reuse a connection that failed.
                *self.conn.lock().await = None;
                Err(e)
            }
        }
    }

    async fn connection(&self) -> Result<Redis, RedisDown> {
        let mut conn = self.conn.lock().await;
        if let Some(c) = conn.as_ref() {
            return Ok(c.clone());
        }
        let c = self.target.connect().await?;
        *conn = Some(c.clone());
        Ok(c)
    }
}
