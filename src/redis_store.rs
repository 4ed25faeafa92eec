//! Redis, for what runs and processes share: batch-get's user cache, webhook deliveries, the
//! rate budget shared by many processes.
//!
//! Taken: `redis[s]://HOST[:PORT][/DB]` (a password as `redis://:PASS@HOST`), Redis Cluster as
//! `redis[s]+cluster://HOST:PORT[,HOST:PORT…]` (seed nodes; the rest of the cluster is
//! discovered), and Sentinel as `redis[s]+sentinel://HOST[:PORT][,…]/MASTER[/DB]` (the master
//! asked of the Sentinels at every connection). The URL is checked before anything runs, so a typo is a usage error rather than
//! a silent "cache unavailable".
//!
//! Every connection and every command has a deadline: a Redis that dies or hangs mid-run turns
//! into an error the caller decides about, never into a hang. The deadlines are set here on
//! purpose rather than left to the crate (whose response timeout, 500 ms, a slow Lua script or a
//! busy node can exceed). A [`Redis`] reconnects by itself: after a failure the next command
//! dials again (within its deadline), so a restarted Redis is found again by whoever keeps
//! asking; how often to ask is the caller's (see [`Backoff`]). On a cluster the client follows
//! MOVED/ASK and a failover itself; every script here keeps its keys under one hash tag (`{…}`),
//! so each runs on one node, and scripts are sent with EVAL (never EVALSHA), so a new node or a
//! restarted one never answers NOSCRIPT.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};

use crate::error::{Exit, fail};

/// Connecting (TCP, then AUTH/SELECT) gives up after this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One command (or pipeline) gives up after this. A cache lookup of a few thousand keys or the
/// budget's script takes milliseconds; seconds without an answer means the server is gone or
/// stuck. (The crate's own default, 500 ms, is too short for a busy node.)
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A Redis the user named, checked but not connected to.
#[derive(Debug, Clone)]
pub struct RedisTarget {
    kind: Kind,
    shown: String,
}

#[derive(Clone)]
enum Kind {
    Single(redis::Client),
    Cluster(redis::cluster::ClusterClient),
    /// Asked for the current master at each (re)connection.
    Sentinel(Arc<tokio::sync::Mutex<redis::sentinel::SentinelClient>>),
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

const EXPECTED: &str = "expected redis://HOST:PORT/DB (rediss:// for TLS), e.g. redis://127.0.0.1:6379/0, redis+cluster://HOST:PORT[,HOST:PORT...] for Redis Cluster, or redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTER[/DB] for Sentinel";

/// Parse a Redis URL given with `flag` (for the message). Anything but
/// `redis[s]://HOST[:PORT][/DB]` or `redis[s]+cluster://HOST:PORT[,HOST:PORT…]` is exit 2, with
/// the URL shown without its password. `rediss` is TLS, verified against the system's roots
/// (never turned off).
pub fn parse_url(raw: &str, flag: &str) -> anyhow::Result<RedisTarget> {
    let raw = raw.trim();
    if let Some((scheme, rest)) = raw.split_once("+cluster://") {
        return parse_cluster(scheme, rest, flag);
    }
    if let Some((scheme, rest)) = raw.split_once("+sentinel://") {
        return parse_sentinel(scheme, rest, flag);
    }
    let usage = |m: String| fail(Exit::Usage, m);
    let url = url::Url::parse(raw)
        .map_err(|e| usage(format!("{flag} is not a URL ({e}); {EXPECTED}")))?;
    match url.scheme() {
        "redis" | "rediss" => {}
        other => {
            return Err(usage(format!(
                "{flag}: {other}:// is not a Redis URL; {EXPECTED}"
            )));
        }
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => return Err(usage(format!("{flag} has no host; {EXPECTED}"))),
    };
    let port = url.port().unwrap_or(6379);
    let db_text = url.path().trim_start_matches('/');
    let db: u32 = if db_text.is_empty() {
        0
    } else {
        db_text.parse().map_err(|_| {
            usage(format!(
                "{flag}: the database {:?} is not a number; {EXPECTED}",
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
    Ok(RedisTarget {
        kind: Kind::Single(client),
        shown,
    })
}

/// `redis[s]+cluster://[USER:PASS@]HOST:PORT[,HOST:PORT…][/]`: seed nodes of a Redis Cluster
/// (which has one database, 0).
fn parse_cluster(scheme: &str, rest: &str, flag: &str) -> anyhow::Result<RedisTarget> {
    let usage = |m: String| fail(Exit::Usage, m);
    if scheme != "redis" && scheme != "rediss" {
        return Err(usage(format!(
            "{flag}: {}+cluster:// is not a Redis URL; {EXPECTED}",
            crate::ui::clean(scheme)
        )));
    }
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    let hosts = hosts.strip_suffix('/').unwrap_or(hosts);
    if hosts.contains('/') {
        return Err(usage(format!(
            "{flag}: a Redis Cluster has no database to choose (only 0); {EXPECTED}"
        )));
    }
    let mut nodes = Vec::new();
    let mut shown_nodes = Vec::new();
    for (host, port) in host_list(scheme, hosts, 6379, flag)? {
        shown_nodes.push(format!("{host}:{port}"));
        let auth = auth.map(|a| format!("{a}@")).unwrap_or_default();
        nodes.push(format!("{scheme}://{auth}{host}:{port}"));
    }
    let shown = format!("{scheme}+cluster://{}", shown_nodes.join(","));
    let client = redis::cluster::ClusterClient::builder(nodes)
        .connection_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        // A node lost: a few quick tries (the cluster fails over in seconds), then the caller's
        // own fallback; never minutes of the crate's retries.
        .retries(3)
        .min_retry_wait(50)
        .max_retry_wait(500)
        .build()
        .map_err(|e| {
            usage(format!(
                "{flag} {shown}: {}",
                crate::ui::clean(&e.to_string())
            ))
        })?;
    Ok(RedisTarget {
        kind: Kind::Cluster(client),
        shown,
    })
}

/// `HOST[:PORT],HOST[:PORT]…` as (host, port) pairs, `default_port` where none is given.
fn host_list(
    scheme: &str,
    hosts: &str,
    default_port: u16,
    flag: &str,
) -> anyhow::Result<Vec<(String, u16)>> {
    let mut out = Vec::new();
    for node in hosts.split(',') {
        let node = node.trim();
        let parsed = url::Url::parse(&format!("{scheme}://{node}"))
            .ok()
            .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()) && matches!(u.path(), "" | "/"))
            .filter(|_| !node.is_empty() && !node.contains('@'));
        let Some(u) = parsed else {
            return Err(fail(
                Exit::Usage,
                format!(
                    "{flag}: {:?} is not HOST:PORT; {EXPECTED}",
                    crate::ui::clean(node)
                ),
            ));
        };
        out.push((
            u.host_str().unwrap_or_default().to_string(),
            u.port().unwrap_or(default_port),
        ));
    }
    Ok(out)
}

/// `redis[s]+sentinel://[USER:PASS@]HOST[:PORT][,HOST[:PORT]…]/MASTER[/DB]`: Sentinels (port
/// 26379 unless given) that name the current master of `MASTER`; the user and password are the
/// master's. A new connection (after a failure) asks them again, so a failover is followed.
fn parse_sentinel(scheme: &str, rest: &str, flag: &str) -> anyhow::Result<RedisTarget> {
    let usage = |m: String| fail(Exit::Usage, m);
    let tls = match scheme {
        "redis" => false,
        "rediss" => true,
        other => {
            return Err(usage(format!(
                "{flag}: {}+sentinel:// is not a Redis URL; {EXPECTED}",
                crate::ui::clean(other)
            )));
        }
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (auth, hosts) = match authority.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, authority),
    };
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let Some(master) = parts.next() else {
        return Err(usage(format!(
            "{flag}: a Sentinel URL names its master after the hosts (/MASTER); {EXPECTED}"
        )));
    };
    let db: i64 = match parts.next() {
        None => 0,
        Some(d) => d.parse().map_err(|_| {
            usage(format!(
                "{flag}: the database {:?} is not a number; {EXPECTED}",
                crate::ui::clean(d)
            ))
        })?,
    };
    let sentinels = host_list(scheme, hosts, 26379, flag)?;
    let shown = format!(
        "{scheme}+sentinel://{}/{}/{db}",
        sentinels
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(","),
        crate::ui::clean(master)
    );
    let addrs = sentinels.iter().map(|(h, p)| {
        if tls {
            redis::ConnectionAddr::TcpTls {
                host: h.clone(),
                port: *p,
                insecure: false,
                tls_params: None,
            }
        } else {
            redis::ConnectionAddr::Tcp(h.clone(), *p)
        }
    });
    let mut b = redis::sentinel::SentinelClientBuilder::new(
        addrs,
        master,
        redis::sentinel::SentinelServerType::Master,
    )
    .map(|b| b.set_client_to_redis_db(db))
    .map_err(|e| {
        usage(format!(
            "{flag} {shown}: {}",
            crate::ui::clean(&e.to_string())
        ))
    })?;
    if tls {
        b = b
            .set_client_to_redis_tls_mode(redis::TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(redis::TlsMode::Secure);
    }
    if let Some(auth) = auth {
        // The crate's own URL reading decodes them (percent-encoding) as for redis://.
        use redis::IntoConnectionInfo;
        let info = format!("redis://{auth}@localhost")
            .into_connection_info()
            .map_err(|_| usage(format!("{flag} {shown}: the user or password is not valid")))?;
        let r = info.redis_settings();
        if let Some(user) = r.username() {
            b = b.set_client_to_redis_username(user);
        }
        if let Some(pass) = r.password() {
            b = b.set_client_to_redis_password(pass);
        }
    }
    let client = b.build().map_err(|e| {
        usage(format!(
            "{flag} {shown}: {}",
            crate::ui::clean(&e.to_string())
        ))
    })?;
    Ok(RedisTarget {
        kind: Kind::Sentinel(Arc::new(tokio::sync::Mutex::new(client))),
        shown,
    })
}

/// The user name in a Redis URL (one node or a cluster's seeds), and whether it holds a
/// password: `redis://user:PASS@host`, `redis+cluster://:PASS@a:7000,b:7000`.
pub fn userinfo(raw: &str) -> (String, bool) {
    let rest = raw.trim().split_once("://").map_or("", |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((info, _)) => match info.split_once(':') {
            Some((user, pass)) => (user.to_string(), !pass.is_empty()),
            None => (info.to_string(), false),
        },
        None => (String::new(), false),
    }
}

impl RedisTarget {
    /// `redis://HOST:PORT/DB` (or `redis+cluster://HOST:PORT,…`), without credentials: safe
    /// for messages and summaries.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// True for a Redis Cluster URL.
    pub fn is_cluster(&self) -> bool {
        matches!(self.kind, Kind::Cluster(_))
    }

    /// Connect, and check that Redis answers. The [`Redis`] returned reconnects by itself after
    /// a failure.
    pub async fn connect(&self) -> Result<Redis, RedisDown> {
        let conn = self.dial().await?;
        let redis = Redis {
            inner: Arc::new(Inner {
                target: self.clone(),
                conn: Mutex::new(Some(conn)),
            }),
        };
        // A listener that is not Redis (or a Redis refusing us) shows here, not on first use.
        redis.ping().await?;
        Ok(redis)
    }

    async fn dial(&self) -> Result<Conn, RedisDown> {
        // The crate's connection timeout covers the TCP connect; AUTH and SELECT (and on a
        // cluster, the discovery of its slots) come after it.
        let deadline = CONNECT_TIMEOUT + RESPONSE_TIMEOUT;
        let r = match &self.kind {
            Kind::Single(client) => {
                let cfg = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT));
                let attempt = client.get_multiplexed_async_connection_with_config(&cfg);
                tokio::time::timeout(deadline, attempt)
                    .await
                    .map(|r| r.map(Conn::Single))
            }
            Kind::Cluster(client) => tokio::time::timeout(deadline, client.get_async_connection())
                .await
                .map(|r| r.map(|c| Conn::Cluster(Box::new(c)))),
            Kind::Sentinel(client) => {
                let cfg = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT));
                let attempt = async {
                    client
                        .lock()
                        .await
                        .get_async_connection_with_config(&cfg)
                        .await
                };
                tokio::time::timeout(deadline, attempt)
                    .await
                    .map(|r| r.map(Conn::Single))
            }
        };
        match r {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(self.down(&e.to_string())),
            Err(_) => Err(self.down("no answer in time")),
        }
    }

    fn down(&self, why: &str) -> RedisDown {
        RedisDown(format!(
            "Redis at {} is unavailable: {}",
            self.shown,
            one_line(why)
        ))
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Single(_) => "Single",
            Kind::Cluster(_) => "Cluster",
            Kind::Sentinel(_) => "Sentinel",
        })
    }
}

fn one_line(s: &str) -> String {
    crate::ui::clean(s)
}

/// One node's multiplexed connection, or a cluster's (which routes each command by its key).
#[derive(Clone)]
enum Conn {
    Single(MultiplexedConnection),
    Cluster(Box<ClusterConnection>),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// A connection to one Redis or one Redis Cluster. Cloning is cheap and shares it (commands are
/// multiplexed). After a failure the next command connects again, so a Redis that restarted is
/// used again as soon as it answers.
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    target: RedisTarget,
    /// `None` after a failure: the next command dials again.
    conn: Mutex<Option<Conn>>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis({})", self.inner.target.shown)
    }
}

impl Redis {
    pub fn shown(&self) -> &str {
        &self.inner.target.shown
    }

    /// What this connects to (for reconnecting elsewhere, or a second connection).
    pub fn target(&self) -> &RedisTarget {
        &self.inner.target
    }

    fn err(&self, e: redis::RedisError) -> RedisDown {
        RedisDown(format!(
            "Redis at {} stopped answering: {}",
            self.shown(),
            one_line(&e.to_string())
        ))
    }

    /// The live connection, or a new one when the last failed.
    async fn conn(&self) -> Result<Conn, RedisDown> {
        if let Some(c) = self.inner.conn.lock().expect("redis conn").clone() {
            return Ok(c);
        }
        let c = self.inner.target.dial().await?;
        *self.inner.conn.lock().expect("redis conn") = Some(c.clone());
        Ok(c)
    }

    /// A failure that says the connection is no good (rather than a script's or a command's
    /// own error): drop it, so the next command dials again.
    fn forget_if_broken(&self, e: &redis::RedisError) {
        let broken = e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_unrecoverable_error()
            || matches!(
                e.kind(),
                redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
                    | redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
                    | redis::ErrorKind::Server(redis::ServerErrorKind::TryAgain)
                    | redis::ErrorKind::Server(redis::ServerErrorKind::ClusterDown)
                    | redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown)
            );
        if broken {
            *self.inner.conn.lock().expect("redis conn") = None;
        }
    }

    /// Run one command, within [`RESPONSE_TIMEOUT`] (plus a connect, when one is needed).
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, RedisDown> {
        let mut c = self.conn().await?;
        self.within_deadline(cmd.query_async::<T>(&mut c)).await
    }

    /// Run a pipeline, within the same deadline as one command. On a cluster every command of
    /// it must route to one node: keep their keys under one hash tag.
    pub async fn query_pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, RedisDown> {
        let mut c = self.conn().await?;
        self.within_deadline(pipe.query_async::<T>(&mut c)).await
    }

    /// A command's or pipeline's answer within twice [`RESPONSE_TIMEOUT`]; no answer in time
    /// drops the connection (the next query connects anew), as does a broken one.
    async fn within_deadline<T>(
        &self,
        answer: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RedisDown> {
        match tokio::time::timeout(RESPONSE_TIMEOUT * 2, answer).await {
            Ok(r) => r.map_err(|e| {
                self.forget_if_broken(&e);
                self.err(e)
            }),
            Err(_) => {
                *self.inner.conn.lock().expect("redis conn") = None;
                Err(RedisDown(format!(
                    "Redis at {} stopped answering: no answer in {}",
                    self.shown(),
                    humantime::format_duration(RESPONSE_TIMEOUT * 2)
                )))
            }
        }
    }

    pub async fn ping(&self) -> Result<(), RedisDown> {
        self.query::<String>(&redis::cmd("PING")).await.map(|_| ())
    }

    /// The values of `keys`, in order; `None` where a key does not exist. On a cluster the keys
    /// must share one hash tag (every key clerk-rl reads at once does: one instance's users).
    pub async fn mget(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, RedisDown> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let vals: Vec<Option<Vec<u8>>> = self.query(redis::cmd("MGET").arg(keys)).await?;
        if vals.len() != keys.len() {
            return Err(RedisDown(format!(
                "Redis at {} answered {} values for {} keys",
                self.shown(),
                vals.len(),
                keys.len()
            )));
        }
        Ok(vals)
    }

    /// Run a Lua script (EVAL: scripts here are short, and EVAL needs no SCRIPT LOAD dance
    /// across restarts, failovers or a cluster's new nodes). On a cluster every key must share
    /// one hash tag.
    pub async fn eval<T: redis::FromRedisValue>(
        &self,
        script: &str,
        keys: &[&str],
        args: &[String],
    ) -> Result<T, RedisDown> {
        self.query(
            redis::cmd("EVAL")
                .arg(script)
                .arg(keys.len())
                .arg(keys)
                .arg(args),
        )
        .await
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
        let mut pipe = redis::pipe();
        pipe.cmd("HSET")
            .arg(key)
            .arg(field)
            .arg(value)
            .ignore()
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ms)
            .ignore();
        self.query_pipe::<()>(&pipe).await
    }

    pub async fn hgetall(&self, key: &str) -> Result<Vec<(String, Vec<u8>)>, RedisDown> {
        self.query(redis::cmd("HGETALL").arg(key)).await
    }

    pub async fn hdel(&self, key: &str, field: &str) -> Result<(), RedisDown> {
        self.query::<()>(redis::cmd("HDEL").arg(key).arg(field))
            .await
    }

    /// Delete `keys`; returns how many existed. On a cluster the keys must share one hash tag.
    pub async fn del(&self, keys: &[String]) -> Result<u64, RedisDown> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    /// Run a Lua script (EVAL) once per `(keys, args)` call, all in one pipeline: one round trip
    /// for many short scripts, each atomic, and other clients served between them; one answer
    /// per call, in order, or an error (a short answer is never taken as complete). For changes
    /// that must happen atomically with a check, such as the conditional cache write. On a
    /// cluster every call's keys must share one hash tag (one node runs the pipeline).
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
        let answers = self.query_pipe::<Vec<T>>(&pipe).await?;
        if answers.len() != calls.len() {
            return Err(RedisDown(format!(
                "Redis at {} answered {} of {} scripts",
                self.shown(),
                answers.len(),
                calls.len()
            )));
        }
        Ok(answers)
    }

    /// Delete every key matching the glob `pattern` (escape literal parts with [`glob_escape`]);
    /// returns how many. SCAN in steps, so a large Redis is never blocked by one KEYS. On a
    /// cluster the pattern must hold a hash tag (`{…}`): the SCAN runs on the node that owns
    /// its slot, the only one that can hold matching keys.
    pub async fn delete_matching(&self, pattern: &str) -> Result<u64, RedisDown> {
        let slot = hash_tag(pattern).map(slot_of);
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000);
            let (next, keys): (u64, Vec<Vec<u8>>) = self.on_slot(&scan, slot).await?;
            if !keys.is_empty() {
                // UNLINK frees memory in the background: a big purge does not stall the server.
                deleted += self.query::<u64>(redis::cmd("UNLINK").arg(&keys)).await?;
            }
            cursor = next;
            if cursor == 0 {
                return Ok(deleted);
            }
        }
    }

    /// Run a keyless command (SCAN) on the node owning `slot` of a cluster; on one Redis, there.
    async fn on_slot<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
        slot: Option<u16>,
    ) -> Result<T, RedisDown> {
        let mut c = self.conn().await?;
        let Conn::Cluster(cluster) = &mut c else {
            return self.query(cmd).await;
        };
        let Some(slot) = slot else {
            return Err(RedisDown(format!(
                "Redis at {}: a cluster-wide SCAN needs a hash tag in its pattern",
                self.shown()
            )));
        };
        let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
            slot,
            SlotAddr::Master,
        )));
        let r = tokio::time::timeout(
            RESPONSE_TIMEOUT * 2,
            cluster.route_command(cmd.clone(), route),
        )
        .await;
        let v = match r {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                self.forget_if_broken(&e);
                return Err(self.err(e));
            }
            Err(_) => {
                *self.inner.conn.lock().expect("redis conn") = None;
                return Err(RedisDown(format!(
                    "Redis at {} stopped answering: no answer in time",
                    self.shown()
                )));
            }
        };
        redis::from_redis_value(v).map_err(|e| self.err(e.into()))
    }
}

/// The hash tag of a key or pattern: what Redis Cluster hashes (`{…}`, when not empty).
pub fn hash_tag(key: &str) -> Option<&str> {
    let open = key.find('{')?;
    let close = key[open + 1..].find('}')?;
    (close > 0).then(|| &key[open + 1..open + 1 + close])
}

/// The Redis Cluster slot of a hash tag: CRC16 (XMODEM) modulo 16384.
pub fn slot_of(tag: &str) -> u16 {
    let mut crc: u16 = 0;
    for &b in tag.as_bytes() {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

/// Capped, jittered exponential backoff for reconnecting: attempt `n` (from 0) waits between
/// half and all of `base * 2^n`, capped at `cap`, so processes that lost one Redis together do
/// not come back together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub fn delay(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let half = full / 2;
        half + half.mul_f64(rand::random::<f64>())
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
    fn cluster_urls_are_seed_nodes_shown_without_the_password() {
        for (raw, shown) in [
            (
                "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
                "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
            ),
            (
                "rediss+cluster://:hunter2@a.example:7000/",
                "rediss+cluster://a.example:7000",
            ),
            ("redis+cluster://node", "redis+cluster://node:6379"),
        ] {
            let t = parse_url(raw, "--cache").unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.shown(), shown);
            assert!(t.is_cluster());
        }
        for raw in [
            "redis+cluster://",
            "redis+cluster://a:7000,",
            "redis+cluster://:hunter2@a:7000/3",
            "http+cluster://a:7000",
            "redis+cluster://a:notaport",
        ] {
            let e = parse_url(raw, "--cache").unwrap_err();
            assert_eq!(exit_of(&e), Exit::Usage, "{raw}");
            assert!(!e.to_string().contains("hunter2"), "{raw}: {e}");
        }
    }

    #[test]
    fn sentinel_urls_name_their_master() {
        for (raw, shown) in [
            (
                "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster",
                "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster/0",
            ),
            (
                "redis+sentinel://:hunter2@s1/main/2",
                "redis+sentinel://s1:26379/main/2",
            ),
        ] {
            let t = parse_url(raw, "--cache").unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(t.shown(), shown);
        }
        for raw in [
            "redis+sentinel://s1:26379",
            "redis+sentinel://s1:26379/",
            "redis+sentinel://:hunter2@s1/main/x",
            "http+sentinel://s1/main",
        ] {
            let e = parse_url(raw, "--cache").unwrap_err();
            assert_eq!(exit_of(&e), Exit::Usage, "{raw}");
            assert!(!e.to_string().contains("hunter2"), "{raw}: {e}");
        }
    }

    #[test]
    fn userinfo_finds_a_password_in_both_forms() {
        assert_eq!(userinfo("redis://:pw@h:1/0"), (String::new(), true));
        assert_eq!(userinfo("redis://u:pw@h:1/0"), ("u".to_string(), true));
        assert_eq!(userinfo("redis://u@h:1/0"), ("u".to_string(), false));
        assert_eq!(userinfo("redis://h:1/0"), (String::new(), false));
        assert_eq!(
            userinfo("redis+cluster://:pw@a:7000,b:7000"),
            (String::new(), true)
        );
    }

    #[test]
    fn slots_and_hash_tags_match_redis() {
        // Values from CLUSTER KEYSLOT.
        assert_eq!(slot_of("foo"), 12182);
        assert_eq!(slot_of("123456789"), 12739);
        assert_eq!(hash_tag("clerk:{ab}:user:*"), Some("ab"));
        assert_eq!(hash_tag("a{}b"), None);
        assert_eq!(hash_tag("plain"), None);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        for n in 0..40 {
            let d = b.delay(n);
            assert!(d <= Duration::from_secs(1), "{n}: {d:?}");
            assert!(d >= Duration::from_millis(50), "{n}: {d:?}");
        }
    }

    #[test]
    fn glob_escape_keeps_patterns_literal() {
        assert_eq!(glob_escape("clerk:{ab}:"), "clerk:{ab}:");
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
