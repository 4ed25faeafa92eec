//! One writer per output, an idempotent `--resume`, and SIGTERM/SIGHUP handled like Ctrl-C, for
//! `export-users --output` and `batch-get --output`, run as a user would against the sandbox.

use crate::common;

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
    tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
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

fn signal(child: &Child, sig: &str) {
    let s = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(s.success());
}

fn checkpoint_users(path: &Path) -> u64 {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["users"].as_u64())
        .unwrap_or(0)
}

/// `until clerk-rl export-users -o F --resume; do sleep 1; done` is a valid retry loop: from
/// nothing it starts, after SIGTERM (exit 143, checkpoint saved, resume command printed) it
/// continues, and after completion it is done at once without a request.
#[tokio::test(flavor = "multi_thread")]
async fn a_resume_loop_from_nothing_through_sigterm_ends_exact() {
    let sb = sandbox_with(300, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let ckpt = sibling(&out, ".checkpoint");
    let args = ["--concurrency", "1", "--resume"];
    let mut attempts = Vec::new();
    for attempt in 0..5 {
        let mut child = spawn(export(&sb, &out, "20/1s", &args));
        if attempt == 0 {
            // Stop the first attempt halfway, as systemd or Kubernetes would.
            let t0 = Instant::now();
            while checkpoint_users(&ckpt) < 50 {
                assert!(child.try_wait().unwrap().is_none(), "ended before SIGTERM");
                assert!(t0.elapsed() < Duration::from_secs(20), "no progress");
                std::thread::sleep(Duration::from_millis(5));
            }
            signal(&child, "TERM");
        }
        let r = wait_child(child).await;
        attempts.push(r.code);
        if attempt == 0 {
            assert!(r.stderr.contains("starting a fresh export"), "{}", r.stderr);
            assert_eq!(r.code, 143, "{}", r.stderr);
            assert!(r.stderr.contains("interrupted (SIGTERM)"), "{}", r.stderr);
            assert!(r.stderr.contains("--resume"), "{}", r.stderr);
            assert!(checkpoint_users(&ckpt) >= 50, "the checkpoint is saved");
            assert!(!out.exists());
        }
        if r.code == 0 {
            break;
        }
    }
    assert_eq!(attempts.last(), Some(&0), "{attempts:?}");
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
    // Once more after completion: "already complete", exit 0, not one request.
    let requests = sb.log().len();
    let r = finish(export(&sb, &out, "20/1s", &args)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already complete"), "{}", r.stderr);
    assert_eq!(sb.log().len(), requests, "a finished export sends nothing");
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
}

/// SIGTERM and SIGHUP stop batch-get as Ctrl-C does: exit 128 + the signal, no partial file,
/// no output file, no lock left behind.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_and_sighup_stop_batch_get_and_remove_its_partial_file() {
    let sb = sandbox_with(100, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let (ids, _) = ids_file(dir.path(), 100);
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let out = dir.path().join(format!("users-{sig}.jsonl"));
        let mut child = spawn(batch_get(&sb, &ids, &out, "10/1s"));
        wait_for(&mut child, &sibling(&out, ".partial"));
        signal(&child, sig);
        let r = wait_child(child).await;
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("interrupted (SIG{sig})")),
            "{}",
            r.stderr
        );
        assert!(
            !sibling(&out, ".partial").exists(),
            "the partial file was left behind"
        );
        assert!(!out.exists());
        assert!(!sibling(&out, ".lock").exists());
    }
}

/// SIGHUP (a closed terminal or session) stops an export as Ctrl-C does: exit 129, the
/// checkpoint saved, the resume command printed; the resume ends exact.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_saves_the_export_checkpoint_and_the_resume_ends_exact() {
    let sb = sandbox_with(300, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let ckpt = sibling(&out, ".checkpoint");
    let mut child = spawn(export(&sb, &out, "20/1s", &["--concurrency", "1"]));
    let t0 = Instant::now();
    while checkpoint_users(&ckpt) < 30 {
        assert!(child.try_wait().unwrap().is_none(), "ended before SIGHUP");
        assert!(t0.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&child, "HUP");
    let r = wait_child(child).await;
    assert_eq!(r.code, 129, "{}", r.stderr);
    assert!(r.stderr.contains("interrupted (SIGHUP)"), "{}", r.stderr);
    assert!(checkpoint_users(&ckpt) >= 30);
    assert!(!out.exists());
    let r = finish(export(
        &sb,
        &out,
        "1000/1s",
        &["--concurrency", "1", "--resume"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
}
