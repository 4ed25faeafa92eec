//! `clerk-rl sandbox`: serve the Clerk-compatible sandbox until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;

use crate::budget::Budget;
use crate::cli::{GlobalArgs, SandboxArgs};
use crate::sandbox::{self, SandboxConfig};

/// The sandbox configuration the global options alone describe (what `--sandbox` runs other
/// commands against): users and seed from --sandbox-users/--sandbox-seed, budget from
/// --plan/--rate/--burst, everything else at its default.
pub fn config_from_global(global: &GlobalArgs) -> SandboxConfig {
    let mut cfg = SandboxConfig::new(Budget::new(global.plan, global.rate, global.burst));
    cfg.users = global.sandbox_users;
    cfg.seed = global.sandbox_seed;
    cfg
}

/// The configuration of `clerk-rl sandbox` with these options.
pub fn config(global: &GlobalArgs, args: &SandboxArgs) -> SandboxConfig {
    let mut cfg = SandboxConfig::new(Budget::new(global.plan, global.rate, global.burst));
    cfg.listen = match args.listen {
        Some(a) if a.port() == 0 => SocketAddr::new(a.ip(), args.port),
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], args.port)),
    };
    cfg.users = args.users;
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
    cfg
}

/// Ctrl-C and SIGTERM, listened for from creation on: a signal that arrives between the env lines
/// and the first poll must still stop the server cleanly rather than kill the process.
pub struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
                int: signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    pub async fn wait(&mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot watch for Ctrl-C")?;
        Ok(())
    }
}

pub async fn run(global: &GlobalArgs, args: &SandboxArgs) -> anyhow::Result<()> {
    let cfg = config(global, args);
    let description = cfg.describe();
    let mut signals = StopSignals::install()?;
    let sb = sandbox::start(cfg).await?;
    {
        // Scripts wait for these two lines: print them only once bound, and flush at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "CLERK_API_URL={}", sb.url())?;
        writeln!(out, "CLERK_SECRET_KEY={}", sb.key())?;
        out.flush()?;
    }
    eprintln!(
        "clerk-rl sandbox: serving {description} on {} until Ctrl-C or SIGTERM",
        sb.url()
    );
    let stopped = signals.wait().await;
    sb.shutdown().await;
    if global.verbose > 0 {
        eprintln!("clerk-rl sandbox: stopped");
    }
    stopped
}
