//! Conventions every command shares, checked on the real binary: `-q` keeps errors only, tables
//! fit the terminal's width (COLUMNS, else 80), every warning and error has one prefix, and a bad
//! command line is one `clerk-rl: error:` line with exit 2.

use crate::common;

use common::{Run, cmd};

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = cmd();
    c.args(args).env_remove("COLUMNS");
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(common::output(&mut c).unwrap())
}

/// Every stderr line that warns or fails carries the house prefix.
fn assert_prefixed(stderr: &str) {
    for l in stderr.lines() {
        let lower = l.to_lowercase();
        if lower.contains("warning") || lower.starts_with("error") {
            assert!(
                l.starts_with("clerk-rl: warning: ") || l.starts_with("clerk-rl: error: "),
                "{l:?} in\n{stderr}"
            );
        }
    }
}

#[test]
fn quiet_keeps_errors_only() {
    let loud = run(&["--sandbox", "--sandbox-users", "30", "export-users"], &[]);
    assert_eq!(loud.code, 0, "{}", loud.stderr);
    assert!(loud.stderr.contains("summary"), "{}", loud.stderr);
    let quiet = run(
        &["--sandbox", "--sandbox-users", "30", "-q", "export-users"],
        &[],
    );
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "-q prints nothing on success");
    assert_eq!(quiet.stdout, loud.stdout, "stdout is unchanged");
    // A warning is dropped with -q, an error is not.
    let dead = "redis://127.0.0.1:1/0";
    let warn = [
        "--sandbox",
        "--budget-store",
        dead,
        "--budget-store-optional",
        "status",
    ];
    let r = run(&warn, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("clerk-rl: warning: "), "{}", r.stderr);
    assert_prefixed(&r.stderr);
    let mut quiet_warn = warn.to_vec();
    quiet_warn.insert(0, "--quiet");
    let r = run(&quiet_warn, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let r = run(
        &["-q", "--max-retries", "0", "status"],
        &[
            ("CLERK_API_URL", "http://127.0.0.1:9"),
            ("CLERK_RL_PLAN", "prod"),
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.starts_with("clerk-rl: error: "), "{}", r.stderr);
    let r = run(&["-q", "-v", "status"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn tables_fit_columns_else_80() {
    for (columns, width) in [(Some("60"), 60), (None, 80)] {
        let env: Vec<(&str, &str)> = columns.map(|c| ("COLUMNS", c)).into_iter().collect();
        for args in [
            &["--sandbox", "status"][..],
            &[
                "--sandbox",
                "--rate",
                "5/1s",
                "probe",
                "--max-requests",
                "12",
            ],
            &["--sandbox", "export-users", "--dry-run"],
        ] {
            let r = run(args, &env);
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
            let table: Vec<&str> = r
                .stdout
                .lines()
                .filter(|l| l.starts_with(['┌', '│', '├', '└']))
                .collect();
            assert!(table.len() > 3, "{args:?}: {}", r.stdout);
            for l in table {
                assert!(l.chars().count() <= width, "{args:?} at {width}: {l:?}");
            }
            assert_prefixed(&r.stderr);
        }
    }
    // The summary table on stderr too.
    let r = run(
        &["--sandbox", "--sandbox-users", "30", "export-users"],
        &[("COLUMNS", "50")],
    );
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with('│')).collect();
    assert!(!lines.is_empty(), "{}", r.stderr);
    assert!(
        lines.iter().all(|l| l.chars().count() <= 50),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_command_line_is_one_prefixed_line_and_exit_2() {
    for (args, want) in [
        (
            &["--pln", "x", "status"][..],
            "similar argument exists: '--plan'",
        ),
        (&["status", "--min-remaining", "101"], "--min-remaining"),
        (&["--rate", "fast", "status"], "N/DURATION"),
        (
            &["export-users", "--filter", "baned=1"],
            "did you mean 'banned'?",
        ),
        (&["nonsense"], "unrecognized subcommand"),
    ] {
        let r = run(args, &[]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("clerk-rl: error: "),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // --help and --version still answer on stdout with exit 0.
    let r = run(&["--version"], &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("clerk-rl "));
}

/// `--version` said only `clerk-rl 0.1.0`: a bug report could not say which build it came from.
/// It names the commit, the build date, the target and the features now; `-V` stays one line.
#[test]
fn version_names_commit_build_date_and_features() {
    let r = common::run_sync(&["--version"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        concat!("clerk-rl ", env!("CARGO_PKG_VERSION")),
        "{}",
        r.stdout
    );
    let field = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name}: line in\n{}", r.stdout))
            .to_string()
    };
    let commit = field("commit");
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    let date = field("built");
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date}"
    );
    assert!(!field("features").is_empty());
    assert!(!field("target").is_empty());
    let r = common::run_sync(&["-V"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
}
