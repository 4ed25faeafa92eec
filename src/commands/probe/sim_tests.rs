//! The real driver and inference against the sandbox's own limiter, on tokio's paused clock:
//! exact, instant, and free of scheduling noise. The loopback tests in tests/probe.rs do the
//! same over HTTP with the real binary.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::driver::{Bounds, Driver, Ended, InFlight, Outcome, Transport};
use super::infer::{self, Algorithm, Sample, Verdict};
use super::report::recommend;
use crate::http::RateLimitView;
use crate::pacing::budget::{Budget, Plan, Rate};
use crate::sandbox::limiter::{Limiter, rate_limit_headers, retry_after_header};
use crate::sandbox::{self, HeaderStyle, RetryAfterStyle};

struct Sim {
    limiter: Mutex<Limiter>,
    /// The limiter's clock runs this far ahead of the probe's (a fixed window's phase).
    offset: Duration,
    start: tokio::time::Instant,
    latency: Duration,
    style: HeaderStyle,
}

impl Transport for Sim {
    async fn send(&self) -> anyhow::Result<Outcome> {
        tokio::time::sleep(self.latency / 2).await;
        let now = self.start.elapsed() + self.offset;
        let d = self.limiter.lock().unwrap().check("k", now);
        tokio::time::sleep(self.latency / 2).await;
        let mut h = HeaderMap::new();
        for (k, v) in rate_limit_headers(self.style, &d) {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(&v).unwrap(),
            );
        }
        if !d.allowed
            && let Some(v) =
                retry_after_header(RetryAfterStyle::Seconds, d.retry_after, SystemTime::now())
        {
            h.insert("retry-after", HeaderValue::from_str(&v).unwrap());
        }
        Ok(Outcome {
            status: if d.allowed { 200 } else { 429 },
            view: RateLimitView::from_headers(&h, SystemTime::now()),
        })
    }
}

async fn probe(
    alg: sandbox::Algorithm,
    rate: &str,
    burst: Option<u32>,
    offset_ms: u64,
    style: HeaderStyle,
) -> (infer::Inference, Vec<Sample>) {
    probe_with(alg, rate, burst, offset_ms, style, false).await
}

async fn probe_with(
    alg: sandbox::Algorithm,
    rate: &str,
    burst: Option<u32>,
    offset_ms: u64,
    style: HeaderStyle,
    honor_retry_after: bool,
) -> (infer::Inference, Vec<Sample>) {
    let rate: Rate = rate.parse().unwrap();
    let budget = Budget::new(Plan::Free, Some(rate), burst);
    let sim = Sim {
        limiter: Mutex::new(Limiter::new(&budget, alg, None)),
        offset: Duration::from_millis(offset_ms),
        start: tokio::time::Instant::now(),
        latency: Duration::from_millis(2),
        style,
    };
    let samples = Arc::new(Mutex::new(Vec::new()));
    let bounds = Bounds {
        max_requests: 1000,
        max_duration: Duration::from_secs(600),
        concurrency: 128,
        target_per_s: rate.per_second(),
        target_window: rate.window,
        grow: false,
        honor_retry_after,
    };
    let mut d = Driver::new(sim, bounds, Arc::clone(&samples));
    d.burst_mode().await.unwrap();
    let samples = samples.lock().unwrap().clone();
    let hw = samples.iter().find_map(|s| s.view.window);
    (infer::infer(&samples, hw), samples)
}

fn within(got: f64, want: f64, share: f64) -> bool {
    (got - want).abs() <= want * share
}

/// The recommended flags never ask for more than the server allows: the rate at most the true
/// one, the burst at most the true capacity. Returns what is wrong, if anything.
fn unsafe_advice(inf: &infer::Inference, truth: &str, capacity: Option<u32>) -> Option<String> {
    let truth: Rate = truth.parse().unwrap();
    let rec = recommend(inf)?;
    let r: Rate = rec.rate.parse().unwrap();
    if r.per_second() > truth.per_second() * (1.0 + 1e-9) {
        return Some(format!("{} is faster than {truth}", rec.flags));
    }
    match (rec.burst, capacity) {
        (Some(b), Some(c)) if b > c as u64 => {
            Some(format!("{}: burst above the capacity {c}", rec.flags))
        }
        (Some(_), None) => Some(format!("{}: a burst for a window", rec.flags)),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn infers_fixed_and_sliding_windows_at_any_phase() {
    for alg in [sandbox::Algorithm::Fixed, sandbox::Algorithm::Sliding] {
        for (rate, n, w) in [
            ("10/1s", 10, 1.0),
            ("20/2s", 20, 2.0),
            ("5/500ms", 5, 0.5),
            ("100/10s", 100, 10.0),
        ] {
            // Where in the fixed window the probe starts: just after a boundary, the middle,
            // just before one.
            for phase in [0.001, 0.01, 0.3, 0.5, 0.97, 0.999] {
                let off = (w * 1000.0 * phase) as u64;
                let (inf, samples) = probe(alg, rate, None, off, HeaderStyle::None).await;
                let ctx = format!("{alg:?} {rate} phase {phase}: {inf:#?}");
                let want = if alg == sandbox::Algorithm::Fixed {
                    Algorithm::Fixed
                } else {
                    Algorithm::Sliding
                };
                assert_eq!(inf.algorithm, Some(want), "{ctx}");
                assert_eq!(inf.verdict, Verdict::Inferred, "{ctx}");
                assert!(within(inf.limit.unwrap() as f64, n as f64, 0.05), "{ctx}");
                assert!(within(inf.window_s.unwrap(), w, 0.10), "{ctx}");
                assert_eq!(unsafe_advice(&inf, rate, None), None, "{ctx}");
                let took = samples
                    .iter()
                    .map(|s| s.received.as_secs_f64())
                    .fold(0.0, f64::max);
                assert!(took < 3.0 * w, "took {took} s: {ctx}");
            }
        }
    }
}

/// With --honor-retry-after nothing is sent while a Retry-After runs (whole seconds, as Clerk
/// sends them): N and the algorithm are still found at Clerk's 10 s windows; W only to the
/// resolution of the Retry-After values (not asserted).
#[tokio::test(start_paused = true)]
async fn honoring_retry_after_still_finds_n_and_the_algorithm() {
    for alg in [sandbox::Algorithm::Fixed, sandbox::Algorithm::Sliding] {
        for (rate, n, w) in [("20/10s", 20, 10.0), ("100/10s", 100, 10.0)] {
            for phase in [0.01, 0.5, 0.97] {
                let off = (w * 1000.0 * phase) as u64;
                let (inf, samples) =
                    probe_with(alg, rate, None, off, HeaderStyle::None, true).await;
                let ctx = format!("{alg:?} {rate} phase {phase}: {inf:#?}");
                // Nothing left after a 429 came back and before its Retry-After ran out.
                for l in samples.iter().filter(|s| s.limited()) {
                    let Some(ra) = l.view.retry_after else {
                        continue;
                    };
                    let early = samples
                        .iter()
                        .find(|s| s.sent > l.received && s.sent < l.received + ra);
                    assert!(early.is_none(), "sent during a wait: {early:?} {ctx}");
                }
                assert!(within(inf.limit.unwrap() as f64, n as f64, 0.05), "{ctx}");
                let want = if alg == sandbox::Algorithm::Fixed {
                    Algorithm::Fixed
                } else {
                    Algorithm::Sliding
                };
                assert_eq!(inf.algorithm, Some(want), "{ctx}");
                assert!(
                    inf.window_s.is_some_and(|x| x > 0.0 && x < 3.0 * w),
                    "{ctx}"
                );
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn infers_token_buckets() {
    for (rate, burst) in [("4/1s", 8), ("20/10s", 40), ("10/1s", 10), ("2/1s", 5)] {
        let r: Rate = rate.parse().unwrap();
        let (inf, samples) = probe(
            sandbox::Algorithm::Bucket,
            rate,
            Some(burst),
            0,
            HeaderStyle::None,
        )
        .await;
        let ctx = format!("bucket {rate} burst {burst}: {inf:#?}");
        assert_eq!(inf.algorithm, Some(Algorithm::Bucket), "{ctx}");
        assert!(
            within(inf.rate_per_s.unwrap(), r.per_second(), 0.05),
            "{ctx}"
        );
        assert!(
            within(inf.capacity.unwrap() as f64, burst as f64, 0.05),
            "{ctx}"
        );
        assert_eq!(unsafe_advice(&inf, rate, Some(burst)), None, "{ctx}");
        let took = samples
            .iter()
            .map(|s| s.received.as_secs_f64())
            .fold(0.0, f64::max);
        let w = r.window.as_secs_f64().max(burst as f64 / r.per_second());
        assert!(took < 3.0 * w, "took {took} s: {ctx}");
    }
}

#[tokio::test(start_paused = true)]
async fn bucket_takes_its_window_from_the_ietf_policy() {
    let (inf, _) = probe(
        sandbox::Algorithm::Bucket,
        "4/1s",
        Some(8),
        0,
        HeaderStyle::Ietf,
    )
    .await;
    assert_eq!(inf.algorithm, Some(Algorithm::Bucket));
    assert_eq!(inf.limit, Some(4));
    assert!(within(inf.window_s.unwrap(), 1.0, 0.1), "{inf:#?}");
}

/// One burst-mode probe of a limiter at `latency` (round trip), its fixed window `offset_ms`
/// ahead, with the default bounds at this limit: 3x it in requests, 60 s.
async fn probe_at(
    alg: sandbox::Algorithm,
    rate: &str,
    latency_ms: u64,
    offset_ms: u64,
) -> (infer::Inference, Vec<Sample>) {
    probe_honouring(alg, rate, latency_ms, offset_ms, false).await
}

async fn probe_honouring(
    alg: sandbox::Algorithm,
    rate: &str,
    latency_ms: u64,
    offset_ms: u64,
    honor_retry_after: bool,
) -> (infer::Inference, Vec<Sample>) {
    let r: Rate = rate.parse().unwrap();
    // A bucket holds as much as the limit (Clerk-like: capacity N, refilled N per W).
    let burst = (alg == sandbox::Algorithm::Bucket).then_some(r.limit);
    let budget = Budget::new(Plan::Free, Some(r), burst);
    let sim = Sim {
        limiter: Mutex::new(Limiter::new(&budget, alg, None)),
        offset: Duration::from_millis(offset_ms),
        start: tokio::time::Instant::now(),
        latency: Duration::from_millis(latency_ms),
        style: HeaderStyle::None,
    };
    let samples = Arc::new(Mutex::new(Vec::new()));
    let bounds = Bounds {
        max_requests: 3 * r.limit as u64,
        max_duration: Duration::from_secs(60),
        concurrency: 128,
        target_per_s: r.per_second(),
        target_window: r.window,
        grow: false,
        honor_retry_after,
    };
    let mut d = Driver::new(sim, bounds, Arc::clone(&samples));
    d.burst_mode().await.unwrap();
    let samples = samples.lock().unwrap().clone();
    (infer::infer(&samples, None), samples)
}

/// Issue 18's targets at Clerk's documented limits, no rate-limit headers, 0/50/150 ms round
/// trips: N within 2%, W within 5%, the algorithm right or the verdict tentative, at most 3x
/// the limit in requests and 3 windows in time. A bucket's N is its capacity, W capacity/rate.
#[tokio::test(start_paused = true)]
async fn meets_the_accuracy_targets_at_clerks_limits() {
    let mut failures = Vec::new();
    for rate in ["100/10s", "1000/10s"] {
        let r: Rate = rate.parse().unwrap();
        let (n, w) = (r.limit as f64, r.window.as_secs_f64());
        for alg in [
            sandbox::Algorithm::Fixed,
            sandbox::Algorithm::Sliding,
            sandbox::Algorithm::Bucket,
        ] {
            for lat in [0, 50, 150] {
                for off in [3300, 9900] {
                    let (inf, samples) = probe_at(alg, rate, lat, off).await;
                    let took = samples
                        .iter()
                        .map(|s| s.received.as_secs_f64())
                        .fold(0.0, f64::max);
                    let (got_n, got_w) = if alg == sandbox::Algorithm::Bucket {
                        let c = inf.capacity.map(|c| c as f64);
                        (c, c.zip(inf.rate_per_s).map(|(c, r)| c / r))
                    } else {
                        (inf.limit.map(|x| x as f64), inf.window_s)
                    };
                    let want = match alg {
                        sandbox::Algorithm::Fixed => Algorithm::Fixed,
                        sandbox::Algorithm::Sliding => Algorithm::Sliding,
                        sandbox::Algorithm::Bucket => Algorithm::Bucket,
                    };
                    let capacity = (alg == sandbox::Algorithm::Bucket).then_some(r.limit);
                    let advice = unsafe_advice(&inf, rate, capacity);
                    let ok = advice.is_none()
                        && got_n.is_some_and(|x| within(x, n, 0.02))
                        && got_w.is_some_and(|x| within(x, w, 0.05))
                        && (inf.algorithm == Some(want) || inf.verdict != Verdict::Inferred)
                        && samples.len() as f64 <= 3.0 * n
                        && took <= 3.0 * w;
                    let line = format!(
                        "{alg:?} {rate} lat {lat} off {off}: {} req, {took:.1} s -> {:?} {:?} N {got_n:?} W {got_w:?} use {:?} {advice:?}",
                        samples.len(),
                        inf.verdict,
                        inf.algorithm,
                        recommend(&inf).map(|r| r.flags),
                    );
                    eprintln!("{line}");
                    if !ok {
                        failures.push(line);
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The production case: 300/10s over a 150 ms round trip. Four in flight reach only
/// 27 requests/s, which can never outrun 30/s: the driver says so after one request instead of
/// spending its budget. Left to choose, it keeps enough in flight for twice the rate.
#[tokio::test(start_paused = true)]
async fn a_burst_that_cannot_outrun_the_limit_stops_after_one_request() {
    let rate: Rate = "300/10s".parse().unwrap();
    let budget = Budget::new(Plan::Free, Some(rate), None);
    for (cap, want_end) in [(4, Ended::Unreachable), (128, Ended::Done)] {
        let sim = Sim {
            limiter: Mutex::new(Limiter::new(&budget, sandbox::Algorithm::Sliding, None)),
            offset: Duration::ZERO,
            start: tokio::time::Instant::now(),
            latency: Duration::from_millis(150),
            style: HeaderStyle::None,
        };
        let samples = Arc::new(Mutex::new(Vec::new()));
        let bounds = Bounds {
            max_requests: 900,
            max_duration: Duration::from_secs(60),
            concurrency: cap,
            target_per_s: rate.per_second(),
            target_window: rate.window,
            grow: false,
            honor_retry_after: false,
        };
        let mut d = Driver::new(sim, bounds, Arc::clone(&samples));
        let chosen = Arc::clone(&d.chosen);
        let ended = d.burst_mode().await.unwrap();
        let c = chosen.lock().unwrap().unwrap();
        let n = samples.lock().unwrap().len();
        assert_eq!(ended, want_end, "cap {cap}: {c:?}, {n} sent");
        if want_end == Ended::Unreachable {
            assert_eq!(n, 1);
            assert!(
                c.hopeless() && c.describe().contains("--concurrency"),
                "{c:?}"
            );
        } else {
            assert!(c.reachable_per_s >= 2.0 * rate.per_second(), "{c:?}");
            assert!(c.chosen < cap, "{c:?}");
            let inf = infer::infer(&samples.lock().unwrap(), None);
            assert_eq!(inf.limit, Some(300), "{inf:#?}");
        }
    }
}

#[test]
fn in_flight_follows_the_round_trip_and_the_limit() {
    let ms = Duration::from_millis;
    // 1000/10s: twice 100/s over 150 ms, a quarter more for slack.
    assert_eq!(InFlight::choose(ms(150), 100.0, 128).chosen, 39);
    assert_eq!(InFlight::choose(ms(50), 100.0, 128).chosen, 14);
    // Loopback: at least 4.
    assert_eq!(InFlight::choose(ms(0), 100.0, 128).chosen, 4);
    // Capped, and then short of twice the rate but not hopeless.
    let c = InFlight::choose(ms(150), 100.0, 20);
    assert_eq!(c.chosen, 20);
    assert!(c.short() && !c.hopeless(), "{c:?}");
}

/// A production key's defaults (honour every Retry-After) at its documented 1000/10s over a
/// 150 ms link: N still within 2%, the algorithm right or the verdict tentative, within 3x the
/// limit, and advice that never exceeds the server's. W only to the Retry-After's whole
/// seconds, so not held to 5% here.
#[tokio::test(start_paused = true)]
async fn a_production_probe_honouring_retry_after_stays_right_and_safe() {
    for alg in [
        sandbox::Algorithm::Fixed,
        sandbox::Algorithm::Sliding,
        sandbox::Algorithm::Bucket,
    ] {
        let (inf, samples) = probe_honouring(alg, "1000/10s", 150, 3300, true).await;
        let ctx = format!("{alg:?}: {} requests, {inf:#?}", samples.len());
        let n = if alg == sandbox::Algorithm::Bucket {
            inf.capacity
        } else {
            inf.limit
        };
        assert!(n.is_some_and(|n| within(n as f64, 1000.0, 0.02)), "{ctx}");
        let want = match alg {
            sandbox::Algorithm::Fixed => Algorithm::Fixed,
            sandbox::Algorithm::Sliding => Algorithm::Sliding,
            sandbox::Algorithm::Bucket => Algorithm::Bucket,
        };
        assert!(
            inf.algorithm == Some(want) || inf.verdict != Verdict::Inferred,
            "{ctx}"
        );
        assert!(samples.len() <= 3000, "{ctx}");
        let cap = (alg == sandbox::Algorithm::Bucket).then_some(1000);
        assert_eq!(unsafe_advice(&inf, "1000/10s", cap), None, "{ctx}");
    }
}

/// Issue 22: a key at 3x or 10x the documented 100/10s, 150 ms away, probed without
/// `--expect`. The documented limit gives 5 in flight (27 requests/s): below 30/s it never
/// reached a 429 and reported `no_limit_reached`. Slow start (one more in flight per accepted
/// response) reaches the limit and the usual protocol measures it: N within 2%, W within 2%.
async fn slow_start_probe(
    alg: sandbox::Algorithm,
    rate: &str,
    grow: bool,
    offset_ms: u64,
) -> (infer::Inference, Vec<Sample>, InFlight, Ended) {
    let r: Rate = rate.parse().unwrap();
    let documented: Rate = "100/10s".parse().unwrap();
    let burst = (alg == sandbox::Algorithm::Bucket).then_some(r.limit);
    let budget = Budget::new(Plan::Free, Some(r), burst);
    let sim = Sim {
        limiter: Mutex::new(Limiter::new(&budget, alg, None)),
        offset: Duration::from_millis(offset_ms),
        start: tokio::time::Instant::now(),
        latency: Duration::from_millis(150),
        style: HeaderStyle::None,
    };
    let samples = Arc::new(Mutex::new(Vec::new()));
    let bounds = Bounds {
        max_requests: 3 * r.limit as u64,
        max_duration: Duration::from_secs(60),
        concurrency: 128,
        target_per_s: documented.per_second(),
        target_window: documented.window,
        grow,
        honor_retry_after: false,
    };
    let mut d = Driver::new(sim, bounds, Arc::clone(&samples));
    let chosen = Arc::clone(&d.chosen);
    let ended = d.burst_mode().await.unwrap();
    let samples = samples.lock().unwrap().clone();
    let c = chosen.lock().unwrap().unwrap();
    (infer::infer(&samples, None), samples, c, ended)
}

#[tokio::test(start_paused = true)]
async fn probe_without_expect_finds_a_limit_3x_and_10x_the_documented_one() {
    let mut failures = Vec::new();
    for rate in ["300/10s", "3000/10s"] {
        let r: Rate = rate.parse().unwrap();
        let (n, w) = (r.limit as f64, r.window.as_secs_f64());
        for alg in [sandbox::Algorithm::Fixed, sandbox::Algorithm::Sliding] {
            for off in [3300, 9900] {
                let (inf, samples, c, ended) = slow_start_probe(alg, rate, true, off).await;
                let ok_n = inf.limit.is_some_and(|l| (l as f64 - n).abs() <= 0.02 * n);
                let ok_w = inf.window_s.is_some_and(|x| (x - w).abs() <= 0.02 * w);
                let ok_grew = c.grown_to.is_some_and(|g| g > c.chosen)
                    && c.growth_stopped
                        .is_some_and(|s| s.starts_with("the first 429"));
                if !(ok_n && ok_w && ok_grew && ended == Ended::Done) {
                    failures.push(format!(
                        "{alg:?} {rate} offset {off}: {ended:?}, {} sent, N {:?} W {:?} verdict {:?}; {}",
                        samples.len(),
                        inf.limit,
                        inf.window_s,
                        inf.verdict,
                        c.describe()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A 10x key without slow start is never limited (5 in flight over 150 ms send 33/s, under
/// 100/s): what the test above guards against.
#[tokio::test(start_paused = true)]
async fn without_slow_start_a_10x_key_is_never_limited() {
    let (inf, _, c, ended) =
        slow_start_probe(sandbox::Algorithm::Sliding, "1000/10s", false, 0).await;
    assert_eq!(ended, Ended::Bounds, "{c:?}");
    assert_eq!(inf.verdict, Verdict::NoLimitReached);
    assert!(c.grown_to.is_none(), "{c:?}");
}
