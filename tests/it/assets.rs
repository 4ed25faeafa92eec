//! The committed completions and man pages are what the binary generates now.

use crate::common;

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
    let r = common::run_sync(&["completions", "--dir", comp.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = common::run_sync(&["man", "--dir", man.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&comp).unwrap().count(), 5);
    assert!(man.join("clerk-rl-status.1").exists());
    compare(&root.join("completions"), &comp);
    compare(&root.join("man"), &man);
}

#[test]
fn completions_print_to_stdout() {
    let r = common::run_sync(&["completions", "bash"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("clerk-rl"));
    assert!(r.stdout.contains("--secret-key-file"));
}

#[test]
fn man_pages_have_exit_status_environment_examples_and_value_names() {
    let tmp = tempfile::tempdir().unwrap();
    let r = common::run_sync(&["man", "--dir", tmp.path().to_str().unwrap()]);
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
    let r = common::run_sync(&["man", "nope"]);
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

/// clap_complete's script never matched a subcommand with a hyphenated bin name
/// (clap-rs/clap#6421), so only the top level completed. Both the script printed by
/// `completions bash` and the committed copy must complete a subcommand's options and values.
#[test]
fn bash_completion_completes_subcommand_options() {
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
    let script = String::from_utf8(clerk_rl::face::completion(clap_complete::Shell::Bash)).unwrap();
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

/// The script `completions SHELL` prints, written to a file named as that shell looks it up
/// (`_clerk-rl` for zsh's fpath), in `dir`.
fn printed_script(shell: &str, dir: &Path) -> std::path::PathBuf {
    let mut c = common::cmd();
    c.args(["completions", shell]);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let name = match shell {
        "zsh" => "_clerk-rl".to_string(),
        other => format!("clerk-rl.{other}"),
    };
    let path = dir.join(name);
    std::fs::write(&path, &r.stdout).unwrap();
    path
}

/// What fish offers for a command line, asked as fish asks it: `complete -C LINE` after
/// sourcing the script. Each answer is `word<TAB>description`; the words are returned.
fn fish_completes(script: &Path, line: &str) -> Vec<String> {
    let mut c = std::process::Command::new("fish");
    c.args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
        .arg(script)
        .arg(line)
        .stdin(std::process::Stdio::null());
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "fish: {}", r.stderr);
    r.stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// fish is installed by scripts/test (like redis-server): a missing fish fails here, it is
/// never a skip. The printed and the committed script both complete a subcommand's options,
/// a value of an option below a subcommand, and a command two levels down.
#[test]
fn fish_completion_completes_subcommand_options() {
    let tmp = tempfile::tempdir().unwrap();
    let printed = printed_script("fish", tmp.path());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/clerk-rl.fish");
    for script in [printed.as_path(), committed.as_path()] {
        let got = fish_completes(script, "clerk-rl export-users --fi");
        assert_eq!(got, ["--filter"], "{}", script.display());
        let got = fish_completes(script, "clerk-rl export-users --plan p");
        assert_eq!(got, ["pro", "prod"], "{}", script.display());
        let got = fish_completes(script, "clerk-rl webhook serve --he");
        assert_eq!(got, ["--help"], "{}", script.display());
        let got = fish_completes(script, "clerk-rl export-");
        assert_eq!(got, ["export-users"], "{}", script.display());
    }
}

/// Set up in the interactive zsh of [`zsh_completes`]: compinit, a `compadd` that prints every
/// match it adds (calls that only compute matches, -O/-A/-D, pass through), and a hook after
/// each completion that prints an end marker. The markers are spelt in two quoted halves so the
/// terminal's echo of this text never matches them.
const ZSH_INIT: &str = r#"
PS1='' PS2='' RPS1=''
autoload -Uz compinit; compinit -u -D
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"; return $?
  fi
  local -a hits
  builtin compadd -A hits "$@"
  local x
  for x in $hits; do builtin print -r -- "HI""T:$x"; done
  builtin compadd "$@"
}
finish() { builtin print -r -- 'END-OF''-COMPLETIONS'; zle send-break }
zstyle ':completion:*' list-prompt ''
comppostfuncs=(finish)
"#;

/// Types the line and a Tab into an interactive zsh in a pseudo-terminal (zsh/zpty), and reads
/// until the end marker: zsh's own completion system runs the script's `_clerk-rl`.
const ZSH_DRIVER: &str = r#"
dir=$1 init=$2; shift 2
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); source ${(q)init}"
zpty -w -n z "$*"$'\t'
out=
zpty -r z out '*END-OF-COMPLETIONS*'
zpty -d z
print -r -- "${out//$'\r'/}" | sed -n 's/.*HIT://p' | sort -u
"#;

/// What zsh offers for a command line typed up to the cursor, with the script `_clerk-rl` in
/// `dir` on its fpath.
fn zsh_completes(dir: &Path, words: &[&str]) -> Vec<String> {
    let init = dir.join("init.zsh");
    std::fs::write(&init, ZSH_INIT).unwrap();
    let mut c = std::process::Command::new("zsh");
    c.args(["-f", "-c", ZSH_DRIVER, "zsh"])
        .arg(dir)
        .arg(&init)
        .args(words)
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::null());
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "zsh: {}", r.stderr);
    r.stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// zsh (installed by scripts/test, never skipped) completes with the generated `_clerk-rl`,
/// printed and committed: a subcommand's option, a value below a subcommand, two levels down.
#[test]
fn zsh_completion_completes_subcommand_options() {
    let printed = tempfile::tempdir().unwrap();
    printed_script("zsh", printed.path());
    let committed = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/_clerk-rl"),
        committed.path().join("_clerk-rl"),
    )
    .unwrap();
    for dir in [printed.path(), committed.path()] {
        let got = zsh_completes(dir, &["clerk-rl", "export-users", "--fi"]);
        assert_eq!(got, ["--filter"], "{}", dir.display());
        let got = zsh_completes(dir, &["clerk-rl", "export-users", "--plan", "p"]);
        assert_eq!(got, ["pro", "prod"], "{}", dir.display());
        let got = zsh_completes(dir, &["clerk-rl", "webhook", "serve", "--he"]);
        assert_eq!(got, ["--help"], "{}", dir.display());
        let got = zsh_completes(dir, &["clerk-rl", "export-"]);
        assert_eq!(got, ["export-users"], "{}", dir.display());
    }
}

/// `man clerk-rl-webhook-serve` named only the global variables: not the signing secret it
/// needs, nor where the config file of --profile is looked for.
#[test]
fn man_webhook_serve_environment_lists_every_variable_it_reads() {
    let r = common::run_sync(&["man", "webhook serve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = r
        .stdout
        .split(".SH \"ENVIRONMENT\"")
        .nth(1)
        .and_then(|s| s.split(".SH ").next())
        .expect("an ENVIRONMENT section")
        .to_string();
    for var in [
        "CLERK_SECRET_KEY",
        "CLERK_WEBHOOK_SIGNING_SECRET",
        "CLERK_RL_CACHE",
        "CLERK_RL_PROFILE",
        "XDG_CONFIG_HOME",
        "HOME",
    ] {
        assert!(
            env.contains(&format!("\\fB{var}\\fR")),
            "{var} missing:\n{env}"
        );
    }
    // A page lists what its command reads: the state folder is for commands that send requests.
    assert!(!env.contains("CLERK_RL_STATE_DIR"), "{env}");
    let r = common::run_sync(&["man", "export-users"]);
    assert!(
        r.stdout.contains(r"\fBCLERK_RL_STATE_DIR\fR"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("CLERK_WEBHOOK_SIGNING_SECRET"));
}
