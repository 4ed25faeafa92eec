//! The settings of one run, resolved once before anything connects (ripgrep's model: clap gives
//! the low-level arguments, [`Settings`] the high-level ones): flags over the environment over the
//! `--profile` over the defaults (`profile`), each checked and each with its source; then the
//! [`Context`](context::Context) every sending command gets: the key, the client and its limiter.

pub mod context;
pub mod profile;

use clap::ArgMatches;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::pacing::budget::Budget;
use crate::redis_store::{self, RedisTarget};

pub use profile::Resolved;

/// Every global setting of the run, merged and checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The global flags, with the profile's values where neither a flag nor the environment
    /// gave one.
    pub global: GlobalArgs,
    /// N per W, from `--plan`, `--rate` and `--burst` (or the profile).
    pub budget: Budget,
    /// `--budget-store` (or `CLERK_RL_BUDGET_STORE`, or the profile's), parsed and checked but
    /// not connected: a typo is a usage error before anything runs.
    pub store: Option<RedisTarget>,
    /// Where each setting came from, and the profile's key file (`config show` prints them).
    pub sources: Resolved,
    /// The registry `--metrics-listen` serves, once bound (before the command runs); commands
    /// register their collectors into it.
    pub metrics: Option<crate::metrics::Hub>,
}

impl Settings {
    /// Merge the profile into `cli` and check what every command relies on. `config show` checks
    /// the same, so a profile it shows is one the other commands accept.
    pub fn resolve(matches: &ArgMatches, cli: &mut Cli) -> anyhow::Result<Settings> {
        let sources = profile::apply(matches, cli)?;
        let global = cli.global.clone();
        // Commands that never reach the key's budget do not fail on a store they ignore.
        let uses_store = !matches!(
            cli.command,
            Command::Completions(_) | Command::Man(_) | Command::Sandbox(_)
        );
        let store = match global.budget_store.as_deref() {
            Some(url) if uses_store => Some(redis_store::parse_url(url, "--budget-store")?),
            _ => None,
        };
        Ok(Settings {
            budget: global.budget(),
            global,
            store,
            sources,
            metrics: None,
        })
    }
}
