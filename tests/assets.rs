//! The committed completions and man pages are what the binary generates now.

mod common;

use std::path::Path;

fn compare(committed: &Path, generated: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(generated)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let want = common::read(&generated.join(name));
        let have = std::fs::read_to_string(committed.join(name)).unwrap_or_default();
        assert!(
            want == have,
            "{} is out of date: run scripts/gen-assets and commit",
            committed.join(name).display()
        );
    }
    let committed_count = std::fs::read_dir(committed).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        committed_count,
        names.len(),
        "stale files in {}",
        committed.display()
    );
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let comp = tmp.path().join("completions");
    let man = tmp.path().join("man");
    let r = common::run_sync_bounded(&["completions", "--dir", comp.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = common::run_sync_bounded(&["man", "--dir", man.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&comp).unwrap().count(), 5);
    assert!(man.join("clerk-rl-status.1").exists());
    compare(&root.join("completions"), &comp);
    compare(&root.join("man"), &man);
}

#[test]
fn completions_print_to_stdout() {
    let r = common::run_sync_bounded(&["completions", "bash"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("clerk-rl"));
    assert!(r.stdout.contains("--secret-key-file"));
}

#[test]
fn man_pages_have_exit_status_environment_examples_and_value_names() {
    let tmp = tempfile::tempdir().unwrap();
    let r = common::run_sync_bounded(&["man", "--dir", tmp.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut pages = 0;
    for entry in std::fs::read_dir(tmp.path()).unwrap() {
        let path = entry.unwrap().path();
        let page = common::read(&path);
        pages += 1;
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH \"EXIT STATUS\"",
            ".SH \"ENVIRONMENT\"",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(page.contains(section), "{}: no {section}", path.display());
        }
        assert!(page.contains("130  interrupted"), "{}", path.display());
        assert!(page.contains("CLERK_SECRET_KEY"), "{}", path.display());
        // A page of a command with no subcommands shows how it is used.
        if !page.contains(".SH COMMANDS") && !page.contains(".SH SUBCOMMANDS") {
            assert!(
                page.contains(".SH \"EXAMPLES\""),
                "{}: no EXAMPLES",
                path.display()
            );
        }
        assert_eq!(page.matches(".el .ds Aq").count(), 1, "{}", path.display());
    }
    assert!(pages >= 12, "{pages} pages");
    let status = common::read(&tmp.path().join("clerk-rl-status.1"));
    assert!(
        status.contains(r"\fBclerk\-rl status\fR [\fB\-\-min\-remaining\fR \fIPCT\fR]"),
        "{status}"
    );
    let batch = common::read(&tmp.path().join("clerk-rl-batch-get.1"));
    assert!(batch.contains(r"\fBCLERK_RL_CACHE\fR"), "{batch}");
    assert!(batch.contains("7 some ids not found"), "{batch}");
}

#[test]
fn man_without_dir_prints_one_page_and_writes_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    for (args, name) in [
        (&["man"][..], "clerk-rl 1"),
        (&["man", "export-users"], "clerk-rl-export-users 1"),
        (&["man", "webhook serve"], "clerk-rl-webhook-serve 1"),
    ] {
        let mut c = common::cmd();
        c.args(args).current_dir(cwd.path());
        let r = common::bounded_sync(c);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains(&format!(".TH {name}")), "{args:?}");
    }
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "nothing written"
    );
    let r = common::run_sync_bounded(&["man", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("clerk-rl: error: no man page for \"nope\""),
        "{}",
        r.stderr
    );
}

/// What the generated bash script offers for a command line typed up to the cursor (the last
/// word is the one being completed), asked of a real bash the way readline asks it: the
/// function `complete -p clerk-rl` names, called with COMP_WORDS/COMP_CWORD set.
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    let driver = r#"
set -u
source "$1"; shift
spec=$(complete -p clerk-rl) || { echo "no completion registered for clerk-rl" >&2; exit 3; }
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" clerk-rl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let mut c = std::process::Command::new("bash");
    c.args(["--norc", "--noprofile", "-c", driver, "bash"])
        .arg(script)
        .args(words)
        .stdin(std::process::Stdio::null());
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "bash: {}", r.stderr);
    r.stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn have_bash() -> bool {
    std::process::Command::new("bash")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// clap_complete's script never matched a subcommand with a hyphenated bin name
/// (clap-rs/clap#6421), so only the top level completed. Both the script printed by
/// `completions bash` and the committed copy must complete a subcommand's options and values.
#[test]
fn bash_completion_completes_subcommand_options() {
    if !have_bash() {
        eprintln!("skipped: no bash on this machine");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut c = common::cmd();
    c.args(["completions", "bash"]);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed = tmp.path().join("clerk-rl.bash");
    std::fs::write(&printed, &r.stdout).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/clerk-rl.bash");
    for script in [printed.as_path(), committed.as_path()] {
        let got = bash_completes(script, &["clerk-rl", "export-users", "--fi"]);
        assert_eq!(got, ["--filter"], "{}", script.display());
        // A value_enum option's values, below a subcommand.
        let got = bash_completes(script, &["clerk-rl", "export-users", "--plan", "p"]);
        assert_eq!(got, ["pro", "prod"], "{}", script.display());
        // Two levels down.
        let got = bash_completes(script, &["clerk-rl", "webhook", "serve", "--he"]);
        assert_eq!(got, ["--help"], "{}", script.display());
        // The top level still completes.
        let got = bash_completes(script, &["clerk-rl", "export-"]);
        assert_eq!(got, ["export-users"], "{}", script.display());
    }
}

/// Every value the bash script gives `cmd` has a case label, so no subcommand is silently left
/// without completions (the shape of clap-rs/clap#6421, checked without a shell).
#[test]
fn bash_completion_has_a_case_for_every_command() {
    let script = String::from_utf8(clerk_rl::commands::assets::completion(
        clap_complete::Shell::Bash,
    ))
    .unwrap();
    let labels: std::collections::HashSet<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix("        ")?.strip_suffix(')'))
        .collect();
    let mut commands = 0;
    for line in script.lines() {
        if let Some(v) = line.trim().strip_prefix("cmd=\"") {
            let v = v.trim_end_matches('"');
            if v.is_empty() {
                continue; // the reset before the loop
            }
            commands += 1;
            assert!(labels.contains(v), "no case for cmd={v}");
        }
    }
    assert!(commands > 10, "{commands}");
}
