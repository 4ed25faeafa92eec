//! `clerk-rl webhook serve` as it runs in production: the real binary on 127.0.0.1, a real
//! redis-server on a free port, deliveries signed by Svix's official library (npm `svix`, through
//! tests/node/svix_sign.mjs), and for the end-to-end check the sandbox and `batch-get --cache`.
//!
//! Needs tests/node/node_modules and redis-server (scripts/test installs both): without them
//! these tests fail with a message saying so, they never skip.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clerk_rl::face::SecretKey;
use clerk_rl::face::{instance_prefix, tombstone_key, user_key, version_key};
use common::redis_server::RedisServer;
use common::{KEY, cmd};
use serde_json::{Value, json};

/// The endpoint's signing secret in these tests; no output may ever contain it.
const SECRET: &str = "whsec_dGVzdC1zaWduaW5nLXNlY3JldC1vZi1jbGVyay1ybA==";
/// What the secret's base64 decodes from, also never to be seen.
const SECRET_B64: &str = "dGVzdC1zaWduaW5nLXNlY3JldC1vZi1jbGVyay1ybA==";
const OTHER_SECRET: &str = "whsec_YW5vdGhlci1lbmRwb2ludHMtc2lnbmluZy1zZWNyZXQ=";
/// Put in every user payload: the log must never show a body.
const BODY_MARKER: &str = "Zanzibar-body-marker";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn prefix() -> String {
    instance_prefix(&SecretKey::new(KEY, "test").unwrap().fingerprint())
}

fn entry(user: &str) -> String {
    user_key(&prefix(), user)
}

fn version(user: &str) -> String {
    version_key(&prefix(), user)
}

fn tombstone(user: &str) -> String {
    tombstone_key(&prefix(), user)
}

// ---------------------------------------------------------------------------------------------
// Signing with the official Svix library.

struct Delivery {
    id: String,
    timestamp: i64,
    body: String,
    secret: &'static str,
}

impl Delivery {
    fn new(id: &str, body: &str) -> Delivery {
        Delivery {
            id: id.into(),
            timestamp: now(),
            body: body.into(),
            secret: SECRET,
        }
    }
    fn at(mut self, timestamp: i64) -> Delivery {
        self.timestamp = timestamp;
        self
    }
    fn secret(mut self, secret: &'static str) -> Delivery {
        self.secret = secret;
        self
    }
}

/// The svix-* headers Svix's own library sends with each delivery.
fn svix_sign(deliveries: &[&Delivery]) -> Vec<Vec<(String, String)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/svix/package.json").exists(),
        "tests/node/node_modules/svix is missing: run scripts/test, or `npm ci --prefix tests/node` \
         (needs Node.js 20+ and npm), then cargo test again"
    );
    let input: Vec<Value> = deliveries
        .iter()
        .map(|d| json!({"secret": d.secret, "id": d.id, "timestamp": d.timestamp, "body": d.body}))
        .collect();
    let mut child = Command::new("node")
        .arg("svix_sign.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (Node.js 20+) must be installed for these tests");
    let mut stdin = child.stdin.take().unwrap();
    let text = serde_json::to_vec(&input).unwrap();
    // Bodies can be over a megabyte: write while node reads.
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &text));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "svix_sign.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed: Vec<serde_json::Map<String, Value>> = serde_json::from_slice(&out.stdout).unwrap();
    signed
        .into_iter()
        .map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
                .collect()
        })
        .collect()
}

fn user_json(id: &str, first_name: &str, updated_at: i64) -> Value {
    json!({
        "id": id,
        "object": "user",
        "created_at": 1_700_000_000_000i64,
        "updated_at": updated_at,
        "first_name": first_name,
        "last_name": BODY_MARKER,
        "email_addresses": [],
    })
}

fn event(kind: &str, data: Value) -> String {
    json!({"type": kind, "object": "event", "data": data, "timestamp": now() * 1000}).to_string()
}

// ---------------------------------------------------------------------------------------------
// The receiver process.

struct Receiver {
    child: Child,
    url: String,
    base: String,
    stderr: Arc<Mutex<String>>,
    /// Reads stderr until the process closes it: joined, it means every line is in `stderr`.
    reader: Option<std::thread::JoinHandle<()>>,
    http: reqwest::Client,
}

impl Receiver {
    fn start(redis: &RedisServer, extra: &[&str]) -> Receiver {
        let mut c = cmd();
        c.args(["webhook", "serve", "--listen", "127.0.0.1:0", "--cache"])
            .arg(redis.url())
            .args(extra)
            .env("CLERK_WEBHOOK_SIGNING_SECRET", SECRET);
        Receiver::spawn(c)
    }

    fn spawn(mut c: Command) -> Receiver {
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let sink = Arc::clone(&stderr);
        let reader = std::thread::spawn(move || {
            let mut line = String::new();
            while err.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        out.read_line(&mut url).unwrap();
        let url = url.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/webhook"),
            "first stdout line {url:?}; stderr: {}",
            stderr.lock().unwrap()
        );
        let base = url.strip_suffix("/webhook").unwrap().to_string();
        Receiver {
            child,
            url,
            base,
            stderr,
            reader: Some(reader),
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, body: &str, headers: &[(String, String)]) -> u16 {
        let mut r = self.http.post(&self.url).body(body.to_string());
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send().await.unwrap().status().as_u16()
    }

    /// Sign with Svix and deliver.
    async fn deliver(&self, d: &Delivery) -> u16 {
        let h = svix_sign(&[d]).remove(0);
        self.post(&d.body, &h).await
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait for the log to hold `n` lines naming `what` (the receiver writes a line before it
    /// answers, but this process reads stderr on another thread). The deadline only stops a
    /// test that would otherwise hang; it bounds nothing the test checks.
    fn wait_log(&self, what: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if log.lines().filter(|l| l.contains(what)).count() >= n {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "no {n} lines with {what:?} in:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then the exit code and everything the process wrote to stderr.
    fn terminate(self) -> (i32, String) {
        self.stop_with("TERM")
    }

    /// `sig` (TERM, HUP, INT), then the exit code and everything the process wrote to stderr.
    fn stop_with(mut self, sig: &str) -> (i32, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([&format!("-{sig}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        // The exit itself is the event waited for (nothing is in flight here, so the 10 s drain
        // never applies); a receiver that ignored SIGTERM would hang this test, visibly.
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "no exit after SIG{sig}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // The process is gone, so its stderr is closed: the reader has every line once joined.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let log = self.log();
        assert_secrets_absent(&log);
        (status.code().unwrap_or(-1), log)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_secrets_absent(text: &str) {
    for s in [SECRET, SECRET_B64, &SECRET[6..], KEY, BODY_MARKER] {
        assert!(!text.contains(s), "{s:?} leaked into the output:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_invalidate_and_everything_else_is_refused() {
    let redis = RedisServer::start();
    for u in ["user_a", "user_b", "user_c"] {
        redis.set(&entry(u), br#"{"id":"stale"}"#);
    }
    let rx = Receiver::start(&redis, &[]);

    // Svix-signed user.updated: 204, the entry is gone, the others stay.
    let upd = Delivery::new(
        "msg_upd1",
        &event("user.updated", user_json("user_a", "A", 2)),
    );
    assert_eq!(rx.deliver(&upd).await, 204);
    assert_eq!(redis.get(&entry("user_a")), None);
    assert!(redis.get(&entry("user_b")).is_some());
    rx.wait_log("user.updated user_a: cache entry deleted", 1);

    // user.deleted too; user.created without --prime and other events: acknowledged, no change.
    let del = Delivery::new(
        "msg_del1",
        &event(
            "user.deleted",
            json!({"id": "user_b", "object": "user", "deleted": true}),
        ),
    );
    assert_eq!(rx.deliver(&del).await, 204);
    assert_eq!(redis.get(&entry("user_b")), None);
    let created = Delivery::new(
        "msg_new1",
        &event("user.created", user_json("user_c", "C", 1)),
    );
    assert_eq!(rx.deliver(&created).await, 204);
    let session = Delivery::new(
        "msg_ses1",
        &event("session.created", json!({"id": "sess_1"})),
    );
    assert_eq!(rx.deliver(&session).await, 204);
    assert!(redis.get(&entry("user_c")).is_some());
    rx.wait_log("session.created: ignored", 1);

    // Tampered body, wrong secret, stale and future timestamps.
    let mut h = svix_sign(&[&upd]).remove(0);
    let tampered = upd.body.replace("\"A\"", "\"B\"");
    assert_eq!(rx.post(&tampered, &h).await, 400);
    let wrong = Delivery::new("msg_wrong", &upd.body).secret(OTHER_SECRET);
    assert_eq!(rx.deliver(&wrong).await, 400);
    let stale = Delivery::new("msg_stale", &upd.body).at(now() - 6 * 60);
    assert_eq!(rx.deliver(&stale).await, 400);
    let future = Delivery::new("msg_future", &upd.body).at(now() + 6 * 60);
    assert_eq!(rx.deliver(&future).await, 400);
    // A signature of another delivery, and a mangled one.
    let other_sig = svix_sign(&[&del]).remove(0);
    h[2].1 = other_sig[2].1.clone();
    assert_eq!(rx.post(&upd.body, &h).await, 400);

    // Each header missing in turn.
    let signed = svix_sign(&[&Delivery::new("msg_hdrs", &upd.body)]).remove(0);
    for missing in ["svix-id", "svix-timestamp", "svix-signature"] {
        let h: Vec<_> = signed
            .iter()
            .filter(|(k, _)| k != missing)
            .cloned()
            .collect();
        assert_eq!(rx.post(&upd.body, &h).await, 400, "without {missing}");
    }
    assert_eq!(rx.post(&upd.body, &[]).await, 400);

    // Signed, but not a Clerk event / a user event without a user id.
    let junk = Delivery::new("msg_junk", "not json");
    assert_eq!(rx.deliver(&junk).await, 400);
    let no_id = Delivery::new(
        "msg_noid",
        &event("user.updated", json!({"object": "user"})),
    );
    assert_eq!(rx.deliver(&no_id).await, 400);

    // Over 1 MB, correctly signed: 413 before any verification.
    let padding = "x".repeat(1024 * 1024);
    let big = Delivery::new(
        "msg_big",
        &event("user.updated", json!({"id": "user_c", "pad": padding})),
    );
    assert_eq!(rx.deliver(&big).await, 413);
    assert!(redis.get(&entry("user_c")).is_some());

    // None of the refused deliveries touched the cache, and each has its log line.
    redis.set(&entry("user_a"), b"{}");
    assert!(redis.get(&entry("user_a")).is_some());
    let log = rx.wait_log("rejected (400)", 11);
    assert!(log.contains("signature does not match"), "{log}");
    assert!(log.contains("in the past"), "{log}");
    assert!(log.contains("in the future"), "{log}");
    assert!(log.contains("missing svix-signature header"), "{log}");
    rx.wait_log("rejected (413): body over 1 MB", 1);

    // Health, unknown routes, wrong methods.
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/healthz", rx.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        http.get(format!("{}/nope", rx.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.post(format!("{}/", rx.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(http.get(&rx.url).send().await.unwrap().status(), 405);

    let (code, log) = rx.terminate();
    assert_eq!(code, 0, "{log}");
    // One line per delivery: 4 accepted, 11 refused with 400, 1 with 413 (plus start and stop).
    // Every line of the log starts with its time (RFC 3339, UTC): they had none.
    for line in log.lines().filter(|l| !l.starts_with("clerk-rl: warning:")) {
        assert!(stamped(line).is_some(), "no timestamp: {line:?}");
    }
    let deliveries = log
        .lines()
        .filter_map(stamped)
        .filter(|l| l.starts_with("webhook "))
        .count();
    assert_eq!(deliveries, 16, "{log}");
    assert!(log.contains("signing secret whsec_…"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_and_retries_are_acknowledged_without_acting_twice() {
    let redis = RedisServer::start();
    let rx = Receiver::start(&redis, &[]);
    let d = Delivery::new(
        "msg_replay",
        &event("user.updated", user_json("user_r", "R", 2)),
    );
    let h = svix_sign(&[&d]).remove(0);
    redis.set(&entry("user_r"), b"{}");
    assert_eq!(rx.post(&d.body, &h).await, 204);
    assert_eq!(redis.get(&entry("user_r")), None);

    // batch-get caches the user again; the very same delivery played again must not delete it.
    redis.set(&entry("user_r"), b"fresh");
    assert_eq!(rx.post(&d.body, &h).await, 204);
    // Svix's retry of the same message: same id, new timestamp and signature.
    let retry = Delivery::new("msg_replay", &d.body).at(now() + 1);
    assert_eq!(rx.deliver(&retry).await, 204);
    assert_eq!(redis.get(&entry("user_r")).as_deref(), Some(&b"fresh"[..]));
    let log = rx.wait_log("already handled", 2);
    assert_eq!(log.matches("cache entry deleted").count(), 1, "{log}");

    // The id is remembered under the instance's prefix, for an hour, next to the version the
    // update announced (kept for --tombstone-ttl, a day by default); nothing else is kept.
    let marker = format!("{}webhook:msg_replay", prefix());
    let ttl = redis.pttl(&marker);
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "{ttl}");
    assert_eq!(redis.get(&version("user_r")).as_deref(), Some(&b"2"[..]));
    let ttl = redis.pttl(&version("user_r"));
    assert!(ttl > 86_300_000 && ttl <= 86_400_000, "{ttl}");
    let mut want = vec![entry("user_r"), version("user_r"), marker];
    want.sort();
    assert_eq!(redis.keys(), want);
    let (code, _) = rx.terminate();
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prime_writes_the_user_with_the_ttl_and_never_an_older_version() {
    let redis = RedisServer::start();
    let rx = Receiver::start(
        &redis,
        &["--prime", "--cache-ttl", "5m", "--tombstone-ttl", "10m"],
    );

    let created = Delivery::new(
        "msg_c1",
        &event("user.created", user_json("user_p", "First", 10)),
    );
    assert_eq!(rx.deliver(&created).await, 204);
    let cached = redis.get(&entry("user_p")).expect("primed");
    assert!(!cached.contains(&b'\n'));
    let v: Value = serde_json::from_slice(&cached).unwrap();
    assert_eq!(v, user_json("user_p", "First", 10));
    let ttl = redis.pttl(&entry("user_p"));
    assert!(ttl > 290_000 && ttl <= 300_000, "{ttl}");

    let newer = Delivery::new(
        "msg_u2",
        &event("user.updated", user_json("user_p", "Second", 20)),
    );
    assert_eq!(rx.deliver(&newer).await, 204);
    // An older update arriving late (Svix does not order deliveries) keeps the newer entry.
    let older = Delivery::new(
        "msg_u1",
        &event("user.updated", user_json("user_p", "Stale", 15)),
    );
    assert_eq!(rx.deliver(&older).await, 204);
    let v: Value = serde_json::from_slice(&redis.get(&entry("user_p")).unwrap()).unwrap();
    assert_eq!(v["first_name"], "Second");
    rx.wait_log("nothing written (the cache knows a later version)", 1);

    // user.deleted deletes and leaves a tombstone for --tombstone-ttl; a late retry of the
    // user.created (a new delivery id: its first attempt failed) cannot bring the user back.
    let del = Delivery::new(
        "msg_d1",
        &event(
            "user.deleted",
            json!({"id": "user_p", "object": "user", "deleted": true}),
        ),
    );
    assert_eq!(rx.deliver(&del).await, 204);
    assert_eq!(redis.get(&entry("user_p")), None);
    let ttl = redis.pttl(&tombstone("user_p"));
    assert!(ttl > 590_000 && ttl <= 600_000, "{ttl}");
    let late = Delivery::new("msg_c1_retry", &created.body);
    assert_eq!(rx.deliver(&late).await, 204);
    assert_eq!(redis.get(&entry("user_p")), None);
    rx.wait_log("nothing written (the user was deleted)", 1);

    // GET /metrics on the receiver's own listener: each delivery's fate, and the two writes
    // refused as stale, in OpenMetrics.
    let r = rx
        .http
        .get(format!("{}/metrics", rx.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = r.text().await.unwrap();
    let m = common::openmetrics::parse(&text);
    let count = |labels: &[&str]| {
        common::openmetrics::value(&m, "clerk_rl_webhook_deliveries_total", labels)
    };
    assert_eq!(count(&["outcome=\"written\""]), Some(2.0), "{text}");
    assert_eq!(
        count(&["event=\"user.updated\"", "outcome=\"kept_newer\""]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(&["event=\"user.created\"", "outcome=\"tombstoned\""]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(&["event=\"user.deleted\"", "outcome=\"dropped\""]),
        Some(1.0),
        "{text}"
    );
    for reason in ["newer_version", "tombstone"] {
        assert_eq!(
            common::openmetrics::value(
                &m,
                "clerk_rl_webhook_cache_writes_refused_total",
                &[&format!("reason=\"{reason}\"")]
            ),
            Some(1.0),
            "{text}"
        );
    }
    assert!(!text.contains("user_p") && !text.contains("msg_"), "{text}");

    let (code, log) = rx.terminate();
    assert_eq!(code, 0, "{log}");
    assert_eq!(log.matches("cache entry written").count(), 2, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_answers_503_and_svix_retry_succeeds_once_it_is_back() {
    let mut redis = RedisServer::start();
    let rx = Receiver::start(&redis, &[]);
    redis.kill();
    let d = Delivery::new(
        "msg_down",
        &event("user.updated", user_json("user_d", "D", 2)),
    );
    assert_eq!(rx.deliver(&d).await, 503);
    rx.wait_log("answered 503 so Svix retries", 1);
    // Ignored events need no Redis: still acknowledged.
    let other = Delivery::new("msg_other", &event("session.ended", json!({})));
    assert_eq!(rx.deliver(&other).await, 204);

    redis.restart();
    redis.set(&entry("user_d"), b"stale");
    // The 503 was not remembered as handled: Svix's retry acts.
    let retry = Delivery::new("msg_down", &d.body).at(now());
    assert_eq!(rx.deliver(&retry).await, 204);
    assert_eq!(redis.get(&entry("user_d")), None);
    let (code, log) = rx.terminate();
    assert_eq!(code, 0, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_get_after_user_updated_fetches_the_fresh_user() {
    let redis = RedisServer::start();
    let sb = common::sandbox_with(20, "1000/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    let (_, id) = common::all_ids(&sb).await.remove(3);
    std::fs::write(&ids, format!("{id}\n")).unwrap();
    let batch_get = || {
        let mut c = cmd();
        c.env("CLERK_API_URL", sb.url())
            .args(["batch-get", "--cache", &redis.url()])
            .arg(&ids);
        async move {
            let out = tokio::task::spawn_blocking(move || common::output(&mut c).unwrap())
                .await
                .unwrap();
            let run = common::Run::from(out);
            assert_eq!(run.code, 0, "{}", run.stderr);
            let user: Value = serde_json::from_str(run.stdout.trim()).unwrap();
            user
        }
    };
    let before = batch_get().await;
    assert!(
        redis.get(&entry(&id)).is_some(),
        "batch-get cached the user"
    );

    // The user changes in Clerk (the sandbox); the cache still serves the old one.
    let http = reqwest::Client::new();
    let patched: Value = http
        .patch(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .json(&json!({"first_name": "Freshly-Renamed"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["first_name"], "Freshly-Renamed");
    assert_eq!(batch_get().await["first_name"], before["first_name"]);

    // Clerk's user.updated arrives: the next batch-get asks the sandbox again.
    let rx = Receiver::start(&redis, &[]);
    let d = Delivery::new("msg_e2e", &event("user.updated", patched.clone()));
    assert_eq!(rx.deliver(&d).await, 204);
    let after = batch_get().await;
    assert_eq!(after["first_name"], "Freshly-Renamed");
    assert_eq!(after, patched);
    let (code, _) = rx.terminate();
    assert_eq!(code, 0);
}

#[test]
fn bad_setups_are_one_clear_line_with_the_documented_exit_code() {
    let run = |args: &[&str], secret: Option<&str>| {
        let mut c = cmd();
        c.args(["webhook", "serve", "--listen", "127.0.0.1:0"])
            .args(args);
        if let Some(s) = secret {
            c.env("CLERK_WEBHOOK_SIGNING_SECRET", s);
        }
        let r = common::Run::from(common::output(&mut c).unwrap());
        assert_secrets_absent(&r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        // clap's own usage errors aside, every failure is one line.
        if !args.contains(&"--signing-secret") {
            assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        }
        r
    };
    let url = "redis://127.0.0.1:1/0";
    let r = run(&["--cache", url], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("CLERK_WEBHOOK_SIGNING_SECRET"),
        "{}",
        r.stderr
    );
    let r = run(&["--cache", url], Some(&SECRET[6..]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("whsec_"), "{}", r.stderr);
    let r = run(&["--cache", url], Some("whsec_@@@not-base64"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&[], Some(SECRET));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--cache"), "{}", r.stderr);
    let r = run(&["--cache", "http://x"], Some(SECRET));
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&["--cache", url, "--signing-secret", SECRET], None);
    assert_eq!(r.code, 2, "no flag takes the secret itself");
    // A tombstone that could expire before the entries it guards is refused before anything.
    let r = run(
        &["--cache", url, "--cache-ttl", "2h", "--tombstone-ttl", "1h"],
        Some(SECRET),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--tombstone-ttl"), "{}", r.stderr);
    // Nothing listens on port 1: Redis unavailable at start is exit 1.
    let r = run(&["--cache", url], Some(SECRET));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("unavailable"), "{}", r.stderr);

    // No Clerk secret key: its fingerprint names the cache entries, so it is needed.
    let mut c = cmd();
    c.env_remove("CLERK_SECRET_KEY")
        .env("CLERK_WEBHOOK_SIGNING_SECRET", SECRET)
        .args(["webhook", "serve", "--cache", url]);
    let r = common::Run::from(common::output(&mut c).unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("CLERK_SECRET_KEY"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
}

#[test]
fn signing_secret_file_is_read_and_warned_about_when_others_can_read_it() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whsec");
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let mut c = cmd();
    c.args(["webhook", "serve", "--listen", "127.0.0.1:0", "--cache"])
        .arg(redis.url())
        .arg("--signing-secret-file")
        .arg(&path);
    let rx = Receiver::spawn(c);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let d = Delivery::new("msg_file", &event("user.deleted", json!({"id": "user_f"})));
    assert_eq!(rt.block_on(rx.deliver(&d)), 204);
    let (code, log) = rx.terminate();
    assert_eq!(code, 0);
    assert!(log.contains("readable by other users"), "{log}");
}

// ---------------------------------------------------------------------------------------------
// Races, made deterministic. A door between batch-get and the sandbox forwards each request at
// once, tells the test the sandbox has answered, and holds that answer until the test opens
// it: a batch-get behind it is stopped exactly between its fetch and its cache write, however
// long the test needs, with no timing involved.

struct Door {
    url: String,
    answered: tokio::sync::mpsc::UnboundedReceiver<String>,
    open: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
struct DoorState {
    upstream: String,
    http: reqwest::Client,
    answered: tokio::sync::mpsc::UnboundedSender<String>,
    open: tokio::sync::watch::Receiver<bool>,
}

async fn through_door(
    axum::extract::State(d): axum::extract::State<DoorState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut fwd = d
        .http
        .request(req.method().clone(), format!("{}{path}", d.upstream));
    for (k, v) in req.headers() {
        if k != "host" {
            fwd = fwd.header(k, v);
        }
    }
    let path = path.to_string();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let answer = fwd.body(body).send().await.unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    let bytes = answer.bytes().await.unwrap();
    let _ = d.answered.send(path);
    let mut open = d.open.clone();
    open.wait_for(|o| *o).await.unwrap();
    let mut resp = axum::response::Response::new(axum::body::Body::from(bytes));
    *resp.status_mut() = status;
    for (k, v) in &headers {
        if !matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            resp.headers_mut().append(k.clone(), v.clone());
        }
    }
    resp
}

impl Door {
    async fn start(upstream: &str) -> Door {
        let (answered_tx, answered) = tokio::sync::mpsc::unbounded_channel();
        let (open, open_rx) = tokio::sync::watch::channel(false);
        let state = DoorState {
            upstream: upstream.to_string(),
            http: reqwest::Client::new(),
            answered: answered_tx,
            open: open_rx,
        };
        let app = axum::Router::new().fallback(through_door).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Door {
            url,
            answered,
            open,
        }
    }

    /// Wait until the sandbox has answered a request through the door (held there).
    async fn wait_answered(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(60), self.answered.recv())
            .await
            .expect("no request came through the door")
            .unwrap()
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

/// `batch-get --json --cache REDIS IDS` against `api`, run in the background.
fn spawn_batch_get(
    api: &str,
    redis: &RedisServer,
    ids: &Path,
    extra: &[&str],
) -> tokio::task::JoinHandle<common::Run> {
    let mut c = cmd();
    c.env("CLERK_API_URL", api)
        .args(["--json", "batch-get", "--cache", &redis.url()])
        .args(extra)
        .arg(ids);
    tokio::task::spawn_blocking(move || common::Run::from(common::output(&mut c).unwrap()))
}

/// The users batch-get wrote, by id.
fn users_of(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn cached(redis: &RedisServer, id: &str) -> Option<Value> {
    redis
        .get(&entry(id))
        .map(|v| serde_json::from_slice(&v).unwrap())
}

/// The user as the sandbox serves it now (`None`: 404).
async fn server_user(sb: &clerk_rl::sandbox::Sandbox, id: &str) -> Option<Value> {
    let r = reqwest::Client::new()
        .get(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap();
    match r.status().as_u16() {
        200 => Some(r.json().await.unwrap()),
        404 => None,
        s => panic!("sandbox answered {s} for {id}"),
    }
}

async fn patch_user(sb: &clerk_rl::sandbox::Sandbox, id: &str, first_name: &str) -> Value {
    let r = reqwest::Client::new()
        .patch(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .json(&json!({"first_name": first_name}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn delete_user(sb: &clerk_rl::sandbox::Sandbox, id: &str) -> Value {
    let r = reqwest::Client::new()
        .delete(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn write_ids(dir: &Path, name: &str, ids: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, ids.join("\n") + "\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_get_held_between_fetch_and_write_cannot_undo_an_update_or_a_deletion() {
    let sb = common::sandbox_with(20, "1000/1s", |_| {}).await;
    let users = common::all_ids(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    // (with --prime?, user.updated or user.deleted?)
    let cases = [(false, false), (true, false), (false, true), (true, true)];
    for (n, &(prime, delete)) in cases.iter().enumerate() {
        let what = format!("prime {prime}, delete {delete}");
        let redis = RedisServer::start();
        let rx = Receiver::start(&redis, if prime { &["--prime"] } else { &[] });
        let id = users[n].1.as_str();
        let ids = write_ids(dir.path(), &format!("race{n}.txt"), &[id]);

        // The batch-get fetches the user as it is, and is held before its cache write.
        let mut door = Door::start(&sb.url()).await;
        let held = spawn_batch_get(&door.url, &redis, &ids, &[]);
        assert!(door.wait_answered().await.starts_with("/v1/users?"));
        let old = server_user(&sb, id).await.unwrap();

        // Meanwhile the user changes in Clerk and its signed webhook is delivered.
        let d = if delete {
            let gone = delete_user(&sb, id).await;
            Delivery::new(&format!("msg_race{n}"), &event("user.deleted", gone))
        } else {
            let new = patch_user(&sb, id, "Renamed-While-Held").await;
            assert!(new["updated_at"].as_i64() > old["updated_at"].as_i64());
            Delivery::new(&format!("msg_race{n}"), &event("user.updated", new))
        };
        assert_eq!(rx.deliver(&d).await, 204, "{what}");

        // Now the held batch-get writes what it fetched: refused, and it says so.
        door.open();
        let run = held.await.unwrap();
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        assert_eq!(users_of(&run.stdout), vec![old.clone()], "{what}");
        assert_eq!(
            common::summary_of(&run.stderr, Some("cache_refused"))["cache_refused"],
            1,
            "{what}"
        );

        // Redis serves the new version or nothing, and the next batch-get agrees with the server.
        let now = server_user(&sb, id).await;
        let in_cache = cached(&redis, id);
        match (&now, prime) {
            (Some(new), true) => assert_eq!(in_cache.as_ref(), Some(new), "{what}"),
            _ => assert_eq!(in_cache, None, "{what}"),
        }
        let before = sb.log().len();
        let next = spawn_batch_get(&sb.url(), &redis, &ids, &[]).await.unwrap();
        assert_eq!(
            users_of(&next.stdout),
            now.iter().cloned().collect::<Vec<_>>()
        );
        assert_eq!(next.code, if now.is_some() { 0 } else { 7 }, "{what}");
        let asked = sb.log().len() - before;
        // A deleted user is left out of the list answer, and batch-get asks that one id directly
        // before calling it missing (a server that caps user_id= lists would leave out users
        // that exist): one list request, plus that check when the user is gone.
        let expected = match (prime, delete) {
            (true, false) => 0,
            (false, false) => 1,
            (_, true) => 2,
        };
        assert_eq!(asked, expected, "{what}");
        if delete {
            // A tombstoned id is a miss: the server is asked, the answer (404) is not cached,
            // and `cache purge` keeps the tombstone unless told --guards.
            assert!(redis.get(&tombstone(id)).is_some(), "{what}");
            let purge = |extra: &'static [&'static str]| {
                let mut c = cmd();
                c.args(["cache", "purge", "--cache", &redis.url(), id])
                    .args(extra);
                common::Run::from(common::output(&mut c).unwrap())
            };
            assert_eq!(purge(&[]).code, 0);
            assert!(redis.get(&tombstone(id)).is_some(), "{what}");
            let r = purge(&["--guards"]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert!(
                r.stdout.contains("and 1 version markers and tombstones"),
                "{}",
                r.stdout
            );
            assert_eq!(redis.get(&tombstone(id)), None, "{what}");
        } else {
            let marker = redis.get(&version(id)).expect("a version marker");
            assert_eq!(
                String::from_utf8(marker).unwrap(),
                now.unwrap()["updated_at"].to_string()
            );
        }
        let (code, log) = rx.terminate();
        assert_eq!(code, 0, "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_batch_gets_with_different_versions_the_newer_stays_whatever_the_order() {
    let sb = common::sandbox_with(20, "1000/1s", |_| {}).await;
    let users = common::all_ids(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    for (n, newer_first) in [false, true].into_iter().enumerate() {
        let redis = RedisServer::start();
        let id = users[10 + n].1.as_str();
        let ids = write_ids(dir.path(), &format!("two{n}.txt"), &[id]);
        let mut door_old = Door::start(&sb.url()).await;
        let old_run = spawn_batch_get(&door_old.url, &redis, &ids, &[]);
        door_old.wait_answered().await;
        let new = patch_user(&sb, id, &format!("Second-{n}")).await;
        let mut door_new = Door::start(&sb.url()).await;
        let new_run = spawn_batch_get(&door_new.url, &redis, &ids, &[]);
        door_new.wait_answered().await;

        // Both fetched, neither wrote; now they write one after the other, in either order.
        let (first, second) = if newer_first {
            ((&door_new, new_run), (&door_old, old_run))
        } else {
            ((&door_old, old_run), (&door_new, new_run))
        };
        first.0.open();
        let a = first.1.await.unwrap();
        assert_eq!(a.code, 0, "{}", a.stderr);
        second.0.open();
        let b = second.1.await.unwrap();
        assert_eq!(b.code, 0, "{}", b.stderr);
        let (old_out, new_out) = if newer_first { (b, a) } else { (a, b) };
        assert_ne!(users_of(&old_out.stdout)[0], new);
        assert_eq!(users_of(&new_out.stdout)[0], new);
        assert_eq!(
            cached(&redis, id),
            Some(new.clone()),
            "newer first: {newer_first}"
        );
        // Only the older write, when it came last, was refused.
        assert_eq!(
            common::summary_of(&old_out.stderr, Some("cache_refused"))["cache_refused"],
            u64::from(newer_first)
        );
        assert_eq!(
            common::summary_of(&new_out.stderr, Some("cache_refused"))["cache_refused"],
            0
        );
    }
}

/// All orders of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_updated_deleted_in_every_order_then_batch_get_answers_as_the_server() {
    let sb = common::sandbox_with(40, "1000/1s", |_| {}).await;
    let users = common::all_ids(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let deleted_orders = permutations(&["user.created", "user.updated", "user.deleted"]);
    let alive_orders = permutations(&["user.created", "user.updated"]);
    assert_eq!((deleted_orders.len(), alive_orders.len()), (6, 2));
    let orders: Vec<Vec<&str>> = deleted_orders.into_iter().chain(alive_orders).collect();
    let mut next_user = users.iter().map(|(_, id)| id.as_str());
    for prime in [false, true] {
        let redis = RedisServer::start();
        let rx = Receiver::start(&redis, if prime { &["--prime"] } else { &[] });
        // Each order gets its own user: cached as first fetched, then changed in the sandbox.
        let mut plans = Vec::new();
        for (n, order) in orders.iter().enumerate() {
            let id = next_user.next().unwrap();
            let ids = write_ids(dir.path(), &format!("order-{prime}-{n}.txt"), &[id]);
            let first = spawn_batch_get(&sb.url(), &redis, &ids, &[]).await.unwrap();
            assert_eq!(first.code, 0, "{}", first.stderr);
            let created = users_of(&first.stdout).remove(0);
            let updated = patch_user(&sb, id, &format!("Updated-{n}")).await;
            let mut payloads = vec![("user.created", created), ("user.updated", updated)];
            if order.contains(&"user.deleted") {
                payloads.push(("user.deleted", delete_user(&sb, id).await));
            }
            let deliveries: Vec<Delivery> = order
                .iter()
                .map(|kind| {
                    let data = payloads.iter().find(|(k, _)| k == kind).unwrap().1.clone();
                    Delivery::new(&format!("msg_{prime}_{n}_{kind}"), &event(kind, data))
                })
                .collect();
            plans.push((id, ids, order.clone(), deliveries));
        }
        let all: Vec<&Delivery> = plans.iter().flat_map(|p| &p.3).collect();
        let signed = svix_sign(&all);
        let mut headers = signed.into_iter();
        for (id, ids, order, deliveries) in &plans {
            let what = format!("prime {prime}, {order:?}");
            for d in deliveries {
                assert_eq!(
                    rx.post(&d.body, &headers.next().unwrap()).await,
                    204,
                    "{what}"
                );
            }
            let want = server_user(&sb, id).await;
            let run = spawn_batch_get(&sb.url(), &redis, ids, &[]).await.unwrap();
            assert_eq!(
                users_of(&run.stdout),
                want.iter().cloned().collect::<Vec<_>>(),
                "{what}: {}",
                run.stderr
            );
            assert_eq!(run.code, if want.is_some() { 0 } else { 7 }, "{what}");
            assert_eq!(cached(&redis, id), want, "{what}");
        }
        // `cache purge --all` empties the cache but keeps the guards; `--guards` takes them too,
        // and nothing of the instance's users is left (only the delivery ids, which expire).
        let kinds = |redis: &RedisServer| {
            let mut k: Vec<&str> = Vec::new();
            for key in redis.keys() {
                for kind in [":user:", ":version:", ":deleted:", ":webhook:"] {
                    if key.contains(kind) && !k.contains(&kind) {
                        k.push(kind);
                    }
                }
            }
            k.sort();
            k
        };
        let purge = |extra: &[&str]| {
            let mut c = cmd();
            c.args(["--json", "cache", "purge", "--all", "--cache", &redis.url()])
                .args(extra);
            let r = common::Run::from(common::output(&mut c).unwrap());
            assert_eq!(r.code, 0, "{}", r.stderr);
            r.json()
        };
        let before = kinds(&redis);
        assert!(
            before.contains(&":deleted:") && before.contains(&":version:"),
            "{before:?}"
        );
        let r = purge(&[]);
        assert_eq!(r["guards_deleted"], 0);
        assert!(!kinds(&redis).contains(&":user:"));
        assert!(kinds(&redis).contains(&":deleted:"));
        let r = purge(&["--guards"]);
        assert!(r["guards_deleted"].as_u64().unwrap() >= 6, "{r}");
        assert_eq!(kinds(&redis), vec![":webhook:"]);
        let (code, log) = rx.terminate();
        assert_eq!(code, 0, "{log}");
    }
}

/// The line after its timestamp (`2026-12-06T03:01:55.123Z `), if it starts with one.
fn stamped(line: &str) -> Option<&str> {
    let (time, rest) = line.split_once(' ')?;
    let ok = time.len() == 24
        && time.ends_with('Z')
        && time.as_bytes()[10] == b'T'
        && humantime::parse_rfc3339(time).is_ok();
    ok.then_some(rest)
}

/// `--log-format json`: every line on stderr is one JSON object a log collector can read, with
/// the time, the delivery's id, its event and user once verified, and the status answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_json_gives_one_object_per_line_with_the_delivery_fields() {
    let redis = RedisServer::start();
    let rx = Receiver::start(&redis, &["--log-format", "json"]);
    let d = Delivery::new(
        "msg_json1",
        &event(
            "user.deleted",
            serde_json::json!({"id": "user_j", "deleted": true}),
        ),
    );
    assert_eq!(rx.deliver(&d).await, 204);
    let forged = Delivery::new("msg_json2", &d.body).secret(OTHER_SECRET);
    assert_eq!(rx.deliver(&forged).await, 400);
    rx.wait_log("msg_json2", 1);
    let (code, log) = rx.terminate();
    assert_eq!(code, 0, "{log}");
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 4, "start, two deliveries, stop:\n{log}");
    for v in &lines {
        let time = v["time"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "{v}");
        assert_eq!(v["level"], "info", "{v}");
        assert!(v["message"].is_string(), "{v}");
    }
    let done = &lines[1];
    assert_eq!(done["delivery"], "msg_json1", "{done}");
    assert_eq!(done["event"], "user.deleted", "{done}");
    assert_eq!(done["user"], "user_j", "{done}");
    assert_eq!(done["status"], 204, "{done}");
    let refused = &lines[2];
    assert_eq!(refused["delivery"], "msg_json2", "{refused}");
    assert_eq!(refused["status"], 400, "{refused}");
    assert!(
        refused.get("event").is_none(),
        "not verified, not read: {refused}"
    );
    assert!(lines[3]["message"].as_str().unwrap().contains("stopped"));
}

/// Issue 23 row 11: SIGHUP (a closed terminal or session) killed the receiver without draining
/// (no exit code, no "stopped" line). It now stops as on Ctrl-C and SIGTERM: exit 0, drained.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_drains_webhook_serve_as_sigterm_does() {
    let redis = RedisServer::start();
    let rx = Receiver::start(&redis, &[]);
    let d = Delivery::new(
        "msg_hup",
        &event("user.updated", user_json("user_h", "H", 2)),
    );
    redis.set(&entry("user_h"), b"{}");
    assert_eq!(rx.deliver(&d).await, 204);
    assert_eq!(redis.get(&entry("user_h")), None);
    let (code, log) = rx.stop_with("HUP");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("clerk-rl webhook: stopped"), "{log}");
}
