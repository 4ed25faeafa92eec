//! Redis Cluster (`redis+cluster://` seed nodes): the user cache and the shared budget against a
//! real 3-node cluster started by the test, a node restarted in the middle of shared exports.

use crate::common;

use std::time::{Duration, Instant};

use clerk_rl::face::SecretKey;
use clerk_rl::face::slot_of;
use clerk_rl::sandbox::Sandbox;
use clerk_rl::sandbox::users::{Generator, user_id};
use common::redis_server::RedisCluster;
use common::{KEY, Run, cmd};

fn fingerprint() -> String {
    SecretKey::new(KEY, "test").unwrap().fingerprint()
}

fn clerk(sb: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url()).args(args);
    c
}

async fn run(sb: &Sandbox, args: &[&str]) -> Run {
    common::bounded::bounded(clerk(sb, args)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_user_cache_on_a_cluster_reads_writes_and_purges_one_instance_slot() {
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let url = cluster.url();
    let sb = common::sandbox_with(300, "100000/1s", |_| {}).await;
    let g = Generator::new(7, 300);
    let ids: Vec<String> = (0..250).map(|i| user_id(7, i, g.created_at(i))).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, ids.join("\n")).unwrap();
    let f = file.to_str().unwrap();

    let cold = run(&sb, &["--json", "batch-get", "--cache", &url, f]).await;
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    let s = common::summary_of(&cold.stderr, Some("http"));
    assert_eq!(s["cache_hits"], 0, "{}", cold.stderr);
    let sent = sb.log().len();
    // Every entry of the instance in one slot (one hash tag), so one MGET reads them all.
    let keys = cluster.keys();
    assert_eq!(keys.len(), 250, "{keys:?}");
    let tag = format!("{{{}}}", fingerprint());
    assert!(keys.iter().all(|k| k.contains(&tag)), "{keys:?}");

    let warm = run(&sb, &["--json", "batch-get", "--cache", &url, f]).await;
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    assert_eq!(
        common::summary_of(&warm.stderr, Some("http"))["cache_hits"],
        250
    );
    assert_eq!(sb.log().len(), sent, "a warm cache sent requests");
    assert_eq!(warm.stdout, cold.stdout);

    let purge = run(&sb, &["cache", "purge", "--all", "--cache", &url]).await;
    assert_eq!(purge.code, 0, "{}", purge.stderr);
    assert!(purge.stdout.contains("250"), "{}", purge.stdout);
    assert!(cluster.keys().is_empty(), "{:?}", cluster.keys());
}

fn export(sb: &Sandbox, url: &str, out: &std::path::Path) -> tokio::task::JoinHandle<Run> {
    let mut c = clerk(
        sb,
        &["--rate", "40/1s", "export-users", "--page-size", "20"],
    );
    c.env("CLERK_RL_BUDGET_STORE", url)
        .args(["--concurrency", "1", "--output"])
        .arg(out);
    tokio::task::spawn_blocking(move || common::bounded::bounded_sync(c))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_budget_on_a_cluster_survives_a_node_restart_mid_export() {
    let mut cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let url = cluster.url();
    let sb = common::sandbox_with(1000, "40/1s", |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<_> = (0..4)
        .map(|i| dir.path().join(format!("{i}.jsonl")))
        .collect();
    let mut running: Vec<_> = outs[..3].iter().map(|o| export(&sb, &url, o)).collect();
    let t0 = Instant::now();
    while sb.log().len() < 60 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The node holding the budget's slot goes down for a second and comes back empty; a new
    // export starts as soon as the cluster is ok again.
    let owner = cluster.owner(slot_of(&fingerprint()));
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart(owner, Duration::from_secs(1));
        cluster
    })
    .await
    .unwrap();
    running.push(export(&sb, &url, &outs[3]));
    let mut runs = Vec::new();
    for h in running {
        runs.push(h.await.unwrap());
    }
    let want = common::all_ids(&sb).await;
    for (o, r) in outs.iter().zip(&runs) {
        assert_eq!(r.code, 0, "{}", r.stderr);
        common::assert_exact(&common::parse_export(&common::read(o)), &want);
    }
    let stderr: Vec<&str> = runs.iter().map(|r| r.stderr.as_str()).collect();
    for r in &runs[..3] {
        // Lost with the node, each paced alone, then found the budget's node again.
        assert!(
            r.stderr.contains("pacing locally") && r.stderr.contains("answers again"),
            "{}",
            r.stderr
        );
    }
    let n429 = sb.log().iter().filter(|e| e.status == 429).count();
    assert_eq!(n429, 0, "429s; stderr:\n{}", stderr.join("\n---\n"));
    let fullest = crate::shared_budget::fullest_window(&sb, KEY, 1.0);
    assert!(
        fullest <= 40,
        "{fullest} requests in one second (budget 40)"
    );
    // The budget lives in one slot again, on the restarted node.
    let keys = cluster.keys();
    let tag = format!("clerk-rl:{{{}}}:", fingerprint());
    assert!(
        keys.iter()
            .any(|k| k.starts_with(&tag) && k.ends_with("epoch")),
        "{keys:?}"
    );
}
