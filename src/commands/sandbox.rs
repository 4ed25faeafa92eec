//! `clerk-rl sandbox`: serve the Clerk-compatible sandbox until Ctrl-C, SIGTERM or SIGHUP.

use std::io::Write;
use std::net::SocketAddr;

use crate::cli::{GlobalArgs, SandboxArgs};
use crate::sandbox::{self, SandboxConfig};
use crate::signals::StopSignals;

/// The configuration of `clerk-rl sandbox` with these options.
pub fn config(global: &GlobalArgs, args: &SandboxArgs) -> SandboxConfig {
    let mut cfg = SandboxConfig::new(global.budget());
    cfg.listen = match args.listen {
        Some(a) if a.port() == 0 => SocketAddr::new(a.ip(), args.port),
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], args.port)),
    };
    cfg.users = args.users;
    cfg.organizations = args.organizations;
    cfg.seed = args.seed;
    cfg.accept_keys = args.accept_key.clone();
    cfg.over_quota_keys = args.over_quota_key.clone();
    cfg.forbidden_keys = args.forbidden_key.clone();
    cfg.algorithm = args.algorithm;
    cfg.block = args.block;
    cfg.headers = args.rate_limit_headers;
    cfg.retry_after = args.retry_after;
    cfg.faults = args.faults.clone().unwrap_or_default();
    cfg.fault_seed = args.fault_seed;
    cfg.faults_max = args.faults_max;
    cfg.request_log = args.request_log.clone();
    cfg.reject_cursor = args.reject_cursor;
    cfg.strict = args.strict;
    cfg.latency = args.latency;
    cfg.jitter = args.jitter;
    cfg.per_user = args.per_user;
    cfg.capacity = args.capacity.map(|k| k as usize);
    cfg.endpoint_limits =
        crate::pacing::endpoint_limits::EndpointLimits::new(&global.endpoint_rate);
    cfg.misbehave = args.misbehave.clone();
    cfg
}

pub async fn run(global: &GlobalArgs, args: &SandboxArgs) -> anyhow::Result<()> {
    let cfg = config(global, args);
    let description = cfg.describe();
    let mut signals = StopSignals::install()?;
    // A file left by an earlier run must not tell a waiting script that this one is ready.
    if let Some(path) = &args.ready_file {
        remove_ready_file(path)?;
    }
    let sb = sandbox::start(cfg).await?;
    {
        // Scripts wait for these two lines: print them only once bound, and flush at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "CLERK_API_URL={}", sb.url())?;
        writeln!(out, "CLERK_SECRET_KEY={}", sb.key())?;
        out.flush()?;
    }
    // Last, so a script that waits for it also finds both lines above written.
    if let Some(path) = &args.ready_file {
        write_ready_file(path, &sb.url())?;
    }
    if !global.quiet {
        eprintln!(
            "clerk-rl sandbox: serving {description} on {} until Ctrl-C, SIGTERM or SIGHUP",
            sb.url()
        );
    }
    let stopped = signals.wait().await;
    sb.shutdown().await;
    if let Some(path) = &args.ready_file {
        let _ = std::fs::remove_file(path);
    }
    if global.verbose > 0 {
        eprintln!("clerk-rl sandbox: stopped");
    }
    stopped
}

fn ready_file_error(path: &std::path::Path, e: impl std::fmt::Display) -> anyhow::Error {
    crate::error::fail(
        crate::error::Exit::Usage,
        format!("--ready-file {}: {e}", path.display()),
    )
}

/// Removes a file left by an earlier run, and checks the file's folder is there, before the
/// server is started: a bad path is exit 2 with nothing printed on stdout.
fn remove_ready_file(path: &std::path::Path) -> anyhow::Result<()> {
    if !ready_dir(path).is_dir() {
        return Err(ready_file_error(path, "its folder does not exist"));
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ready_file_error(path, e)),
    }
}

/// The URL and a newline, written to a temporary file beside `path` and renamed onto it, so a
/// script that sees the file never reads half of it.
fn write_ready_file(path: &std::path::Path, url: &str) -> anyhow::Result<()> {
    let mut tmp =
        tempfile::NamedTempFile::new_in(ready_dir(path)).map_err(|e| ready_file_error(path, e))?;
    writeln!(tmp, "{url}").map_err(|e| ready_file_error(path, e))?;
    tmp.flush().map_err(|e| ready_file_error(path, e))?;
    tmp.persist(path)
        .map_err(|e| ready_file_error(path, e.error))?;
    Ok(())
}

fn ready_dir(path: &std::path::Path) -> &std::path::Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    }
}
