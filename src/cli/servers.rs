//! The flags of the two servers: `webhook serve` and `sandbox`.

use super::*;

#[derive(Debug, Args)]
pub struct WebhookArgs {
    #[command(subcommand)]
    pub command: WebhookCommand,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users
    #[command(after_help = WEBHOOK_SERVE_AFTER_HELP)]
    Serve(WebhookServeArgs),
}

pub(crate) const WEBHOOK_SERVE_AFTER_HELP: &str = "\
Point a Clerk webhook endpoint (Dashboard > Webhooks > Add endpoint) at https://YOUR-HOST/webhook
through a TLS proxy, subscribe it to user.created, user.updated and user.deleted, and put its
signing secret (whsec_...) in CLERK_WEBHOOK_SIGNING_SECRET or a file for --signing-secret-file.
The Clerk secret key (CLERK_SECRET_KEY or --secret-key-file) is needed only to find the
instance's cache entries, clerk:{INSTANCE}:user:{ID}; nothing is sent to Clerk.

Every delivery is verified as Svix specifies (HMAC-SHA256 of svix-id.svix-timestamp.body,
timestamps within 5 minutes) and applied at most once: its id is remembered in Redis for an hour
(clerk:{INSTANCE}:webhook:{ID}), atomically with the change it made.
  user.updated     the entry is deleted (unless it holds this or a later updated_at) and the new
                   updated_at kept as a version marker for --tombstone-ttl: a batch-get that
                   fetched the older user can no longer write it back
  user.deleted     the entry is deleted and a tombstone kept for --tombstone-ttl: nothing writes
                   the user again, and batch-get asks the server for it
  user.created,    with --prime: the user is written instead (--cache-ttl, and its version
  user.updated     marker), unless Redis knows a later updated_at or a tombstone
  anything else    acknowledged and ignored
Answers: 204 done (or a replay, or ignored), 400 bad signature, timestamp or body, 413 body over
1 MB, 503 Redis unavailable (nothing acknowledged: Svix retries), 404 other paths.
GET /healthz answers 200. One line per delivery on stderr; never the secret or the body.

The first line on stdout is the endpoint's local URL, printed once bound (so --listen
127.0.0.1:0 works in scripts). SIGTERM or Ctrl-C: in-flight deliveries finish, exit 0.
Exit codes: 2 bad flags or a malformed secret, 1 Redis unavailable at start or the address taken.

Examples:
  export CLERK_WEBHOOK_SIGNING_SECRET=whsec_...
  clerk-rl webhook serve --cache redis://127.0.0.1:6379/0
  clerk-rl webhook serve --cache redis://127.0.0.1:6379/0 --log-format json
  clerk-rl webhook serve --listen 0.0.0.0:8787 --prime --cache-ttl 10m \\
      --signing-secret-file /run/secrets/whsec";

/// How `webhook serve` writes its log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-12-06T03:01:55.123Z webhook msg_…: user.updated user_…: cache entry deleted, …`
    #[default]
    Text,
    /// `{"time":"…","level":"info","message":"…","delivery":"msg_…","event":"user.updated","user":"user_…","status":204}`
    Json,
}

#[derive(Debug, Args)]
pub struct WebhookServeArgs {
    /// Address and port to listen on (port 0 picks a free one), e.g. 0.0.0.0:8787
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR:PORT", value_parser = socket_arg)]
    pub listen: std::net::SocketAddr,

    #[command(flatten)]
    pub cache: CacheUrlArg,

    /// On user.created and user.updated, write the user from the payload instead of deleting
    #[arg(long)]
    pub prime: bool,

    /// How long users written by --prime live in Redis, as batch-get's --cache-ttl
    #[arg(long, default_value = "60s", value_parser = ttl_arg, value_name = "DURATION")]
    pub cache_ttl: Duration,

    /// How long a deleted user's tombstone and an updated user's version marker are kept (at
    /// least the longest --cache-ttl of any batch-get using this cache)
    #[arg(long, default_value = "1d", value_parser = ttl_arg, value_name = "DURATION")]
    pub tombstone_ttl: Duration,

    /// Read the signing secret (whsec_...) from this file instead of CLERK_WEBHOOK_SIGNING_SECRET
    #[arg(long, value_name = "PATH")]
    pub signing_secret_file: Option<PathBuf>,

    /// The log on stderr: text lines that start with the time (RFC 3339, UTC), or one JSON
    /// object per line (time, level, message, delivery, event, user, status) for log collectors
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// clap value parser for an `IP:PORT` to listen on.
pub(crate) fn socket_arg(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!("{s:?} is not an address and port (for example 127.0.0.1:8787, 0.0.0.0:8787, [::1]:8787)")
    })
}

pub(crate) const SANDBOX_AFTER_HELP: &str = "\
The first two lines on stdout are the environment a client needs (the first is printed only once
the port is bound):
  CLERK_API_URL=http://127.0.0.1:PORT
  CLERK_SECRET_KEY=sk_test_...
It then serves until Ctrl-C or SIGTERM and exits 0. One line on stderr says what it serves.

The budget comes from the global --plan, --rate and --burst, as for every other command.
Users are generated from --seed: the same seed and --users give the same users on every run.
Ids are Clerk-shaped (user_ + 27 characters); created_at spans 2023-01-01..2026-01-01 and some
users share a millisecond, as real instances do.

Examples:
  clerk-rl sandbox      # 1000 users, free plan (20/10s), any free port
  clerk-rl --rate 5/1s sandbox --algorithm fixed
  clerk-rl --plan pro sandbox --algorithm bucket --rate-limit-headers ietf
  clerk-rl sandbox --rate-limit-headers x-ratelimit
  clerk-rl sandbox --users 1000000 --seed 7 --port 8787
  clerk-rl sandbox --listen 0.0.0.0:8787   # reachable from containers
  clerk-rl sandbox --block 30s --retry-after http-date
  clerk-rl sandbox --faults 500:0.05,reset:0.01,truncate:0.01,slow=2s:0.01
  clerk-rl sandbox --faults reset:0.5 --fault-seed 3 --faults-max 10
  clerk-rl sandbox --request-log requests.jsonl --reject-cursor
  clerk-rl sandbox --accept-key sk_test_ci --over-quota-key sk_test_full
  clerk-rl sandbox --forbidden-key sk_test_ro
  clerk-rl sandbox --ready-file /tmp/sandbox.url > sandbox.env &

Scripted use (--ready-file appears once both lines are written; docs/ci.md for CI):
  clerk-rl sandbox --port 0 --ready-file sandbox.url > sandbox.env &
  until [ -s sandbox.url ]; do sleep 0.1; done
  set -a; . ./sandbox.env; set +a   # exports CLERK_API_URL and CLERK_SECRET_KEY";

/// Options of `clerk-rl sandbox`; the budget comes from the global --plan/--rate/--burst.
#[derive(Debug, Clone, Args)]
#[command(after_help = SANDBOX_AFTER_HELP)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one), e.g. --port 8787
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub port: u16,

    /// Listen on this address instead of 127.0.0.1, e.g. --listen 0.0.0.0:8787 or --listen ::1 (a bare address takes --port)
    #[arg(long, value_name = "ADDR", value_parser = listen_arg)]
    pub listen: Option<std::net::SocketAddr>,

    /// How many generated users it holds, e.g. --users 1000000 (generated on demand: fast, small)
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub users: u64,

    /// How many generated organizations it holds (GET /v1/organizations), e.g. --organizations 500
    #[arg(long, default_value_t = 120, value_name = "N")]
    pub organizations: u64,

    /// Seed of the users, the key and the faults, e.g. --seed 7
    #[arg(long, default_value_t = 42, value_name = "SEED")]
    pub seed: u64,

    /// Also accept this secret key (repeatable), e.g. --accept-key sk_test_ci
    #[arg(long, value_name = "KEY")]
    pub accept_key: Vec<String>,

    /// A key that authenticates but gets 403 quota_exceeded (repeatable), e.g. --over-quota-key sk_test_full
    #[arg(long, value_name = "KEY")]
    pub over_quota_key: Vec<String>,

    /// A key that authenticates but gets 403 authorization_invalid (repeatable), e.g. --forbidden-key sk_test_ro
    #[arg(long, value_name = "KEY")]
    pub forbidden_key: Vec<String>,

    /// How the limit is counted per key, e.g. --algorithm bucket
    #[arg(long, value_enum, default_value = "sliding")]
    pub algorithm: crate::sandbox::Algorithm,

    /// After a 429, refuse every request of that key for this long, e.g. --block 30s
    #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
    pub block: Option<Duration>,

    /// Rate-limit headers on every limited response, e.g. --rate-limit-headers x-ratelimit
    #[arg(long, value_enum, default_value = "none", value_name = "STYLE")]
    pub rate_limit_headers: crate::sandbox::HeaderStyle,

    /// The Retry-After header of a 429, e.g. --retry-after http-date
    #[arg(long, value_enum, default_value = "seconds", value_name = "STYLE")]
    pub retry_after: crate::sandbox::RetryAfterStyle,

    /// Inject failures into a seeded share of requests, e.g. --faults 500:0.05,reset:0.01,truncate:0.01,slow=2s:0.01
    /// (a status 400..599, reset = drop the connection, reset-after = drop it after the handler
    /// ran (a create committed, its answer lost), truncate = half the body, slow=DURATION)
    #[arg(long, value_parser = crate::sandbox::faults::faults_arg, value_name = "SPEC")]
    pub faults: Option<crate::sandbox::FaultSpec>,

    /// Seed of the fault draws (default: --seed), e.g. --fault-seed 3
    #[arg(long, value_name = "SEED")]
    pub fault_seed: Option<u64>,

    /// Inject at most N faults in all, then serve normally, e.g. --faults-max 5
    #[arg(long, value_name = "N")]
    pub faults_max: Option<u64>,

    /// Append one JSON line per request (time, method, path, query, status, fault), e.g. --request-log requests.jsonl
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,

    /// Answer starting_after with 422 form_param_unknown, like an API version without cursors
    #[arg(long)]
    pub reject_cursor: bool,

    /// Answer a query parameter GET /v1/users or /v1/users/count does not define with 422
    /// form_param_unknown (Clerk ignores it: a misspelt filter widens the result silently)
    #[arg(long)]
    pub strict: bool,

    /// Round-trip time added to every request, like a distant server (e.g. 150ms): half before
    /// the request is counted and logged, half before the response leaves
    #[arg(long, value_name = "DURATION", value_parser = crate::pacing::budget::duration_or_zero_arg, default_value = "0s")]
    pub latency: std::time::Duration,

    /// Vary each half of --latency by up to this much, uniformly (e.g. 20%): Clerk from afar
    /// never answers in exactly the same time twice
    #[arg(long, value_name = "PERCENT", value_parser = percent_arg, default_value = "0%")]
    pub jitter: f64,

    /// The server's own time per user on a list page, e.g. 0.2ms (a 500-user page then takes
    /// 100 ms longer than a 1-user page), spent within a --capacity slot
    #[arg(long, value_name = "DURATION", value_parser = crate::pacing::budget::duration_or_zero_arg, default_value = "0s")]
    pub per_user: std::time::Duration,

    /// Serve at most N requests at once; the rest queue (before they are counted), as a real
    /// server does. Default: no bound
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub capacity: Option<u32>,

    /// Misbehave on GET /v1/users as a proxy, a cache or an old API version can, to rehearse
    /// what export-users and batch-get do then (repeatable)
    #[arg(long, value_name = "HOW", value_enum)]
    pub misbehave: Vec<crate::sandbox::Misbehave>,

    /// Once the server listens, write its URL and a newline to this file (whole, by a rename),
    /// for a CI step to wait on; removed first if it exists, and again when the sandbox stops,
    /// e.g. --ready-file /tmp/sandbox.url
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
}

/// clap value parser for a share: `20%` or `0.2`, from 0 to 100%.
pub(crate) fn percent_arg(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("{s:?} is not a share (for example 20% or 0.2)"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{s:?} is outside 0% to 100%"));
    }
    Ok(v)
}

/// clap value parser for `--listen`: `IP:PORT`, or a bare IP (port from --port).
pub(crate) fn listen_arg(s: &str) -> Result<std::net::SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 0))
        .map_err(|_| {
            format!("{s:?} is not an address (for example 127.0.0.1:8787, 0.0.0.0:0, [::1]:8787)")
        })
}
