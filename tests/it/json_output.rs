//! Every `--json` output, produced by the real binary against the sandbox (and a real Redis for
//! `cache purge`), validated against its schema in docs/schema/, with every key snake_case.

use crate::common;
use crate::schema;

use std::path::Path;

use clerk_rl::face::{Budget, Plan};
use clerk_rl::sandbox::{self, Sandbox, SandboxConfig};
use common::redis_server::RedisServer;
use common::{KEY, Run, cmd, sandbox_with};
use schema::{Schema, is_snake, non_snake_keys};
use serde_json::Value;

/// The schemas committed in docs/schema/, by file name.
const SCHEMAS: &[&str] = &[
    "status",
    "probe",
    "export-users-summary",
    "export-users-dry-run",
    "batch-get-summary",
    "cache-purge",
    "config-show",
    "top",
];

fn assert_valid(name: &str, v: &Value) {
    let errs = Schema::output(name).validate(v);
    assert!(errs.is_empty(), "{name}: {errs:#?}\n{v}");
    let mut bad = Vec::new();
    non_snake_keys(v, "$", &mut bad);
    assert!(bad.is_empty(), "{name}: keys not in snake_case: {bad:?}");
}

async fn run(sb: &Sandbox, args: &[&str]) -> Run {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url()).args(args);
    tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap()
}

#[test]
fn every_schema_is_json_schema_with_snake_case_properties_and_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = SCHEMAS.iter().map(|s| format!("{s}.json")).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every schema is tested here");
    for name in SCHEMAS {
        let s = Schema::output(name);
        assert_eq!(
            s.root()["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        fn props(v: &Value, path: &str, bad: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::Object(p)) = m.get("properties") {
                        bad.extend(
                            p.keys()
                                .filter(|k| !is_snake(k))
                                .map(|k| format!("{path}.{k}")),
                        );
                    }
                    for (k, val) in m {
                        props(val, &format!("{path}/{k}"), bad);
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| props(x, path, bad)),
                _ => {}
            }
        }
        let mut bad = Vec::new();
        props(s.root(), name, &mut bad);
        assert!(bad.is_empty(), "{bad:?}");
    }
}

#[test]
fn the_validator_and_the_snake_case_check_can_fail() {
    let s = Schema::output("cache-purge");
    let good = serde_json::json!({"deleted": 1, "guards_deleted": 0, "instance": "ab", "cache": "redis://x", "all": false});
    assert!(s.validate(&good).is_empty());
    for bad in [
        serde_json::json!({"deleted": -1, "guards_deleted": 0, "instance": "ab", "cache": "redis://x", "all": false}),
        serde_json::json!({"deleted": 1, "guards_deleted": 0, "instance": "ab", "cache": "redis://x"}),
        serde_json::json!({"deleted": 1, "guards_deleted": 0, "instance": "ab", "cache": "redis://x", "all": false, "Extra": 1}),
        serde_json::json!({"deleted": "1", "guards_deleted": 0, "instance": "ab", "cache": "redis://x", "all": false}),
    ] {
        assert!(!s.validate(&bad).is_empty(), "{bad}");
    }
    let mut out = Vec::new();
    non_snake_keys(
        &serde_json::json!({"a": {"users this run": 1, "b": [{"rateLimited": 0}]}}),
        "$",
        &mut out,
    );
    assert_eq!(out, vec!["$.a.users this run", "$.a.b[0].rateLimited"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_json_matches_its_schema_on_success_and_on_error() {
    let sb = sandbox_with(20, "1000/1s", |c| {
        c.headers = clerk_rl::sandbox::HeaderStyle::XRateLimit
    })
    .await;
    let r = run(&sb, &["status", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["rate_limit"]["limit"], 1000, "{j}");
    assert!(
        !j["hints"].as_array().unwrap().is_empty(),
        "the headroom hint: {j}"
    );
    assert_valid("status", &j);
    // A key the server refuses: the error object is filled in.
    let other = sandbox::start(SandboxConfig::new(Budget::new(Plan::Free, None, None)))
        .await
        .unwrap();
    let r = run(&other, &["status", "--json"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["error"]["code"], "clerk_key_invalid", "{j}");
    assert_valid("status", &j);
    sb.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_json_matches_its_schema() {
    let sb = sandbox_with(20, "5/1s", |_| {}).await;
    let r = run(
        &sb,
        &["probe", "--json", "--max-requests", "15", "--rate", "5/1s"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_valid("probe", &r.json());
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn export_summary_and_dry_run_match_their_schemas() {
    let sb = sandbox_with(120, "1000/1s", |_| {}).await;
    let r = run(
        &sb,
        &[
            "--json",
            "export-users",
            "--page-size",
            "50",
            "--rate",
            "1000/1s",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = common::summary_of(&r.stderr, None);
    assert_eq!(j["users_this_run"], 120, "{j}");
    assert_eq!(j["paging"], "cursor", "{j}");
    assert_valid("export-users-summary", &j);
    let r = run(&sb, &["--json", "export-users", "--dry-run"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["users"], 120);
    assert_valid("export-users-dry-run", &j);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_summary_with_missing_ids_matches_its_schema() {
    let sb = sandbox_with(10, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    let one = common::all_ids(&sb).await[0].1.clone();
    std::fs::write(&ids, format!("{one}\nuser_NoSuchUser1\nnot an id\n{one}\n")).unwrap();
    let r = run(&sb, &["--json", "batch-get", ids.to_str().unwrap()]).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    let j = common::summary_of(&r.stderr, None);
    assert_eq!(
        j["missing_ids"],
        serde_json::json!(["user_NoSuchUser1"]),
        "{j}"
    );
    assert_eq!(j["duplicates"], 1, "{j}");
    assert_valid("batch-get-summary", &j);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_purge_json_matches_its_schema() {
    let redis = RedisServer::start();
    redis.set("clerk:unrelated", b"1");
    let mut c = cmd();
    c.args(["--json", "cache", "purge", "--all", "--cache", &redis.url()]);
    let r = tokio::task::spawn_blocking(move || Run::from(common::output(&mut c).unwrap()))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["deleted"], 0, "{j}");
    assert!(!j.to_string().contains(KEY));
    assert_valid("cache-purge", &j);
}

/// The hand-made validator these tests used ignored anyOf, pattern and format, so a schema
/// using them passed anything. The maintained validator checks each; OpenAPI's nullable is
/// honoured (null, or the schema).
#[test]
fn the_validator_checks_any_of_pattern_format_and_nullable() {
    let s = Schema::load(
        r#"{
          "type": "object",
          "properties": {
            "id": {"type": "string", "pattern": "^user_[A-Za-z0-9]{27}$"},
            "at": {"type": "string", "format": "date-time"},
            "n": {"anyOf": [{"type": "integer", "minimum": 0}, {"enum": ["unknown"]}]},
            "o": {"type": "object", "nullable": true, "required": ["a"]}
          }
        }"#,
    );
    let good = serde_json::json!({"id": "user_2abcdefghijklmnopqrstuvwxyz", "at": "2026-12-06T03:01:55Z", "n": "unknown", "o": null});
    assert!(s.validate(&good).is_empty(), "{:?}", s.validate(&good));
    assert!(
        s.validate(&serde_json::json!({"o": {"a": 1}, "n": 3}))
            .is_empty()
    );
    for bad in [
        serde_json::json!({"id": "usr_1"}),
        serde_json::json!({"at": "yesterday"}),
        serde_json::json!({"n": -1}),
        serde_json::json!({"n": "many"}),
        serde_json::json!({"o": {}}),
        serde_json::json!({"o": 3}),
    ] {
        let errs = s.validate(&bad);
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
    }
    assert!(s.validate(&serde_json::json!({"at": "yesterday"}))[0].starts_with("$/at: "));
}
