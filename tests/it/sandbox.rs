//! The sandbox over real HTTP on 127.0.0.1: every endpoint, every error shape and 422 rule, each
//! limiter algorithm counted from the request log, each header and Retry-After style, each fault
//! kind, and every user validated against the User schema extracted from Clerk's spec.

use crate::schema;

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant, SystemTime};

use clerk_rl::face::{Budget, Plan};
use clerk_rl::sandbox::{
    self, Algorithm, FaultSpec, HeaderStyle, LogEntry, RetryAfterStyle, Sandbox, SandboxConfig,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn budget(rate: &str, burst: Option<u32>) -> Budget {
    Budget::new(Plan::Free, Some(rate.parse().unwrap()), burst)
}

/// A sandbox with a limit high enough never to get in the way, adjusted by `f`.
async fn start(f: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut cfg = SandboxConfig::new(budget("100000/1s", None));
    cfg.users = 300;
    f(&mut cfg);
    sandbox::start(cfg).await.expect("sandbox starts")
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// One client for the whole run: building one (its TLS setup) per request costs more than the
/// request. No idle connections are kept, since each test has its own runtime and a pooled
/// connection must not outlive the runtime that drives it.
fn client() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
        })
        .clone()
}

async fn call_with(
    sb: &Sandbox,
    method: Method,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut rb = client().request(method, format!("{}{path}", sb.url()));
    if let Some(a) = auth {
        rb = rb.header("authorization", a);
    }
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = rb.send().await.expect("request goes through");
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body arrives");
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{path}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    Resp {
        status,
        headers,
        body,
    }
}

async fn get(sb: &Sandbox, path: &str) -> Resp {
    let auth = format!("Bearer {}", sb.key());
    call_with(sb, Method::GET, path, Some(&auth), None).await
}

async fn send(sb: &Sandbox, method: Method, path: &str, body: Option<Value>) -> Resp {
    let auth = format!("Bearer {}", sb.key());
    call_with(sb, method, path, Some(&auth), body).await
}

/// A page of users; panics on anything but a 200 with an array.
async fn users(sb: &Sandbox, path: &str) -> Vec<Value> {
    let r = get(sb, path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body.as_array().expect("a plain JSON array").clone()
}

fn id_list(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts Clerk's error shape and returns the first error's code.
fn assert_clerk_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    let e = &r.body["errors"][0];
    for field in ["message", "long_message", "code"] {
        assert!(e[field].is_string(), "{field} in {}", r.body);
    }
    assert!(e["meta"].is_object(), "meta in {}", r.body);
    let trace = r.body["clerk_trace_id"].as_str().expect("clerk_trace_id");
    assert!(!trace.is_empty());
    assert_eq!(
        r.headers
            .get("clerk-trace-id")
            .and_then(|v| v.to_str().ok()),
        Some(trace)
    );
    e["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn authentication_and_authorization_errors_have_clerks_shape() {
    let sb = start(|c| {
        c.over_quota_keys = vec!["sk_test_full".into()];
        c.forbidden_keys = vec!["sk_test_readonly".into()];
        c.accept_keys = vec!["sk_live_extra".into()];
    })
    .await;
    let none = call_with(&sb, Method::GET, "/v1/users", None, None).await;
    assert_eq!(assert_clerk_error(&none, 401), "authentication_invalid");
    for bad in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "sk_test_abc",
        "Bearer a b",
    ] {
        let r = call_with(&sb, Method::GET, "/v1/users", Some(bad), None).await;
        assert_eq!(
            assert_clerk_error(&r, 401),
            "authorization_header_format_invalid",
            "{bad}"
        );
    }
    let wrong = call_with(
        &sb,
        Method::GET,
        "/v1/users",
        Some("Bearer sk_test_wrong"),
        None,
    )
    .await;
    assert_eq!(assert_clerk_error(&wrong, 401), "clerk_key_invalid");
    let full = call_with(
        &sb,
        Method::GET,
        "/v1/users",
        Some("Bearer sk_test_full"),
        None,
    )
    .await;
    assert_eq!(assert_clerk_error(&full, 403), "quota_exceeded");
    let ro = call_with(
        &sb,
        Method::GET,
        "/v1/users",
        Some("Bearer sk_test_readonly"),
        None,
    )
    .await;
    assert_eq!(assert_clerk_error(&ro, 403), "authorization_invalid");
    let extra = call_with(
        &sb,
        Method::GET,
        "/v1/users?limit=1",
        Some("Bearer sk_live_extra"),
        None,
    )
    .await;
    assert_eq!(extra.status, 200);

    let missing = get(&sb, "/v1/users/user_2NNEqL2nrIRdJ194ndJqAHwEfxC").await;
    assert_eq!(assert_clerk_error(&missing, 404), "resource_not_found");
    let route = get(&sb, "/v1/no_such_resource").await;
    assert_eq!(assert_clerk_error(&route, 404), "resource_not_found");
    let method = send(&sb, Method::PUT, "/v1/users", None).await;
    assert_eq!(assert_clerk_error(&method, 405), "method_not_allowed");

    // Keys never reach the log; the short tag tells them apart.
    let log = serde_json::to_string(&sb.log()).unwrap();
    for k in [
        sb.key(),
        "sk_test_full",
        "sk_test_readonly",
        "sk_test_wrong",
    ] {
        assert!(!log.contains(k), "the log holds a key");
    }
    let tags: HashSet<_> = sb.log().into_iter().filter_map(|e| e.key).collect();
    assert!(tags.len() >= 4);
    sb.shutdown().await;
}

#[tokio::test]
async fn every_422_rule() {
    let sb = start(|_| {}).await;
    let some_id = id_list(&users(&sb, "/v1/users?limit=1").await)[0].clone();
    let many_ids = (0..101)
        .map(|_| format!("user_id={some_id}"))
        .collect::<Vec<_>>()
        .join("&");
    let many_emails = (0..101)
        .map(|i| format!("email_address=a{i}@example.com"))
        .collect::<Vec<_>>()
        .join("&");
    let cases: &[(&str, &str, &str)] = &[
        ("limit=0", "form_param_value_invalid", "limit"),
        ("limit=501", "form_param_value_invalid", "limit"),
        ("limit=-3", "form_param_value_invalid", "limit"),
        ("limit=abc", "form_param_format_invalid", "limit"),
        ("limit=1.5", "form_param_format_invalid", "limit"),
        ("limit=", "form_param_format_invalid", "limit"),
        ("offset=-1", "form_param_value_invalid", "offset"),
        ("offset=x", "form_param_format_invalid", "offset"),
        ("order_by=password", "form_param_value_invalid", "order_by"),
        ("order_by=-nope", "form_param_value_invalid", "order_by"),
        (&many_ids, "form_param_value_invalid", "user_id"),
        (&many_emails, "form_param_value_invalid", "email_address"),
        ("banned=yes", "form_param_format_invalid", "banned"),
        ("banned=1", "form_param_format_invalid", "banned"),
        (
            "created_at_before=abc",
            "form_param_format_invalid",
            "created_at_before",
        ),
        (
            "created_at_after=1e3",
            "form_param_format_invalid",
            "created_at_after",
        ),
        (
            "last_sign_in_at_after=soon",
            "form_param_format_invalid",
            "last_sign_in_at_after",
        ),
        (
            &format!("order_by=first_name&starting_after={some_id}"),
            "form_param_value_invalid",
            "starting_after",
        ),
        (
            &format!("order_by=-updated_at&starting_after={some_id}"),
            "form_param_value_invalid",
            "starting_after",
        ),
        (
            &format!("offset=5&starting_after={some_id}"),
            "form_param_value_invalid",
            "starting_after",
        ),
        (
            "starting_after=user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
            "form_param_value_invalid",
            "starting_after",
        ),
        (
            "starting_after=garbage",
            "form_param_value_invalid",
            "starting_after",
        ),
    ];
    for &(q, code, param) in cases {
        let r = get(&sb, &format!("/v1/users?{q}")).await;
        let shown = &q[..q.len().min(60)];
        assert_eq!(assert_clerk_error(&r, 422), code, "{shown}");
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], param, "{shown}");
    }
    // The count endpoint checks the filters the same way.
    let r = get(&sb, "/v1/users/count?banned=maybe").await;
    assert_eq!(assert_clerk_error(&r, 422), "form_param_format_invalid");
    let r = get(&sb, &format!("/v1/users/count?{many_ids}")).await;
    assert_eq!(assert_clerk_error(&r, 422), "form_param_value_invalid");

    // The edges that are allowed.
    for ok in [
        "limit=1".to_string(),
        "limit=500".into(),
        "offset=0".into(),
        format!("offset=0&starting_after={some_id}"),
        format!("order_by=%2Bcreated_at&starting_after={some_id}"),
        format!("order_by=created_at&starting_after={some_id}"),
        format!("order_by=-created_at&starting_after={some_id}"),
        // Only the first order_by counts.
        "order_by=created_at&order_by=nonsense".into(),
        (0..100)
            .map(|_| format!("user_id={some_id}"))
            .collect::<Vec<_>>()
            .join("&"),
        "banned=false".into(),
        "unknown_param=1".into(),
    ] {
        let r = get(&sb, &format!("/v1/users?{ok}")).await;
        assert_eq!(r.status, 200, "{}: {}", &ok[..ok.len().min(60)], r.body);
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn lists_default_to_ten_newest_first_and_order_by_any_documented_field() {
    let sb = start(|_| {}).await;
    let page = users(&sb, "/v1/users").await;
    assert_eq!(page.len(), 10);
    let times: Vec<i64> = page
        .iter()
        .map(|u| u["created_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let all_desc = users(&sb, "/v1/users?limit=500").await;
    assert_eq!(all_desc.len(), 300);
    let mut all_asc = users(&sb, "/v1/users?limit=500&order_by=created_at").await;
    all_asc.reverse();
    assert_eq!(
        id_list(&all_asc),
        id_list(&all_desc),
        "+ is the exact reverse of -"
    );

    for field in [
        "updated_at",
        "email_address",
        "web3wallet",
        "first_name",
        "last_name",
        "phone_number",
        "username",
        "last_active_at",
        "last_sign_in_at",
    ] {
        for dir in ["", "%2B", "-"] {
            let page = users(&sb, &format!("/v1/users?limit=500&order_by={dir}{field}")).await;
            assert_eq!(page.len(), 300, "{dir}{field}");
            let key = |u: &Value| -> Value {
                match field {
                    "email_address" => u["email_addresses"][0]["email_address"].clone(),
                    "phone_number" => u["phone_numbers"][0]["phone_number"].clone(),
                    "web3wallet" => Value::Null,
                    f => u[f].clone(),
                }
            };
            // Nulls sort last ascending and first descending; values in order between.
            let keys: Vec<Value> = page.iter().map(key).collect();
            let cmp = |a: &Value, b: &Value| -> std::cmp::Ordering {
                match (a, b) {
                    (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
                    (Value::Null, _) => std::cmp::Ordering::Greater,
                    (_, Value::Null) => std::cmp::Ordering::Less,
                    (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
                    (x, y) => x
                        .as_str()
                        .unwrap()
                        .to_lowercase()
                        .cmp(&y.as_str().unwrap().to_lowercase()),
                }
            };
            for w in keys.windows(2) {
                let o = cmp(&w[0], &w[1]);
                if dir == "-" {
                    assert_ne!(o, std::cmp::Ordering::Less, "-{field}: {} {}", w[0], w[1]);
                } else {
                    assert_ne!(o, std::cmp::Ordering::Greater, "{field}: {} {}", w[0], w[1]);
                }
            }
            // Offset paging walks the same total order.
            let mut paged = Vec::new();
            for off in (0..300).step_by(100) {
                paged.extend(id_list(
                    &users(
                        &sb,
                        &format!("/v1/users?limit=100&offset={off}&order_by={dir}{field}"),
                    )
                    .await,
                ));
            }
            assert_eq!(paged, id_list(&page), "{dir}{field} offset paging");
        }
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn cursor_paging_returns_every_user_once_across_shared_milliseconds() {
    let sb = start(|c| c.users = 400).await;
    for order in ["", "&order_by=created_at", "&order_by=-created_at"] {
        for limit in [1usize, 3, 7, 500] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut tie_across_pages = false;
            loop {
                let mut path = format!("/v1/users?limit={limit}{order}");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&starting_after={c}"));
                }
                let page = users(&sb, &path).await;
                if let (Some(prev), Some(first)) = (seen.last(), page.first()) {
                    let prev: &Value = prev;
                    if prev["created_at"] == first["created_at"] {
                        tie_across_pages = true;
                    }
                }
                cursor = page.last().map(|u| u["id"].as_str().unwrap().to_string());
                let short = page.len() < limit;
                seen.extend(page);
                if short {
                    break;
                }
                assert!(seen.len() <= 400, "paging does not end");
            }
            let ids = id_list(&seen);
            let unique: HashSet<&String> = ids.iter().collect();
            assert_eq!(ids.len(), 400, "{order} limit {limit}");
            assert_eq!(unique.len(), 400, "{order} limit {limit}: repeats");
            if limit <= 3 {
                assert!(
                    tie_across_pages,
                    "{order} limit {limit}: no tie crossed a page"
                );
            }
        }
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn created_at_bounds_are_strict_and_counts_match_lists() {
    let sb = start(|_| {}).await;
    let all = users(&sb, "/v1/users?limit=500&order_by=created_at").await;
    let times: Vec<i64> = all
        .iter()
        .map(|u| u["created_at"].as_i64().unwrap())
        .collect();
    // A millisecond several users share.
    let t = times
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0])
        .expect("some users share a millisecond");
    let before = times.iter().filter(|&&x| x < t).count();
    let after = times.iter().filter(|&&x| x > t).count();
    assert!(before + after < times.len() - 1);
    for (q, want) in [
        (format!("created_at_before={t}"), before),
        (format!("created_at_after={t}"), after),
        (
            format!("created_at_after={t}&created_at_before={t}"),
            0usize,
        ),
    ] {
        let page = users(&sb, &format!("/v1/users?limit=500&{q}")).await;
        assert_eq!(page.len(), want, "{q}");
        assert!(page.iter().all(|u| u["created_at"] != t), "{q}");
        let c = get(&sb, &format!("/v1/users/count?{q}")).await;
        assert_eq!(
            c.body,
            json!({"object": "total_count", "total_count": want}),
            "{q}"
        );
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn filters_select_the_right_users() {
    let sb = start(|_| {}).await;
    let all = users(&sb, "/v1/users?limit=500").await;
    let ids = id_list(&all);

    // user_id: included, excluded, unknown ones silently left out.
    let q = format!(
        "user_id={}&user_id=%2B{}&user_id={}&user_id=user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
        ids[5], ids[9], ids[7]
    );
    let page = users(&sb, &format!("/v1/users?{q}")).await;
    assert_eq!(
        id_list(&page),
        [ids[5].clone(), ids[7].clone(), ids[9].clone()]
    );
    let page = users(&sb, &format!("/v1/users?{q}&user_id=-{}", ids[7])).await;
    assert_eq!(id_list(&page), [ids[5].clone(), ids[9].clone()]);
    let page = users(&sb, &format!("/v1/users?limit=500&user_id=-{}", ids[0])).await;
    assert_eq!(page.len(), 299);
    let only_unknown = users(&sb, "/v1/users?user_id=user_2NNEqL2nrIRdJ194ndJqAHwEfxC").await;
    assert!(
        only_unknown.is_empty(),
        "unknown ids select no one, not everyone"
    );
    let c = get(&sb, &format!("/v1/users/count?{q}")).await;
    assert_eq!(c.body["total_count"], 3);

    // email_address: exact, case-insensitive, repeatable.
    let e1 = all[3]["email_addresses"][0]["email_address"]
        .as_str()
        .unwrap();
    let e2 = all[8]["email_addresses"][0]["email_address"]
        .as_str()
        .unwrap();
    let page = users(
        &sb,
        &format!(
            "/v1/users?email_address={}&email_address={}",
            e1.to_uppercase().replace('+', "%2B"),
            e2.replace('+', "%2B")
        ),
    )
    .await;
    assert_eq!(id_list(&page), [ids[3].clone(), ids[8].clone()]);
    let partial = users(&sb, &format!("/v1/users?email_address={}", &e1[..5])).await;
    assert!(partial.is_empty(), "email_address is exact");

    // query: partial and case-insensitive over names, emails, usernames, ids.
    let last = all[0]["last_name"].as_str().unwrap().to_uppercase();
    let page = users(&sb, &format!("/v1/users?limit=500&query={}", &last[..3])).await;
    assert!(!page.is_empty());
    let needle = last[..3].to_lowercase();
    for u in &page {
        let hay = format!(
            "{} {} {} {} {}",
            u["first_name"], u["last_name"], u["username"], u["email_addresses"], u["id"]
        )
        .to_lowercase();
        assert!(hay.contains(&needle), "{needle} not in {hay}");
    }
    let by_id = users(&sb, &format!("/v1/users?query={}", &ids[11][5..20])).await;
    assert_eq!(id_list(&by_id), [ids[11].clone()]);

    // banned, username, external_id.
    let banned = users(&sb, "/v1/users?limit=500&banned=true").await;
    let not_banned = users(&sb, "/v1/users?limit=500&banned=false").await;
    assert!(!banned.is_empty() && banned.iter().all(|u| u["banned"] == true));
    assert_eq!(banned.len() + not_banned.len(), 300);
    let c = get(&sb, "/v1/users/count?banned=true").await;
    assert_eq!(c.body["total_count"], banned.len());
    let with_username = all.iter().find(|u| u["username"].is_string()).unwrap();
    let page = users(
        &sb,
        &format!(
            "/v1/users?username={}",
            with_username["username"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(id_list(&page), [with_username["id"].as_str().unwrap()]);
    let with_ext = all.iter().find(|u| u["external_id"].is_string()).unwrap();
    let ext = with_ext["external_id"].as_str().unwrap();
    let page = users(&sb, &format!("/v1/users?external_id={ext}")).await;
    assert_eq!(id_list(&page), [with_ext["id"].as_str().unwrap()]);
    let page = users(&sb, &format!("/v1/users?limit=500&external_id=-{ext}")).await;
    assert_eq!(page.len(), 299);
    sb.shutdown().await;
}

#[tokio::test]
async fn create_update_and_delete_users() {
    let sb = start(|_| {}).await;
    let created = send(
        &sb,
        Method::POST,
        "/v1/users",
        Some(json!({
            "first_name": "Grace",
            "last_name": "Hopper",
            "email_address": ["grace@example.com"],
            "phone_number": ["+15559990001"],
            "username": "grace",
            "external_id": "ext-grace",
            "password": "correct horse battery",
            "public_metadata": {"role": "admiral"},
        })),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let u = created.body;
    let id = u["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("user_") && id.len() == 32);
    assert_eq!(
        u["email_addresses"][0]["email_address"],
        "grace@example.com"
    );
    assert_eq!(u["primary_email_address_id"], u["email_addresses"][0]["id"]);
    assert_eq!(u["public_metadata"]["role"], "admiral");
    assert_eq!(u["password_enabled"], true);
    // The newest user: first in the default order.
    assert_eq!(
        id_list(&users(&sb, "/v1/users?limit=1").await),
        [id.as_str()]
    );
    assert_eq!(get(&sb, &format!("/v1/users/{id}")).await.body, u);
    assert_eq!(get(&sb, "/v1/users/count").await.body["total_count"], 301);
    assert_eq!(
        id_list(&users(&sb, "/v1/users?email_address=grace@example.com").await),
        [id.as_str()]
    );

    // Identifiers stay unique, bodies are checked.
    for (body, code) in [
        (
            json!({"email_address": ["GRACE@example.com"]}),
            "form_identifier_exists",
        ),
        (json!({"username": "grace"}), "form_identifier_exists"),
        (
            json!({"email_address": ["not-an-email"]}),
            "form_param_format_invalid",
        ),
        (
            json!({"email_address": "grace2@example.com"}),
            "form_param_format_invalid",
        ),
        (json!({"first_name": 7}), "form_param_format_invalid"),
        (json!({"password": "short"}), "form_param_value_invalid"),
    ] {
        let r = send(&sb, Method::POST, "/v1/users", Some(body.clone())).await;
        assert_eq!(assert_clerk_error(&r, 422), code, "{body}");
    }
    let taken = users(&sb, "/v1/users?limit=1&order_by=created_at").await[0]["email_addresses"][0]
        ["email_address"]
        .clone();
    let r = send(
        &sb,
        Method::POST,
        "/v1/users",
        Some(json!({"email_address": [taken]})),
    )
    .await;
    assert_eq!(assert_clerk_error(&r, 422), "form_identifier_exists");
    let r = call_with(
        &sb,
        Method::POST,
        "/v1/users",
        Some(&format!("Bearer {}", sb.key())),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "an empty body makes a bare user");
    let r = client()
        .post(format!("{}/v1/users", sb.url()))
        .bearer_auth(sb.key())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = "x".repeat(2 << 20);
    let r = client()
        .post(format!("{}/v1/users", sb.url()))
        .bearer_auth(sb.key())
        .body(format!("{{\"first_name\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // PATCH changes the given fields and moves updated_at.
    let before_update = u["updated_at"].as_i64().unwrap();
    // Timestamps are whole milliseconds: a sleep of at least 5 ms guarantees the PATCH lands in
    // a later millisecond (a lower bound, so a busy machine only makes it longer, never flaky).
    tokio::time::sleep(Duration::from_millis(5)).await;
    let p = send(
        &sb,
        Method::PATCH,
        &format!("/v1/users/{id}"),
        Some(json!({"first_name": "Amazing Grace", "username": ""})),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["first_name"], "Amazing Grace");
    assert_eq!(p.body["last_name"], "Hopper");
    assert_eq!(p.body["username"], Value::Null);
    assert!(p.body["updated_at"].as_i64().unwrap() > before_update);
    assert_eq!(p.body["created_at"], u["created_at"]);
    // Generated users can be patched too.
    let g = id_list(&users(&sb, "/v1/users?limit=1&offset=50").await)[0].clone();
    let p = send(
        &sb,
        Method::PATCH,
        &format!("/v1/users/{g}"),
        Some(json!({"last_name": "Patched"})),
    )
    .await;
    assert_eq!(p.body["last_name"], "Patched");
    assert_eq!(
        get(&sb, &format!("/v1/users/{g}")).await.body["last_name"],
        "Patched"
    );

    // DELETE, then it is gone everywhere.
    let d = send(&sb, Method::DELETE, &format!("/v1/users/{g}"), None).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body, json!({"object": "user", "id": g, "deleted": true}));
    let r = get(&sb, &format!("/v1/users/{g}")).await;
    assert_eq!(assert_clerk_error(&r, 404), "resource_not_found");
    let r = send(&sb, Method::DELETE, &format!("/v1/users/{g}"), None).await;
    assert_eq!(assert_clerk_error(&r, 404), "resource_not_found");
    let r = send(
        &sb,
        Method::PATCH,
        &format!("/v1/users/{g}"),
        Some(json!({"first_name": "x"})),
    )
    .await;
    assert_eq!(assert_clerk_error(&r, 404), "resource_not_found");
    assert_eq!(get(&sb, "/v1/users/count").await.body["total_count"], 301);
    assert!(!id_list(&users(&sb, "/v1/users?limit=500").await).contains(&g));
    // A deleted user's id still works as a cursor: paging around a deletion goes on.
    let after = users(&sb, &format!("/v1/users?limit=2&starting_after={g}")).await;
    assert_eq!(after.len(), 2);

    // Writes are logged (and counted) like reads.
    let methods: BTreeSet<String> = sb.log().into_iter().map(|e| e.method).collect();
    assert!(methods.is_superset(&["DELETE", "GET", "PATCH", "POST"].map(String::from).into()));
    sb.shutdown().await;
}

#[tokio::test]
async fn reject_cursor_emulates_an_api_without_starting_after() {
    let sb = start(|c| c.reject_cursor = true).await;
    let id = id_list(&users(&sb, "/v1/users?limit=1").await)[0].clone();
    let r = get(&sb, &format!("/v1/users?starting_after={id}")).await;
    assert_eq!(assert_clerk_error(&r, 422), "form_param_unknown");
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "starting_after");
    assert_eq!(users(&sb, "/v1/users?offset=10&limit=5").await.len(), 5);
    sb.shutdown().await;
}

#[tokio::test]
async fn strict_mode_answers_unknown_parameters_with_form_param_unknown() {
    let sb = start(|c| c.strict = true).await;
    for path in [
        "/v1/users?baned=false",
        "/v1/users?limit=5&email=a@b.c",
        "/v1/users/count?baned=false",
        "/v1/users/count?limit=5",
    ] {
        let r = get(&sb, path).await;
        assert_eq!(assert_clerk_error(&r, 422), "form_param_unknown", "{path}");
        let named = r.body["errors"][0]["meta"]["param_name"].as_str().unwrap();
        assert!(path.contains(&format!("{named}=")), "{path}: {named}");
    }
    // Every filter the client lets through --filter is one the strict sandbox knows, on both
    // endpoints (two lists kept apart on purpose: the client never imports the sandbox).
    for name in clerk_rl::spec::USER_LIST_FILTERS {
        let value = if *name == "banned" { "false" } else { "1" };
        for endpoint in ["/v1/users?limit=1&", "/v1/users/count?"] {
            let r = get(&sb, &format!("{endpoint}{name}={value}")).await;
            assert_eq!(r.status, 200, "{endpoint}{name}: {}", r.body);
        }
    }
    // Not strict: the same typo is ignored, as Clerk does.
    let lax = start(|_| {}).await;
    assert_eq!(users(&lax, "/v1/users?baned=false&limit=3").await.len(), 3);
    sb.shutdown().await;
    lax.shutdown().await;
}

#[tokio::test]
async fn every_user_validates_against_the_spec_user_schema() {
    let schema = schema::Schema::user();
    let sb = start(|_| {}).await;
    let mut all = Vec::new();
    for off in [0, 100, 200] {
        all.extend(users(&sb, &format!("/v1/users?limit=100&offset={off}")).await);
    }
    assert_eq!(all.len(), 300);
    for body in [
        json!({"first_name": "Ada", "email_address": ["ada@example.com", "ada2@example.com"],
               "phone_number": ["+15551112222"], "username": "ada", "external_id": "x1",
               "private_metadata": {"a": 1}, "unsafe_metadata": {"b": [1, 2]}}),
        json!({}),
    ] {
        let r = send(&sb, Method::POST, "/v1/users", Some(body)).await;
        assert_eq!(r.status, 200);
        all.push(r.body);
    }
    let patched = send(
        &sb,
        Method::PATCH,
        &format!("/v1/users/{}", all[0]["id"].as_str().unwrap()),
        Some(json!({"first_name": null, "banned": true})),
    )
    .await;
    all.push(patched.body);
    for u in &all {
        let errs = schema.validate(u);
        assert!(errs.is_empty(), "{}: {errs:#?}", u["id"]);
    }
    // The validator can fail: it catches a missing field, a wrong type and an extra field.
    let mut broken = all[0].clone();
    let m = broken.as_object_mut().unwrap();
    m.remove("created_at");
    m.insert("banned".into(), json!("no"));
    m.insert("favourite_colour".into(), json!("red"));
    m["email_addresses"][0]["verification"]["status"] = json!("bogus");
    let errs = schema.validate(&broken);
    assert_eq!(errs.len(), 4, "{errs:#?}");
    sb.shutdown().await;
}

// ---- rate limiting ----------------------------------------------------------------------------

/// Send GETs one after another for `for_how_long`, a few ms apart; return the log.
async fn hammer(sb: &Sandbox, for_how_long: Duration) -> Vec<LogEntry> {
    let http = client();
    let t0 = Instant::now();
    let mut n = 0;
    while t0.elapsed() < for_how_long && n < 2000 {
        http.get(format!("{}/v1/users?limit=1", sb.url()))
            .bearer_auth(sb.key())
            .send()
            .await
            .unwrap();
        n += 1;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    sb.log()
}

fn accepted(log: &[LogEntry]) -> Vec<f64> {
    log.iter()
        .filter(|e| e.status != 429)
        .map(|e| e.t)
        .collect()
}

// These checks hold however slowly the client happens to run (the machine may be busy): each
// compares what was accepted with what was refused, both timed by the server's own clock.

fn refused(log: &[LogEntry]) -> Vec<f64> {
    log.iter()
        .filter(|e| e.status == 429)
        .map(|e| e.t)
        .collect()
}

#[tokio::test]
async fn fixed_windows_hold_exactly_the_limit() {
    let sb = start(|c| {
        c.budget = budget("5/500ms", None);
        c.algorithm = Algorithm::Fixed;
    })
    .await;
    let log = hammer(&sb, Duration::from_millis(1600)).await;
    let ok = accepted(&log);
    let window = |t: f64| (t / 0.5).floor() as usize;
    let last = window(log.last().unwrap().t);
    for w in 0..=last {
        let n = ok.iter().filter(|&&t| window(t) == w).count();
        assert!(n <= 5, "window {w}: {n} accepted");
        // A refusal inside a window means that window was full.
        if refused(&log).iter().any(|&t| window(t) == w) {
            assert_eq!(n, 5, "window {w} refused with only {n} accepted");
        }
    }
    let windows_refusing: BTreeSet<usize> = refused(&log).into_iter().map(window).collect();
    assert!(windows_refusing.len() >= 2, "{windows_refusing:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn sliding_log_holds_at_most_the_limit_in_any_window() {
    let sb = start(|c| {
        c.budget = budget("5/500ms", None);
        c.algorithm = Algorithm::Sliding;
    })
    .await;
    let log = hammer(&sb, Duration::from_millis(1600)).await;
    let ok = accepted(&log);
    let in_window_before = |t: f64| ok.iter().filter(|&&x| x > t - 0.5 && x <= t).count();
    for &t in &ok {
        let n = in_window_before(t);
        assert!(n <= 5, "{n} accepted in the 500ms up to {t}");
    }
    // Refused only when the last 500 ms already hold 5: unlike a fixed window, it does not
    // forget at a boundary.
    let no = refused(&log);
    assert!(no.len() >= 5);
    for &t in &no {
        assert_eq!(in_window_before(t), 5, "refused at {t}");
    }
    assert!(ok.len() >= 10, "{} accepted", ok.len());
    sb.shutdown().await;
}

#[tokio::test]
async fn token_bucket_bursts_to_its_capacity_then_keeps_the_rate() {
    let sb = start(|c| {
        c.budget = budget("5/500ms", Some(12));
        c.algorithm = Algorithm::Bucket;
    })
    .await;
    let log = hammer(&sb, Duration::from_millis(1500)).await;
    let ok = accepted(&log);
    // The burst: the first 12 go through back to back before any 429.
    let first_429 = log.iter().position(|e| e.status == 429).unwrap();
    assert!(first_429 >= 12, "first 429 after {first_429}");
    // Never more than the capacity plus the refill (10/s) over any stretch.
    for (i, &t0) in ok.iter().enumerate() {
        for (j, &t1) in ok.iter().enumerate().skip(i) {
            let allowed = 12.0 + (t1 - t0) * 10.0;
            assert!(
                (j - i + 1) as f64 <= allowed + 1e-6,
                "{} accepted in {:.3}s",
                j - i + 1,
                t1 - t0
            );
        }
    }
    // After the burst, it keeps refilling: requests are accepted again a refill later.
    let t_first_429 = log[first_429].t;
    assert!(
        ok.iter().any(|&t| t > t_first_429 + 0.05),
        "nothing accepted after the bucket ran dry"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn block_refuses_a_key_for_its_duration_after_a_429() {
    let sb = start(|c| {
        c.budget = budget("3/300ms", None);
        c.algorithm = Algorithm::Sliding;
        c.block = Some(Duration::from_millis(1500));
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&sb, "/v1/users?limit=1").await.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let blocked_at = sb.log()[3].t;
    let block_end = blocked_at + 1.5;
    // Ask until a request is accepted, and judge each answer by the moment the server stamped
    // it (its own clock, in its log), not by when this client, on a busy machine, sent it.
    // The server's clock is bounded (the block must end 1.5 s after it began), not the wall's.
    let mut answers = Vec::new();
    loop {
        let r = get(&sb, "/v1/users?limit=1").await;
        let t = sb.log().last().unwrap().t;
        let ok = r.status == 200;
        answers.push((t, r));
        if ok {
            break;
        }
        assert!(
            t < block_end + 5.0,
            "still refused {:.3}s after the 1.5 s block began",
            t - blocked_at
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (t, r) in &answers {
        if *t < block_end {
            // Inside the block: refused, Retry-After the block's remaining seconds, rounded up.
            assert_eq!(assert_clerk_error(r, 429), "too_many_requests", "at {t}");
            let retry: f64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            let left = block_end - t;
            assert!(
                retry - 1.0 < left + 1e-6 && left - 1e-6 <= retry,
                "Retry-After {retry} with {left:.3}s of the block left"
            );
        } else {
            // The first request the server stamps after the block is accepted: the refusals
            // during it neither extended it nor counted against the limit.
            assert_eq!(
                r.status, 200,
                "refused at {t}, after the block ended at {block_end}"
            );
        }
    }
    // Past the 300 ms window the limit alone would have accepted; the block still refused.
    assert!(
        answers
            .iter()
            .any(|(t, r)| *t > blocked_at + 0.3 && r.status == 429),
        "no request was refused past the window: {:?}",
        answers
            .iter()
            .map(|(t, r)| (*t, r.status))
            .collect::<Vec<_>>()
    );
    assert_eq!(get(&sb, "/v1/users?limit=1").await.status, 200);
    assert_eq!(get(&sb, "/v1/users?limit=1").await.status, 200);
    sb.shutdown().await;
}

async fn exhaust(sb: &Sandbox, limit: usize) -> Resp {
    for _ in 0..limit {
        assert_eq!(get(sb, "/v1/users?limit=1").await.status, 200);
    }
    let r = get(sb, "/v1/users?limit=1").await;
    assert_eq!(assert_clerk_error(&r, 429), "too_many_requests");
    assert_eq!(r.body["errors"][0]["message"], "Too many requests");
    r
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn x_ratelimit_headers() {
    let sb = start(|c| {
        c.budget = budget("3/10s", None);
        c.headers = HeaderStyle::XRateLimit;
        c.algorithm = Algorithm::Fixed;
    })
    .await;
    let r = get(&sb, "/v1/users?limit=1").await;
    assert_eq!(header(&r.headers, "x-ratelimit-limit"), Some("3"));
    assert_eq!(header(&r.headers, "x-ratelimit-remaining"), Some("2"));
    let reset: u64 = header(&r.headers, "x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&reset), "reset {reset} is delta seconds");
    let r = exhaust(&sb, 2).await;
    assert_eq!(header(&r.headers, "x-ratelimit-remaining"), Some("0"));
    assert!(header(&r.headers, "retry-after").is_some());
    assert!(header(&r.headers, "ratelimit").is_none());
    sb.shutdown().await;
}

#[tokio::test]
async fn ietf_headers() {
    let sb = start(|c| {
        c.budget = budget("3/10s", None);
        c.headers = HeaderStyle::Ietf;
    })
    .await;
    let r = get(&sb, "/v1/users?limit=1").await;
    assert_eq!(
        header(&r.headers, "ratelimit-policy"),
        Some("\"default\";q=3;w=10")
    );
    let rl = header(&r.headers, "ratelimit").unwrap();
    assert!(rl.starts_with("\"default\";r=2;t="), "{rl}");
    let t: u64 = rl.rsplit("t=").next().unwrap().parse().unwrap();
    assert!((1..=10).contains(&t));
    assert!(header(&r.headers, "x-ratelimit-limit").is_none());
    let r = exhaust(&sb, 2).await;
    assert!(header(&r.headers, "ratelimit").unwrap().contains(";r=0;"));
    sb.shutdown().await;
}

#[tokio::test]
async fn no_headers_but_retry_after_by_default() {
    let sb = start(|c| c.budget = budget("2/10s", None)).await;
    let r = get(&sb, "/v1/users?limit=1").await;
    for h in [
        "x-ratelimit-limit",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
    ] {
        assert!(header(&r.headers, h).is_none(), "{h}");
    }
    let r = exhaust(&sb, 1).await;
    let secs: u64 = header(&r.headers, "retry-after").unwrap().parse().unwrap();
    // 10 s after the first request, less however long the second took to follow it.
    assert!((1..=10).contains(&secs), "Retry-After {secs}");
    assert_eq!(r.body["errors"][0]["meta"]["retry_after"], secs);
    assert!(header(&r.headers, "x-ratelimit-limit").is_none());
    sb.shutdown().await;
}

#[tokio::test]
async fn retry_after_as_http_date_or_not_at_all() {
    let sb = start(|c| {
        c.budget = budget("1/5s", None);
        c.retry_after = RetryAfterStyle::HttpDate;
    })
    .await;
    let r = exhaust(&sb, 1).await;
    let date = httpdate::parse_http_date(header(&r.headers, "retry-after").unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead > Duration::from_secs(1) && ahead <= Duration::from_secs(6),
        "{ahead:?}"
    );
    sb.shutdown().await;

    let sb = start(|c| {
        c.budget = budget("1/5s", None);
        c.retry_after = RetryAfterStyle::None;
    })
    .await;
    let r = exhaust(&sb, 1).await;
    assert!(header(&r.headers, "retry-after").is_none());
    sb.shutdown().await;
}

// ---- faults -----------------------------------------------------------------------------------

fn faults(spec: &str) -> impl FnOnce(&mut SandboxConfig) {
    let spec: FaultSpec = spec.parse().unwrap();
    move |c: &mut SandboxConfig| c.faults = spec
}

#[tokio::test]
async fn status_faults_answer_in_clerks_shape_and_still_count() {
    let sb = start(|c| {
        faults("503:1")(c);
        c.budget = budget("2/10s", None);
    })
    .await;
    for _ in 0..2 {
        let r = get(&sb, "/v1/users").await;
        assert_eq!(assert_clerk_error(&r, 503), "service_unavailable");
    }
    // The faulted requests used the budget: the third is limited, not faulted.
    let r = get(&sb, "/v1/users").await;
    assert_eq!(r.status, 429);
    let log = sb.log();
    assert_eq!(log[0].fault.as_deref(), Some("503"));
    assert_eq!(log[0].status, 503);
    assert_eq!(log[2].fault, None);
    sb.shutdown().await;
}

#[tokio::test]
async fn reset_drops_the_connection_without_a_response() {
    let sb = start(faults("reset:1")).await;
    let e = client()
        .get(format!("{}/v1/users", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .expect_err("no response");
    assert!(e.status().is_none(), "{e}");
    let log = sb.log();
    assert_eq!(log[0].fault.as_deref(), Some("reset"));
    assert_eq!(log[0].status, 0);
    sb.shutdown().await;
}

#[tokio::test]
async fn truncate_sends_half_the_declared_body() {
    let sb = start(faults("truncate:1")).await;
    let r = client()
        .get(format!("{}/v1/users?limit=5", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let declared = r.content_length().unwrap();
    assert!(declared > 1000);
    assert!(r.bytes().await.is_err(), "the body ends early");
    assert_eq!(sb.log()[0].fault.as_deref(), Some("truncate"));
    sb.shutdown().await;
}

#[tokio::test]
async fn slow_delays_the_answer_and_max_caps_the_faults() {
    let sb = start(|c| {
        faults("slow=800ms:1")(c);
        c.faults_max = Some(1);
    })
    .await;
    let t = Instant::now();
    assert_eq!(get(&sb, "/v1/users?limit=1").await.status, 200);
    // A lower bound only: the fault's delay is the least the answer can take.
    assert!(t.elapsed() >= Duration::from_millis(800));
    assert_eq!(get(&sb, "/v1/users?limit=1").await.status, 200);
    // Only one fault: the sandbox's own log says which requests it delayed (no wall clock).
    let log = sb.log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].fault.as_deref(), Some("slow=800ms"));
    assert_eq!(log[1].fault, None);
    sb.shutdown().await;
}

#[tokio::test]
async fn shares_of_faults_follow_the_seed() {
    let run = || async {
        let sb = start(|c| {
            faults("500:0.3,502:0.2")(c);
            c.fault_seed = Some(9);
        })
        .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(get(&sb, "/v1/users?limit=1").await.status.as_u16());
        }
        sb.shutdown().await;
        statuses
    };
    let a = run().await;
    assert_eq!(a, run().await, "same seed, same faults");
    assert!(a.contains(&500) && a.contains(&502) && a.contains(&200));
}

// ---- scale and the file log -------------------------------------------------------------------

#[tokio::test]
async fn a_million_users_start_at_once_and_page_by_cursor_cheaply() {
    // How fast is measured by bench/sandbox_scale.py (release build, figures in README), never
    // here: a wall-clock bound in a test only measures how busy the machine is.
    let sb = start(|c| c.users = 1_000_000).await;
    assert_eq!(
        get(&sb, "/v1/users/count").await.body["total_count"],
        1_000_000
    );
    let page = users(&sb, "/v1/users?limit=500").await;
    let mid = page[499]["id"].as_str().unwrap().to_string();
    let next = users(&sb, &format!("/v1/users?limit=500&starting_after={mid}")).await;
    assert_eq!(next.len(), 500);
    assert!(next[0]["created_at"].as_i64() <= page[499]["created_at"].as_i64());
    let oldest = users(&sb, "/v1/users?limit=3&order_by=created_at").await;
    let c = get(
        &sb,
        &format!(
            "/v1/users/count?created_at_after={}",
            oldest[2]["created_at"]
        ),
    )
    .await;
    assert!(c.body["total_count"].as_u64().unwrap() <= 999_997);
    assert_eq!(get(&sb, &format!("/v1/users/{mid}")).await.body["id"], mid);
    sb.shutdown().await;
}

#[tokio::test]
async fn request_log_file_has_a_json_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requests.jsonl");
    let sb = start(|c| {
        c.request_log = Some(path.clone());
        c.budget = budget("2/10s", None);
    })
    .await;
    get(&sb, "/v1/users?limit=2&offset=1").await;
    get(&sb, "/v1/users/count").await;
    get(&sb, "/v1/users").await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["path"], "/v1/users");
    assert_eq!(lines[0]["query"], "limit=2&offset=1");
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[2]["status"], 429);
    assert!(lines[2]["t"].as_f64().unwrap() >= lines[0]["t"].as_f64().unwrap());
    assert!(lines[0]["unix_ms"].as_u64().unwrap() > 1_600_000_000_000);
    assert!(!text.contains(sb.key()));
    sb.shutdown().await;
}
