//! `clerk-rl sandbox --ready-file PATH`: the file a CI step waits on appears only once the
//! server listens, holds its URL, and goes away when the sandbox stops.

use crate::common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The sandbox process, killed if the test ends before it does.
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait (within the deadline of every run, else fail) until `f` gives a value.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < common::DEADLINE, "{what} never happened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ready_file_holds_the_url_once_listening_and_goes_when_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let ready = tmp.path().join("sandbox.url");
    // A file left by an earlier run: it must not pass for this run's readiness.
    std::fs::write(&ready, "http://127.0.0.1:1\n").unwrap();
    let env_file = tmp.path().join("sandbox.env");
    let mut c = common::cmd();
    c.args(["sandbox", "--port", "0", "--accept-key", common::KEY])
        .arg("--ready-file")
        .arg(&ready)
        .stdout(std::fs::File::create(&env_file).unwrap())
        .stderr(Stdio::null());
    let mut sb = Sandbox(c.spawn().unwrap());
    let url = wait_for("the ready file with a new URL", || {
        let text = std::fs::read_to_string(&ready).ok()?;
        (text != "http://127.0.0.1:1\n").then_some(text)
    });
    assert!(url.ends_with('\n'), "{url:?}");
    let url = url.trim_end();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(url.lines().count(), 1, "{url}");
    assert!(!url.contains(common::KEY));
    // Written after the two env lines, so a step that waited for it can read them.
    let env = common::read(&env_file);
    let lines: Vec<&str> = env.lines().collect();
    assert_eq!(lines.len(), 2, "{env}");
    assert_eq!(lines[0], format!("CLERK_API_URL={url}"));
    assert!(lines[1].starts_with("CLERK_SECRET_KEY=sk_test_"), "{env}");
    // The server is listening at that URL: a real command gets its answer.
    let mut status = common::cmd();
    status.args(["status", "--json"]).env("CLERK_API_URL", url);
    let r = common::bounded_sync(status);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // SIGTERM stops it cleanly and takes the file away.
    let pid = sb.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let code = wait_for("the sandbox to stop", || sb.0.try_wait().unwrap());
    assert_eq!(code.code(), Some(0));
    assert!(!ready.exists(), "the ready file outlived the sandbox");
}

#[test]
fn a_ready_file_that_cannot_be_written_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let ready = tmp.path().join("no-such-dir/sandbox.url");
    let mut c = common::cmd();
    c.args(["sandbox", "--port", "0", "--ready-file"])
        .arg(&ready);
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("clerk-rl: error: --ready-file "),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "no env lines when not ready: {}",
        r.stdout
    );
}
