//! Every flag clerk-rl takes, in one place.
//!
//! Conventions:
//! - Global options come before or after the subcommand alike (`global = true`).
//! - No flag takes the secret key itself: it comes from `CLERK_SECRET_KEY` or `--secret-key-file`,
//!   so it never lands in shell history or `ps` output.
//! - Durations use humantime syntax (`10s`, `1m`, `250ms`); rates are `N/DURATION`.
//! - Output goes to stdout (tables, JSON, JSON Lines); everything else (progress, warnings, the
//!   end-of-run summary) goes to stderr, so `clerk-rl export-users > users.jsonl` is clean.

pub mod help;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::pacing::budget::{Plan, Rate, burst_arg, duration_arg, rate_arg};

const AFTER_HELP: &str = "\
The secret key comes from the environment variable CLERK_SECRET_KEY, or from a file with
--secret-key-file PATH ('-' reads it from stdin). It is never taken as a flag.

Exit codes:
  0    success
  1    other error (also: another run is writing the same --output, its pid named)
  2    usage error (bad flag, bad input file)
  3    rate limited past --max-retries or --max-wait (or status --min-remaining not met)
  4    authentication or authorization failed (401, 403)
  5    the instance's quota is exceeded (403 quota_exceeded)
  6    server or network error past retries, or a server that misbehaved so that no correct
       result can be proven (pages out of order, repeated or going back; fewer users than the
       count)
  7    partial result (for example ids not found)
  129  stopped by SIGHUP (export-users saves its checkpoint, batch-get removes its partial file)
  130  interrupted (Ctrl-C)
  143  stopped by SIGTERM (as Ctrl-C)

Examples:
  clerk-rl --sandbox status                   # try it with no Clerk account
  clerk-rl --sandbox export-users > users.jsonl
  read -rs CLERK_SECRET_KEY && export CLERK_SECRET_KEY   # paste the key, Enter
  clerk-rl status --json --min-remaining 20   # a CI gate
  clerk-rl --plan prod export-users --output users.jsonl
  clerk-rl batch-get ids.txt --cache redis://127.0.0.1:6379/0 > users.jsonl
  # any endpoint:
  clerk-rl api -X PATCH users/user_123/metadata -F 'public_metadata[plan]=pro'
  # keep that cache true (Clerk's webhooks):
  clerk-rl webhook serve --cache redis://127.0.0.1:6379/0";

/// `--version`: what a bug report needs, as rg gives it (`-V` stays the one line). The commit,
/// date and features come from build.rs.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("CLERK_RL_GIT_COMMIT"),
    "\nbuilt: ",
    env!("CLERK_RL_BUILD_DATE"),
    "\ntarget: ",
    env!("CLERK_RL_TARGET"),
    "\nfeatures: ",
    env!("CLERK_RL_FEATURES"),
    "\ncompiled in: TLS (rustls), HTTP/2, Redis over TLS"
);

#[derive(Debug, Parser)]
#[command(
    name = "clerk-rl",
    version,
    long_version = LONG_VERSION,
    about = "Inspect and exercise the rate limits of Clerk's Backend API",
    long_about = "Inspect and exercise the rate limits of Clerk's Backend API.\n\n\
Every command goes through one HTTP core that paces requests to a budget (--plan, --rate,\n\
--burst), reads every rate-limit header convention, retries 429s honoring Retry-After and\n\
retries transient failures with backoff. --sandbox runs any command against a local\n\
Clerk-compatible server, so nothing here needs a Clerk account to try.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)
    #[arg(
        long,
        env = "CLERK_API_URL",
        default_value = "https://api.clerk.com",
        global = true,
        value_name = "URL"
    )]
    pub api_url: String,

    /// Read the secret key from this file ('-' reads stdin) instead of CLERK_SECRET_KEY
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,

    /// Budget preset. Clerk's documented limits: dev 100/10s (development instances), prod
    /// 1000/10s (production instances). This tool's cautious presets, not Clerk figures: free
    /// 20/10s, pro 100/10s
    #[arg(
        long,
        env = "CLERK_RL_PLAN",
        value_enum,
        default_value = "free",
        global = true
    )]
    pub plan: Plan,

    /// Custom budget overriding the plan's rate, e.g. 100/10s, 5/1s, 300/1m
    #[arg(long, global = true, value_name = "N/DURATION", value_parser = rate_arg)]
    pub rate: Option<Rate>,

    /// Pace as a token bucket of this capacity (bursts above the strict window)
    #[arg(long, global = true, value_name = "N", value_parser = burst_arg)]
    pub burst: Option<u32>,

    /// Override one of Clerk's documented endpoint limits, paced besides the budget (repeatable):
    /// user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create
    /// (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)
    #[arg(long, global = true, value_name = "NAME=N/DURATION", value_parser = crate::pacing::endpoint_limits::endpoint_rate_arg)]
    pub endpoint_rate: Vec<(String, Rate)>,

    /// Machine-readable output: JSON on stdout, the summary as one JSON line on stderr
    #[arg(long, global = true)]
    pub json: bool,

    /// Never show progress bars (they are hidden anyway when stderr is not a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Retries per request for 429s and transient failures
    #[arg(long, global = true, default_value_t = 8, value_name = "N")]
    pub max_retries: u32,

    /// Timeout of one request, e.g. 30s
    #[arg(long, global = true, default_value = "30s", value_parser = duration_arg, value_name = "DURATION")]
    pub timeout: Duration,

    /// Give up (exit 3) when the server asks us to wait longer than this
    #[arg(long, global = true, default_value = "2m", value_parser = duration_arg, value_name = "DURATION")]
    pub max_wait: Duration,

    /// More detail on stderr (-v: retries and waits, -vv: every request)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Share the key's budget with every clerk-rl process using this Redis, e.g.
    /// redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes,
    /// redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel,
    /// redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there
    /// too, unless --cache is given)
    #[arg(
        long,
        global = true,
        env = "CLERK_RL_BUDGET_STORE",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub budget_store: Option<String>,

    /// With --budget-store: when Redis is unreachable at the start, pace locally with a warning
    /// instead of exiting 1
    // Not clap's `requires`: the store may come from the profile, which clap cannot see;
    // config::apply checks it once the profile is applied.
    #[arg(long, global = true)]
    pub budget_store_optional: bool,

    /// Run against an in-process sandbox instead of Clerk (no account or key needed)
    #[arg(long, global = true)]
    pub sandbox: bool,

    /// With --sandbox: how many users the sandbox holds
    #[arg(long, global = true, default_value_t = 1000, value_name = "N")]
    pub sandbox_users: u64,

    /// With --sandbox: the seed its users are generated from
    #[arg(long, global = true, default_value_t = 42, value_name = "SEED")]
    pub sandbox_seed: u64,

    /// Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its
    /// api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and
    /// environment variables
    #[arg(long, global = true, env = "CLERK_RL_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// The profile's secret_key_file: read only when neither --secret-key-file nor
    /// CLERK_SECRET_KEY gives the key.
    #[arg(skip)]
    pub profile_key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One quick call: rate-limit headers, instance type, documented limit, budget
    #[command(after_help = "\
Examples:
  clerk-rl status
  clerk-rl status --json
  # exit 3 when under 20% of the limit remains (a CI gate):
  clerk-rl status --min-remaining 20")]
    Status(StatusArgs),

    /// Measure the limit, burst and window the server really enforces for this key
    #[command(after_help = PROBE_AFTER_HELP)]
    Probe(ProbeArgs),

    /// Dump every user as JSON Lines, paced to the budget, resumable
    #[command(after_help = "\
Examples:
  clerk-rl export-users > users.jsonl
  clerk-rl export-users --output users.jsonl            # atomic, resumable
  clerk-rl export-users --output users.jsonl --resume   # after a crash
  clerk-rl export-users --filter banned=false \\
      --filter created_at_after=1700000000000
  clerk-rl --plan prod export-users --dry-run           # how long?
  # a retry loop:
  until clerk-rl export-users -o users.jsonl --resume; do sleep 30; done

Users are written exactly as the server sent them, oldest first, one per line. Users who sign
up during the export are included; none is written twice. Exit 0 means every user exactly once,
checked against the count: every page is checked as it arrives and the users written against
/v1/users/count at the start and the end; a server that breaks paging ends the run with exit 6,
the output not put into place. --output FILE is locked (FILE.lock) for one writer at a time;
--resume with nothing to resume starts, after completion does nothing; SIGTERM and SIGHUP save
the checkpoint as Ctrl-C does (exit 143, 129).")]
    ExportUsers(ExportArgs),

    /// Call any Backend API endpoint through the paced, retried core (like `gh api`)
    #[command(after_help = API_AFTER_HELP)]
    Api(ApiArgs),

    /// Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache
    #[command(after_help = BATCH_GET_AFTER_HELP)]
    BatchGet(BatchGetArgs),

    /// Create users from JSON Lines (export-users' output or POST /v1/users bodies), exactly once
    #[command(after_help = IMPORT_USERS_AFTER_HELP)]
    ImportUsers(ImportUsersArgs),

    /// Manage the Redis cache batch-get keeps (no request to Clerk)
    Cache(CacheArgs),

    /// Run a local Clerk-compatible Backend API server
    Sandbox(SandboxArgs),

    /// Receive Clerk's webhooks and keep the batch-get cache true
    Webhook(WebhookArgs),

    /// Show the settings in force and where each came from (flag, environment, profile, default)
    #[command(after_help = CONFIG_AFTER_HELP)]
    Config(ConfigArgs),

    /// Print a shell completion script to stdout
    #[command(
        after_help = "Examples:\n  clerk-rl completions bash \\\n      > ~/.local/share/bash-completion/completions/clerk-rl\n  clerk-rl completions zsh > ~/.zfunc/_clerk-rl\n  clerk-rl completions fish > ~/.config/fish/completions/clerk-rl.fish"
    )]
    Completions(CompletionsArgs),

    /// Print a man page to stdout, or write them all into a folder with --dir
    #[command(after_help = "\
Examples:
  clerk-rl man | man -l -                      # read the clerk-rl page now
  clerk-rl man export-users | man -l -
  clerk-rl man --dir ~/.local/share/man/man1   # install every page")]
    Man(ManArgs),
}

const CONFIG_AFTER_HELP: &str = "\
Profiles live in $XDG_CONFIG_HOME/clerk-rl/config.toml (else ~/.config/clerk-rl/config.toml), one
table per profile, every setting optional:

  [profiles.prod]
  api_url = \"https://api.clerk.com\"
  secret_key_file = \"~/.config/clerk/prod.key\"
  plan = \"prod\"                      # or: rate = \"500/10s\"
  burst = 50
  budget_store = \"redis://127.0.0.1:6379/0\"
  cache = \"redis://127.0.0.1:6379/1\"

A profile is used only when chosen, with --profile NAME or CLERK_RL_PROFILE. Flags beat
environment variables, which beat the profile, which beats the defaults (CLERK_SECRET_KEY beats a
profile's secret_key_file). The key is shown masked, never whole.

Examples:
  clerk-rl --profile prod config show
  CLERK_RL_PROFILE=staging clerk-rl export-users --output users.jsonl
  clerk-rl --profile prod --plan free status   # the flag beats the profile";

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting in force, its value (the key masked) and where it came from
    #[command(after_help = CONFIG_AFTER_HELP)]
    Show,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 3 when the Remaining header is under PCT percent of the Limit header
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_remaining: Option<u8>,

    /// Let the --min-remaining gate pass when the server sends no Remaining and Limit headers
    /// (without it the gate fails closed: exit 3)
    #[arg(long, requires = "min_remaining")]
    pub allow_unknown: bool,
}

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

const API_AFTER_HELP: &str = "\
PATH is under /v1/, with or without the prefix (users/count, /v1/users/count); a query may follow
'?'. The method is GET unless -X says otherwise (unlike gh, fields never turn a GET into a POST).
For GET and HEAD, -f/-F fields become query parameters; for other methods they build a JSON body
(key[sub]=value nests, key[]=value appends). -f values are strings; -F values are typed as gh types them: true,
false, null and integers that fit 64 bits as JSON, anything else (1e3, 1.5, a 20-digit id past
u64) a string; @FILE the file's content (as JSON when it is JSON, else a string; @- reads stdin,
once: not with --input -). --input FILE (or -) sends a body as is; fields then go to the query.

The response body goes to stdout whatever the status: a JSON body as one value and a newline
(compact when piped, so a loop prints JSON Lines; indented on a terminal), anything else exactly
as the server sent it; --include adds the status line and headers on stderr. A non-2xx final answer exits with the code of the
exit-code table (401/403 -> 4, 400/422 -> 2, 404 and other 4xx -> 1, 5xx -> 6).

Retries: a 429 always (the server refused it, so nothing happened); 5xx, dropped connections and
timeouts only for GET, HEAD, DELETE and requests with an Idempotency-Key header (-H), never for a
POST or PATCH without one: it may have been applied.

Endpoint budgets: PATCH /v1/users/{id} and /metadata (10/10s per user), POST /v1/invitations
(100/1h) and /bulk (25/1h) are paced to their own budget besides the instance's, shared with
other clerk-rl processes through --budget-store, else through a state file per budget (in
CLERK_RL_STATE_DIR, XDG_STATE_HOME/clerk-rl or ~/.local/state/clerk-rl), so a loop of separate
processes gets no 429 either.

--paginate walks a list endpoint (a plain array or {data, total_count}), by cursor
(starting_after) on /v1/users and by overlapping offset pages elsewhere, checks order, progress
and the count, and writes one item per line (JSON Lines). A server that breaks them exits 6.

--batch FILE ('-' stdin) sends one request per line, a JSON object with method, path and
optionally body, headers, idempotency_key, id: lines on one user, organization or membership in file order (a failure
holds the later ones: skipped), others side by side; one result per line in input order (ok,
failed, skipped, unknown, invalid); exit 0 all ok, 7 otherwise. A journal (FILE.batch-journal or
--state) lets a rerun send only what is unfinished; a PATCH/POST whose answer was lost is unknown,
never sent twice without an idempotency_key. --dry-run checks every line and prints the plan.

Examples:
  clerk-rl api users/count
  clerk-rl api '/v1/users?limit=5&order_by=-created_at'
  clerk-rl api organizations --paginate > orgs.jsonl
  clerk-rl api -X POST organizations -f name=Acme -f slug=acme
  clerk-rl api -X PATCH users/user_123/metadata -F 'public_metadata[plan]=pro'
  clerk-rl api -X POST invitations -f email_address=a@example.com \\
      -H 'Idempotency-Key: inv-a'
  clerk-rl api --batch updates.jsonl --results results.jsonl
  cut -d, -f1 ids.csv |
      xargs -I{} clerk-rl api -X PATCH users/{} -F banned=false";

const BATCH_GET_AFTER_HELP: &str = "\
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

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The endpoint, under /v1/ (the prefix is optional), with an optional ?query
    #[arg(value_name = "PATH", required_unless_present = "batch")]
    pub path: Option<String>,

    /// The HTTP method: GET, POST, PATCH, PUT, DELETE or HEAD
    #[arg(short = 'X', long, default_value = "GET", value_name = "METHOD", value_parser = method_arg)]
    pub method: String,

    /// A string field, KEY=VALUE: a query parameter for GET, else a JSON body field (repeatable)
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,

    /// A typed field, KEY=VALUE: true, false, null and numbers as JSON, @FILE a file's content
    /// (repeatable)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// An extra request header, e.g. -H 'Idempotency-Key: 3f1c…' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Send this file ('-' for stdin) as the request body, as is
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Walk every page of a list endpoint and write its items as JSON Lines
    #[arg(long)]
    pub paginate: bool,

    /// With --paginate: items per page (the limit sent), 1..500
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500), requires = "paginate")]
    pub page_size: u32,

    /// Print the response's status line and headers on stderr
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Send every request of FILE ('-' for stdin), one JSON object a line:
    /// {"method","path","body","headers","idempotency_key","id"}; results as JSON Lines
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "paginate", "input", "include", "raw_fields", "fields", "headers"])]
    pub batch: Option<PathBuf>,

    /// With --batch: write the results to PATH instead of stdout
    #[arg(long, value_name = "PATH", requires = "batch")]
    pub results: Option<PathBuf>,

    /// With --batch: the journal of finished lines (default: FILE.batch-journal beside FILE)
    #[arg(long, value_name = "PATH", requires = "batch")]
    pub state: Option<PathBuf>,

    /// With --batch: check every line and print the plan and the time the budgets need; send
    /// nothing
    #[arg(long, requires = "batch")]
    pub dry_run: bool,
}

fn method_arg(s: &str) -> Result<String, String> {
    let m = s.trim().to_ascii_uppercase();
    match m.as_str() {
        "GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "HEAD" => Ok(m),
        _ => Err(format!(
            "{s:?} is not one of GET, POST, PATCH, PUT, DELETE, HEAD"
        )),
    }
}

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

const IMPORT_USERS_AFTER_HELP: &str = "\
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

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Delete cached users of this instance (the key's), by id or all of them
    #[command(after_help = "\
Only this instance's entries (clerk:{INSTANCE}:user:*, INSTANCE a hash of the secret key) are
deleted; other instances sharing the Redis keep theirs. No request is sent to Clerk.

The version markers and tombstones webhook serve leaves (clerk:{INSTANCE}:version:*, :deleted:*)
are kept: they are never served, they only stop a batch-get still running from writing back an
older or deleted user. --guards deletes them too (for a sandbox restarted with the same seed,
whose deleted ids exist again).

Examples:
  clerk-rl cache purge --cache redis://127.0.0.1:6379/0 user_2abc user_2def
  CLERK_RL_CACHE=redis://127.0.0.1:6379/0 clerk-rl cache purge --all")]
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["ids", "all"]))]
pub struct PurgeArgs {
    /// User ids whose cached entries to delete
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,

    /// Delete every cached user of this instance
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,

    /// Also delete the version markers and tombstones of those users (or of all, with --all)
    #[arg(long)]
    pub guards: bool,

    #[command(flatten)]
    pub cache: CacheUrlArg,
}

const PROBE_AFTER_HELP: &str = "\
probe provokes 429s on purpose: it sends unpaced requests (GET only) until the server refuses,
then watches how capacity comes back. It announces the most requests and time it will spend
before starting, stays within --max-requests and --max-duration (default 3x the limit to find),
and refuses a production key (sk_live_) without --allow-production; with one, it sends nothing
during a Retry-After wait (--sample-during-waits to sample anyway). Ctrl-C stops at once and
prints the report so far (exit 130).

Modes:
  burst      back-to-back until the first 429, then sparse requests to time the recovery:
             the burst, the limit N per window W, and the algorithm (fixed window, sliding
             window, token bucket) with its evidence. It keeps enough in flight to send twice
             the limit to find (--expect, else the key's documented limit) over the measured
             round trip, up to --concurrency, and says so; if that cannot outrun the limit it
             stops after one request (exit 2). A verdict the responses cannot settle is
             marked tentative, with the model not ruled out and what would decide
  ramp       step the rate from --from to --to (--steps steps of --step-duration), stopping
             after the first step that gets a 429
  constant   hold --probe-rate for --duration and count accepted vs limited

Rates are requests per second (2.5) or N/DURATION (100/10s). The global --rate and --burst are
the budget other commands pace to; the report prints the values to set them to.

The recommended --rate/--burst never exceed what was measured: limit and capacity rounded
down, window up, the margin stated.

Exit codes: 0 measured (also: no limit reached within the bounds), 2 bad input, a production
key without --allow-production, or too few in flight to outrun the limit, 3 the very first
request was refused, 130 Ctrl-C.

Examples:
  clerk-rl --sandbox probe
  clerk-rl probe --json > probe.json
  clerk-rl probe --plot probe.svg --timeline probe.csv
  clerk-rl probe --allow-production --expect 1000/10s
  clerk-rl probe --mode ramp --from 1 --to 20 --step-duration 5s
  clerk-rl probe --mode constant --probe-rate 100/10s --duration 30s";

/// How `probe` loads the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeMode {
    /// Back-to-back until the first 429, then time the recovery (infers N, W and the algorithm)
    Burst,
    /// Step the rate up from --from to --to until 429s start
    Ramp,
    /// Hold --probe-rate for --duration
    Constant,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// burst, ramp or constant
    #[arg(long, value_enum, default_value = "burst")]
    pub mode: ProbeMode,

    /// The GET path to probe, under /v1/, e.g. --endpoint '/v1/users/count'
    #[arg(long, default_value = "/v1/users?limit=1", value_name = "PATH")]
    pub endpoint: String,

    /// Send at most this many requests (default: 3x the documented limit of the key's instance,
    /// else 3x the budget's limit)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,

    /// Stop sending after this long
    #[arg(long, default_value = "60s", value_parser = duration_arg, value_name = "DURATION")]
    pub max_duration: Duration,

    /// The most requests in flight at once. Burst mode chooses enough to send twice the limit to
    /// find over the first request's round trip (at least 4) and says what it chose; ramp and
    /// constant modes use it as their bound
    #[arg(long, default_value_t = 128, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,

    /// The limit to find, e.g. --expect 1000/10s (default: the documented limit of the key's
    /// instance, else the budget's --rate). It sets how many requests burst mode keeps in
    /// flight and the default --max-requests (3x it)
    #[arg(long, value_name = "N/DURATION", value_parser = rate_arg)]
    pub expect: Option<Rate>,

    /// Ramp: the first rate (per second, or N/DURATION)
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub from: Option<f64>,

    /// Ramp: the last rate (per second, or N/DURATION)
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub to: Option<f64>,

    /// Ramp: how many rates from --from to --to
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=100))]
    pub steps: u32,

    /// Ramp: how long each rate is held
    #[arg(long, default_value = "5s", value_parser = duration_arg, value_name = "DURATION")]
    pub step_duration: Duration,

    /// Constant: the rate to hold (per second, or N/DURATION); named apart from the global
    /// --rate, which is the budget
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub probe_rate: Option<f64>,

    /// Constant: how long to hold it
    #[arg(long, default_value = "10s", value_parser = duration_arg, value_name = "DURATION")]
    pub duration: Duration,

    /// Allow probing with a production (sk_live_) key: it spends that instance's real limit
    #[arg(long)]
    pub allow_production: bool,

    /// Burst mode: send nothing while a Retry-After wait runs (the default for a production key,
    /// whose budget is the live application's). N and the algorithm are still found; the window
    /// only to the resolution of the Retry-After values (whole seconds at Clerk)
    #[arg(long, conflicts_with = "sample_during_waits")]
    pub honor_retry_after: bool,

    /// Burst mode: send sparse single requests during a Retry-After wait too, to time the window
    /// finely (the default for development and unknown keys)
    #[arg(long)]
    pub sample_during_waits: bool,

    /// Also draw the timeline as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Write every request (time, status, headers' remaining) as CSV into FILE
    #[arg(long, value_name = "FILE.csv")]
    pub timeline: Option<PathBuf>,
}

/// A probe rate: requests per second (`2.5`) or `N/DURATION` (`100/10s`); more than zero.
fn probe_rate_arg(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let per_s = if t.contains('/') {
        t.parse::<Rate>()?.per_second()
    } else {
        t.parse::<f64>().map_err(|_| {
            format!(
                "rate {s:?} is not requests per second or N/DURATION (for example 5, 2.5, 100/10s)"
            )
        })?
    };
    if !per_s.is_finite() || per_s <= 0.0 {
        return Err(format!("rate {s:?} must be more than zero"));
    }
    if per_s > 10_000.0 {
        return Err(format!("rate {s:?} is above the 10000/s a probe may send"));
    }
    Ok(per_s)
}

/// A cache TTL: Redis expiries are whole milliseconds, so less than one would never be stored.
fn ttl_arg(s: &str) -> Result<Duration, String> {
    let d = duration_arg(s)?;
    if d < Duration::from_millis(1) {
        return Err(format!("{s:?}: the TTL must be at least 1ms"));
    }
    Ok(d)
}

/// `KEY=VALUE`, KEY one of the filters the API defines for GET /v1/users (a typo is refused with
/// the nearest name: Clerk would ignore it and return everyone), dates turned into milliseconds.
fn filter_arg(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE (for example banned=false)"))?;
    crate::api::check_filter(k.trim(), v)
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["shell", "dir"]))]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish
    pub shell: Option<clap_complete::Shell>,
    /// Write the scripts of all five shells into this folder instead
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page to print to stdout: a command, e.g. status or webhook-serve (default: the
    /// clerk-rl page)
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub page: Option<String>,

    /// Write every page (clerk-rl.1, clerk-rl-status.1, ...) into this folder instead
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

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

const WEBHOOK_SERVE_AFTER_HELP: &str = "\
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
    pub log_format: crate::commands::webhook::log::LogFormat,
}

/// clap value parser for an `IP:PORT` to listen on.
fn socket_arg(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!("{s:?} is not an address and port (for example 127.0.0.1:8787, 0.0.0.0:8787, [::1]:8787)")
    })
}

const SANDBOX_AFTER_HELP: &str = "\
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
fn percent_arg(s: &str) -> Result<f64, String> {
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
fn listen_arg(s: &str) -> Result<std::net::SocketAddr, String> {
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

/// Parse argv; a thin wrapper so tests and `run` share it.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args)
}

/// Parse argv and keep the matches, which know where each value came from (for profiles).
pub fn parse_with_matches<I, T>(args: I) -> Result<(Cli, clap::ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let matches = command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    Ok((cli, matches))
}

/// The CLI as it parses and prints `--help`: every command's help shaped by [`crate::cli::help`]
/// (its own options first, the global ones summarised, its exit codes).
pub fn command() -> clap::Command {
    crate::cli::help::shaped(command_unshaped())
}

/// The CLI with the global options listed in full below every command (for the completion
/// scripts, which offer them after any command).
pub fn command_unshaped() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
