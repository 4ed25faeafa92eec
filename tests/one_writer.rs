//! One writer per output, an idempotent `--resume`, and SIGTERM/SIGHUP handled like Ctrl-C, for
//! `export-users --output` and `batch-get --output`, run as a user would against the sandbox.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clerk_rl::sandbox::Sandbox;
use clerk_rl::sandbox::users::{Generator, user_id};
use common::{Run, all_ids, assert_exact, cmd, parse_export, sandbox_with};

const SEED: u64 = 7;

fn export(sb: &Sandbox, out: &Path, rate: &str, extra: &[&str]) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["export-users", "--rate", rate, "--page-size", "10"])
        .arg("--output")
        .arg(out)
        .args(extra);
    c
}

fn batch_get(sb: &Sandbox, ids: &Path, out: &Path, rate: &str) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args([
            "batch-get",
            "--rate",
            rate,
            "--concurrency",
            "1",
            "--strategy",
            "get",
        ])
        .arg("--output")
        .arg(out)
        .arg(ids);
    c
}

async fn finish(c: Command) -> Run {
    let mut c = c;
    tokio::task::spawn_blocking(move || Run::from(c.output().unwrap()))
        .await
        .unwrap()
}

async fn wait_child(child: Child) -> Run {
    tokio::task::spawn_blocking(move || Run::from(child.wait_with_output().unwrap()))
        .await
        .unwrap()
}

fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sibling(p: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", p.display()))
}

/// Wait until `path` exists (the first run holds its lock / made its first checkpoint).
fn wait_for(child: &mut Child, path: &Path) {
    let t0 = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the first run ended too soon"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn ids_file(dir: &Path, users: u64) -> (PathBuf, Vec<String>) {
    let g = Generator::new(SEED, users);
    let ids: Vec<String> = (0..users)
        .map(|i| user_id(SEED, i, g.created_at(i)))
        .collect();
    let path = dir.join("ids.txt");
    std::fs::write(&path, ids.join("\n") + "\n").unwrap();
    (path, ids)
}

fn line_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The second run is refused at once (exit 1, naming the first one's pid) even with --force,
/// touching nothing; the first ends exact.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_export_into_the_same_file_is_refused_and_the_first_is_exact() {
    let sb = sandbox_with(300, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    // 31 pages at 10 a second: the first run lasts about three seconds.
    let mut first = spawn(export(&sb, &out, "10/1s", &["--concurrency", "1"]));
    wait_for(&mut first, &sibling(&out, ".checkpoint"));
    let pid = first.id();
    for extra in [&[][..], &["--force"], &["--resume"]] {
        let before = std::fs::read(sibling(&out, ".checkpoint")).unwrap();
        let r = finish(export(&sb, &out, "1000/1s", extra)).await;
        assert_eq!(r.code, 1, "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("pid {pid}")), "{}", r.stderr);
        assert!(
            r.stderr.contains("--force does not override"),
            "{}",
            r.stderr
        );
        assert!(!out.exists());
        // Nothing of the first run's was touched: its checkpoint only ever moves forward.
        let after = std::fs::read(sibling(&out, ".checkpoint")).unwrap();
        let users = |b: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(b).unwrap()["users"]
                .as_u64()
                .unwrap()
        };
        assert!(users(&after) >= users(&before));
    }
    let r = wait_child(first).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
    assert!(
        !sibling(&out, ".lock").exists(),
        "the lock file is removed at the end"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_batch_get_into_the_same_file_is_refused_and_the_first_is_exact() {
    let sb = sandbox_with(100, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let (ids, want) = ids_file(dir.path(), 100);
    let out = dir.path().join("users.jsonl");
    // One GET per id at 25 a second: the first run lasts about four seconds.
    let mut first = spawn(batch_get(&sb, &ids, &out, "25/1s"));
    wait_for(&mut first, &sibling(&out, ".partial"));
    let pid = first.id();
    let r = finish(batch_get(&sb, &ids, &out, "1000/1s")).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("pid {pid}")), "{}", r.stderr);
    let r = wait_child(first).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(line_ids(&common::read(&out)), want);
}
