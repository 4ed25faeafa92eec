//! The cache's one conditional write (`user_cache::write`), case by case against a real
//! redis-server: every state a user's keys can be in, every kind of write, the answer and what
//! Redis holds after. The end-to-end races are in tests/webhook.rs; this is the table under them.

use crate::common;

use std::time::Duration;

use clerk_rl::face::{Expiry, Item, Mode, Outcome, write};
use clerk_rl::face::{Redis, parse_url};
use clerk_rl::face::{instance_prefix, tombstone_key, user_key, version_key};
use common::redis_server::RedisServer;

const PREFIX_FP: &str = "00cafe00cafe00ca";
const ID: &str = "user_2table";

fn prefix() -> String {
    instance_prefix(PREFIX_FP)
}

fn user(id: &str, updated_at: i64) -> Vec<u8> {
    format!(r#"{{"id":"{id}","object":"user","created_at":1,"updated_at":{updated_at}}}"#)
        .into_bytes()
}

/// What is in Redis for [`ID`] before a write.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Absent,
    Version(i64),
    Garbage,
    OtherUser(i64),
}

#[derive(Clone, Copy, Debug)]
struct Before {
    entry: Entry,
    marker: Option<i64>,
    tombstone: bool,
}

fn setup(redis: &RedisServer, b: Before) {
    let mut c = redis.conn();
    redis::cmd("FLUSHALL").query::<()>(&mut c).unwrap();
    let p = prefix();
    match b.entry {
        Entry::Absent => {}
        Entry::Version(v) => redis.set(&user_key(&p, ID), &user(ID, v)),
        Entry::Garbage => redis.set(&user_key(&p, ID), b"not json"),
        Entry::OtherUser(v) => redis.set(&user_key(&p, ID), &user("user_2other", v)),
    }
    if let Some(m) = b.marker {
        redis.set(&version_key(&p, ID), m.to_string().as_bytes());
    }
    if b.tombstone {
        redis.set(&tombstone_key(&p, ID), b"1");
    }
}

/// The entry's updated_at after the write (None: no entry; -1: an entry that is not this
/// user's versioned JSON), the marker, the tombstone.
fn after(redis: &RedisServer) -> (Option<i64>, Option<i64>, bool) {
    let p = prefix();
    let entry = redis.get(&user_key(&p, ID)).map(|v| {
        serde_json::from_slice::<serde_json::Value>(&v)
            .ok()
            .filter(|u| u["id"] == ID)
            .and_then(|u| u["updated_at"].as_i64())
            .unwrap_or(-1)
    });
    let marker = redis
        .get(&version_key(&p, ID))
        .map(|v| String::from_utf8(v).unwrap().parse().unwrap());
    (entry, marker, redis.get(&tombstone_key(&p, ID)).is_some())
}

async fn connect(redis: &RedisServer) -> Redis {
    parse_url(&redis.url(), "--cache")
        .unwrap()
        .connect()
        .await
        .unwrap()
}

const EMPTY: Before = Before {
    entry: Entry::Absent,
    marker: None,
    tombstone: false,
};

fn with(entry: Entry, marker: Option<i64>, tombstone: bool) -> Before {
    Before {
        entry,
        marker,
        tombstone,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_and_every_write_answer_as_the_rule_says() {
    use Entry::{Absent, Garbage, OtherUser, Version};
    use Outcome::*;
    let redis = RedisServer::start();
    let conn = connect(&redis).await;
    let line20 = user(ID, 20);
    let unversioned = format!(r#"{{"id":"{ID}","object":"user","created_at":1}}"#).into_bytes();
    let batch_get = Expiry {
        entry: Duration::from_secs(60),
        markers: None,
    };
    let delivery = Expiry {
        entry: Duration::from_secs(60),
        markers: Some(Duration::from_secs(3600)),
    };
    // (state before, mode, version written (None: the payload has none), expiry, answer,
    //  entry / marker / tombstone after)
    type Case = (
        Before,
        Mode,
        Option<i64>,
        Expiry,
        Outcome,
        (Option<i64>, Option<i64>, bool),
    );
    let cases: Vec<Case> = vec![
        // batch-get's write (Put, no marker left).
        (
            EMPTY,
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), None, false),
        ),
        (
            with(Version(10), None, false),
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), None, false),
        ),
        (
            with(Version(20), None, false),
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), None, false),
        ),
        (
            with(Version(30), None, false),
            Mode::Put,
            Some(20),
            batch_get,
            KeptNewer,
            (Some(30), None, false),
        ),
        (
            with(Absent, Some(30), false),
            Mode::Put,
            Some(20),
            batch_get,
            KeptNewer,
            (None, Some(30), false),
        ),
        (
            with(Absent, Some(20), false),
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), Some(20), false),
        ),
        (
            with(Absent, None, true),
            Mode::Put,
            Some(20),
            batch_get,
            Tombstoned,
            (None, None, true),
        ),
        (
            with(Garbage, None, false),
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), None, false),
        ),
        (
            with(OtherUser(99), None, false),
            Mode::Put,
            Some(20),
            batch_get,
            Written,
            (Some(20), None, false),
        ),
        (
            with(Version(10), None, false),
            Mode::Put,
            None,
            batch_get,
            KeptNewer,
            (Some(10), None, false),
        ),
        (
            EMPTY,
            Mode::Put,
            None,
            batch_get,
            Written,
            (Some(-1), None, false),
        ),
        // --prime (Put, leaving a marker).
        (
            with(Version(10), Some(10), false),
            Mode::Put,
            Some(20),
            delivery,
            Written,
            (Some(20), Some(20), false),
        ),
        (
            with(Absent, None, true),
            Mode::Put,
            Some(20),
            delivery,
            Tombstoned,
            (None, None, true),
        ),
        // user.updated without --prime.
        (
            with(Version(10), None, false),
            Mode::Supersede,
            Some(20),
            delivery,
            Dropped(true),
            (None, Some(20), false),
        ),
        (
            EMPTY,
            Mode::Supersede,
            Some(20),
            delivery,
            Dropped(false),
            (None, Some(20), false),
        ),
        (
            with(Version(20), None, false),
            Mode::Supersede,
            Some(20),
            delivery,
            Current,
            (Some(20), Some(20), false),
        ),
        (
            with(Version(30), None, false),
            Mode::Supersede,
            Some(20),
            delivery,
            KeptNewer,
            (Some(30), None, false),
        ),
        (
            with(Absent, Some(30), false),
            Mode::Supersede,
            Some(20),
            delivery,
            KeptNewer,
            (None, Some(30), false),
        ),
        (
            with(Absent, None, true),
            Mode::Supersede,
            Some(20),
            delivery,
            Tombstoned,
            (None, None, true),
        ),
        (
            with(Version(10), None, false),
            Mode::Supersede,
            None,
            delivery,
            Dropped(true),
            (None, None, false),
        ),
        // user.deleted.
        (
            with(Version(10), Some(10), false),
            Mode::Delete,
            None,
            delivery,
            Dropped(true),
            (None, None, true),
        ),
        (
            EMPTY,
            Mode::Delete,
            None,
            delivery,
            Dropped(false),
            (None, None, true),
        ),
        (
            with(Absent, None, true),
            Mode::Delete,
            None,
            delivery,
            Dropped(false),
            (None, None, true),
        ),
    ];
    for (n, (before, mode, version, expiry, answer, state)) in cases.into_iter().enumerate() {
        setup(&redis, before);
        let line: &[u8] = match version {
            Some(20) => &line20,
            Some(v) => panic!("case {n}: no payload for version {v}"),
            None => &unversioned,
        };
        let item = Item {
            id: ID,
            line: if mode == Mode::Put { line } else { b"" },
            updated_at: version,
        };
        let got = write(&conn, &prefix(), None, mode, expiry, &[item])
            .await
            .unwrap();
        let what = format!("case {n}: {before:?} {mode:?} {version:?}");
        assert_eq!(got, vec![answer], "{what}");
        assert_eq!(after(&redis), state, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_never_lose_protection_and_expire_as_configured() {
    let redis = RedisServer::start();
    let conn = connect(&redis).await;
    let p = prefix();
    let short = Expiry {
        entry: Duration::from_secs(60),
        markers: Some(Duration::from_secs(120)),
    };
    // A marker kept for an hour...
    setup(&redis, EMPTY);
    let mut c = redis.conn();
    redis::cmd("SET")
        .arg(version_key(&p, ID))
        .arg("10")
        .arg("PX")
        .arg(3_600_000)
        .query::<()>(&mut c)
        .unwrap();
    // ...is moved to a newer version by a write whose markers live two minutes: the newer
    // version keeps the hour.
    let line = user(ID, 20);
    let item = Item {
        id: ID,
        line: &line,
        updated_at: Some(20),
    };
    let got = write(&conn, &p, None, Mode::Put, short, &[item])
        .await
        .unwrap();
    assert_eq!(got, vec![Outcome::Written]);
    assert_eq!(redis.get(&version_key(&p, ID)).as_deref(), Some(&b"20"[..]));
    let ttl = redis.pttl(&version_key(&p, ID));
    assert!(ttl > 3_500_000, "marker shortened to {ttl} ms");
    let ttl = redis.pttl(&user_key(&p, ID));
    assert!((1..=60_000).contains(&ttl), "entry {ttl} ms");

    // A tombstone lives exactly as long as it is told.
    let item = Item {
        id: ID,
        line: b"",
        updated_at: None,
    };
    write(&conn, &p, None, Mode::Delete, short, &[item])
        .await
        .unwrap();
    let ttl = redis.pttl(&tombstone_key(&p, ID));
    assert!(
        (1..=120_000).contains(&ttl) && ttl > 110_000,
        "tombstone {ttl} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_applied_once_and_many_users_are_answered_in_order() {
    let redis = RedisServer::start();
    let conn = connect(&redis).await;
    let p = prefix();
    let expiry = Expiry {
        entry: Duration::from_secs(60),
        markers: Some(Duration::from_secs(3600)),
    };
    let delivery = format!("{p}webhook:msg_once");
    let item = || Item {
        id: ID,
        line: b"",
        updated_at: Some(5),
    };
    let once = Some((delivery.as_str(), Duration::from_secs(3600)));
    let first = write(&conn, &p, once, Mode::Supersede, expiry, &[item()]).await;
    assert_eq!(first.unwrap(), vec![Outcome::Dropped(false)]);
    // The marker is removed behind its back: a replay must not put it back.
    redis::cmd("DEL")
        .arg(version_key(&p, ID))
        .query::<()>(&mut redis.conn())
        .unwrap();
    let again = write(&conn, &p, once, Mode::Supersede, expiry, &[item()]).await;
    assert_eq!(again.unwrap(), vec![Outcome::Replay]);
    assert_eq!(redis.get(&version_key(&p, ID)), None);

    // 1,200 users (twelve scripts of at most 100, one pipeline): one answer each, in order; every third has a
    // newer version marker and is refused.
    let lines: Vec<Vec<u8>> = (0..1200)
        .map(|i| user(&format!("user_2many{i:05}"), 50))
        .collect();
    put_all_refusing_every(&redis, &conn, &p, &lines, 3).await;
}

/// Writes the users of `lines` (ids `user_2…`, version 50) as batch-get does, every `nth`
/// guarded by a newer version marker first; checks one answer each, in order, and what Redis
/// holds after.
async fn put_all_refusing_every(
    redis: &RedisServer,
    conn: &Redis,
    p: &str,
    lines: &[Vec<u8>],
    nth: usize,
) {
    let ids: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    for id in ids.iter().step_by(nth) {
        redis.set(&version_key(p, id), b"99");
    }
    let items: Vec<Item> = ids
        .iter()
        .zip(lines)
        .map(|(id, line)| Item {
            id,
            line,
            updated_at: Some(50),
        })
        .collect();
    let batch_get = Expiry {
        entry: Duration::from_secs(60),
        markers: None,
    };
    let got = write(conn, p, None, Mode::Put, batch_get, &items)
        .await
        .unwrap();
    assert_eq!(got.len(), lines.len());
    for (i, o) in got.iter().enumerate() {
        let want = if i % nth == 0 {
            Outcome::KeptNewer
        } else {
            Outcome::Written
        };
        assert_eq!(*o, want, "user {i}");
        let kept = redis.get(&user_key(p, &ids[i]));
        assert_eq!(kept.is_some(), i % nth != 0, "user {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_larger_than_one_pipeline_is_written_whole_and_answered_in_order() {
    let redis = RedisServer::start();
    let conn = connect(&redis).await;
    // 3,000 users of about 2 KB: 6 MB, three pipelines at least; every fifth has a newer
    // version marker and is refused.
    let pad = "x".repeat(2000);
    let lines: Vec<Vec<u8>> = (0..3000)
        .map(|i| {
            format!(
                r#"{{"id":"user_2wide{i:05}","object":"user","created_at":1,"updated_at":50,"pad":"{pad}"}}"#
            )
            .into_bytes()
        })
        .collect();
    put_all_refusing_every(&redis, &conn, &prefix(), &lines, 5).await;
}
