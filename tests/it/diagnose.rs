//! Errors that say what to do next, met as a user meets them: TLS spoken to a plain-HTTP port,
//! nothing listening, a redirect, a web page or an encoded body where JSON was expected, a full
//! disk. Each fails at once (no retries where none can help) with one line naming the cause.

use crate::common;

use std::path::PathBuf;

use common::{Run, all_ids, assert_exact, cmd, parse_export, sandbox_with};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn export_at(url: &str, extra: &[&str]) -> Run {
    let mut c = cmd();
    c.env("CLERK_API_URL", url)
        .args(["-v", "export-users", "--no-count"])
        .args(extra);
    tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap()
}

fn error_line(r: &Run) -> &str {
    r.stderr
        .lines()
        .find(|l| l.starts_with("clerk-rl: error:"))
        .unwrap_or_else(|| panic!("no error line: {}", r.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_port_fails_at_once_saying_it_does_not_speak_tls() {
    let sb = sandbox_with(5, "1000/1s", |_| {}).await;
    let url = sb.url().replace("http://", "https://");
    let r = export_at(&url, &["--max-retries", "8"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains("does not speak TLS"), "{line}");
    assert!(
        line.contains(&sb.url()),
        "names the http:// URL to use: {line}"
    );
    assert!(!r.stderr.contains("retrying"), "no retries: {}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_on_the_first_request_fails_at_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let r = export_at(&url, &["--max-retries", "8"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    let line = error_line(&r);
    assert!(
        line.contains(&format!("nothing listens at {url}")),
        "{line}"
    );
    assert!(!r.stderr.contains("retrying"), "no retries: {}", r.stderr);
}

async fn serving(resp: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .respond_with(resp)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_names_its_location() {
    let to = "https://api.example.com/v1/users";
    let server = serving(ResponseTemplate::new(301).insert_header("location", to)).await;
    let r = export_at(&server.uri(), &[]).await;
    assert_ne!(r.code, 0);
    let line = error_line(&r);
    assert!(line.contains(&format!("redirects to {to}")), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_page_or_an_encoded_body_names_its_type_or_encoding() {
    let html = ResponseTemplate::new(200).set_body_raw(
        "<html><body>Sign in</body></html>",
        "text/html; charset=utf-8",
    );
    let server = serving(html).await;
    let r = export_at(&server.uri(), &["--max-retries", "0"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains("Content-Type: text/html"), "{line}");

    let gzip = ResponseTemplate::new(200)
        .set_body_raw(
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x8b, 0x8e, 5, 0],
            "application/json",
        )
        .insert_header("content-encoding", "gzip");
    let server = serving(gzip).await;
    let r = export_at(&server.uri(), &["--max-retries", "0"]).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains("Content-Encoding: gzip"), "{line}");
}

/// The partial file is /dev/full (every write: ENOSPC). The error names the checkpoint and says
/// --resume goes on once space is freed; freeing it (the link removed), --resume ends exact.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_names_the_checkpoint_and_resume_works_once_space_is_freed() {
    let sb = sandbox_with(40, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.jsonl");
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let checkpoint = format!("{}.checkpoint", out.display());
    std::os::unix::fs::symlink("/dev/full", &partial).unwrap();
    let o = out.to_str().unwrap().to_string();
    let run = |extra: &'static [&'static str]| {
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url())
            .args(["export-users", "--page-size", "10", "--output", &o])
            .args(extra);
        tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
    };
    let r = run(&[]).await.unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = error_line(&r);
    assert!(line.contains("the disk is full"), "{line}");
    assert!(line.contains(&checkpoint), "{line}");
    assert!(line.contains("--resume"), "{line}");
    assert!(!out.exists());
    std::fs::remove_file(&partial).unwrap();
    let r = run(&["--resume"]).await.unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_exact(&parse_export(&common::read(&out)), &all_ids(&sb).await);
}
