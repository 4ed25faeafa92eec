//! The flags of the commands that move users: export-users, batch-get, import-users, and the
//! `--cache` they share.

use super::*;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a
    /// checkpoint makes it resumable
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Users per page (one request each), 1..500
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub page_size: u32,

    /// Skip the two count requests (at the start for the progress bar's total and ETA, at the
    /// end to prove every user was written): the export is then not checked, and says so
    #[arg(long)]
    pub no_count: bool,

    /// A filter of GET /v1/users, e.g. banned=false, query=smith, created_at_after=2024-01-01
    /// (repeatable). Names are checked against the API's list; *_at_* filters take Unix
    /// milliseconds or RFC 3339 dates and date-times (2024-01-01, 2024-01-01T12:00:00Z)
    #[arg(long = "filter", value_name = "KEY=VALUE", value_parser = filter_arg)]
    pub filters: Vec<(String, String)>,

    /// One count request, then print users, requests needed and the time the budget implies
    #[arg(long)]
    pub dry_run: bool,

    /// Checkpoint file (default: FILE.checkpoint beside --output)
    #[arg(long, value_name = "PATH", requires = "output")]
    pub checkpoint: Option<PathBuf>,

    /// Continue an interrupted export from its checkpoint
    #[arg(long, requires = "output")]
    pub resume: bool,

    /// Replace an existing output, discarding an unfinished export's checkpoint
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,

    /// Concurrent page streams; 0 picks them from the budget and the latency (1 = sequential)
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=64))]
    pub concurrency: u32,
}

pub(crate) const BATCH_GET_AFTER_HELP: &str = "\
Ids come one per line from FILE, or from stdin when FILE is absent or '-', or as the 'id' of
JSON Lines (an export-users file). Blank lines and '#' comments are skipped, spaces trimmed,
each id is fetched once however often it appears, and input without a single id exits 2.
A line that is not user_ followed by letters and digits is reported with its line number and
skipped (--strict: exit 2 before any request). Found users are written once each, in the order
of their first appearance; ids not found are listed on stderr and make the exit code 7.

Cache keys (Redis): clerk:{INSTANCE}:user:{ID}, INSTANCE being a hash of the secret key (never
the key), the value the user's JSON as the server sent it, expiring after --cache-ttl.

Exit codes: 0 all found (or --allow-missing), 7 some ids not found, 2 bad input, a bad flag or
a malformed --cache URL (and any --strict defect), 1 Redis unavailable with --cache-required
or another run writing the same --output, 6 a server that hides users from capped user_id=
lists, 129/130/143 SIGHUP/Ctrl-C/SIGTERM (the partial file removed).

Examples:
  clerk-rl batch-get ids.txt > users.jsonl
  cut -d, -f1 users.csv |
      clerk-rl batch-get --allow-missing --output users.jsonl
  clerk-rl batch-get ids.txt --cache redis://127.0.0.1:6379/0 --cache-ttl 10m
  CLERK_RL_CACHE=redis://cache:6379/2 clerk-rl batch-get ids.txt --refresh
  clerk-rl batch-get ids.txt --strategy get   # one GET /v1/users/{id} per id";

/// How batch-get asks for users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// GET /v1/users?user_id=...&limit=100: up to 100 ids per request
    List,
    /// GET /v1/users/{id}: one request per id (for servers without the user_id filter)
    Get,
}

#[derive(Debug, Args)]
pub struct BatchGetArgs {
    /// File of user ids, one per line, or JSON Lines of users ('-' or absent: stdin)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Requests in flight at once; 0 (the default) keeps as many as the budget needs at the
    /// measured round trip (rate x round trip, up to 64). The budget paces them all either way
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=64))]
    pub concurrency: u32,

    /// list: up to 100 ids per request; get: one request per id
    #[arg(long, value_enum, default_value = "list")]
    pub strategy: Strategy,

    /// Exit 0 even when some ids are not found (they are still listed on stderr)
    #[arg(long)]
    pub allow_missing: bool,

    /// A line that is not a user id is an error (exit 2, before any request)
    #[arg(long)]
    pub strict: bool,

    #[command(flatten)]
    pub cache: CacheUrlArg,

    /// How long cached users live in Redis, e.g. 60s, 10m, 1h
    #[arg(long, default_value = "60s", value_parser = ttl_arg, value_name = "DURATION")]
    pub cache_ttl: Duration,

    /// Ignore cached users: fetch every id and rewrite its cache entry
    #[arg(long)]
    pub refresh: bool,

    /// Exit 1 when Redis is unavailable, instead of warning once and working uncached
    #[arg(long)]
    pub cache_required: bool,
}

pub(crate) const IMPORT_USERS_AFTER_HELP: &str = "\
Each line is a Clerk User object (as export-users writes it: emails and phones primary first,
names, username, the three metadata, external_id; the source id becomes external_id when there
is none) or a POST /v1/users body. Its identity is its external_id, else the source id, else its
primary email. Lines without password_digest are created with skip_password_requirement
(--require-password makes them invalid instead); Clerk's exports never contain passwords.

A journal (FILE.import-journal, or --state PATH) records every line's outcome, fsynced: a rerun
after a crash, SIGKILL or Ctrl-C goes on where it stopped and never creates a user twice; a
create whose answer was lost is looked up by its identity before it is sent again.

Results: one JSON line per input line, in input order (stdout or --results PATH): line,
identity, status created | exists | rejected | invalid, the Clerk id or the error.

Exit status: 0 every line created or already there; 7 some rejected or invalid; otherwise the
usual codes (3 rate limited past --max-wait, 4 key refused, 6 answers lost over and over).

Examples:
  clerk-rl import-users users.jsonl > results.jsonl
  clerk-rl import-users --dry-run users.jsonl
  cat users.jsonl | clerk-rl import-users --state import.journal --results results.jsonl -";

#[derive(Debug, Args)]
pub struct ImportUsersArgs {
    /// JSON Lines of users or POST /v1/users bodies ('-' or absent: stdin, which needs --state)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The journal of outcomes (default: FILE.import-journal beside the input)
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// Write the per-line results to PATH instead of stdout
    #[arg(long, value_name = "PATH")]
    pub results: Option<PathBuf>,

    /// A line without password or password_digest is invalid (instead of being created with
    /// skip_password_requirement)
    #[arg(long)]
    pub require_password: bool,

    /// Check every line offline and print the bodies that would be sent; send nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Creates in flight at once; 0 (the default) keeps as many as the budget needs at the
    /// measured round trip (rate x round trip, up to 64). The budget paces them all either way
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=64))]
    pub concurrency: u32,
}

/// `--cache URL`, shared by batch-get and cache purge.
#[derive(Debug, Clone, Args)]
pub struct CacheUrlArg {
    /// Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster:
    /// redis+cluster://HOST:PORT[,HOST:PORT...]
    #[arg(
        long = "cache",
        env = "CLERK_RL_CACHE",
        hide_env_values = true,
        value_name = "redis://HOST:PORT/DB"
    )]
    pub url: Option<String>,
}

/// `KEY=VALUE`, KEY one of the filters the API defines for GET /v1/users (a typo is refused with
/// the nearest name: Clerk would ignore it and return everyone), dates turned into milliseconds.
pub(crate) fn filter_arg(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE (for example banned=false)"))?;
    crate::api::check_filter(k.trim(), v)
}
