//! `clerk-rl api --paginate` over offset pages asked ahead (issue 22): the same output as the
//! walk one page at a time, written in order however the pages come back, every check kept, and
//! the read-ahead past the end of a list with no count bounded by the in-flight count.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clerk_rl::sandbox::Sandbox;
use common::{Run, bounded, cmd, ids, sandbox_with};
use serde_json::Value;

async fn paginate(url: &str, args: &[&str]) -> Run {
    let mut c = cmd();
    c.env("CLERK_API_URL", url).args(args);
    bounded(c).await
}

/// The requests the sandbox logged for `path`, and how many were 429s.
fn logged(sb: &Sandbox, path: &str) -> (usize, usize) {
    let log: Vec<_> = sb.log().into_iter().filter(|e| e.path == path).collect();
    let n429 = log.iter().filter(|e| e.status == 429).count();
    (log.len(), n429)
}

/// The most requests in flight `"up to N in flight (…"` says, from the summary.
fn most_in_flight(summary: &Value) -> usize {
    let s = summary["in_flight"].as_str().unwrap_or_default();
    s.trim_start_matches("up to ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no in-flight count in {summary}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_pages_in_flight_write_exactly_what_the_walk_one_page_at_a_time_writes() {
    // 730 organizations ({data, total_count}, newest first) in pages of 10: 81 pages. 20 ms
    // away, 1000/1s: the budget needs about 26 in flight.
    let sb = sandbox_with(450, "1000/1s", |c| {
        c.organizations = 730;
        c.latency = Duration::from_millis(20);
    })
    .await;
    // {data, total_count}, newest first; the total from the pages.
    let s = same_as_one_at_a_time(
        &sb,
        &["organizations", "--page-size", "10"],
        "/v1/organizations",
        730,
    )
    .await;
    assert_eq!(s["shape"], "{data, total_count}");
    // /v1/users in an order its cursor cannot follow: a plain array by offset, the total from
    // /v1/users/count (asked at the start and the end).
    let s = same_as_one_at_a_time(
        &sb,
        &["users", "-f", "order_by=-updated_at", "--page-size", "20"],
        "/v1/users",
        450,
    )
    .await;
    assert_eq!(s["shape"], "array");
}

/// Walk `args` one page at a time, then with the default in-flight count: the same lines in
/// the same order, `items` of them, more than one page in flight, exactly as many page requests
/// (the total says how many), none past the end, no 429. Returns the second run's summary.
async fn same_as_one_at_a_time(sb: &Sandbox, args: &[&str], path: &str, items: usize) -> Value {
    let base = [
        &["--rate", "1000/1s", "--json", "api", "--paginate"][..],
        args,
    ]
    .concat();
    let one = paginate(&sb.url(), &[&base[..], &["--concurrency", "1"]].concat()).await;
    assert_eq!(one.code, 0, "{}", one.stderr);
    let (sequential, _) = logged(sb, path);
    let many = paginate(&sb.url(), &base).await;
    assert_eq!(many.code, 0, "{}", many.stderr);
    let (total, n429) = logged(sb, path);
    assert_eq!(many.stdout, one.stdout, "the same lines in the same order");
    assert_eq!(ids(&many.stdout).len(), items);
    let s = many.summary();
    assert_eq!(s["paging"], "offset");
    assert_eq!(s["count_checked"], items.to_string());
    assert!(most_in_flight(&s) > 1, "{s}");
    assert_eq!(s["requests_past_the_end"], 0, "{s}");
    assert_eq!(
        total - sequential,
        sequential,
        "as many pages as one at a time: {s}"
    );
    assert_eq!(s["pages"].as_u64().unwrap() as usize, sequential);
    assert_eq!(n429, 0);
    s
}

/// `GET /v1/things`: `items` plain-array items by offset, no count anywhere. The first
/// `slow` pages asked after the first answer late, the earliest latest (so later pages answer
/// first); `fail_at` answers 400 at that offset; `stale_total` answers `{data, total_count}`
/// with that total whatever the list holds (as a total taken before items were added). Counts
/// the requests and the most at once.
struct Things {
    url: String,
    hits: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    /// Offsets in the order their answers left the server.
    answered: Arc<std::sync::Mutex<Vec<usize>>>,
}

async fn things(
    items: usize,
    slow: usize,
    fail_at: Option<usize>,
    stale_total: Option<usize>,
) -> Things {
    let hits = Arc::new(AtomicUsize::new(0));
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (h, m, a) = (Arc::clone(&hits), Arc::clone(&most), Arc::clone(&answered));
    let app = axum::Router::new().route(
        "/v1/things",
        axum::routing::get(move |q: axum::extract::Query<HashMap<String, String>>| {
            let (hits, now, most, answered) = (
                Arc::clone(&h),
                Arc::clone(&now),
                Arc::clone(&m),
                Arc::clone(&a),
            );
            async move {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                let at = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at, Ordering::SeqCst);
                let get = |k: &str, d: usize| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
                let (offset, limit) = (get("offset", 0), get("limit", 10));
                if n >= 1 && n <= slow {
                    tokio::time::sleep(Duration::from_millis(30 * (slow + 1 - n) as u64)).await;
                }
                now.fetch_sub(1, Ordering::SeqCst);
                answered.lock().unwrap().push(offset);
                if fail_at == Some(offset) {
                    return Err((
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(
                            serde_json::json!({"errors": [{"code": "bad", "message": "no"}]}),
                        ),
                    ));
                }
                let page: Vec<_> = (offset..items.min(offset + limit))
                    .map(|i| serde_json::json!({"id": format!("thing_{i:05}"), "created_at": i}))
                    .collect();
                Ok(axum::Json(match stale_total {
                    Some(t) => serde_json::json!({"data": page, "total_count": t}),
                    None => serde_json::json!(page),
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Things {
        url,
        hits,
        most,
        answered,
    }
}

/// `api --paginate things` against `t` in pages of `page`, `concurrency` in flight, with the
/// JSON summary.
async fn walk_things(t: &Things, page: u32, concurrency: &str) -> Run {
    let page = page.to_string();
    paginate(
        &t.url,
        &[
            "--rate",
            "1000/1s",
            "--json",
            "api",
            "--paginate",
            "things",
            "--page-size",
            &page,
            "--concurrency",
            concurrency,
        ],
    )
    .await
}

fn thing_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("thing_{i:05}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_that_answer_out_of_order_are_written_in_order() {
    // 1,000 things in pages of 50 (stride 45): the 8 pages asked after the first answer late,
    // the earliest latest, so the server answers pages 9, 8, .. before page 2.
    let t = things(1000, 8, None, None).await;
    let r = walk_things(&t, 50, "8").await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ids(&r.stdout), thing_ids(1000), "every item once, in order");
    let answered = t.answered.lock().unwrap().clone();
    let first_eight = &answered[1..9];
    assert!(
        first_eight.windows(2).any(|w| w[0] > w[1]),
        "the server answered in order: {answered:?}"
    );
    let most = t.most.load(Ordering::SeqCst);
    assert!((2..=8).contains(&most), "{most} at once");
    // created_at ascends through the file: the order check saw it in order too.
    let s = r.summary();
    // 23 pages, each after the first re-reading 5 of the one before.
    assert_eq!(s["duplicates_dropped"].as_u64(), Some(22 * 5), "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_ahead_past_the_end_of_a_list_with_no_count_is_bounded_by_the_in_flight_count() {
    // No total anywhere: pages are asked ahead open-ended and the first short page ends the
    // walk; what was asked past it is discarded, and counted.
    for (items, cap) in [(1000usize, 8usize), (2000, 16), (455, 4)] {
        let t = things(items, 0, None, None).await;
        let r = walk_things(&t, 100, &cap.to_string()).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(ids(&r.stdout), thing_ids(items));
        let s = r.summary();
        let pages = s["pages"].as_u64().unwrap() as usize;
        // Offsets 0, 90, 180, …: the walk ends at the first page holding fewer than 100.
        assert_eq!(pages, (items - 100) / 90 + 2, "{s}");
        let past = s["requests_past_the_end"].as_u64().unwrap() as usize;
        assert!(
            past <= cap,
            "{past} requests past the end, in flight at most {cap}"
        );
        // Counted as the client sends them: one still connecting when the walk ended is
        // dropped before the server sees it, so the server saw at most that many.
        let hits = t.hits.load(Ordering::SeqCst);
        assert!(
            (pages..=pages + past).contains(&hits),
            "{hits} requests for {pages} pages and {past} past the end: {s}"
        );
        assert_eq!(
            s["http"]["requests"].as_u64().unwrap() as usize,
            pages + past,
            "{s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_on_a_page_read_ahead_fails_the_run_after_the_items_before_it() {
    // Offset 450 (page 6 of pages of 100, stride 90) answers 400: the run ends as one page at a
    // time ends it, with the same exit code and the same items written before it (0..460, the
    // page at 360 included), in order.
    let mut runs = Vec::new();
    for concurrency in ["1", "8"] {
        let t = things(2000, 0, Some(450), None).await;
        let r = walk_things(&t, 100, concurrency).await;
        assert_ne!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("400"), "{}", r.stderr);
        runs.push(r);
    }
    assert_eq!(runs[0].code, runs[1].code);
    assert_eq!(runs[1].stdout, runs[0].stdout);
    assert_eq!(ids(&runs[1].stdout), thing_ids(460));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_that_grew_past_its_total_is_walked_to_its_real_end() {
    // The pages say 400 items; 1,000 are there (added after the total was taken): the plan's
    // last page comes back full, and the walk reads on, open-ended, to the real end.
    let mut outs = Vec::new();
    for concurrency in ["1", "8"] {
        let t = things(1000, 0, None, Some(400)).await;
        let r = walk_things(&t, 100, concurrency).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        let s = r.summary();
        assert!(s["requests_past_the_end"].as_u64().unwrap() <= 8, "{s}");
        outs.push(r.stdout);
    }
    assert_eq!(outs[1], outs[0]);
    assert_eq!(ids(&outs[1]), thing_ids(1000));
}

/// Spawn `c` (stdout and stderr piped), let `act` do its part (read, signal) and say how many
/// pages of organizations the sandbox had logged when it acted, then wait for the end (20 s at
/// most). Returns that count, the exit code and stderr, after checking that the sandbox logged
/// no page since.
async fn act_then_nothing_more(
    sb: Arc<Sandbox>,
    mut c: std::process::Command,
    act: impl FnOnce(&mut std::process::Child, &Sandbox) -> usize + Send + 'static,
) -> (usize, Option<i32>, String) {
    use std::process::Stdio;
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let seen = Arc::clone(&sb);
    let (at, code, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = c.spawn().unwrap();
        let at = act(&mut child, &seen);
        let (status, err) =
            common::bounded::finish_within(&mut child, Duration::from_secs(20), "it kept going");
        (at, status.code(), err)
    })
    .await
    .unwrap();
    // A request sent before the end would be logged by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        logged(&sb, "/v1/organizations").0,
        at,
        "a page sent after it was told to stop: {stderr}"
    );
    (at, code, stderr)
}

/// 2 a second, 8 pages asked ahead, 3,000 organizations in pages of 100: the first two pages
/// go at once, the rest wait for the budget.
fn held_back_walk(sb: &Sandbox) -> std::process::Command {
    let mut c = cmd();
    c.env("CLERK_API_URL", sb.url()).args([
        "--rate",
        "2/1s",
        "api",
        "--paginate",
        "organizations",
        "--page-size",
        "100",
        "--concurrency",
        "8",
    ]);
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_leaves_stops_the_read_ahead_with_nothing_more_sent() {
    use std::io::{BufRead, BufReader};
    // The reader leaves after the first two pages, while the others wait for the budget.
    let sb = Arc::new(sandbox_with(10, "1000/1s", |c| c.organizations = 3000).await);
    let c = held_back_walk(&sb);
    let (at, code, stderr) = act_then_nothing_more(Arc::clone(&sb), c, |child, sb| {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        for _ in 0..190 {
            line.clear();
            out.read_line(&mut line).unwrap();
            assert!(line.starts_with('{'), "{line:?}");
        }
        logged(sb, "/v1/organizations").0
    })
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(at, 2, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_read_ahead_with_nothing_more_sent() {
    let sb = Arc::new(sandbox_with(10, "1000/1s", |c| c.organizations = 3000).await);
    let c = held_back_walk(&sb);
    let (at, code, stderr) = act_then_nothing_more(Arc::clone(&sb), c, |child, sb| {
        // Read everything, so that no write is what holds it.
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let t0 = std::time::Instant::now();
        while logged(sb, "/v1/organizations").0 < 2 && t0.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Both pages are answered; the next ones wait for the budget.
        std::thread::sleep(Duration::from_millis(200));
        let at = logged(sb, "/v1/organizations").0;
        let sent = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        at
    })
    .await;
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert_eq!(at, 2, "{stderr}");
}
