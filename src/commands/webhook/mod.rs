//! `clerk-rl webhook serve`: receive Clerk's webhooks (delivered by Svix) and keep batch-get's
//! Redis cache true: `user.updated` deletes the user's entry and leaves a version marker,
//! `user.deleted` deletes it and leaves a tombstone, and with `--prime` `user.created`/
//! `user.updated` write the new user instead; all through the cache's one conditional write.
//!
//! `verify` checks signatures (pure), `event` decides what a body asks (pure),
//! `user_cache::deliveries` applies it to Redis once per delivery id, `server` wires them to HTTP.
//!
//! It needs the Clerk secret key only for the instance's cache namespace (its fingerprint); no
//! request is ever sent to Clerk.

pub mod event;
pub mod log;
pub mod server;
pub mod verify;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::{WebhookArgs, WebhookCommand, WebhookServeArgs};
use crate::error::{Exit, fail};
use crate::metrics::webhook::WebhookMetrics;
use crate::redis_store;
use crate::secret;
use crate::settings::{Settings, context};
use crate::signals::StopSignals;
use crate::ui::Ui;
use crate::user_cache::deliveries::Store;
use crate::user_cache::instance_prefix;
use verify::SigningSecret;

pub use crate::secret::ENV_SIGNING_SECRET;

/// In-flight deliveries get this long to finish after SIGTERM/Ctrl-C; Svix retries the rest.
const DRAIN: Duration = Duration::from_secs(10);

pub async fn run(settings: &Settings, args: &WebhookArgs) -> anyhow::Result<Exit> {
    match &args.command {
        WebhookCommand::Serve(a) => serve(settings, a).await,
    }
}

/// The signing secret: `--signing-secret-file` first (explicit), then the environment.
pub fn load_signing_secret(
    file: Option<&Path>,
    env: Option<String>,
) -> anyhow::Result<(SigningSecret, Vec<String>)> {
    let mut warnings = Vec::new();
    let (raw, source) = match (file, env) {
        (Some(path), _) => (
            secret::read_secret_file(path, "--signing-secret-file", &mut warnings)?,
            "--signing-secret-file",
        ),
        (None, Some(v)) => (v, ENV_SIGNING_SECRET),
        (None, None) => {
            return Err(fail(
                Exit::Usage,
                format!(
                    "no signing secret: set {ENV_SIGNING_SECRET} (whsec_…, from the endpoint's page in the Clerk Dashboard), or pass --signing-secret-file PATH"
                ),
            ));
        }
    };
    let secret = SigningSecret::parse(&raw).map_err(|why| {
        fail(
            Exit::Usage,
            format!("the signing secret from {source} {why}"),
        )
    })?;
    Ok((secret, warnings))
}

async fn serve(settings: &Settings, args: &WebhookServeArgs) -> anyhow::Result<Exit> {
    let global = &settings.global;
    let ui = Arc::new(Ui::new(global.verbose, true).quiet(global.quiet));
    let (target, signing) = check(settings, args, &ui)?;
    let key = context::resolve_key(settings, &ui).context(
        "webhook serve needs the Clerk secret key to find the instance's cache entries (it sends nothing to Clerk)",
    )?;
    let fingerprint = key.fingerprint();

    // /metrics on the receiver's own listener, from the registry --metrics-listen serves too.
    let hub = settings.metrics.clone().unwrap_or_default();
    let mut signals = StopSignals::install()?;
    let redis = target
        .connect()
        .await
        .map_err(|e| fail(Exit::Other, e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot listen on {}: {e}", args.listen),
            )
        })?;
    let addr = listener.local_addr()?;
    let receiver = Arc::new(server::Receiver {
        secret: signing,
        store: Store::new(instance_prefix(&fingerprint), args.tombstone_ttl, redis),
        prime: args.prime,
        ttl: args.cache_ttl,
        log: log::Log::new(args.log_format, Arc::clone(&ui)),
        metrics: WebhookMetrics::register(&hub),
    });
    {
        // Scripts and tests wait for this line: print it only once bound, and flush at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{addr}{}", server::PATH)?;
        out.flush()?;
    }
    receiver.log.info(&format!(
        "clerk-rl webhook: POST {}, GET /healthz and GET /metrics on http://{addr}; signing secret {}; cache {} for instance {fingerprint} ({}){}; tombstones and versions kept {}; until Ctrl-C, SIGTERM or SIGHUP",
        server::PATH,
        receiver.secret.masked(),
        receiver.store.shown(),
        key.masked(),
        if args.prime {
            format!(", --prime with ttl {}", humantime::format_duration(args.cache_ttl))
        } else {
            String::new()
        },
        humantime::format_duration(args.tombstone_ttl),
    ));
    let app = server::router(Arc::clone(&receiver), &hub);
    run_until_stopped(listener, app, &mut signals, &receiver).await?;
    receiver.log.info("clerk-rl webhook: stopped");
    Ok(Exit::Ok)
}

/// Everything a user can get wrong, checked before anything is bound or connected: the cache's
/// URL, the TTLs, stdin asked for twice, the signing secret (loaded, its warnings said).
fn check(
    settings: &Settings,
    args: &WebhookServeArgs,
    ui: &Ui,
) -> anyhow::Result<(redis_store::RedisTarget, SigningSecret)> {
    let raw_url = args.cache.url.as_deref().ok_or_else(|| {
        fail(
            Exit::Usage,
            "webhook serve needs --cache redis://HOST:PORT/DB (or CLERK_RL_CACHE): the cache it keeps true",
        )
    })?;
    let target = redis_store::parse_url(raw_url, "--cache")?;
    if args.tombstone_ttl < args.cache_ttl {
        return Err(fail(
            Exit::Usage,
            format!(
                "--tombstone-ttl {} is shorter than --cache-ttl {}: a deleted user could be written back after its tombstone expired; keep it at least the longest --cache-ttl in use",
                humantime::format_duration(args.tombstone_ttl),
                humantime::format_duration(args.cache_ttl)
            ),
        ));
    }
    let stdin = Path::new("-");
    if args.signing_secret_file.as_deref() == Some(stdin)
        && settings.global.secret_key_file.as_deref() == Some(stdin)
    {
        return Err(fail(
            Exit::Usage,
            "stdin cannot carry both the secret key and the signing secret: give one of them as a file",
        ));
    }
    let (signing, warnings) = load_signing_secret(
        args.signing_secret_file.as_deref(),
        std::env::var(ENV_SIGNING_SECRET).ok(),
    )?;
    for w in warnings {
        ui.warn(&w);
    }
    Ok((target, signing))
}

/// Serve until Ctrl-C, SIGTERM or SIGHUP, then drain: deliveries under way get [`DRAIN`] to
/// finish (Svix retries what is dropped after it).
async fn run_until_stopped(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    signals: &mut StopSignals,
    receiver: &server::Receiver,
) -> anyhow::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stopping_rx.await;
    });
    let mut served = tokio::spawn(async move { server.await });
    tokio::select! {
        r = &mut served => {
            r.context("the server task failed")?.context("the server failed")?;
            return Err(fail(Exit::Other, "the server stopped unexpectedly"));
        }
        s = signals.wait() => s?,
    }
    let _ = stopping_tx.send(());
    match tokio::time::timeout(DRAIN, &mut served).await {
        Ok(r) => r
            .context("the server task failed")?
            .context("the server failed")?,
        Err(_) => {
            served.abort();
            receiver
                .log
                .warn("deliveries still in flight after 10s were dropped (Svix retries them)");
        }
    }
    Ok(())
}
