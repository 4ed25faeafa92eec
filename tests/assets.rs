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
