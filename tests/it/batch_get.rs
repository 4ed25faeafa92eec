//! `clerk-rl batch-get` and `clerk-rl cache purge` run as a user would: against the sandbox over
//! 127.0.0.1 and a real `redis-server` each test starts on a free port (no mock, no fake Redis).
//! Covered: input order, duplicates, missing ids and exit 7, the 100-id split, both strategies,
//! cache hit/miss/expiry/refresh/purge, Redis lost mid-run or absent, every bad input of the issue,
//! a large input streamed in bounded memory, and the secret key never reaching Redis.
//!
//! redis-server must be installed (scripts/test installs it): without it these tests fail, they
//! never skip.

use crate::common;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clerk_rl::face::SecretKey;
use clerk_rl::sandbox::Sandbox;
use clerk_rl::sandbox::users::{Generator, user_id};
use common::redis_server::{RedisServer, free_port};
use common::{KEY, Run, cmd};
use serde_json::Value;

/// A second instance's key, accepted by the same sandbox: its cache entries must stay apart.
const OTHER_KEY: &str = "sk_test_ANOTHER0instance0key0abcdefghijQRST";
const SEED: u64 = 7;

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// The sandbox, its ids, and running the binary.

async fn sandbox_with(users: u64, rate: &str) -> Sandbox {
    common::sandbox_with(users, rate, |c| c.accept_keys.push(OTHER_KEY.to_string())).await
}

/// The ids of the sandbox's first `n` users (of `users`), computed as the sandbox does.
fn ids_of(users: u64, n: u64) -> Vec<String> {
    let g = Generator::new(SEED, users);
    (0..n).map(|i| user_id(SEED, i, g.created_at(i))).collect()
}

/// A well-formed id no user has.
fn unknown(i: u32) -> String {
    format!("user_2NoSuchUserAtAll{i:08}")
}

fn shuffled(mut v: Vec<String>, seed: u64) -> Vec<String> {
    // A fixed permutation (no rand dependency in tests): sort by a hash of (seed, id).
    v.sort_by_key(|id| {
        let mut h: u64 = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in id.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01B3);
        }
        h
    });
    v
}

fn fingerprint(key: &str) -> String {
    SecretKey::new(key, "test").unwrap().fingerprint()
}

fn user_key(key: &str, id: &str) -> String {
    format!("clerk:{{{}}}:user:{id}", fingerprint(key))
}

struct Opts<'a> {
    stdin: Option<Vec<u8>>,
    key: &'a str,
    env: Vec<(&'a str, String)>,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            stdin: None,
            key: KEY,
            env: Vec::new(),
        }
    }
}

fn batch_cmd(sb: &Sandbox, args: &[&str], o: &Opts) -> Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url())
        .env("CLERK_SECRET_KEY", o.key)
        .arg("--no-progress");
    if !args.contains(&"--rate") {
        c.args(["--rate", "100000/1s"]);
    }
    c.args(args);
    for (k, v) in &o.env {
        c.env(k, v);
    }
    c
}

async fn run_with(sb: &Sandbox, args: &[&str], o: Opts<'_>) -> Run {
    let mut c = batch_cmd(sb, args, &o);
    let stdin = o.stdin.clone();
    tokio::task::spawn_blocking(move || {
        if stdin.is_some() {
            c.stdin(Stdio::piped());
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(bytes) = stdin {
            let mut i = child.stdin.take().unwrap();
            // The reader may stop early (an error): a closed pipe here is not the test's concern.
            let _ = i.write_all(&bytes);
        }
        Run::from(child.wait_with_output().unwrap())
    })
    .await
    .unwrap()
}

async fn run(sb: &Sandbox, args: &[&str]) -> Run {
    run_with(sb, args, Opts::default()).await
}

fn write_ids(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&p, text).unwrap();
    p
}

/// The ids of a JSON Lines output, each line checked to be a JSON object.
fn out_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {l:.200}", i + 1));
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// First occurrences, in order.
fn dedup(ids: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.iter().filter(|i| seen.insert(*i)).cloned().collect()
}

fn list_requests(sb: &Sandbox) -> Vec<clerk_rl::sandbox::LogEntry> {
    sb.log()
        .into_iter()
        .filter(|e| e.path == "/v1/users")
        .collect()
}

fn user_requests(sb: &Sandbox) -> usize {
    sb.log()
        .iter()
        .filter(|e| e.path.starts_with("/v1/users/user_"))
        .count()
}

/// The `user_id` values of one logged request.
fn user_ids_of(query: &str) -> Vec<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "user_id")
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn get_user_raw(sb: &Sandbox, id: &str) -> String {
    reqwest::Client::new()
        .get(format!("{}/v1/users/{id}", sb.url()))
        .bearer_auth(sb.key())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Order, duplicates, missing ids.

#[tokio::test(flavor = "multi_thread")]
async fn users_come_out_in_input_order_once_each_and_missing_ids_exit_7() {
    let sb = sandbox_with(400, "100000/1s").await;
    let known = shuffled(ids_of(400, 400), 1)[..150].to_vec();
    // Unknown ids between known ones, duplicates near and far, comments and blank lines.
    let mut lines = vec![
        "# exported from the app database".to_string(),
        String::new(),
    ];
    for (i, id) in known.iter().enumerate() {
        lines.push(format!("  {id}  "));
        if i % 40 == 7 {
            lines.push(unknown(i as u32));
        }
        if i % 25 == 3 {
            lines.push(known[i / 2].clone());
        }
    }
    lines.push(known[0].clone());
    lines.push(unknown(7));
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), "ids.txt", &lines);
    let input: Vec<String> = lines
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("user_"))
        .collect();
    let missing: Vec<String> = dedup(&input)
        .into_iter()
        .filter(|i| i.contains("NoSuchUser"))
        .collect();
    let want: Vec<String> = dedup(&input)
        .into_iter()
        .filter(|i| !i.contains("NoSuchUser"))
        .collect();
    assert_eq!(want.len(), 150);
    assert_eq!(missing.len(), 4);

    let r = run(&sb, &["--json", "batch-get", file.to_str().unwrap()]).await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(out_ids(&r.stdout), want);
    for m in &missing {
        assert!(
            r.stderr.contains(&format!("not found: {m}")),
            "{m} not listed:\n{}",
            r.stderr
        );
    }
    let s = common::summary_of(&r.stderr, Some("http"));
    assert_eq!(s["missing_ids"], serde_json::json!(missing));
    assert_eq!(s["found"], 150);
    assert_eq!(s["ids"], 154);
    assert_eq!(s["duplicates"], input.len() - 154);
    // Each user exactly as the server sends it.
    let lines: Vec<&str> = r.stdout.lines().collect();
    for (line, id) in lines.iter().zip(&want).take(10) {
        assert_eq!(*line, get_user_raw(&sb, id).await);
    }

    let again = run(
        &sb,
        &["batch-get", "--allow-missing", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, r.stdout);
    assert!(again.stderr.contains(&format!("not found: {}", missing[0])));
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_go_100_per_request_and_each_id_is_asked_once() {
    let sb = sandbox_with(400, "100000/1s").await;
    let ids = shuffled(ids_of(400, 250), 2);
    let mut input = ids.clone();
    input.extend(ids[..60].iter().cloned());
    let r = run_with(
        &sb,
        &["batch-get", "--concurrency", "3"],
        Opts {
            stdin: Some(input.join("\n").into_bytes()),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(out_ids(&r.stdout), ids);
    let reqs = list_requests(&sb);
    assert_eq!(reqs.len(), 3, "ceil(250/100) requests");
    let mut sizes: Vec<usize> = reqs.iter().map(|e| user_ids_of(&e.query).len()).collect();
    sizes.sort();
    assert_eq!(sizes, vec![50, 100, 100]);
    assert!(reqs.iter().all(|e| e.query.contains("limit=100")));
    let asked: Vec<String> = reqs.iter().flat_map(|e| user_ids_of(&e.query)).collect();
    assert_eq!(asked.len(), 250, "an id was asked twice");
    assert_eq!(
        asked.iter().collect::<HashSet<_>>(),
        ids.iter().collect::<HashSet<_>>()
    );
    assert_eq!(user_requests(&sb), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn strategy_get_asks_one_id_per_request_and_a_404_is_missing() {
    let sb = sandbox_with(100, "100000/1s").await;
    let mut ids = shuffled(ids_of(100, 100), 3)[..20].to_vec();
    ids.insert(5, unknown(1));
    ids.push(unknown(2));
    ids.push(ids[0].clone());
    let stdin = ids.join("\n").into_bytes();
    let r = run_with(
        &sb,
        &["batch-get", "--strategy", "get", "--json"],
        Opts {
            stdin: Some(stdin.clone()),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(user_requests(&sb), 22);
    assert_eq!(list_requests(&sb).len(), 0);
    let want: Vec<String> = dedup(&ids)
        .into_iter()
        .filter(|i| !i.contains("NoSuchUser"))
        .collect();
    assert_eq!(out_ids(&r.stdout), want);
    let s = common::summary_of(&r.stderr, Some("http"));
    assert_eq!(
        s["missing_ids"],
        serde_json::json!([unknown(1), unknown(2)])
    );
    assert_eq!(s["requests_saved_by_batching"], 0);

    // The same users, byte for byte, as the list strategy gives.
    let list = run_with(
        &sb,
        &["batch-get"],
        Opts {
            stdin: Some(stdin),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(list.code, 7);
    assert_eq!(list.stdout, r.stdout);
}

// ---------------------------------------------------------------------------------------------
// The Redis cache.

#[tokio::test(flavor = "multi_thread")]
async fn cache_hits_misses_refresh_and_layout_and_the_key_never_reaches_redis() {
    let redis = RedisServer::start();
    let sb = sandbox_with(500, "100000/1s").await;
    let ids = shuffled(ids_of(500, 500), 4);
    let dir = tempfile::tempdir().unwrap();
    let first = write_ids(dir.path(), "first.txt", &ids[..230]);
    let url = redis.url();

    // Cold: everything fetched, everything cached under clerk:{instance}:user:{id}.
    let cold = run(
        &sb,
        &[
            "--json",
            "batch-get",
            "--cache",
            &url,
            first.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    assert_eq!(list_requests(&sb).len(), 3);
    let s = common::summary_of(&cold.stderr, Some("http"));
    assert_eq!(
        (s["cache_hits"].as_u64(), s["fetched"].as_u64()),
        (Some(0), Some(230))
    );
    let mut want_keys: Vec<String> = ids[..230].iter().map(|id| user_key(KEY, id)).collect();
    want_keys.sort();
    assert_eq!(redis.keys(), want_keys);
    for (line, id) in cold.stdout.lines().zip(&ids) {
        assert_eq!(redis.get(&user_key(KEY, id)).unwrap(), line.as_bytes());
    }
    let ttl = redis.pttl(&user_key(KEY, &ids[0]));
    assert!(
        (50_000..=60_000).contains(&ttl),
        "default ttl 60s, got {ttl} ms"
    );

    // Warm: zero requests, the same bytes out.
    let warm = run(
        &sb,
        &[
            "--json",
            "batch-get",
            "--cache",
            &url,
            first.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    assert_eq!(list_requests(&sb).len(), 3, "a warm cache sent requests");
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(
        common::summary_of(&warm.stderr, Some("http"))["cache_hits"],
        230
    );

    // Partly warm, the cache URL from the environment: only the 40 new ids are fetched.
    let more = write_ids(dir.path(), "more.txt", &ids[200..270]);
    let part = run_with(
        &sb,
        &["--json", "batch-get", more.to_str().unwrap()],
        Opts {
            env: vec![("CLERK_RL_CACHE", url.clone())],
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(part.code, 0, "{}", part.stderr);
    assert_eq!(out_ids(&part.stdout), ids[200..270].to_vec());
    let reqs = list_requests(&sb);
    assert_eq!(reqs.len(), 4);
    let asked = user_ids_of(&reqs[3].query);
    assert_eq!(
        asked.iter().collect::<HashSet<_>>(),
        ids[230..270].iter().collect::<HashSet<_>>()
    );
    assert_eq!(
        common::summary_of(&part.stderr, Some("http"))["cache_hits"],
        30
    );

    // --refresh: fetched again although cached, and rewritten (the new TTL shows it).
    let refresh = run(
        &sb,
        &[
            "batch-get",
            "--cache",
            &url,
            "--refresh",
            "--cache-ttl",
            "1h",
            first.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(refresh.code, 0, "{}", refresh.stderr);
    assert_eq!(list_requests(&sb).len(), 7);
    assert_eq!(refresh.stdout, cold.stdout);
    let ttl = redis.pttl(&user_key(KEY, &ids[0]));
    assert!(
        ttl > 3_000_000,
        "refresh did not rewrite the entry (pttl {ttl})"
    );

    // Nothing in Redis holds the secret key, in a key or a value.
    let secret_body = &KEY["sk_test_".len()..];
    for k in redis.keys() {
        assert!(!k.contains(secret_body), "the key is in a Redis key: {k}");
        let v = String::from_utf8_lossy(&redis.get(&k).unwrap()).into_owned();
        assert!(!v.contains(secret_body), "the key is in the value of {k}");
    }
    assert!(!fingerprint(KEY).contains(secret_body));
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_users_expire_after_the_ttl() {
    let redis = RedisServer::start();
    let sb = sandbox_with(200, "100000/1s").await;
    let ids = ids_of(200, 120);
    let stdin = ids.join("\n").into_bytes();
    let args = ["batch-get", "--cache", &redis.url(), "--cache-ttl", "1s"];
    let go = || {
        run_with(
            &sb,
            &args,
            Opts {
                stdin: Some(stdin.clone()),
                ..Opts::default()
            },
        )
    };
    let r = go().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(list_requests(&sb).len(), 2);
    assert_eq!(redis.keys().len(), 120);
    let r = go().await;
    assert_eq!(
        list_requests(&sb).len(),
        2,
        "within the TTL: from the cache"
    );
    assert_eq!(r.code, 0);
    // Each entry was given --cache-ttl (1 s, counted from its fetch) as its expiry...
    for id in &ids {
        let ttl = redis.pttl(&user_key(KEY, id));
        assert!((1..=1000).contains(&ttl), "{id}: pttl {ttl} ms");
    }
    // ...and Redis, on its own clock, lets them go: wait for that event, not a fixed time.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !redis.keys().is_empty() {
        assert!(Instant::now() < deadline, "entries never expired");
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = go().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        list_requests(&sb).len(),
        4,
        "expired entries must be fetched again"
    );
    assert_eq!(out_ids(&r.stdout), ids);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_value_that_is_not_that_user_is_a_miss_and_is_overwritten() {
    let redis = RedisServer::start();
    let sb = sandbox_with(100, "100000/1s").await;
    let ids = ids_of(100, 10);
    let stdin = ids.join("\n").into_bytes();
    let args = ["--json", "batch-get", "--cache", &redis.url()];
    let opts = || Opts {
        stdin: Some(stdin.clone()),
        ..Opts::default()
    };
    let good = run_with(&sb, &args, opts()).await;
    assert_eq!(good.code, 0, "{}", good.stderr);
    let lines: Vec<&str> = good.stdout.lines().collect();
    // Garbage, a truncated user, another user's JSON, a JSON string: all unusable.
    redis.set(&user_key(KEY, &ids[1]), b"this is not JSON");
    redis.set(
        &user_key(KEY, &ids[3]),
        &lines[3].as_bytes()[..lines[3].len() / 2],
    );
    redis.set(&user_key(KEY, &ids[5]), lines[6].as_bytes());
    redis.set(&user_key(KEY, &ids[7]), b"\"user\"");
    let before = list_requests(&sb).len();
    let r = run_with(&sb, &args, opts()).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, good.stdout);
    let reqs = list_requests(&sb);
    assert_eq!(reqs.len(), before + 1);
    let mut asked = user_ids_of(&reqs[before].query);
    asked.sort();
    let mut want = vec![
        ids[1].clone(),
        ids[3].clone(),
        ids[5].clone(),
        ids[7].clone(),
    ];
    want.sort();
    assert_eq!(asked, want);
    let s = common::summary_of(&r.stderr, Some("http"));
    assert_eq!(
        (s["cache_hits"].as_u64(), s["cache_unusable"].as_u64()),
        (Some(6), Some(4))
    );
    for i in [1, 3, 5, 7] {
        assert_eq!(
            redis.get(&user_key(KEY, &ids[i])).unwrap(),
            lines[i].as_bytes()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_purge_by_id_and_all_touches_only_this_instance_and_sends_no_request() {
    let redis = RedisServer::start();
    let sb = sandbox_with(100, "100000/1s").await;
    let ids = ids_of(100, 30);
    let stdin = ids.join("\n").into_bytes();
    let url = redis.url();
    for key in [KEY, OTHER_KEY] {
        let r = run_with(
            &sb,
            &["batch-get", "--cache", &url],
            Opts {
                stdin: Some(stdin.clone()),
                key,
                ..Opts::default()
            },
        )
        .await;
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(redis.keys().len(), 60, "two instances, two sets of entries");
    let requests = sb.log().len();

    let r = run(
        &sb,
        &[
            "cache",
            "purge",
            "--cache",
            &url,
            &ids[0],
            &ids[1],
            &unknown(1),
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("deleted 2 cached users"), "{}", r.stdout);
    assert!(redis.get(&user_key(KEY, &ids[0])).is_none());
    assert!(redis.get(&user_key(KEY, &ids[2])).is_some());
    assert!(redis.get(&user_key(OTHER_KEY, &ids[0])).is_some());

    let r = run_with(
        &sb,
        &["--json", "cache", "purge", "--all"],
        Opts {
            env: vec![("CLERK_RL_CACHE", url.clone())],
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["deleted"], 28);
    let mut want: Vec<String> = ids.iter().map(|id| user_key(OTHER_KEY, id)).collect();
    want.sort();
    assert_eq!(redis.keys(), want, "only this instance's entries may go");
    assert_eq!(
        sb.log().len(),
        requests,
        "cache purge sent a request to the API"
    );

    // Refusals: no cache named, a bad id, nothing to purge, Redis not there.
    for (args, code) in [
        (vec!["cache", "purge", "--all"], 2),
        (vec!["cache", "purge", "--cache", &url, "not-an-id"], 2),
        (vec!["cache", "purge", "--cache", &url], 2),
        (vec!["cache", "purge", "--cache", &url, "--all", &ids[0]], 2),
        (
            vec![
                "cache",
                "purge",
                "--cache",
                "redis://127.0.0.1:x/0",
                "--all",
            ],
            2,
        ),
    ] {
        let r = run(&sb, &args).await;
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("error"), "{args:?}: {}", r.stderr);
    }
    let dead = format!("redis://127.0.0.1:{}/0", free_port());
    let r = run(&sb, &["cache", "purge", "--cache", &dead, "--all"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_mid_run_the_run_completes_uncached_or_exits_1_when_required() {
    let sb = sandbox_with(3000, "100000/1s").await;
    let ids = shuffled(ids_of(3000, 3000), 5);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), "ids.txt", &ids);
    for required in [false, true] {
        let mut redis = RedisServer::start();
        let out = dir.path().join(format!("out-{required}.jsonl"));
        // Three windows of 1000 ids (--concurrency 1), ten requests each at 10 a second: the
        // first window's users reach Redis after about a second, two more seconds follow.
        let mut args = vec![
            "--rate",
            "10/1s",
            "--json",
            "batch-get",
            "--concurrency",
            "1",
            "--output",
            out.to_str().unwrap(),
            file.to_str().unwrap(),
        ];
        let url = redis.url();
        args.extend(["--cache", &url]);
        if required {
            args.push("--cache-required");
        }
        let mut c = batch_cmd(&sb, &args, &Opts::default());
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = c.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut conn = redis.conn();
        loop {
            let n: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
            if n > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "nothing was ever cached");
            std::thread::sleep(Duration::from_millis(10));
        }
        redis.kill();
        let r = tokio::task::spawn_blocking(move || Run::from(child.wait_with_output().unwrap()))
            .await
            .unwrap();
        if required {
            assert_eq!(r.code, 1, "{}", r.stderr);
            let err = r.stderr.lines().last().unwrap();
            assert!(err.contains("--cache-required"), "{}", r.stderr);
            assert!(!out.exists(), "a half output was left as {}", out.display());
            assert!(
                !dir.path()
                    .join(format!("out-{required}.jsonl.partial"))
                    .exists(),
                "the partial file was left behind"
            );
        } else {
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert_eq!(out_ids(&common::read(&out)), ids);
            let warnings = r.stderr.matches("going on without the cache").count();
            assert_eq!(warnings, 1, "{}", r.stderr);
            let s = common::summary_of(&r.stderr, Some("http"));
            assert!(
                s["cache"].as_str().unwrap().contains("lost during the run"),
                "Redis was not lost mid-run: {s}"
            );
            assert_eq!(s["id_requests"], 30);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_unreachable_warns_once_or_exits_1_when_required() {
    let sb = sandbox_with(100, "100000/1s").await;
    let ids = ids_of(100, 5);
    let dead = format!("redis://127.0.0.1:{}/0", free_port());
    let opts = || Opts {
        stdin: Some(ids.join("\n").into_bytes()),
        ..Opts::default()
    };
    let r = run_with(&sb, &["batch-get", "--cache", &dead], opts()).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(out_ids(&r.stdout), ids);
    assert_eq!(r.stderr.matches("warning:").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("is unavailable"), "{}", r.stderr);

    let before = sb.log().len();
    let r = run_with(
        &sb,
        &["batch-get", "--cache", &dead, "--cache-required"],
        opts(),
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        sb.log().len(),
        before,
        "requests sent without the required cache"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[tokio::test(flavor = "multi_thread")]
async fn empty_input_exits_0_fetches_nothing_and_says_so() {
    let sb = sandbox_with(10, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let comments = write_ids(
        dir.path(),
        "c.txt",
        &["# nothing".into(), "   ".into(), "".into()],
    );
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    for (args, stdin) in [
        (vec!["batch-get"], Some(Vec::new())),
        (
            vec!["batch-get", "-"],
            Some(b"\n\n# only a comment\n".to_vec()),
        ),
        (vec!["batch-get", empty.to_str().unwrap()], None),
        (vec!["batch-get", comments.to_str().unwrap()], None),
    ] {
        let r = run_with(
            &sb,
            &args,
            Opts {
                stdin,
                ..Opts::default()
            },
        )
        .await;
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr.contains("nothing fetched"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(sb.log().is_empty(), "requests for an empty input");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_file_or_a_folder_is_exit_2_with_one_line() {
    let sb = sandbox_with(10, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let ok = write_ids(dir.path(), "ok.txt", &ids_of(10, 2));
    let in_missing_folder = dir.path().join("no/such/out.jsonl");
    for args in [
        vec!["batch-get", missing.to_str().unwrap()],
        vec!["batch-get", dir.path().to_str().unwrap()],
        vec![
            "batch-get",
            ok.to_str().unwrap(),
            "--output",
            dir.path().to_str().unwrap(),
        ],
        vec![
            "batch-get",
            ok.to_str().unwrap(),
            "--output",
            in_missing_folder.to_str().unwrap(),
        ],
        vec!["batch-get", ok.to_str().unwrap(), "--cache-required"],
    ] {
        let r = run(&sb, &args).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
    }
    assert!(sb.log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_utf8_and_bad_ids_are_reported_by_line_and_skipped_or_refused_with_strict() {
    let sb = sandbox_with(50, "100000/1s").await;
    let ids = ids_of(50, 4);
    let mut bytes = Vec::new();
    bytes.extend_from_slice(format!("{}\n", ids[0]).as_bytes());
    bytes.extend_from_slice(b"user_caf\xc3\n"); // line 2: invalid UTF-8
    bytes.extend_from_slice(format!("{}\n", ids[1]).as_bytes());
    bytes.extend_from_slice(b"alice@example.com\n"); // line 4: not an id
    bytes.extend_from_slice(format!("{}\r\n", ids[2]).as_bytes());
    bytes.extend_from_slice(b"user_has space\n"); // line 6
    bytes.extend_from_slice(format!("{} # trailing note\n", ids[3]).as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, &bytes).unwrap();

    let r = run(&sb, &["--json", "batch-get", file.to_str().unwrap()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(out_ids(&r.stdout), ids);
    for (line, what) in [
        (2, "not valid UTF-8"),
        (4, "alice@example.com"),
        (6, "user_has space"),
    ] {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(&format!("line {line}:")) && l.contains(what)),
            "line {line} not reported:\n{}",
            r.stderr
        );
    }
    assert_eq!(
        common::summary_of(&r.stderr, Some("http"))["invalid_lines"],
        3
    );
    let fetched = sb.log().len();

    // --strict: exit 2 naming the first bad line, before any request, from a file or stdin.
    let r = run(&sb, &["batch-get", "--strict", file.to_str().unwrap()]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("line 2:") && r.stderr.contains("2 more"),
        "{}",
        r.stderr
    );
    let r = run_with(
        &sb,
        &["batch-get", "--strict"],
        Opts {
            stdin: Some(bytes.clone()),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("stdin line 2:"), "{}", r.stderr);
    assert_eq!(sb.log().len(), fetched, "--strict sent requests");
    assert_eq!(r.stdout, "");

    // Many bad lines: the first 20 are shown, then a count.
    let many: Vec<String> = (0..50).map(|i| format!("bad{i}")).collect();
    let r = run_with(
        &sb,
        &["batch-get"],
        Opts {
            stdin: Some(many.join("\n").into_bytes()),
            ..Opts::default()
        },
    )
    .await;
    // Not one id among them: exit 2, said in one line at the end.
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.matches("; skipped").count(), 20, "{}", r.stderr);
    assert!(
        r.stderr.contains("50 lines of stdin were not user ids"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("none of the 50 lines of stdin holds a user id"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_redis_url_is_exit_2_before_any_request() {
    let sb = sandbox_with(10, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), "ids.txt", &ids_of(10, 3));
    for url in [
        "localhost:6379",
        "http://127.0.0.1:6379/0",
        "redis://127.0.0.1:port/0",
        "redis://127.0.0.1:6379/db0",
        "redis://",
        "rediss://127.0.0.1:6379/notadb",
        "redis://:hunter2@127.0.0.1:6379/x",
    ] {
        for via_env in [false, true] {
            let (args, env) = if via_env {
                (
                    vec!["batch-get", file.to_str().unwrap()],
                    vec![("CLERK_RL_CACHE", url.to_string())],
                )
            } else {
                (
                    vec!["batch-get", file.to_str().unwrap(), "--cache", url],
                    vec![],
                )
            };
            let r = run_with(
                &sb,
                &args,
                Opts {
                    env,
                    ..Opts::default()
                },
            )
            .await;
            assert_eq!(r.code, 2, "{url}: {}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "{url}: {}", r.stderr);
            assert!(r.stderr.contains("--cache"), "{url}: {}", r.stderr);
            assert!(
                !r.stderr.contains("hunter2"),
                "the password was shown: {}",
                r.stderr
            );
        }
    }
    assert!(sb.log().is_empty());
}

// ---------------------------------------------------------------------------------------------
// A large input, streamed.

/// Peak resident memory of a running child, in kB, sampled until it exits.
fn wait_with_peak_rss(mut child: Child) -> (std::process::ExitStatus, u64, String) {
    let pid = child.id();
    let mut peak = 0;
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(hwm) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak, err.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_ids_stream_through_in_bounded_memory() {
    // One id in five names a user (the sandbox's cost is generating users; unknown ids are cheap
    // for it), so a debug build gets through 1000 requests and ~33 MB of users in seconds.
    const N: usize = 100_000;
    const REAL: u64 = 20_000;
    let sb = sandbox_with(REAL, "100000/1s").await;
    let mut real = ids_of(REAL, REAL).into_iter();
    let ids: Vec<String> = (0..N)
        .map(|i| match i % 5 {
            2 => real.next().unwrap(),
            _ => unknown(i as u32),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), "ids.txt", &ids);
    let out = dir.path().join("users.jsonl");
    let mut c = batch_cmd(
        &sb,
        &[
            "--json",
            "batch-get",
            "--allow-missing",
            "--concurrency",
            "2",
            "--output",
            out.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        &Opts::default(),
    );
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let (status, peak_kb, stderr) = tokio::task::spawn_blocking(move || wait_with_peak_rss(child))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{:.3000}", stderr);
    let text = common::read(&out);
    let got: Vec<&str> = text
        .lines()
        .map(|l| {
            let start = l.find("\"id\":\"").expect("an id") + 6;
            &l[start..start + l[start..].find('"').unwrap()]
        })
        .collect();
    let want: Vec<&String> = ids.iter().filter(|i| !i.contains("NoSuchUser")).collect();
    assert_eq!(got.len(), want.len());
    assert!(
        got.iter().zip(&want).all(|(a, b)| a == b),
        "not in input order"
    );
    let s = common::summary_of(&stderr, Some("http"));
    assert_eq!(s["id_requests"], 1000);
    assert_eq!(s["requests_saved_by_batching"], 99_000);
    assert_eq!(s["missing"], 80_000);
    assert_eq!(s["missing_ids"].as_array().unwrap().len(), 10_000);
    assert_eq!(s["missing_ids_truncated"], true);
    assert_eq!(stderr.matches("not found: ").count(), 80_000);
    // Holding the output (~33 MB) or the input would show on top of the ~25 MB the binary needs.
    let output_mb = text.len() as u64 / 1_000_000;
    assert!(output_mb > 30, "{output_mb}");
    assert!(
        peak_kb < 45_000,
        "peak RSS {peak_kb} kB for a {output_mb} MB output: not streamed"
    );
    let left: HashSet<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "files left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_password_never_shows_and_stdin_cannot_carry_both_key_and_ids() {
    let sb = sandbox_with(10, "100000/1s").await;
    let env = vec![(
        "CLERK_RL_CACHE",
        "redis://:hunter2@127.0.0.1:1/0".to_string(),
    )];
    let help = run_with(
        &sb,
        &["batch-get", "--help"],
        Opts {
            env: env.clone(),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("CLERK_RL_CACHE"), "{}", help.stdout);
    assert!(
        !help.stdout.contains("hunter2"),
        "clap showed the env value"
    );
    // Unreachable, with a password: the warning names the Redis without it.
    let r = run_with(
        &sb,
        &["batch-get"],
        Opts {
            env,
            stdin: Some(ids_of(10, 1)[0].clone().into_bytes()),
            ..Opts::default()
        },
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("redis://127.0.0.1:1/0"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);

    let r = run(&sb, &["--secret-key-file", "-", "batch-get"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("stdin cannot carry both"), "{}", r.stderr);
}

/// An export-users file (JSON Lines of users) gave "no user ids … nothing fetched" and exit 0:
/// each line's `id` is read now, so an export can be refetched as it is.
#[tokio::test(flavor = "multi_thread")]
async fn batch_get_reads_the_ids_of_an_export_users_file() {
    let sb = sandbox_with(30, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("users.jsonl");
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url()).args([
        "--no-progress",
        "--rate",
        "100000/1s",
        "export-users",
        "--page-size",
        "10",
        "--output",
        export.to_str().unwrap(),
    ]);
    let r = common::bounded(c).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let exported = out_ids(&common::read(&export));
    assert_eq!(exported.len(), 30);
    let r = common::bounded(batch_cmd(
        &sb,
        &["batch-get", export.to_str().unwrap()],
        &Opts::default(),
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(out_ids(&r.stdout), exported);
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
}

/// A binary file, or lines none of which is an id, fetched nothing and exited 0: a script could
/// not tell it from success. It is exit 2 with one line now, before any request.
#[tokio::test(flavor = "multi_thread")]
async fn batch_get_without_one_id_in_the_file_exits_2() {
    let sb = sandbox_with(5, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("blob.bin");
    std::fs::write(
        &binary,
        (0..4096u32)
            .map(|i| (i * 7 % 256) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let objects = dir.path().join("orgs.jsonl");
    std::fs::write(&objects, "{\"name\":\"Acme\"}\n{\"id\":\"org_1\"}\n").unwrap();
    for file in [&binary, &objects] {
        let r = common::bounded(batch_cmd(
            &sb,
            &["batch-get", file.to_str().unwrap()],
            &Opts::default(),
        ))
        .await;
        assert_eq!(r.code, 2, "{}: {}", file.display(), r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("holds a user id"), "{}", r.stderr);
        assert_eq!(r.stdout, "");
    }
    assert!(sb.log().is_empty(), "requests for a file without ids");
}

/// `-q` silences the "not found" lines, yet the last line said "(listed above)" over nothing:
/// under -q it lists the ids itself.
#[tokio::test(flavor = "multi_thread")]
async fn quiet_batch_get_names_the_missing_ids_instead_of_listed_above() {
    let sb = sandbox_with(10, "100000/1s").await;
    let dir = tempfile::tempdir().unwrap();
    let mut ids = ids_of(10, 3);
    ids.push(unknown(1));
    let file = write_ids(dir.path(), "ids.txt", &ids);
    let r = common::bounded(batch_cmd(
        &sb,
        &["-q", "batch-get", file.to_str().unwrap()],
        &Opts::default(),
    ))
    .await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(!r.stderr.contains("listed above"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("1 of 4 ids not found: {}", unknown(1))),
        "{}",
        r.stderr
    );
    let r = common::bounded(batch_cmd(
        &sb,
        &["batch-get", file.to_str().unwrap()],
        &Opts::default(),
    ))
    .await;
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("not found: {}", unknown(1)))
            && r.stderr.contains("(listed above)"),
        "{}",
        r.stderr
    );
}
