//! Redis, for what runs and processes share: batch-get's user cache now, a rate budget shared by
//! many processes later.
//!
//! Only `redis://HOST[:PORT][/DB]` is taken (a password as `redis://:PASS@HOST`); it is checked
//! before anything runs, so a typo is a usage error rather than a silent "cache unavailable".
//! Every connection and every command has a deadline: a Redis that dies or hangs mid-run turns
//! into an error the caller decides about, never into a hang.

use std::fmt;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

use crate::error::{Exit, fail};

/// Connecting (TCP, then AUTH/SELECT) gives up after this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One command (or pipeline) gives up after this. A cache lookup of a few thousand keys takes
/// milliseconds; seconds without an answer means the server is gone or stuck.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A Redis the user named, checked but not connected to.
#[derive(Debug, Clone)]
pub struct RedisTarget {
    client: redis::Client,
    shown: String,
}

/// Redis could not be reached, or stopped answering. The text is one line without credentials.
#[derive(Debug, Clone)]
pub struct RedisDown(pub String);

impl fmt::Display for RedisDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisDown {}

/// Parse a Redis URL given with `flag` (for the message). Anything but
/// `redis[s]://HOST[:PORT][/DB]` is exit 2, with the URL shown without its password. `rediss://`
/// is TLS, verified against the system's roots (never turned off).
pub fn parse_url(raw: &str, flag: &str) -> anyhow::Result<RedisTarget> {
    let usage = |m: String| fail(Exit::Usage, m);
    let expected =
        "expected redis://HOST:PORT/DB (rediss:// for TLS), e.g. redis://127.0.0.1:6379/0";
    let url = url::Url::parse(raw.trim())
        .map_err(|e| usage(format!("{flag} is not a URL ({e}); {expected}")))?;
    match url.scheme() {
        "redis" | "rediss" => {}
        other => {
            return Err(usage(format!(
                "{flag}: {other}:// is not a Redis URL; {expected}"
            )));
        }
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => return Err(usage(format!("{flag} has no host; {expected}"))),
    };
    let port = url.port().unwrap_or(6379);
    let db_text = url.path().trim_start_matches('/');
    let db: u32 = if db_text.is_empty() {
        0
    } else {
        db_text.parse().map_err(|_| {
            usage(format!(
                "{flag}: the database {:?} is not a number; {expected}",
                crate::ui::clean(db_text)
            ))
        })?
    };
    let shown = format!(
        "{}://{}:{port}/{db}",
        url.scheme(),
        url.host_str().unwrap_or(&host)
    );
    let client =
        redis::Client::open(url.as_str()).map_err(|e| usage(format!("{flag} {shown}: {e}")))?;
    Ok(RedisTarget { client, shown })
}

impl RedisTarget {
    /// `redis://HOST:PORT/DB`, without credentials: safe for messages and summaries.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub async fn connect(&self) -> Result<Redis, RedisDown> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        // The crate's connection timeout covers the TCP connect; AUTH and SELECT come after it.
        let attempt = self
            .client
            .get_multiplexed_async_connection_with_config(&cfg);
        let conn = match tokio::time::timeout(CONNECT_TIMEOUT + RESPONSE_TIMEOUT, attempt).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(self.down(&e.to_string())),
            Err(_) => return Err(self.down("no answer in time")),
        };
        let redis = Redis {
            conn,
            shown: self.shown.clone(),
        };
        // A listener that is not Redis (or a Redis refusing us) shows here, not on first use.
        redis.ping().await?;
        Ok(redis)
    }

    fn down(&self, why: &str) -> RedisDown {
        RedisDown(format!(
            "Redis at {} is unavailable: {}",
            self.shown,
            one_line(why)
        ))
    }
}

fn one_line(s: &str) -> String {
    crate::ui::clean(s)
}

/// A live connection. Cloning is cheap and shares it (commands are multiplexed).
#[derive(Clone)]
pub struct Redis {
    conn: MultiplexedConnection,
    shown: String,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis({})", self.shown)
    }
}

impl Redis {
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn err(&self, e: redis::RedisError) -> RedisDown {
        RedisDown(format!(
            "Redis at {} stopped answering: {}",
            self.shown,
            one_line(&e.to_string())
        ))
    }

    pub async fn ping(&self) -> Result<(), RedisDown> {
        let mut c = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The values of `keys`, in order; `None` where a key does not exist.
    pub async fn mget(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, RedisDown> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn.clone();
        let vals: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(keys)
            .query_async(&mut c)
            .await
            .map_err(|e| self.err(e))?;
        if vals.len() != keys.len() {
            return Err(RedisDown(format!(
                "Redis at {} answered {} values for {} keys",
                self.shown,
                vals.len(),
                keys.len()
            )));
        }
        Ok(vals)
    }

    /// Run a Lua script (EVAL: scripts here are short, and EVAL needs no SCRIPT LOAD dance
    /// across restarts or failovers).
    pub async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &str,
        keys: &[&str],
        args: &[String],
    ) -> Result<T, RedisDown> {
        let mut c = self.conn.clone();
        redis::cmd("EVAL")
            .arg(script)
            .arg(keys.len())
            .arg(keys)
            .arg(args)
            .query_async(&mut c)
            .await
            .map_err(|e| self.err(e))
    }

    /// Set one field of a hash, and (re)set the hash's expiry.
    pub async fn hset_with_ttl(
        &self,
        key: &str,
        field: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), RedisDown> {
        let ms = ttl.as_millis().clamp(1, u64::MAX as u128) as u64;
        let mut c = self.conn.clone();
        redis::pipe()
            .cmd("HSET")
            .arg(key)
            .arg(field)
            .arg(value)
            .ignore()
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ms)
            .ignore()
            .query_async::<()>(&mut c)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn hgetall(&self, key: &str) -> Result<Vec<(String, Vec<u8>)>, RedisDown> {
        let mut c = self.conn.clone();
        redis::cmd("HGETALL")
            .arg(key)
            .query_async(&mut c)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn hdel(&self, key: &str, field: &str) -> Result<(), RedisDown> {
        let mut c = self.conn.clone();
        redis::cmd("HDEL")
            .arg(key)
            .arg(field)
            .query_async::<()>(&mut c)
            .await
            .map_err(|e| self.err(e))
    }

    /// Delete `keys`; returns how many existed.
    pub async fn del(&self, keys: &[String]) -> Result<u64, RedisDown> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut c = self.conn.clone();
        c.del::<_, u64>(keys).await.map_err(|e| self.err(e))
    }

    /// Run a Lua script (EVAL) once per `(keys, args)` call, all in one pipeline: one round trip
    /// for many short scripts, each atomic, and other clients served between them. For changes
    /// that must happen atomically with a check, such as the conditional cache write.
    pub async fn eval_pipelined<T: redis::FromRedisValue>(
        &self,
        script: &str,
        calls: &[(Vec<String>, Vec<&[u8]>)],
    ) -> Result<Vec<T>, RedisDown> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (keys, args) in calls {
            let cmd = pipe.cmd("EVAL").arg(script).arg(keys.len()).arg(keys);
            for a in args {
                cmd.arg(*a);
            }
        }
        let mut c = self.conn.clone();
        pipe.query_async::<Vec<T>>(&mut c)
            .await
            .map_err(|e| self.err(e))
    }

    /// Delete every key matching the glob `pattern` (escape literal parts with [`glob_escape`]);
    /// returns how many. SCAN in steps, so a large Redis is never blocked by one KEYS.
    pub async fn delete_matching(&self, pattern: &str) -> Result<u64, RedisDown> {
        let mut c = self.conn.clone();
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut c)
                .await
                .map_err(|e| self.err(e))?;
            if !keys.is_empty() {
                // UNLINK frees memory in the background: a big purge does not stall the server.
                deleted += redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async::<u64>(&mut c)
                    .await
                    .map_err(|e| self.err(e))?;
            }
            cursor = next;
            if cursor == 0 {
                return Ok(deleted);
            }
        }
    }
}

/// `s` as a literal inside a SCAN/KEYS glob.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_of;

    #[test]
    fn accepts_redis_urls_and_shows_them_without_the_password() {
        for (raw, shown) in [
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            (
                "rediss://:pw@cache.example:6380/2",
                "rediss://cache.example:6380/2",
            ),
            ("redis://localhost", "redis://localhost:6379/0"),
            ("redis://cache:7000/3", "redis://cache:7000/3"),
            ("redis://:hunter2@cache:7000/1", "redis://cache:7000/1"),
            (" redis://[::1]:6380/2 ", "redis://[::1]:6380/2"),
        ] {
            let t = parse_url(raw, "--cache").unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.shown(), shown);
        }
    }

    #[test]
    fn malformed_urls_are_usage_errors_that_never_show_a_password() {
        for raw in [
            "localhost:6379",
            "http://127.0.0.1:6379/0",
            "redis://",
            "redis://127.0.0.1:notaport/0",
            "redis://127.0.0.1:6379/zero",
            "redis://:hunter2@127.0.0.1:6379/x",
            "rediss://:hunter2@127.0.0.1:6379/x",
            "",
        ] {
            let e = parse_url(raw, "--cache").unwrap_err();
            assert_eq!(exit_of(&e), Exit::Usage, "{raw}");
            let text = e.to_string();
            assert!(text.starts_with("--cache"), "{raw}: {text}");
            assert!(!text.contains("hunter2"), "{raw}: {text}");
        }
    }

    #[test]
    fn glob_escape_keeps_patterns_literal() {
        assert_eq!(glob_escape("clerk:{ab}:"), "clerk:{ab}:");
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
