//! `clerk-rl import-users` run as a user would: the real binary against sandboxes on 127.0.0.1,
//! every run bounded. Covered: export -> import into an empty sandbox gives the same users; a
//! rerun creates nothing; answers dropped after the create committed (and 503s) create nobody
//! twice; SIGKILL halfway then a rerun creates every good line exactly once; bad lines named by
//! line number; exists vs rejected; exit codes; --dry-run sends nothing; the sandbox's create.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clerk_rl::sandbox::Sandbox;
use common::bounded::{bounded, bounded_with_stdin};
use common::{Run, cmd};
use serde_json::{Value, json};

const FAST: &str = "100000/1s";

fn import_cmd(sb: &Sandbox, rate: &str, args: &[&str]) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["--no-progress", "--rate", rate, "import-users"])
        .args(args);
    c
}

async fn import(sb: &Sandbox, args: &[&str]) -> Run {
    bounded(import_cmd(sb, FAST, args)).await
}

async fn export(sb: &Sandbox, out: &Path) {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .args(["--no-progress", "--rate", FAST, "export-users", "--output"])
        .arg(out);
    let r = bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn results(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Every user of a sandbox, read independently of clerk-rl.
async fn users_of(sb: &Sandbox) -> Vec<Value> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let url = format!(
            "{}/v1/users?limit=500&offset={offset}&order_by=%2Bcreated_at",
            sb.url()
        );
        // A sandbox with faults drops some of these reads too: read again.
        let mut page: Option<Vec<Value>> = None;
        for _ in 0..100 {
            if let Ok(r) = http.get(&url).bearer_auth(sb.key()).send().await
                && r.status() == 200
                && let Ok(p) = r.json().await
            {
                page = Some(p);
                break;
            }
        }
        let page = page.expect("the sandbox answered a list 100 times with a fault");
        let n = page.len();
        out.extend(page);
        if n < 500 {
            return out;
        }
        offset += 500;
    }
}

fn creates(sb: &Sandbox) -> usize {
    sb.log()
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/v1/users")
        .count()
}

/// Each external id held by exactly one user: external id -> user.
fn by_external_id(users: &[Value]) -> HashMap<String, Value> {
    let mut m = HashMap::new();
    for u in users {
        if let Some(e) = u["external_id"].as_str() {
            assert!(
                m.insert(e.to_string(), u.clone()).is_none(),
                "two users hold external_id {e}"
            );
        }
    }
    m
}

fn emails(u: &Value) -> Vec<String> {
    let primary = u["primary_email_address_id"].as_str();
    let mut v: Vec<(bool, String)> = u["email_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str() != primary,
                e["email_address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort_by_key(|(not_primary, _)| *not_primary);
    v.into_iter().map(|(_, e)| e).collect()
}

fn empty(
    rate: &str,
    tweak: impl FnOnce(&mut clerk_rl::sandbox::SandboxConfig),
) -> impl std::future::Future<Output = Sandbox> {
    let rate = rate.to_string();
    async move { common::sandbox_with(0, &rate, tweak).await }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_import_into_an_empty_sandbox_gives_the_same_users_and_a_rerun_creates_nothing()
{
    let source = common::sandbox_with(60, FAST, |_| {}).await;
    let target = empty(FAST, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.jsonl");
    export(&source, &file).await;
    let src_users = results(&common::read(&file));
    assert_eq!(src_users.len(), 60);

    let r = import(&target, &[file.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 60);
    for (i, line) in res.iter().enumerate() {
        assert_eq!(line["line"], i as u64 + 1, "results in input order");
        assert_eq!(line["status"], "created", "{line}");
    }
    assert_eq!(creates(&target), 60);

    let got = by_external_id(&users_of(&target).await);
    assert_eq!(got.len(), 60);
    for s in &src_users {
        let link = s["external_id"]
            .as_str()
            .or(s["id"].as_str())
            .unwrap()
            .to_string();
        let t = got
            .get(&link)
            .unwrap_or_else(|| panic!("{link} not imported"));
        assert_eq!(emails(t), emails(s), "{link}");
        for k in [
            "first_name",
            "last_name",
            "username",
            "public_metadata",
            "private_metadata",
            "unsafe_metadata",
            "banned",
        ] {
            assert_eq!(t[k], s[k], "{link}: {k}");
        }
        let phones = |u: &Value| -> HashSet<String> {
            u["phone_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["phone_number"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(phones(t), phones(s), "{link}");
        assert_eq!(t["password_enabled"], false, "no password was exported");
    }

    // The rerun: every line reported as before, no create sent.
    let before = creates(&target);
    let again = import(&target, &[file.to_str().unwrap()]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        creates(&target),
        before,
        "a rerun of a finished import sent a create"
    );
    assert_eq!(results(&again.stdout), res);
    assert_eq!(users_of(&target).await.len(), 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_dropped_after_the_create_committed_create_nobody_twice() {
    let source = common::sandbox_with(80, FAST, |_| {}).await;
    let target = empty(FAST, |c| {
        c.faults = "reset-after:0.25,503:0.1".parse().unwrap();
        c.fault_seed = Some(11);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.jsonl");
    export(&source, &file).await;

    let r = import(&target, &[file.to_str().unwrap(), "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dropped = target
        .log()
        .iter()
        .filter(|e| e.method == "POST" && e.fault.as_deref() == Some("reset-after"))
        .count();
    assert!(dropped > 0, "the fault never hit a create");
    let users = users_of(&target).await;
    assert_eq!(
        users.len(),
        80,
        "a lost answer created a user twice (or none)"
    );
    assert_eq!(by_external_id(&users).len(), 80);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 80);
    let ids: HashSet<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    for line in &res {
        assert_eq!(line["status"], "created", "{line}");
        assert!(ids.contains(line["id"].as_str().unwrap()), "{line}");
    }
    // Nothing was sent again blindly: every create beyond one per user followed a look-up
    // that found nobody.
    let summary: Value = serde_json::from_str(r.stderr.lines().last().unwrap()).unwrap();
    assert!(
        summary["found_after_loss"].as_u64().unwrap() > 0,
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_halfway_then_a_rerun_creates_every_good_line_exactly_once() {
    let target = empty(FAST, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    let mut text = String::new();
    let mut bad = Vec::new();
    let mut good = 0;
    for i in 1..=120u64 {
        if i % 17 == 0 {
            text.push_str("{\"first_name\": \"nobody\"\n");
            bad.push(i);
        } else if i % 29 == 0 {
            text.push_str("{\"first_name\": \"no id\"}\n");
            bad.push(i);
        } else {
            good += 1;
            text.push_str(
                &json!({"external_id": format!("ext-{i}"),
                        "email_address": [format!("u{i}@example.com")]})
                .to_string(),
            );
            text.push('\n');
        }
    }
    std::fs::write(&file, text).unwrap();

    // 20 creates a second: SIGKILL once a quarter of them went out.
    let mut c = import_cmd(&target, "20/1s", &[file.to_str().unwrap()]);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let t0 = Instant::now();
    while creates(&target) < 30 {
        assert!(child.try_wait().unwrap().is_none(), "ended before the kill");
        assert!(t0.elapsed() < common::DEADLINE, "no creates came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = users_of(&target).await.len();
    assert!(at_kill < good, "the first run finished before the kill");

    let r = import(&target, &[file.to_str().unwrap()]).await;
    assert_eq!(r.code, 7, "bad lines make exit 7: {}", r.stderr);
    let users = users_of(&target).await;
    assert_eq!(users.len(), good, "every good line created exactly once");
    assert_eq!(by_external_id(&users).len(), good);
    let res = results(&r.stdout);
    assert_eq!(res.len(), 120);
    for line in &res {
        let n = line["line"].as_u64().unwrap();
        if bad.contains(&n) {
            assert_eq!(line["status"], "invalid", "{line}");
        } else {
            assert_eq!(line["status"], "created", "{line}");
        }
    }
    assert!(r.stderr.contains("invalid"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_already_there_is_exists_and_another_users_email_is_rejected() {
    let target = empty(FAST, |_| {}).await;
    let http = reqwest::Client::new();
    let pre: Value = http
        .post(format!("{}/v1/users", target.url()))
        .bearer_auth(target.key())
        .json(&json!({"external_id": "crm-1", "email_address": ["one@example.com"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        [
            json!({"external_id": "crm-1", "email_address": ["other@example.com"]}),
            json!({"external_id": "crm-2", "email_address": ["one@example.com"]}),
            json!({"external_id": "crm-3", "email_address": ["three@example.com"], "nickname": "x"}),
            json!({"email_address": ["four@example.com"], "password": "short"}),
            json!({"email_address": ["five@example.com"]}),
        ]
        .iter()
        .map(|v| format!("{v}\n"))
        .collect::<String>(),
    )
    .unwrap();
    let r = import(&target, &[file.to_str().unwrap()]).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let res = results(&r.stdout);
    assert_eq!(res[0]["status"], "exists");
    assert_eq!(res[0]["id"], pre["id"]);
    assert_eq!(res[1]["status"], "rejected");
    assert_eq!(res[1]["error"]["code"], "form_identifier_exists");
    assert_eq!(
        res[2]["status"], "invalid",
        "an unknown field costs no request"
    );
    assert_eq!(res[3]["status"], "rejected");
    assert_eq!(res[3]["error"]["code"], "form_param_value_invalid");
    assert_eq!(res[4]["status"], "created");
    assert_eq!(res[4]["identity_field"], "email_address");
    assert_eq!(creates(&target), 1 + 4, "the invalid line sent nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_prints_the_bodies() {
    let target = empty(FAST, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"user_1\",\"email_addresses\":[]}\nnot json\n",
    )
    .unwrap();
    let r = bounded(import_cmd(
        &target,
        "100/10s",
        &["--dry-run", file.to_str().unwrap()],
    ))
    .await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(target.log().is_empty(), "a dry run sent a request");
    let res = results(&r.stdout);
    assert_eq!(res[0]["status"], "would_create");
    assert_eq!(
        res[0]["body"],
        json!({"external_id": "user_1", "skip_password_requirement": true})
    );
    assert_eq!(res[1]["status"], "invalid");
    assert_eq!(res[1]["line"], 2);
    assert!(r.stderr.contains("1 to create"), "{}", r.stderr);
    assert!(!file.with_extension("jsonl.import-journal").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_stdin_needs_a_state_a_refused_key_and_a_journal_of_another_input() {
    let target = empty(FAST, |_| {}).await;
    let r = bounded_with_stdin(import_cmd(&target, FAST, &["-"]), b"{\"id\":\"user_1\"}\n").await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--state"), "{}", r.stderr);

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("j");
    let c = import_cmd(&target, FAST, &["--state", state.to_str().unwrap(), "-"]);
    let r = bounded_with_stdin(c, b"{\"id\":\"user_1\"}\n").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = bounded_with_stdin(
        import_cmd(&target, FAST, &["--state", state.to_str().unwrap(), "-"]),
        b"{\"id\":\"user_OTHER\"}\n",
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("another input"), "{}", r.stderr);

    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, "{\"id\":\"user_2\"}\n").unwrap();
    let mut c = import_cmd(&target, FAST, &[file.to_str().unwrap()]);
    c.env(
        "CLERK_SECRET_KEY",
        "sk_test_NOTaKEYtheSANDBOXknows000000000000000",
    );
    let r = bounded(c).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_refuses_unknown_create_fields_and_identifiers_taken() {
    let sb = empty(FAST, |_| {}).await;
    let http = reqwest::Client::new();
    let post = |body: Value| {
        let http = http.clone();
        let url = format!("{}/v1/users", sb.url());
        let key = sb.key().to_string();
        async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = post(json!({"email_address": ["a@x.io"], "nickname": "x"})).await;
    assert_eq!(s, 422);
    assert_eq!(b["errors"][0]["code"], "form_param_unknown");
    assert_eq!(b["errors"][0]["meta"]["param_name"], "nickname");
    let (s, _) = post(json!({"external_id": "e1", "email_address": ["a@x.io"],
                             "phone_number": ["+15550001111"], "username": "ann",
                             "skip_password_requirement": true}))
    .await;
    assert_eq!(s, 200);
    for (body, param) in [
        (json!({"external_id": "e1"}), "external_id"),
        (json!({"email_address": ["a@x.io"]}), "email_address"),
        (json!({"phone_number": ["+15550001111"]}), "phone_number"),
        (json!({"username": "ann"}), "username"),
    ] {
        let (s, b) = post(body).await;
        assert_eq!(s, 422);
        assert_eq!(b["errors"][0]["code"], "form_identifier_exists");
        assert_eq!(b["errors"][0]["meta"]["param_name"], param);
    }
    let (s, b) = post(json!({"external_id": "e2", "password_digest": "$2a$10$abc"})).await;
    assert_eq!(s, 422, "{b}");
}
