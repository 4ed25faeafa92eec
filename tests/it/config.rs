//! Profiles from the XDG config folder, run through the real binary: flags beat the environment,
//! which beats the profile, which beats the defaults; `config show` says where each setting came
//! from with the key masked; a bad file or an unknown profile is one line and exit 2.

use crate::common;
use crate::schema;

use std::path::Path;

use common::{KEY, Run, cmd, sandbox_with};
use serde_json::Value;

const LIVE: &str = "sk_live_RECOGNISABLE0live0key0abcdefXYZW";

/// A config folder holding `config.toml` with `text`, and a key file `prod.key`.
fn config_home(text: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("clerk-rl");
    std::fs::create_dir_all(&dir).unwrap();
    let key = home.path().join("prod.key");
    std::fs::write(&key, format!("{LIVE}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let text = text.replace("KEYFILE", key.to_str().unwrap());
    std::fs::write(dir.join("config.toml"), text).unwrap();
    home
}

fn run_in(home: &Path, args: &[&str], env: &[(&str, &str)], with_key: bool) -> Run {
    let mut c = cmd();
    c.env("XDG_CONFIG_HOME", home).args(args);
    if !with_key {
        c.env_remove("CLERK_SECRET_KEY");
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let r = common::bounded_sync(c);
    assert!(
        !r.stdout.contains(LIVE) && !r.stderr.contains(LIVE),
        "the key leaked"
    );
    r
}

/// `config show --json` as (setting -> (value, source)).
fn shown(r: &Run) -> std::collections::HashMap<String, (Value, String)> {
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let errs = schema::Schema::output("config-show").validate(&j);
    assert!(errs.is_empty(), "{errs:?}");
    j["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                (
                    s["value"].clone(),
                    s["source"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

const PROFILES: &str = r#"
[profiles.prod]
api_url = "https://api.example.com"
secret_key_file = "KEYFILE"
plan = "prod"
burst = 50
budget_store = "redis://:hunter2@127.0.0.1:6379/0"
cache = "redis://127.0.0.1:6379/1"

[profiles.slow]
rate = "5/1s"
"#;

#[test]
fn flags_beat_the_environment_beat_the_profile_beat_the_defaults() {
    let home = config_home(PROFILES);
    let h = home.path();
    // Profile only.
    let s = shown(&run_in(
        h,
        &["--json", "--profile", "prod", "config", "show"],
        &[],
        false,
    ));
    assert_eq!(
        s["api_url"],
        ("https://api.example.com".into(), "profile prod".into())
    );
    assert_eq!(s["secret_key"].1, "profile prod");
    assert_eq!(s["secret_key"].0, "sk_live_…XYZW");
    assert_eq!(
        s["budget"],
        (
            "1000/10s (plan prod), burst 50".into(),
            "profile prod".into()
        )
    );
    assert_eq!(s["burst"], ("50".into(), "profile prod".into()));
    assert_eq!(s["budget_store"].1, "profile prod");
    assert!(
        !s["budget_store"].0.to_string().contains("hunter2"),
        "{:?}",
        s["budget_store"]
    );
    assert_eq!(s["cache"].1, "profile prod");
    // The profile chosen through the environment; environment variables beat it.
    let s = shown(&run_in(
        h,
        &["--json", "config", "show"],
        &[
            ("CLERK_RL_PROFILE", "prod"),
            ("CLERK_RL_PLAN", "dev"),
            ("CLERK_API_URL", "https://env.example.com"),
        ],
        true,
    ));
    assert_eq!(
        s["api_url"],
        (
            "https://env.example.com".into(),
            "environment CLERK_API_URL".into()
        )
    );
    assert_eq!(
        s["budget"],
        (
            "100/10s (plan dev), burst 50".into(),
            "environment CLERK_RL_PLAN".into()
        )
    );
    assert_eq!(
        s["secret_key"],
        (
            "sk_test_…XYZW".into(),
            "environment CLERK_SECRET_KEY".into()
        )
    );
    // Flags beat both.
    let s = shown(&run_in(
        h,
        &[
            "--json",
            "--profile",
            "prod",
            "--rate",
            "7/1s",
            "--api-url",
            "https://flag.example.com",
            "config",
            "show",
        ],
        &[
            ("CLERK_RL_PLAN", "dev"),
            ("CLERK_API_URL", "https://env.example.com"),
        ],
        true,
    ));
    assert_eq!(s["api_url"].1, "flag --api-url");
    assert_eq!(
        s["budget"],
        ("7/1s (--rate), burst 50".into(), "flag --rate".into())
    );
    // No profile: defaults, and the file is never needed.
    let s = shown(&run_in(
        Path::new("/nonexistent"),
        &["--json", "config", "show"],
        &[],
        true,
    ));
    assert_eq!(
        s["api_url"],
        ("https://api.clerk.com".into(), "default".into())
    );
    assert_eq!(s["budget"], ("20/10s (plan free)".into(), "default".into()));
    assert_eq!(s["burst"], (Value::Null, "not set".into()));
    // The table says the same for people.
    let r = run_in(h, &["--profile", "slow", "config", "show"], &[], true);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("5/1s (--rate)") && r.stdout.contains("profile slow"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_points_a_real_run_at_its_instance_with_its_key_and_budget() {
    let sb = sandbox_with(30, "1000/1s", |c| c.accept_keys.push(LIVE.into())).await;
    let home = config_home(&format!(
        "[profiles.local]\napi_url = \"{}\"\nsecret_key_file = \"KEYFILE\"\nrate = \"9/1s\"\n",
        sb.url()
    ));
    let h = home.path().to_path_buf();
    let r = tokio::task::spawn_blocking(move || {
        run_in(
            &h,
            &["--json", "status"],
            &[("CLERK_RL_PROFILE", "local")],
            false,
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["instance"], "production", "the profile's key: {j}");
    assert_eq!(j["budget"]["rate"]["limit"], 9, "{j}");
    assert_eq!(j["api_url"], sb.url().trim_end_matches('/'), "{j}");
    assert_eq!(sb.log().len(), 1);
}

#[test]
fn a_bad_config_or_an_unknown_profile_is_one_line_and_exit_2() {
    for (text, args, want) in [
        (
            PROFILES,
            &["--profile", "prd", "status"][..],
            "no profile \"prd\"",
        ),
        (
            PROFILES,
            &["--profile", "prd", "status"],
            "it has prod, slow",
        ),
        (
            "[profiles.a]\nplna = \"prod\"\n",
            &["--profile", "a", "status"],
            "plna",
        ),
        (
            "[profiles.a\n",
            &["--profile", "a", "status"],
            "is not a valid config",
        ),
        (
            "[profiles.a]\nplan = \"gold\"\n",
            &["--profile", "a", "status"],
            "not one of free, pro, dev, prod",
        ),
        (
            "[profiles.a]\nrate = \"fast\"\n",
            &["--profile", "a", "status"],
            "N/DURATION",
        ),
    ] {
        let home = config_home(text);
        let r = run_in(
            home.path(),
            args,
            &[("CLERK_API_URL", "http://127.0.0.1:9")],
            true,
        );
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with("clerk-rl: error: "), "{}", r.stderr);
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
    }
    let empty = tempfile::tempdir().unwrap();
    let r = run_in(empty.path(), &["--profile", "x", "status"], &[], true);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
}

/// `budget_store` in a profile, then `--budget-store-optional`: clap's `requires` could not see
/// the profile and refused with "required arguments were not provided:; --budget-store". The
/// profile satisfies it now, and clap's errors are never joined with ":;".
#[test]
fn budget_store_optional_is_satisfied_by_the_profile_and_errors_never_join_with_colon_semicolon() {
    let home = config_home(
        "[profiles.shared]\nbudget_store = \"redis://127.0.0.1:9/0\"\n[profiles.bare]\nplan = \"dev\"\n",
    );
    let r = run_in(
        home.path(),
        &[
            "--profile",
            "shared",
            "--budget-store-optional",
            "config",
            "show",
            "--json",
        ],
        &[],
        true,
    );
    let settings = shown(&r);
    assert_eq!(settings["budget_store"].1, "profile shared", "{settings:?}");
    // Without a store anywhere: one line saying where a store can come from.
    let r = run_in(
        home.path(),
        &[
            "--profile",
            "bare",
            "--budget-store-optional",
            "config",
            "show",
        ],
        &[],
        true,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--budget-store-optional needs a budget store")
            && r.stderr.contains("budget_store in the profile"),
        "{}",
        r.stderr
    );
    // Another `requires`, still clap's: its list follows the colon with a space.
    let r = run_in(home.path(), &["export-users", "--resume"], &[], true);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains(":;"), "{}", r.stderr);
    assert!(r.stderr.contains("provided: --output"), "{}", r.stderr);
}

/// A typo in a profile not in use broke every profile, and the error had no line or profile.
/// Only the profile in use is strict now; `config show` checks them all; errors say the line,
/// the column and the profile.
#[test]
fn a_typo_in_an_unused_profile_breaks_only_config_show_with_line_column_and_profile() {
    let home = config_home("[profiles.good]\nplan = \"dev\"\n\n[profiles.typo]\nplna = \"prod\"\n");
    let r = run_in(
        home.path(),
        &["--profile", "good", "config", "show", "--json"],
        &[],
        true,
    );
    assert_eq!(r.code, 2, "config show checks every profile: {}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("at line 5, column 1 (profile typo): unknown field `plna`"),
        "{}",
        r.stderr
    );
    // Another command with the good profile is not disturbed by the typo.
    let r = run_in(
        home.path(),
        &["--profile", "good", "--sandbox", "status", "--json"],
        &[],
        true,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["budget"]["plan"], "dev");
    // The profile with the typo: the line, the column and the profile.
    let r = run_in(
        home.path(),
        &["--profile", "typo", "--sandbox", "status"],
        &[],
        true,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("line 5, column 1 (profile typo)") && r.stderr.contains("plna"),
        "{}",
        r.stderr
    );
}

/// `config show` left out timeout, retries, the state folder and the signing secret, and dropped
/// a Redis password without a trace. Every setting shows now, with its source; a password is
/// masked (`redis://:…@host`), the signing secret only said to be set.
#[test]
fn config_show_lists_every_setting_and_masks_secrets() {
    let home =
        config_home("[profiles.p]\nbudget_store = \"redis://:hunter2@cache.example:6379/0\"\n");
    let r = run_in(
        home.path(),
        &[
            "--json",
            "--profile",
            "p",
            "--timeout",
            "5s",
            "config",
            "show",
        ],
        &[
            ("CLERK_RL_STATE_DIR", "/tmp/clerk-rl-state"),
            ("CLERK_WEBHOOK_SIGNING_SECRET", "whsec_SECRETVALUE"),
            ("CLERK_RL_HTTP_VERSION", "2"),
        ],
        true,
    );
    assert!(
        !r.stdout.contains("hunter2") && !r.stdout.contains("SECRETVALUE"),
        "{}",
        r.stdout
    );
    let s = shown(&r);
    assert_eq!(s["budget_store"].0, "redis://:…@cache.example:6379/0");
    assert_eq!(s["timeout"], ("5s".into(), "flag --timeout".into()));
    assert_eq!(s["max_retries"].1, "default");
    assert_eq!(s["max_wait"].1, "default");
    assert_eq!(
        s["http_version"],
        ("2".into(), "environment CLERK_RL_HTTP_VERSION".into())
    );
    assert_eq!(
        s["state_dir"],
        (
            "/tmp/clerk-rl-state".into(),
            "environment CLERK_RL_STATE_DIR".into()
        )
    );
    assert_eq!(
        s["webhook_signing_secret"],
        (
            "set (hidden)".into(),
            "environment CLERK_WEBHOOK_SIGNING_SECRET".into()
        )
    );
}
