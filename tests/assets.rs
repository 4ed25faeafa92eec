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
        let out = common::cmd()
            .args(args)
            .current_dir(cwd.path())
            .output()
            .unwrap();
        let r = common::Run::from(out);
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
