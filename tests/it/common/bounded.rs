//! Runs of the binary with a deadline: a run that does not end is killed and its output
//! printed, so a hang fails one test instead of stalling the suite.

use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::Run;

/// Long enough for a debug build on a loaded 2-core machine; a hang is far beyond it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// `Command::output` with the suite's [`DEADLINE`]: every test runs the binary (or a shell
/// driving it) through this or [`bounded`], never through `Command::output` itself, so a hang
/// fails its test with what it printed instead of stalling the suite. Unlike `Command::output`,
/// stdin is inherited unless the test sets it ([`super::cmd`] sets the null device).
pub fn output(c: &mut Command) -> std::io::Result<Output> {
    output_within(c, DEADLINE)
}

/// [`output`] with a deadline of the caller's.
pub fn output_within(c: &mut Command, deadline: Duration) -> std::io::Result<Output> {
    let dir = tempfile::tempdir().unwrap();
    let (so, se) = (dir.path().join("out"), dir.path().join("err"));
    c.stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap());
    let mut child = c.spawn()?;
    let Some(status) = wait_within(&mut child, deadline) else {
        panic!(
            "{c:?} did not end within {deadline:?}; stdout:\n{}\nstderr:\n{}",
            std::fs::read_to_string(&so).unwrap_or_default(),
            std::fs::read_to_string(&se).unwrap_or_default()
        );
    };
    Ok(Output {
        status,
        stdout: std::fs::read(&so)?,
        stderr: std::fs::read(&se)?,
    })
}

/// Wait for a spawned `child` to end within `deadline`; past it, kill it, reap it and say `None`.
pub fn wait_within(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if t0.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_within`] for a child whose stderr is piped: its exit status and its stderr, or a
/// panic saying it did not end (`what`), with what it printed on stderr.
pub fn finish_within(child: &mut Child, deadline: Duration, what: &str) -> (ExitStatus, String) {
    use std::io::Read;
    let status = wait_within(child, deadline);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    match status {
        Some(s) => (s, err),
        None => panic!("{what}: {err}"),
    }
}

/// Run `c` to completion within `deadline`, or kill it and panic with what it printed.
pub fn run_within(mut c: Command, deadline: Duration) -> Run {
    Run::from(output_within(&mut c, deadline).expect("run the command"))
}

/// [`run_within`] the default deadline.
pub fn bounded_sync(c: Command) -> Run {
    run_within(c, DEADLINE)
}

/// [`run_within`] the default deadline, off the async runtime (servers in the test keep
/// serving).
pub async fn bounded(c: Command) -> Run {
    tokio::task::spawn_blocking(move || bounded_sync(c))
        .await
        .unwrap()
}

/// [`bounded`] with `stdin` fed to the child.
pub async fn bounded_with_stdin(mut c: Command, stdin: &'static [u8]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stdin");
    std::fs::write(&input, stdin).unwrap();
    c.stdin(Stdio::from(std::fs::File::open(&input).unwrap()));
    bounded(c).await
}

/// A child that outlives its deadline is killed and reaped, and the caller is told; one that
/// ends in time gives its status and its stderr.
#[test]
fn a_child_past_its_deadline_is_killed_and_one_in_time_is_finished() {
    let mut slow = Command::new("sleep").arg("30").spawn().unwrap();
    assert!(wait_within(&mut slow, Duration::from_millis(100)).is_none());
    assert!(slow.try_wait().unwrap().is_some(), "killed and reaped");
    let mut quick = Command::new("sh")
        .args(["-c", "echo said >&2; exit 3"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, err) = finish_within(&mut quick, Duration::from_secs(20), "it kept going");
    assert_eq!((status.code(), err.as_str()), (Some(3), "said\n"));
}

/// The rule above, checked: no test file calls `Command::output` (which waits forever) itself.
/// The SDK check's tokio `output()` sits under its own `tokio::time::timeout`.
#[test]
fn every_run_in_the_suite_has_a_deadline() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut unbounded = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if (t.ends_with(".output()") || t.contains(".output().")) && !t.starts_with("//") {
                unbounded.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert!(
        unbounded.is_empty(),
        "runs without a deadline (use common::output): {unbounded:?}"
    );
}
