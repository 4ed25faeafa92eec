//! `clerk-rl sandbox`: serve the Clerk-compatible sandbox until Ctrl-C, SIGTERM or SIGHUP.

use std::io::Write;
use std::net::SocketAddr;

use crate::cli::{GlobalArgs, SandboxArgs};
use crate::context;
use crate::sandbox::{self, SandboxConfig};
use crate::signals::StopSignals;

/// The configuration of `clerk-rl sandbox` with these options.
pub fn config(global: &GlobalArgs, args: &SandboxArgs) -> SandboxConfig {
    let mut cfg = SandboxConfig::new(context::budget(global));
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
    cfg.endpoint_limits = crate::endpoint_budget::EndpointLimits::new(&global.endpoint_rate);
    cfg.misbehave = args.misbehave.clone();
    cfg
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
    if !global.quiet {
        eprintln!(
            "clerk-rl sandbox: serving {description} on {} until Ctrl-C, SIGTERM or SIGHUP",
            sb.url()
        );
    }
    let stopped = signals.wait().await;
    sb.shutdown().await;
    if global.verbose > 0 {
        eprintln!("clerk-rl sandbox: stopped");
    }
    stopped
}
