//! What every command needs, built once from the global options: the key, the API base, the
//! budget, the one HTTP client, and the in-process sandbox when `--sandbox` is given.

use std::sync::Arc;

use crate::cli::GlobalArgs;
use crate::error::{Exit, fail};
use crate::http::{Client, ClientConfig};
use crate::pacing::budget::{Budget, Instance};
use crate::pacing::endpoint_limits::EndpointLimits;
use crate::pacing::shared::SharedBudget;
use crate::redis_store;
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::secret::{self, SecretKey};
use crate::ui::Ui;

/// The budget the global options describe: built here once, for the client, the shared budget
/// and the in-process sandbox alike.
pub fn budget(global: &GlobalArgs) -> Budget {
    Budget::new(global.plan, global.rate, global.burst)
}

/// The secret key every command uses, found one way: with `--sandbox` the sandbox's (it depends
/// only on the seed, so no sandbox needs to run), else `--secret-key-file` or `CLERK_SECRET_KEY`.
/// Warnings about how it was found go through the UI.
pub fn resolve_key(global: &GlobalArgs, ui: &Ui) -> anyhow::Result<SecretKey> {
    if global.sandbox {
        return SecretKey::new(&sandbox::sandbox_key(global.sandbox_seed), "the sandbox");
    }
    let env = std::env::var(secret::ENV_KEY).ok();
    // A profile's key file counts only when neither the flag nor the variable gives a key.
    let file = match (&global.secret_key_file, &env) {
        (Some(f), _) => Some(f.as_path()),
        (None, None) => global.profile_key_file.as_deref(),
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
    let mut cfg = SandboxConfig::new(budget(global));
    cfg.users = global.sandbox_users;
    cfg.seed = global.sandbox_seed;
    cfg.endpoint_limits = EndpointLimits::new(&global.endpoint_rate);
    cfg
}

/// Every command that sends shares the instance budget with this machine's other clerk-rl
/// processes through a state file when there is no budget store: `status` then `export-users`,
/// Ctrl-C then `--resume`, a loop of `batch-get` or `api` calls each know what the others sent
/// (issue 22). `probe` is the exception: it measures the server, 429s included. The file is
/// the key's at one server (scheme, host and port): a sandbox on another port is another budget.
/// A token-bucket budget (`--burst`) is paced per process: the file keeps windows only.
/// The state file of the key's instance budget (the one every command but probe shares
/// without `--budget-store`). `None`: no state folder, or a `--burst` budget (paced alone).
fn instance_state_file(
    client: &Client,
    key: &SecretKey,
    budget: &Budget,
    global: &GlobalArgs,
) -> Option<std::io::Result<crate::pacing::state_file::LocalBudget>> {
    let scope = format!("instance@{}", client.base().origin().ascii_serialization());
    if budget.burst.is_some() {
        return None;
    }
    let dir = crate::pacing::state_file::state_dir()?;
    Some(crate::pacing::state_file::LocalBudget::open(
        &dir,
        &key.fingerprint(),
        &scope,
        budget.rate,
        global.timeout,
    ))
}

fn share_through_state_file(
    client: &mut Client,
    key: &SecretKey,
    budget: &Budget,
    global: &GlobalArgs,
    ui: &Arc<Ui>,
) {
    match instance_state_file(client, key, budget, global) {
        None => {}
        Some(Ok(file)) => client.share_budget_through(file.warn_through(Arc::clone(ui))),
        Some(Err(e)) => ui.warn(&format!(
            "cannot share the budget through {} ({e}); pacing this process alone ({})",
            crate::pacing::state_file::state_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            crate::pacing::state_file::state_dir_hint()
        )),
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
    /// The budget shared through Redis, when `--budget-store` is given and reachable.
    pub shared: Option<Arc<SharedBudget>>,
}

impl Context {
    /// `command` names the subcommand in the shared budget's heartbeat.
    pub async fn connect(global: &GlobalArgs, command: &str) -> anyhow::Result<Self> {
        let budget = budget(global);
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
            (global.api_url.clone(), resolve_key(global, &ui)?, None)
        };
        let base = secret::api_base(&api_url)?;
        if global.max_wait.is_zero() {
            return Err(fail(Exit::Usage, "--max-wait must be more than zero"));
        }
        // Checked before any connection: a typo in the URL is a usage error.
        let store = global
            .budget_store
            .as_deref()
            .map(|u| redis_store::parse_url(u, "--budget-store"))
            .transpose()?;
        let mut client = Client::new(
            ClientConfig {
                base,
                key: key.clone(),
                budget,
                timeout: global.timeout,
                max_retries: global.max_retries,
                max_wait: global.max_wait,
                endpoints: EndpointLimits::new(&global.endpoint_rate),
            },
            Arc::clone(&ui),
        )?;
        let mut shared = None;
        if let Some(target) = store {
            match target.connect().await {
                Ok(redis) => {
                    client.share_endpoint_budgets(redis.clone());
                    let sb = SharedBudget::join(
                        redis,
                        &key.fingerprint(),
                        &budget,
                        global.timeout,
                        command,
                        Arc::clone(&ui),
                    )
                    .await;
                    ui.info(&format!(
                        "sharing the budget {} through {}",
                        budget.describe(),
                        sb.shown()
                    ));
                    // Processes on the key without --budget-store count in its state file:
                    // each side is told of the other.
                    if command != "probe"
                        && let Some(Ok(file)) = instance_state_file(&client, &key, &budget, global)
                    {
                        sb.watch_state_file(file);
                    }
                    client.share_budget(Arc::clone(&sb));
                    shared = Some(sb);
                }
                Err(e) if global.budget_store_optional => {
                    ui.warn(&format!(
                        "{e}; pacing this process alone (--budget-store-optional)"
                    ));
                }
                Err(e) => {
                    return Err(fail(
                        Exit::Other,
                        format!(
                            "{e}; start it, fix --budget-store, or pass --budget-store-optional to pace locally"
                        ),
                    ));
                }
            }
        }
        if shared.is_none() && command != "probe" {
            share_through_state_file(&mut client, &key, &budget, global, &ui);
        }
        Ok(Context {
            shared,
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
        if let Some((n, us)) = self.client.state_file_cost() {
            self.ui.debug(&format!(
                "the budget's state file: {n} locked reads and writes, {us} µs each on average"
            ));
        }
        if let Some(sb) = &self.shared {
            sb.leave().await;
        }
        if let Some(sb) = self.sandbox {
            sb.shutdown().await;
        }
    }
}
