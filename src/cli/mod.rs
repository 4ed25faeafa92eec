//! Every flag clerk-rl takes, in one place.
//!
//! Conventions:
//! - Global options come before or after the subcommand alike (`global = true`).
//! - No flag takes the secret key itself: it comes from `CLERK_SECRET_KEY` or `--secret-key-file`,
//!   so it never lands in shell history or `ps` output.
//! - Durations use humantime syntax (`10s`, `1m`, `250ms`); rates are `N/DURATION`.
//! - Output goes to stdout (tables, JSON, JSON Lines); everything else (progress, warnings, the
//!   end-of-run summary) goes to stderr, so `clerk-rl export-users > users.jsonl` is clean.

mod api;
pub mod help;
mod probe;
mod servers;
mod users;

pub use api::*;
pub use probe::*;
pub use servers::*;
pub use users::*;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::pacing::budget::{Budget, Plan, Rate, burst_arg, duration_arg, rate_arg};

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

    /// HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does;
    /// over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the
    /// sandbox serves). HTTP/2 carries every request in flight on one connection
    #[arg(
        long,
        global = true,
        env = "CLERK_RL_HTTP_VERSION",
        value_enum,
        default_value = "auto",
        value_name = "VERSION"
    )]
    pub http_version: crate::http::HttpVersion,

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

    /// Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command
    /// runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)
    #[arg(long, global = true, env = "CLERK_RL_METRICS_LISTEN", value_name = "ADDR", value_parser = crate::metrics::listen_arg)]
    pub metrics_listen: Option<std::net::SocketAddr>,

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
}

impl GlobalArgs {
    /// N per W, as `--plan`, `--rate` and `--burst` (or the profile) describe it.
    pub fn budget(&self) -> Budget {
        Budget::new(self.plan, self.rate, self.burst)
    }
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

    /// Watch every process spending the key through --budget-store, like htop for one key
    #[command(after_help = TOP_AFTER_HELP)]
    Top(TopArgs),

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

const TOP_AFTER_HELP: &str = "\
Every clerk-rl process run with --budget-store writes a record every second into the store (one
hash per key, beside the budget's keys): its command, host and pid, requests in the last window,
waits, 429s and requests in flight. top reads those records; one older than 5 s is dropped (a
killed process disappears within seconds). It needs the key only to find the records (never
printed) and sends nothing to Clerk.

On a terminal it redraws in place every --interval until Ctrl-C; with --once, --json or when
stdout is not a terminal it prints once. The budget shown is the lowest one the processes report
(else --plan/--rate).

Examples:
  clerk-rl top --budget-store redis://127.0.0.1:6379/0
  clerk-rl top --budget-store redis://127.0.0.1:6379/0 --once --json | jq '.processes | length'
  # Prometheus instead, per process:
  clerk-rl --metrics-listen 127.0.0.1:9464 --budget-store redis://127.0.0.1:6379/0 export-users";

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Print once and exit (also when stdout is not a terminal, or with --json)
    #[arg(long)]
    pub once: bool,

    /// How often the live view refreshes, e.g. 1s, 500ms
    #[arg(long, default_value = "1s", value_parser = duration_arg, value_name = "DURATION")]
    pub interval: Duration,
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

/// A cache TTL: Redis expiries are whole milliseconds, so less than one would never be stored.
fn ttl_arg(s: &str) -> Result<Duration, String> {
    let d = duration_arg(s)?;
    if d < Duration::from_millis(1) {
        return Err(format!("{s:?}: the TTL must be at least 1ms"));
    }
    Ok(d)
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
