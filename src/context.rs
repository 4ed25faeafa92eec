//! What every command needs, built once from the global options: the key, the API base, the
//! budget, the one HTTP client, and the in-process sandbox when `--sandbox` is given.

use std::sync::Arc;

use crate::budget::{Budget, Instance};
use crate::cli::GlobalArgs;
use crate::error::{Exit, fail};
use crate::http::{Client, ClientConfig};
use crate::sandbox::{self, Sandbox};
use crate::secret::{self, SecretKey};
use crate::ui::Ui;

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
    pub fn budget_of(global: &GlobalArgs) -> Budget {
        Budget::new(global.plan, global.rate, global.burst)
    }

    pub async fn connect(global: &GlobalArgs) -> anyhow::Result<Self> {
        let budget = Self::budget_of(global);
        let ui = Arc::new(Ui::new(global.verbose, global.no_progress));
        let (api_url, key, sandbox) = if global.sandbox {
            let sb = sandbox::start(crate::commands::sandbox::config_from_global(global)).await?;
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
            let env = std::env::var(secret::ENV_KEY).ok();
            let (key, warnings) = secret::load(global.secret_key_file.as_deref(), env)?;
            for w in warnings {
                ui.warn(&w);
            }
            (global.api_url.clone(), key, None)
        };
        let base = secret::api_base(&api_url)?;
        if global.max_wait.is_zero() {
            return Err(fail(Exit::Usage, "--max-wait must be more than zero"));
        }
        let client = Client::new(
            ClientConfig {
                base,
                key: key.clone(),
                budget,
                timeout: global.timeout,
                max_retries: global.max_retries,
                max_wait: global.max_wait,
            },
            Arc::clone(&ui),
        )?;
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
        self.client
            .monitor()
            .print_summary(&self.ui, self.global.json, &self.budget, extra);
    }

    /// Tear down the in-process sandbox, if any.
    pub async fn close(self) {
        if let Some(sb) = self.sandbox {
            sb.shutdown().await;
        }
    }
}
