//! clerk-rl: inspect and exercise the rate limits of Clerk's Backend API.
//!
//! `run` is the whole program; `main` only calls it, so tests can run it in-process.
//!
//! The public face is small on purpose: `run`, the sandbox (a server the tests and benchmarks
//! start in-process), the spec's lists, and the few types the integration tests and the fuzz
//! targets drive directly (`face`). Everything else is the crate's own, so the compiler reports
//! what nothing uses.

pub(crate) mod api;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod error;
pub(crate) mod exit;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod output;
pub(crate) mod pacing;
pub(crate) mod redis_store;
pub mod sandbox;
pub(crate) mod secret;
pub(crate) mod settings;
pub(crate) mod signals;
pub mod spec;
pub(crate) mod ui;
pub(crate) mod user_cache;

/// What the integration tests and the fuzz targets drive directly, beside the binary.
pub mod face {
    pub use crate::api::{check_id, parse_page};
    pub use crate::commands::assets::completion;
    pub use crate::commands::batch_get::ids::{Line, Lines};
    pub use crate::commands::export::checkpoint::Checkpoint;
    pub use crate::http::{ClerkError, RateLimitView};
    pub use crate::pacing::budget::{Budget, Plan, Rate, parse_duration};
    pub use crate::pacing::endpoint_limits::EndpointLimits;
    pub use crate::pacing::headers::NAMES as RATE_LIMIT_HEADERS;
    pub use crate::pacing::shared::SharedBudget;
    pub use crate::redis_store::{Redis, parse_url, slot_of};
    pub use crate::secret::SecretKey;
    pub use crate::ui::Ui;
    pub use crate::user_cache::write::{Expiry, Item, Mode, Outcome, write};
    pub use crate::user_cache::{instance_prefix, tombstone_key, user_key, version_key};
}

use std::ffi::OsString;

use cli::Command;
use error::{Exit, exit_of, one_line};
use settings::Settings;
use settings::context::{Context, Purpose};

/// Parse `args`, run the command, and return the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let args_for_display: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (mut cli, matches) = match cli::parse_with_matches(args) {
        Ok(c) => c,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                // `clerk-rl` alone (or `clerk-rl webhook`): the help is the answer, on stderr.
                let _ = e.print();
                return Exit::Usage.code();
            }
            if !e.use_stderr() {
                // --help and --version: clap's own output, on stdout.
                let _ = e.print();
                return Exit::Ok.code();
            }
            eprintln!("{}", usage_error_line(&e));
            return Exit::Usage.code();
        }
    };
    let settings = match Settings::resolve(&matches, &mut cli) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("clerk-rl: error: {}", one_line(&e));
            return exit_of(&e).code();
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(cli.command, Command::ExportUsers(_)) {
        // One worker: the export's work is one stream of answers to parse (its writer has a
        // thread of its own); a second worker only added wake-ups between threads (about 0.1 s
        // of CPU per 100k users, bench/world.py).
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clerk-rl: error: cannot start the async runtime: {e}");
            return Exit::Other.code();
        }
    };
    let argv: Vec<String> = args_for_display;
    let result = runtime.block_on(dispatch(cli.command, argv, settings));
    // Do not wait for stray tasks (a request abandoned by Ctrl-C) to finish.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            let exit = exit_of(&e);
            if exit != Exit::Ok {
                eprintln!("clerk-rl: error: {}", one_line(&e));
            }
            exit.code()
        }
    }
}

async fn dispatch(command: Command, argv: Vec<String>, mut s: Settings) -> anyhow::Result<Exit> {
    if let Some(addr) = s.global.metrics_listen {
        // Bound before anything else runs: a taken port is exit 2 before any request.
        let hub = metrics::Hub::new();
        let bound = hub.serve(addr).await?;
        ui::Ui::new(s.global.verbose, true)
            .quiet(s.global.quiet)
            .line(&format!("clerk-rl: metrics on http://{bound}/metrics"));
        s.metrics = Some(hub);
    }
    match &command {
        Command::Config(_) => commands::config::show(&s),
        Command::Completions(a) => {
            match (&a.shell, &a.dir) {
                (_, Some(dir)) => commands::assets::write_completions(dir)?,
                (Some(shell), None) => commands::assets::print_completion(*shell)?,
                (None, None) => unreachable!("clap requires one"),
            }
            Ok(Exit::Ok)
        }
        Command::Man(a) => {
            match &a.dir {
                Some(dir) => commands::assets::write_man(dir)?,
                None => commands::assets::print_man(a.page.as_deref())?,
            }
            Ok(Exit::Ok)
        }
        Command::Sandbox(a) => commands::sandbox::run(&s.global, a)
            .await
            .map(|()| Exit::Ok),
        Command::Webhook(a) => commands::webhook::run(&s, a).await,
        Command::ExportUsers(a) => {
            let mut ctx = Context::connect(&s, Purpose::spend("export-users")).await?;
            ctx.argv = argv;
            // export-users handles Ctrl-C itself: it saves a checkpoint first.
            let result = commands::export::run(&ctx, a).await;
            ctx.close().await;
            result
        }
        Command::BatchGet(a) => {
            // Input, output and the Redis URL are checked before the key is even looked at.
            let prepared = commands::batch_get::prepare(&s.global, a)?;
            let ctx = Context::connect(&s, Purpose::spend("batch-get")).await?;
            let result = interruptible(&ctx, commands::batch_get::run(&ctx, a, prepared)).await;
            ctx.close().await;
            result
        }
        Command::ImportUsers(a) => {
            // The input and the journal's place are checked before the key is even looked at.
            let prepared = commands::import_users::prepare(&s.global, a)?;
            if a.dry_run {
                return commands::import_users::dry_run(&s.global, a, prepared);
            }
            let ctx = Context::connect(&s, Purpose::spend("import-users")).await?;
            // Stopping at any instant is safe: the journal is written before each step.
            let result = interruptible(&ctx, commands::import_users::run(&ctx, a, prepared)).await;
            ctx.close().await;
            result
        }
        Command::Api(a) if a.batch.is_some() => {
            // The file is read and checked before the key is even looked at.
            let prepared = commands::api::batch::prepare(a)?;
            if a.dry_run {
                return commands::api::batch::dry_run(&s.global, prepared);
            }
            // Like every command but probe, the instance budget is shared with this machine's
            // other clerk-rl processes through the key's state file (or --budget-store), and
            // so are the endpoint budgets (per user).
            let ctx = Context::connect(&s, Purpose::spend("api --batch")).await?;
            let result = interruptible(&ctx, commands::api::batch::run(&ctx, a, prepared)).await;
            ctx.close().await;
            result
        }
        Command::Api(a) => {
            // The request is built and checked before the key is even looked at.
            let prepared = commands::api::prepare(a)?;
            let ctx = Context::connect(&s, Purpose::spend("api")).await?;
            let result = interruptible(&ctx, commands::api::run(&ctx, a, prepared)).await;
            ctx.close().await;
            result
        }
        Command::Cache(a) => commands::cache::run(&s, a).await,
        Command::Top(a) => commands::top::run(&s, a).await,
        Command::Probe(a) => {
            let a = commands::probe::validate(a)?;
            let ctx = Context::connect(&s, Purpose::measure("probe")).await?;
            // probe handles Ctrl-C itself: it still prints the report so far.
            let result = commands::probe::run(&ctx, &a).await;
            ctx.close().await;
            result
        }
        Command::Status(a) => {
            let ctx = Context::connect(&s, Purpose::spend("status")).await?;
            let result = interruptible(&ctx, commands::status::run(&ctx, a)).await;
            ctx.close().await;
            result
        }
    }
}

/// A command-line error as one line with the house prefix: clap's message and its tips, without
/// the usage block (`--help` shows that).
pub fn usage_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            continue;
        }
        let line = line.strip_prefix("error: ").unwrap_or(line);
        let line = line.strip_prefix("tip: ").unwrap_or(line);
        if !line.is_empty() {
            parts.push(line);
        }
    }
    format!("clerk-rl: error: {} (see --help)", join_parts(&parts))
}

/// clap's lines as one: "; " between sentences, but a line ending in ':' introduces what follows
/// (the missing arguments of "required arguments were not provided:"), so a space goes there.
fn join_parts(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(p);
    }
    out
}

/// Run a command's future; Ctrl-C, SIGTERM or SIGHUP end it (dropping it, which removes a
/// partial output) with exit 128 + the signal's number.
async fn interruptible(
    ctx: &Context,
    fut: impl Future<Output = anyhow::Result<Exit>>,
) -> anyhow::Result<Exit> {
    let mut signals = signals::CommandSignals::install()?;
    let stop = tokio::select! {
        r = fut => return r,
        stop = signals.recv() => stop,
    };
    ctx.ui.finish_progress();
    eprintln!("clerk-rl: interrupted ({})", stop.name());
    Ok(stop.exit())
}
