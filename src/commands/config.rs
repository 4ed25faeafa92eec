//! `clerk-rl config show`: the settings in force and where each came from (flag, environment,
//! profile, default), the key masked. Nothing is sent anywhere.

use serde::Serialize;

use crate::error::Exit;
use crate::settings::profile::{Source, config_path};
use crate::settings::{Resolved, Settings, context};
use crate::ui::{self, Stream, Ui};
use crate::{pacing::state_file, redis_store, secret};

#[derive(Debug, Serialize)]
struct Shown {
    profile: Option<String>,
    config_file: Option<String>,
    settings: Vec<Setting>,
}

#[derive(Debug, Serialize)]
struct Setting {
    name: &'static str,
    value: Option<String>,
    source: String,
}

pub fn show(run: &Settings) -> anyhow::Result<Exit> {
    let (global, resolved) = (&run.global, &run.sources);
    let out = Shown {
        profile: resolved.profile.as_ref().map(|(n, _)| n.clone()),
        config_file: resolved
            .profile
            .as_ref()
            .map(|(_, p)| p.clone())
            .or_else(config_path)
            .map(|p| p.display().to_string()),
        settings: settings(run),
    };
    if global.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!("{}", table(&out, resolved));
    }
    refused(run)
}

/// Every setting: its value (the key masked, URLs without passwords, the signing secret only
/// said to be set) and where it came from; `unset` for a default that has no value.
fn settings(run: &Settings) -> Vec<Setting> {
    let (global, resolved) = (&run.global, &run.sources);
    let quiet_ui = Ui::new(0, true).quiet(true);
    let mut settings = Vec::new();
    let mut push = |name, value: Option<String>, source: Source| {
        let source = if value.is_none() && source == Source::Default {
            Source::Unset
        } else {
            source
        };
        settings.push(Setting {
            name,
            value,
            source: source.to_string(),
        });
    };
    push(
        "api_url",
        Some(global.api_url.clone()),
        resolved.source("api_url"),
    );
    let (key, key_source) = if global.sandbox {
        (
            context::resolve_key(run, &quiet_ui).ok(),
            Source::Flag("--sandbox"),
        )
    } else {
        (
            context::resolve_key(run, &quiet_ui).ok(),
            resolved.source("secret_key"),
        )
    };
    push("secret_key", key.map(|k| k.masked()), key_source);
    let budget = global.budget();
    push("budget", Some(budget.describe()), resolved.source("budget"));
    push(
        "burst",
        global.burst.map(|b| b.to_string()),
        resolved.source("burst"),
    );
    push(
        "budget_store",
        global.budget_store.as_deref().map(shown_url),
        resolved.source("budget_store"),
    );
    let cache = std::env::var("CLERK_RL_CACHE").ok();
    let cache_src = resolved.source("cache");
    push(
        "cache",
        match &cache_src {
            Source::Env(_) => cache.as_deref().map(shown_url),
            Source::Profile(_) => resolved.profile_cache.as_deref().map(shown_url),
            _ => None,
        },
        cache_src,
    );
    push(
        "timeout",
        Some(humantime::format_duration(global.timeout).to_string()),
        resolved.source("timeout"),
    );
    push(
        "max_retries",
        Some(global.max_retries.to_string()),
        resolved.source("max_retries"),
    );
    push(
        "max_wait",
        Some(humantime::format_duration(global.max_wait).to_string()),
        resolved.source("max_wait"),
    );
    push(
        "http_version",
        Some(global.http_version.name()),
        resolved.source("http_version"),
    );
    let (state, state_src) = state_folder();
    push("state_dir", state, state_src);
    // The signing secret is never shown, not even masked: only whether webhook serve has one.
    let signing = std::env::var_os(secret::ENV_SIGNING_SECRET).filter(|v| !v.is_empty());
    push(
        "webhook_signing_secret",
        signing.map(|_| "set (hidden)".to_string()),
        if std::env::var_os(secret::ENV_SIGNING_SECRET).is_some() {
            Source::Env(secret::ENV_SIGNING_SECRET)
        } else {
            Source::Unset
        },
    );
    settings
}

/// The settings for people: the profile and the config file first, then one row a setting.
fn table(out: &Shown, resolved: &Resolved) -> comfy_table::Table {
    let mut t = ui::table(Stream::Stdout);
    t.set_header(vec!["setting", "value", "from"]);
    t.add_row(vec![
        "profile".to_string(),
        out.profile.clone().unwrap_or_else(|| "-".into()),
        if out.profile.is_some() {
            resolved.source("profile").to_string()
        } else {
            "none chosen (--profile NAME or CLERK_RL_PROFILE)".to_string()
        },
    ]);
    t.add_row(vec![
        "config file".to_string(),
        out.config_file.clone().unwrap_or_else(|| "-".into()),
        "XDG_CONFIG_HOME, else ~/.config".to_string(),
    ]);
    for s in &out.settings {
        t.add_row(vec![
            s.name.replace('_', " "),
            s.value.clone().unwrap_or_else(|| "-".into()),
            s.source.clone(),
        ]);
    }
    t
}

/// A profile that every command would refuse is no success for `config show` either: the
/// settings are shown, then exit 2 with one line naming each problem (a key file that cannot be
/// read, an api_url the key may not be sent to, a budget store or cache that is no Redis URL).
fn refused(run: &Settings) -> anyhow::Result<Exit> {
    let (global, resolved) = (&run.global, &run.sources);
    let Some((name, _)) = &resolved.profile else {
        return Ok(Exit::Ok);
    };
    let quiet_ui = Ui::new(0, true).quiet(true);
    let mut problems = Vec::new();
    if !global.sandbox {
        if let Err(e) = context::resolve_key(run, &quiet_ui) {
            problems.push(format!("secret key: {e}"));
        }
        if let Err(e) = secret::api_base(&global.api_url) {
            problems.push(format!("api_url: {e}"));
        }
    }
    if let Some(Err(e)) = global
        .budget_store
        .as_deref()
        .map(|u| redis_store::parse_url(u, "budget_store"))
    {
        problems.push(e.to_string());
    }
    if let Some(Err(e)) = resolved
        .profile_cache
        .as_deref()
        .map(|u| redis_store::parse_url(u, "cache"))
    {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        return Ok(Exit::Ok);
    }
    Err(crate::error::fail(
        Exit::Usage,
        format!(
            "profile {}: every command would refuse it: {}",
            ui::clean(name),
            problems.join("; ")
        ),
    ))
}

/// A Redis URL with its password masked (`redis://:…@host:6379/0`): the reader sees a password
/// is given, which is what a failing AUTH comes down to, never the password. Text that does not
/// parse is shown as given without what may be credentials (it will be refused when used).
fn shown_url(raw: &str) -> String {
    match redis_store::parse_url(raw, "url") {
        Ok(t) => {
            let shown = t.shown();
            let (user, password) = redis_store::userinfo(raw);
            if user.is_empty() && !password {
                return shown.to_string();
            }
            let (scheme, rest) = shown.split_once("://").unwrap_or(("redis", shown));
            let mask = if password { ":…" } else { "" };
            format!("{scheme}://{}{mask}@{rest}", ui::clean(&user))
        }
        Err(_) => {
            let no_userinfo = match raw.split_once('@') {
                Some((_, host)) => format!("…@{host}"),
                None => raw.to_string(),
            };
            format!("{} (not a valid Redis URL)", ui::clean(&no_userinfo))
        }
    }
}

/// The folder of the state files (endpoint budgets, api's instance budget) and where it came
/// from: CLERK_RL_STATE_DIR, else XDG_STATE_HOME, else the home folder.
fn state_folder() -> (Option<String>, Source) {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let src = if set(state_file::ENV_STATE_DIR) {
        Source::Env(state_file::ENV_STATE_DIR)
    } else if set("XDG_STATE_HOME") {
        Source::Env("XDG_STATE_HOME")
    } else {
        Source::Default
    };
    (
        state_file::state_dir().map(|p| p.display().to_string()),
        src,
    )
}
