//! What every command needs, built once from the global options: the key, the API base, the
//! budget, the one HTTP client, and the in-process sandbox when `--sandbox` is given.

use std::sync::Arc;

use super::Settings;
use crate::cli::GlobalArgs;
use crate::http::{Client, ClientConfig};
use crate::pacing::budget::{Budget, Instance};
use crate::pacing::endpoint_limits::EndpointLimits;
use crate::pacing::limiter::{Choice, Limiter};
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::secret::{self, SecretKey};
use crate::ui::Ui;

/// The secret key every command uses, found one way: with `--sandbox` the sandbox's (it depends
/// only on the seed, so no sandbox needs to run), else `--secret-key-file` or `CLERK_SECRET_KEY`.
/// Warnings about how it was found go through the UI.
pub fn resolve_key(settings: &Settings, ui: &Ui) -> anyhow::Result<SecretKey> {
    let global = &settings.global;
    if global.sandbox {
        return SecretKey::new(&sandbox::sandbox_key(global.sandbox_seed), "the sandbox");
    }
    let env = std::env::var(secret::ENV_KEY).ok();
    // A profile's key file counts only when neither the flag nor the variable gives a key.
    let file = match (&global.secret_key_file, &env) {
        (Some(f), _) => Some(f.as_path()),
        (None, None) => settings.sources.key_file.as_deref(),
        (None, Some(_)) => None,
    };
    let (key, warnings) = secret::load(file, env)?;
    for w in warnings {
        ui.warn(&w);
    }
    Ok(key)
}

/// The sandbox configuration the global options alone describe (what `--sandbox` runs other
/// commands against): users and seed from --sandbox-users/--sandbox-seed, budget from
/// --plan/--rate/--burst, everything else at its default.
pub fn sandbox_config(global: &GlobalArgs) -> SandboxConfig {
    let mut cfg = SandboxConfig::new(global.budget());
    cfg.users = global.sandbox_users;
    cfg.seed = global.sandbox_seed;
    cfg.endpoint_limits = EndpointLimits::new(&global.endpoint_rate);
    cfg
}

/// What a command does with the key's budget, which decides how its requests are paced.
#[derive(Debug, Clone, Copy)]
pub struct Purpose {
    /// The command, as the shared budget's heartbeat names it.
    pub name: &'static str,
    /// It spends the budget, sharing the count with this machine's other clerk-rl processes
    /// through the key's state file when there is no `--budget-store` (every command that
    /// sends); `false` for `probe`, which measures the server, 429s included.
    pub share_locally: bool,
}

impl Purpose {
    pub const fn spend(name: &'static str) -> Self {
        Purpose {
            name,
            share_locally: true,
        }
    }

    pub const fn measure(name: &'static str) -> Self {
        Purpose {
            name,
            share_locally: false,
        }
    }
}

pub struct Context {
    pub global: GlobalArgs,
    pub budget: Budget,
    pub ui: Arc<Ui>,
    pub key: SecretKey,
    pub instance: Instance,
    pub client: Client,
    /// The command line as given (for printing a resume command; it never holds the key).
    pub argv: Vec<String>,
    sandbox: Option<Sandbox>,
}

impl Context {
    pub async fn connect(settings: &Settings, purpose: Purpose) -> anyhow::Result<Self> {
        let (global, budget) = (&settings.global, settings.budget);
        let ui = Arc::new(Ui::new(global.verbose, global.no_progress).quiet(global.quiet));
        let (api_url, key, sandbox) = if global.sandbox {
            let sb = sandbox::start(sandbox_config(global)).await?;
            ui.line(&format!(
                "clerk-rl: using an in-process sandbox at {} ({} users, seed {}, limit {})",
                sb.url(),
                global.sandbox_users,
                global.sandbox_seed,
                budget.describe()
            ));
            let key = SecretKey::new(sb.key(), "the sandbox")?;
            (sb.url(), key, Some(sb))
        } else {
            (global.api_url.clone(), resolve_key(settings, &ui)?, None)
        };
        let base = secret::api_base(&api_url)?;
        let limiter = Limiter::choose(
            Choice {
                budget,
                fingerprint: key.fingerprint(),
                origin: base.origin().ascii_serialization(),
                store: settings.store.clone(),
                store_optional: global.budget_store_optional,
                share_locally: purpose.share_locally,
                endpoints: EndpointLimits::new(&global.endpoint_rate),
                timeout: global.timeout,
                command: purpose.name,
            },
            &ui,
        )
        .await?;
        let client = Client::new(
            ClientConfig {
                base,
                key: key.clone(),
                timeout: global.timeout,
                max_retries: global.max_retries,
                max_wait: global.max_wait,
                http_version: global.http_version,
            },
            limiter,
            Arc::clone(&ui),
        )?;
        if let Some(sb) = client.limiter().shared() {
            sb.report_activity(client.monitor_handle());
        }
        if let Some(hub) = &settings.metrics {
            hub.register_collector(Box::new(crate::metrics::http::HttpCollector::new(
                client.monitor_handle(),
                budget,
            )));
        }
        Ok(Context {
            global: global.clone(),
            budget,
            ui,
            instance: Instance::from_key(key.expose()),
            key,
            client,
            argv: Vec::new(),
            sandbox,
        })
    }

    /// Print the end-of-run summary of the HTTP core, with the command's own figures first.
    pub fn summary(&self, extra: &[(&str, serde_json::Value)]) {
        let hints: Vec<String> = self.headroom_hint().into_iter().collect();
        self.client.monitor().print_summary(
            &self.ui,
            self.global.json,
            &self.budget,
            extra,
            &hints,
        );
    }

    /// [`Budget::headroom_hint`] for this key, except against the in-process sandbox, whose limit
    /// is the budget itself rather than Clerk's documented one.
    pub fn headroom_hint(&self) -> Option<String> {
        if self.sandbox.is_some() {
            return None;
        }
        self.budget.headroom_hint(self.instance)
    }

    /// Tear down the in-process sandbox, if any.
    pub async fn close(self) {
        if let Some((n, us)) = self.client.limiter().state_file_cost() {
            self.ui.debug(&format!(
                "the budget's state file: {n} locked reads and writes, {us} µs each on average"
            ));
        }
        self.client.limiter().leave().await;
        if let Some(sb) = self.sandbox {
            sb.shutdown().await;
        }
    }
}
