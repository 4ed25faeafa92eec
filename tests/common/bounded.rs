//! Runs of the binary with a deadline: a run that does not end is killed and its output
//! printed, so a hang fails one test instead of stalling the suite.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::Run;

/// Long enough for a debug build on a loaded 2-core machine; a hang is far beyond it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Run `c` to completion within `deadline`, or kill it and panic with what it printed.
pub fn run_within(mut c: Command, deadline: Duration) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (so, se) = (dir.path().join("out"), dir.path().join("err"));
    c.stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap());
    let mut child = c.spawn().expect("run clerk-rl");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the run did not end within {deadline:?}; stdout:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&so).unwrap_or_default(),
                std::fs::read_to_string(&se).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run::from(Output {
        status,
        stdout: std::fs::read(&so).unwrap(),
        stderr: std::fs::read(&se).unwrap(),
    })
}

/// [`run_within`] the default deadline, off the async runtime (servers in the test keep
/// serving).
pub async fn bounded(c: Command) -> Run {
    tokio::task::spawn_blocking(move || run_within(c, DEADLINE))
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
