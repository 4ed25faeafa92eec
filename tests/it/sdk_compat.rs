//! Clerk's official Node SDK (npm @clerk/backend) against the sandbox: tests/node/sdk_compat.mjs
//! lists, counts and gets users and checks a 429 surfaces with its status and retryAfter.
//!
//! Needs tests/node/node_modules: `npm ci --prefix tests/node` (scripts/test runs it). A missing
//! install fails this test rather than skipping it, so a green run always means the SDK was tried.

use std::path::Path;
use std::time::Duration;

use clerk_rl::face::{Budget, Plan};
use clerk_rl::sandbox::{self, SandboxConfig};

const USERS: u64 = 250;

#[tokio::test]
async fn official_node_sdk_lists_counts_gets_and_sees_429s() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/@clerk/backend/package.json")
            .exists(),
        "tests/node/node_modules is missing: run scripts/test, or `npm ci --prefix tests/node` \
         (needs Node.js 20+ and npm), then cargo test again"
    );

    let mut cfg = SandboxConfig::new(Budget::new(
        Plan::Free,
        Some("100000/1s".parse().unwrap()),
        None,
    ));
    cfg.users = USERS;
    let sb = sandbox::start(cfg).await.unwrap();
    let mut cfg = SandboxConfig::new(Budget::new(
        Plan::Free,
        Some("1/10s".parse().unwrap()),
        None,
    ));
    cfg.users = USERS;
    let limited = sandbox::start(cfg).await.unwrap();

    // The expected answer, asked over plain HTTP.
    let body = reqwest::Client::new()
        .get(format!("{}/v1/users?limit=5", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let newest: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let newest: Vec<&str> = newest.iter().map(|u| u["id"].as_str().unwrap()).collect();

    let run = tokio::process::Command::new("node")
        .arg("sdk_compat.mjs")
        .current_dir(&dir)
        .env("CLERK_API_URL", sb.url())
        .env("CLERK_SECRET_KEY", sb.key())
        .env("SANDBOX_USERS", USERS.to_string())
        .env("EXPECTED_NEWEST", newest.join(","))
        .env("LIMITED_API_URL", limited.url())
        .env("LIMITED_SECRET_KEY", limited.key())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the SDK script finishes within 60 s")
        .expect("node runs (Node.js 20+ must be on PATH)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sdk_compat.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("sdk_compat: all 8 checks passed"),
        "{stdout}"
    );

    // The SDK sends the list and the count for getUserList.
    let paths: Vec<String> = sb.log().into_iter().map(|e| e.path).collect();
    assert!(paths.iter().any(|p| p == "/v1/users/count"));
    assert_eq!(limited.log().len(), 2);
    assert_eq!(limited.log()[1].status, 429);
    sb.shutdown().await;
    limited.shutdown().await;
}
