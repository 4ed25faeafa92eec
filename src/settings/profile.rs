//! Profiles for people with several instances: named settings in a TOML file in the XDG config
//! folder (`$XDG_CONFIG_HOME/clerk-rl/config.toml`, else `~/.config/clerk-rl/config.toml`),
//! chosen with `--profile NAME` or `CLERK_RL_PROFILE`:
//!
//! ```toml
//! [profiles.prod]
//! api_url = "https://api.clerk.com"
//! secret_key_file = "~/.config/clerk/prod.key"
//! plan = "prod"            # or: rate = "500/10s"
//! burst = 50
//! budget_store = "redis://127.0.0.1:6379/0"
//! cache = "redis://127.0.0.1:6379/1"
//! ```
//!
//! Order of precedence: a flag, then the environment, then the profile, then the default. Each
//! setting remembers where it came from, for `clerk-rl config show`.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

use crate::cli::{CacheUrlArg, Cli, Command, GlobalArgs};
use crate::error::{Exit, fail};
use crate::pacing::budget::{Plan, Rate, burst_arg, rate_arg};

/// The environment variable naming the profile (as `--profile`).
pub const ENV_PROFILE: &str = "CLERK_RL_PROFILE";

/// One profile: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub api_url: Option<String>,
    pub secret_key_file: Option<PathBuf>,
    pub plan: Option<String>,
    pub rate: Option<String>,
    pub burst: Option<u32>,
    pub budget_store: Option<String>,
    pub cache: Option<String>,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile(String),
    Default,
    Unset,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Profile(p) => write!(f, "profile {p}"),
            Source::Default => f.write_str("default"),
            Source::Unset => f.write_str("not set"),
        }
    }
}

/// The settings a profile can give, and where each of them came from.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The profile in use and the file it came from.
    pub profile: Option<(String, PathBuf)>,
    /// `(setting, source)` in a fixed order: profile, api_url, secret_key, budget, burst,
    /// budget_store, cache.
    pub sources: Vec<(&'static str, Source)>,
    /// The profile's cache URL (shown by `config show`, which takes no --cache itself).
    pub profile_cache: Option<String>,
    /// The profile's secret_key_file: read only when neither --secret-key-file nor
    /// CLERK_SECRET_KEY gives the key.
    pub key_file: Option<PathBuf>,
}

impl Resolved {
    pub fn source(&self, setting: &str) -> Source {
        self.sources
            .iter()
            .find(|(s, _)| *s == setting)
            .map(|(_, src)| src.clone())
            .unwrap_or(Source::Unset)
    }
}

/// The config file's path: `$XDG_CONFIG_HOME/clerk-rl/config.toml`, else
/// `$HOME/.config/clerk-rl/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("clerk-rl").join("config.toml"))
}

/// Apply the chosen profile to what the command line and the environment left at their defaults,
/// and say where each setting came from. No profile chosen: nothing is read.
pub fn apply(matches: &ArgMatches, cli: &mut Cli) -> anyhow::Result<Resolved> {
    let (profile, mut r) = chosen_profile(matches, cli)?;
    let from_profile = Source::Profile(r.label().to_string());
    let g = &mut cli.global;

    let src = given(matches, "api_url", "--api-url", Some("CLERK_API_URL"));
    r.sources.push((
        "api_url",
        pick(src, profile.api_url.clone(), &from_profile, |v| {
            g.api_url = v
        }),
    ));

    // The key file of a profile comes after CLERK_SECRET_KEY (flags beat the environment beat
    // the profile), so it is kept apart from --secret-key-file.
    let src = if g.secret_key_file.is_some() {
        Source::Flag("--secret-key-file")
    } else if std::env::var_os(crate::secret::ENV_KEY).is_some() {
        Source::Env(crate::secret::ENV_KEY)
    } else if let Some(p) = &profile.secret_key_file {
        r.key_file = Some(expand_home(p));
        from_profile.clone()
    } else {
        Source::Unset
    };
    r.sources.push(("secret_key", src));

    let src = apply_budget(matches, g, &profile, &from_profile)?;
    r.sources.push(("budget", src));
    let src = apply_burst(matches, g, &profile, &from_profile)?;
    r.sources.push(("burst", src));
    let src = apply_budget_store(matches, g, &profile, &from_profile)?;
    r.sources.push(("budget_store", src));
    let quiet = g.quiet;
    let src = apply_cache(matches, &mut cli.command, &profile, &from_profile, quiet);
    r.sources.push(("cache", src));
    // Settings no profile gives, so `config show` can say where each came from too.
    r.sources
        .push(("timeout", given(matches, "timeout", "--timeout", None)));
    r.sources.push((
        "max_retries",
        given(matches, "max_retries", "--max-retries", None),
    ));
    r.sources
        .push(("max_wait", given(matches, "max_wait", "--max-wait", None)));
    r.sources.push((
        "http_version",
        given(
            matches,
            "http_version",
            "--http-version",
            Some("CLERK_RL_HTTP_VERSION"),
        ),
    ));
    Ok(r)
}

/// The profile `--profile` or `CLERK_RL_PROFILE` names, read from the config file (an empty one
/// when none is chosen), and the start of the record of sources. `config show` checks the whole
/// file, every profile strictly, so a typo in one not in use today is found before the day it is.
fn chosen_profile(matches: &ArgMatches, cli: &Cli) -> anyhow::Result<(Profile, Resolved)> {
    let chosen = match (&cli.global.profile, matches.value_source("profile")) {
        (Some(name), Some(ValueSource::EnvVariable)) => {
            Some((name.clone(), Source::Env(ENV_PROFILE)))
        }
        (Some(name), _) => Some((name.clone(), Source::Flag("--profile"))),
        (None, _) => None,
    };
    let profile_src = chosen
        .as_ref()
        .map(|(_, s)| s.clone())
        .unwrap_or(Source::Unset);
    let (profile, origin) = match chosen {
        None => (Profile::default(), None),
        Some((name, _)) => {
            let path = config_path().ok_or_else(|| {
                fail(
                    Exit::Usage,
                    format!("--profile {name}: no config folder (set XDG_CONFIG_HOME or HOME)"),
                )
            })?;
            (load_profile(&path, &name)?, Some((name, path)))
        }
    };
    if matches!(cli.command, Command::Config(_))
        && let Some(path) = config_path().filter(|p| p.is_file())
    {
        let text = read_config(&path, cli.global.profile.as_deref().unwrap_or(""))?;
        parse_config(&text, &path, Which::All)?;
    }
    let r = Resolved {
        profile: origin,
        sources: vec![("profile", profile_src)],
        profile_cache: profile.cache.clone(),
        key_file: None,
    };
    Ok((profile, r))
}

/// plan and rate are one setting, the budget: a flag or variable for either wins over both of
/// the profile's.
fn apply_budget(
    matches: &ArgMatches,
    g: &mut GlobalArgs,
    profile: &Profile,
    from_profile: &Source,
) -> anyhow::Result<Source> {
    let plan_src = given(matches, "plan", "--plan", Some("CLERK_RL_PLAN"));
    let rate_src = given(matches, "rate", "--rate", None);
    let label = profile_label(from_profile);
    Ok(match (&rate_src, &plan_src) {
        (Source::Flag(_), _) => rate_src,
        (_, Source::Flag(_) | Source::Env(_)) => plan_src,
        _ if profile.plan.is_some() || profile.rate.is_some() => {
            if let Some(p) = &profile.plan {
                g.plan = <Plan as clap::ValueEnum>::from_str(p, true).map_err(|_| {
                    fail(
                        Exit::Usage,
                        format!("profile {label}: plan {p:?} is not one of free, pro, dev, prod"),
                    )
                })?;
            }
            if let Some(rate) = &profile.rate {
                let rate: Rate = rate_arg(rate)
                    .map_err(|e| fail(Exit::Usage, format!("profile {label}: rate: {e}")))?;
                g.rate = Some(rate);
            }
            from_profile.clone()
        }
        _ => Source::Default,
    })
}

fn apply_burst(
    matches: &ArgMatches,
    g: &mut GlobalArgs,
    profile: &Profile,
    from_profile: &Source,
) -> anyhow::Result<Source> {
    let src = given(matches, "burst", "--burst", None);
    Ok(match (src, profile.burst) {
        (Source::Default, Some(b)) => {
            let b = burst_arg(&b.to_string()).map_err(|e| {
                let label = profile_label(from_profile);
                fail(Exit::Usage, format!("profile {label}: burst: {e}"))
            })?;
            g.burst = Some(b);
            from_profile.clone()
        }
        (Source::Default, None) => Source::Unset,
        (s, _) => s,
    })
}

fn apply_budget_store(
    matches: &ArgMatches,
    g: &mut GlobalArgs,
    profile: &Profile,
    from_profile: &Source,
) -> anyhow::Result<Source> {
    let src = given(
        matches,
        "budget_store",
        "--budget-store",
        Some("CLERK_RL_BUDGET_STORE"),
    );
    let src = pick(src, profile.budget_store.clone(), from_profile, |v| {
        g.budget_store = Some(v)
    });
    if src == Source::Flag("--budget-store") {
        warn_password_in_argv(
            g.budget_store.as_deref(),
            "--budget-store",
            ENV_BUDGET_STORE,
            g.quiet,
        );
    }
    if g.budget_store_optional && g.budget_store.is_none() {
        return Err(fail(
            Exit::Usage,
            "--budget-store-optional needs a budget store: give --budget-store URL, CLERK_RL_BUDGET_STORE or budget_store in the profile",
        ));
    }
    Ok(unset_if_default(src))
}

/// The command's `--cache`, when it takes one; else what the profile or the environment would
/// give (for `config show`).
fn apply_cache(
    matches: &ArgMatches,
    command: &mut Command,
    profile: &Profile,
    from_profile: &Source,
    quiet: bool,
) -> Source {
    match cache_arg(command) {
        Some(cache) => {
            let sub = deepest(matches);
            let src = given(sub, "url", "--cache", Some("CLERK_RL_CACHE"));
            if src == Source::Flag("--cache") {
                warn_password_in_argv(cache.url.as_deref(), "--cache", "CLERK_RL_CACHE", quiet);
            }
            unset_if_default(pick(src, profile.cache.clone(), from_profile, |v| {
                cache.url = Some(v)
            }))
        }
        None if profile.cache.is_some() => from_profile.clone(),
        None if std::env::var_os("CLERK_RL_CACHE").is_some() => Source::Env("CLERK_RL_CACHE"),
        None => Source::Unset,
    }
}

/// The profile's name in a `Source::Profile`, for messages.
fn profile_label(from_profile: &Source) -> &str {
    match from_profile {
        Source::Profile(name) => name,
        _ => "",
    }
}

impl Resolved {
    fn label(&self) -> &str {
        self.profile.as_ref().map(|(n, _)| n.as_str()).unwrap_or("")
    }
}

const ENV_BUDGET_STORE: &str = "CLERK_RL_BUDGET_STORE";

/// A Redis URL with a password given as a flag: every user of the machine sees it in `ps` and
/// the shell keeps it in its history. Said once, with where to give it instead.
fn warn_password_in_argv(url: Option<&str>, flag: &str, env: &str, quiet: bool) {
    // A URL that is refused anyway gets its one error line and nothing more (a bad command
    // line is one line and exit 2).
    let has_password = url
        .filter(|u| crate::redis_store::parse_url(u, flag).is_ok())
        .is_some_and(|u| crate::redis_store::userinfo(u).1);
    if has_password {
        crate::ui::Ui::new(0, true).quiet(quiet).warn(&format!(
            "the Redis password in {flag} is visible to every user of this machine (ps, /proc) and kept in the shell's history; give the URL in {env} or a profile's setting instead"
        ));
    }
}

/// Where a clap argument's value came from: the flag, its variable, or neither.
fn given(m: &ArgMatches, id: &str, flag: &'static str, env: Option<&'static str>) -> Source {
    match m.try_get_raw(id).ok().flatten().and(m.value_source(id)) {
        Some(ValueSource::CommandLine) => Source::Flag(flag),
        Some(ValueSource::EnvVariable) => Source::Env(env.unwrap_or("")),
        _ => Source::Default,
    }
}

/// The profile's value when neither flag nor variable gave one.
fn pick(src: Source, value: Option<String>, profile: &Source, set: impl FnOnce(String)) -> Source {
    match (src, value) {
        (Source::Default, Some(v)) => {
            set(v);
            profile.clone()
        }
        (s, _) => s,
    }
}

fn unset_if_default(s: Source) -> Source {
    if s == Source::Default {
        Source::Unset
    } else {
        s
    }
}

/// The `--cache` of the command, if it takes one.
fn cache_arg(cmd: &mut Command) -> Option<&mut CacheUrlArg> {
    match cmd {
        Command::BatchGet(a) => Some(&mut a.cache),
        Command::Cache(a) => match &mut a.command {
            crate::cli::CacheCommand::Purge(p) => Some(&mut p.cache),
        },
        Command::Webhook(a) => match &mut a.command {
            crate::cli::WebhookCommand::Serve(s) => Some(&mut s.cache),
        },
        _ => None,
    }
}

/// The matches of the innermost subcommand.
fn deepest(m: &ArgMatches) -> &ArgMatches {
    match m.subcommand() {
        Some((_, sub)) => deepest(sub),
        None => m,
    }
}

/// `~/...` in a profile means the home folder, as in a shell.
fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

fn read_config(path: &Path, name: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        let who = if name.is_empty() {
            String::new()
        } else {
            format!("profile {name}: ")
        };
        fail(
            Exit::Usage,
            format!("{who}cannot read {}: {e}", path.display()),
        )
    })
}

fn load_profile(path: &Path, name: &str) -> anyhow::Result<Profile> {
    let text = read_config(path, name)?;
    let (chosen, known) = parse_config(&text, path, Which::One(name))?;
    chosen.ok_or_else(|| {
        fail(
            Exit::Usage,
            format!(
                "no profile {name:?} in {}; it has {}",
                path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        )
    })
}

/// Which profiles are held to the schema: only the one in use (a typo in another must not break
/// it), or all of them (`config show`).
#[derive(Debug, Clone, Copy)]
enum Which<'a> {
    One(&'a str),
    All,
}

/// The file read with every profile's name, the chosen one (with `Which::One`) strictly. An error
/// says the file, the line and column (toml's span) and the profile it is in.
fn parse_config(
    text: &str,
    path: &Path,
    which: Which<'_>,
) -> anyhow::Result<(Option<Profile>, Vec<String>)> {
    use serde::de::DeserializeSeed;
    let parsed = toml::Deserializer::parse(text).and_then(|d| FileSeed { which }.deserialize(d));
    parsed.map_err(|e| {
        let message = crate::ui::clean(&e.message().replace('\n', " "));
        let at = e.span().map(|span| position(text, span.start));
        let place = match at {
            Some((line, col)) => format!(" at line {line}, column {col}"),
            None => String::new(),
        };
        let profile = e
            .span()
            .and_then(|span| profile_at(text, span.start))
            .map(|p| format!(" (profile {p})"))
            .unwrap_or_default();
        fail(
            Exit::Usage,
            format!(
                "{} is not a valid config{place}{profile}: {}; fix it (docs/config.md lists the settings a profile takes)",
                path.display(),
                message.trim()
            ),
        )
    })
}

/// The 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// The profile whose table holds a byte offset: the last `[profiles.NAME]` header before it.
fn profile_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    before.lines().rev().find_map(|l| {
        let l = l.trim();
        let name = l.strip_prefix("[profiles.")?.strip_suffix(']')?;
        Some(name.trim().trim_matches('"').to_string())
    })
}

struct FileSeed<'a> {
    which: Which<'a>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FileSeed<'_> {
    type Value = (Option<Profile>, Vec<String>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FileSeed<'_> {
    type Value = (Option<Profile>, Vec<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a table of [profiles.NAME]")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = (None, Vec::new());
        while let Some(key) = map.next_key::<String>()? {
            if key != "profiles" {
                return Err(serde::de::Error::unknown_field(&key, &["profiles"]));
            }
            out = map.next_value_seed(ProfilesSeed { which: self.which })?;
        }
        Ok(out)
    }
}

struct ProfilesSeed<'a> {
    which: Which<'a>,
}

impl<'de> serde::de::DeserializeSeed<'de> for ProfilesSeed<'_> {
    type Value = (Option<Profile>, Vec<String>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ProfilesSeed<'_> {
    type Value = (Option<Profile>, Vec<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("profiles, each a table of settings")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut chosen, mut names) = (None, Vec::new());
        while let Some(name) = map.next_key::<String>()? {
            match self.which {
                Which::One(want) if want == name => chosen = Some(map.next_value::<Profile>()?),
                Which::One(_) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                Which::All => {
                    map.next_value::<Profile>()?;
                }
            }
            names.push(name);
        }
        names.sort();
        Ok((chosen, names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_with_an_unknown_setting_is_refused() {
        let path = Path::new("config.toml");
        let text = "[profiles.a]\nplna = \"prod\"\n";
        let err = parse_config(text, path, Which::One("a"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("plna"), "{err}");
        assert!(err.contains("line 2, column 1 (profile a)"), "{err}");
        let text = "[profiles.a]\nplan = \"prod\"\nburst = 5\n[profiles.b]\nrate = \"5/1s\"\n";
        let (a, names) = parse_config(text, path, Which::One("a")).unwrap();
        assert_eq!(a.unwrap().plan.as_deref(), Some("prod"));
        assert_eq!(names, ["a", "b"]);
        let (b, _) = parse_config(text, path, Which::One("b")).unwrap();
        assert_eq!(b.unwrap().rate.as_deref(), Some("5/1s"));
    }

    #[test]
    fn only_the_profile_in_use_is_strict_and_all_are_at_config_show() {
        let path = Path::new("config.toml");
        let text = "[profiles.good]\nplan = \"dev\"\n\n[profiles.bad]\nplna = \"prod\"\n";
        let (good, _) = parse_config(text, path, Which::One("good")).unwrap();
        assert_eq!(good.unwrap().plan.as_deref(), Some("dev"));
        let err = parse_config(text, path, Which::All)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5, column 1 (profile bad)"), "{err}");
        let err = parse_config("[profiles.a\n", path, Which::One("a"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1, column"), "{err}");
    }

    #[test]
    fn sources_read_as_words() {
        assert_eq!(Source::Flag("--plan").to_string(), "flag --plan");
        assert_eq!(
            Source::Env("CLERK_RL_PLAN").to_string(),
            "environment CLERK_RL_PLAN"
        );
        assert_eq!(Source::Profile("prod".into()).to_string(), "profile prod");
    }
}
