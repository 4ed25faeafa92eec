//! Counters of what the HTTP core did, low-budget warnings, and the end-of-run summary.
//!
//! The same counters feed `--metrics-listen` (`crate::metrics::http` reads them on each scrape)
//! and the heartbeat `clerk-rl top` reads: one bookkeeping, three readers. The requests by
//! endpoint and the round trips are kept here as `prometheus-client` families, the one place
//! they are counted.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::pacing::budget::Budget;
use crate::pacing::headers::RateLimitView;
use crate::pacing::pacer::Verdict;
use crate::ui::Ui;

#[derive(Debug)]
pub struct Monitor {
    started: Instant,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    transient: AtomicU64,
    paced: Mutex<WallTime>,
    paused: Mutex<WallTime>,
    lowest: Mutex<Option<(u64, Option<u64>)>>,
    others_seen: AtomicU64,
    others_most: AtomicU64,
    others_waits: AtomicU64,
    others_warned: AtomicBool,
    limit_lowered_to: Mutex<Option<u32>>,
    /// Answers (and tries without one) by method, endpoint template and status class.
    by_endpoint: Family<RequestLabels, Counter>,
    /// Round trips of the tries that got a response, in seconds.
    round_trip: Histogram,
    in_flight: AtomicU64,
    /// The Remaining and Limit of the last response that had them.
    last_view: Mutex<(Option<u64>, Option<u64>)>,
}

/// The labels of a request counted by endpoint: never an id, a key or a query (the endpoint is
/// [`crate::pacing::endpoint_limits::template`]'s).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub endpoint: String,
    /// `2xx`, `3xx`, `4xx`, `5xx`, or `none` when no response came (refused, timed out, cut off).
    pub status_class: &'static str,
}

/// Round-trip buckets (seconds): Clerk answers in tens of milliseconds; a page of 500 users or a
/// struggling server in seconds; --timeout is 30 s by default.
const ROUND_TRIP_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A request under way: counted in flight until dropped (answered, failed or abandoned).
pub struct Flight<'a>(&'a AtomicU64);

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Serialize)]
pub struct Counters {
    pub elapsed_s: f64,
    pub requests: u64,
    pub rate_limited: u64,
    pub retries: u64,
    pub transient_failures: u64,
    /// Wall time during which at least one request waited for the local budget (waits of
    /// requests in flight together count once, so it never exceeds `elapsed_s`).
    pub paced_s: f64,
    /// Wall time during which requests were held because the server said so (Retry-After,
    /// reset), counted the same way.
    pub server_wait_s: f64,
    pub lowest_remaining: Option<u64>,
    pub limit_seen: Option<u64>,
    /// Responses whose Remaining showed requests that were not ours: another client spends
    /// the key.
    pub others_seen: u64,
    /// The most such requests one response showed.
    pub others_most: u64,
    /// Times every request waited for the server's Reset because others had filled its window.
    pub others_waits: u64,
    /// The server's Limit was below the budget: the budget was lowered to it.
    pub limit_lowered_to: Option<u32>,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            transient: AtomicU64::new(0),
            paced: Mutex::new(WallTime::default()),
            paused: Mutex::new(WallTime::default()),
            lowest: Mutex::new(None),
            others_seen: AtomicU64::new(0),
            others_most: AtomicU64::new(0),
            others_waits: AtomicU64::new(0),
            others_warned: AtomicBool::new(false),
            limit_lowered_to: Mutex::new(None),
            by_endpoint: Family::default(),
            round_trip: Histogram::new(ROUND_TRIP_BUCKETS),
            in_flight: AtomicU64::new(0),
            last_view: Mutex::new((None, None)),
        }
    }
}

/// The wall time covered by a set of waits that may overlap: 30 requests in flight that each
/// wait 1 s at once waited 1 s of the run, not 30. Each wait arrives when it ends, as the
/// interval `[end - length, end]`; only what reaches past everything counted so far is added,
/// so the total never exceeds the wall time (a wait reported late, whose start lies before an
/// interval already counted, can be undercounted by that overlap, never overcounted).
#[derive(Debug, Default)]
struct WallTime {
    total: Duration,
    covered_until: Option<Instant>,
}

impl WallTime {
    fn add(&mut self, length: Duration, end: Instant) {
        if length.is_zero() {
            return;
        }
        let start = end.checked_sub(length).unwrap_or(end);
        let from = match self.covered_until {
            Some(c) if c >= end => return,
            Some(c) if c > start => c,
            _ => start,
        };
        self.total += end - from;
        self.covered_until = Some(end);
    }
}

impl Monitor {
    /// A request goes out: counted as sent, and in flight until the returned guard drops.
    pub fn request_sent(&self) -> Flight<'_> {
        self.requests.fetch_add(1, Relaxed);
        self.in_flight.fetch_add(1, Relaxed);
        Flight(&self.in_flight)
    }
    /// A try ended: with the response's status, or `None` when none came.
    pub fn answered(&self, method: &str, path: &str, status: Option<u16>, round_trip: Duration) {
        let status_class = match status {
            Some(200..=299) => "2xx",
            Some(300..=399) => "3xx",
            Some(400..=499) => "4xx",
            Some(500..=599) => "5xx",
            Some(_) => "other",
            None => "none",
        };
        self.by_endpoint
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                endpoint: crate::pacing::endpoint_limits::template(path),
                status_class,
            })
            .inc();
        if status.is_some() {
            self.round_trip.observe(round_trip.as_secs_f64());
        }
    }
    /// The requests by endpoint, for the metrics.
    pub fn by_endpoint(&self) -> &Family<RequestLabels, Counter> {
        &self.by_endpoint
    }
    /// The round trips, for the metrics.
    pub fn round_trip(&self) -> &Histogram {
        &self.round_trip
    }
    /// Requests under way now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }
    /// The Remaining and Limit of the last response that stated them.
    pub fn last_view(&self) -> (Option<u64>, Option<u64>) {
        *self.last_view.lock().expect("monitor lock")
    }
    /// When this run started, as Unix milliseconds.
    pub fn started_unix_ms(&self) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        now.saturating_sub(self.started.elapsed()).as_millis() as u64
    }
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Relaxed);
    }
    pub fn transient(&self) {
        self.transient.fetch_add(1, Relaxed);
    }
    pub fn retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }
    /// A request waited `d` for the budget, ending now.
    pub fn paced(&self, d: Duration) {
        let mut w = self.paced.lock().expect("monitor lock");
        w.add(d, Instant::now());
    }
    /// Requests are held `d` on the server's word, from now (a pause is recorded as it starts).
    pub fn server_wait(&self, d: Duration) {
        let mut w = self.paused.lock().expect("monitor lock");
        let now = Instant::now();
        w.add(d, now + d);
    }

    /// Record a response's rate-limit view (the lowest Remaining, for the summary).
    pub fn observe(&self, view: &RateLimitView) {
        let Some(rem) = view.remaining else { return };
        *self.last_view.lock().expect("monitor lock") = (Some(rem), view.limit);
        let mut low = self.lowest.lock().expect("monitor lock");
        if low.is_none_or(|(r, _)| rem < r) {
            *low = Some((rem, view.limit));
        }
    }

    /// Count what a response's headers meant (see [`crate::pacing::pacer::judge`]); warn once when
    /// someone else spends the key, and once when the server's Limit lowers the budget.
    /// Remaining running low by our own pacing is the plan, not news: no warning for it.
    pub fn verdict(&self, v: &Verdict, ui: &Ui) {
        if let Some(others) = v.others {
            self.others_seen.fetch_add(1, Relaxed);
            self.others_most.fetch_max(others, Relaxed);
            if !self.others_warned.swap(true, Relaxed) {
                ui.warn(&format!(
                    "the server counts {others} request(s) in its window that are not ours: another client uses this key; when it fills the window, every request waits for the server's reset"
                ));
            }
        }
        if v.pause.is_some() && v.others.is_some() {
            self.others_waits.fetch_add(1, Relaxed);
        }
        if let Some(l) = v.lower_limit_to {
            let mut lowered = self.limit_lowered_to.lock().expect("monitor lock");
            if lowered.is_none_or(|was| l < was) {
                if lowered.is_none() {
                    ui.warn(&format!(
                        "the server's limit is {l} requests per window, below the budget: pacing at {l} instead"
                    ));
                }
                *lowered = Some(l);
            }
        }
    }

    pub fn counters(&self) -> Counters {
        let lowest = *self.lowest.lock().expect("monitor lock");
        Counters {
            elapsed_s: self.started.elapsed().as_secs_f64(),
            requests: self.requests.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            retries: self.retries.load(Relaxed),
            transient_failures: self.transient.load(Relaxed),
            paced_s: self.paced.lock().expect("monitor lock").total.as_secs_f64(),
            server_wait_s: self
                .paused
                .lock()
                .expect("monitor lock")
                .total
                .as_secs_f64(),
            lowest_remaining: lowest.map(|(r, _)| r),
            limit_seen: lowest.and_then(|(_, l)| l),
            others_seen: self.others_seen.load(Relaxed),
            others_most: self.others_most.load(Relaxed),
            others_waits: self.others_waits.load(Relaxed),
            limit_lowered_to: *self.limit_lowered_to.lock().expect("monitor lock"),
        }
    }

    /// The end-of-run summary on stderr: a table, or one JSON line with `--json`. `extra` rows
    /// (the command's own figures) come first; their names are the JSON keys (snake_case, as
    /// docs/schema/ describes), shown to people with spaces.
    /// `hints` (for example the budget's headroom) close it, as in `status`.
    pub fn print_summary(
        &self,
        ui: &Ui,
        json: bool,
        budget: &Budget,
        extra: &[(&str, Value)],
        hints: &[String],
    ) {
        ui.finish_progress();
        if ui.is_quiet() {
            return;
        }
        let c = self.counters();
        let rate = if c.elapsed_s > 0.0 {
            c.requests as f64 / c.elapsed_s
        } else {
            0.0
        };
        if json {
            let mut m = Map::new();
            for (k, v) in extra {
                m.insert((*k).to_string(), v.clone());
            }
            let counters = serde_json::to_value(&c).unwrap_or(Value::Null);
            m.insert("http".into(), counters);
            m.insert(
                "budget".into(),
                json!({"limit": budget.rate.limit, "window_s": budget.rate.window.as_secs_f64(), "burst": budget.burst}),
            );
            m.insert("requests_per_s".into(), json!(round2(rate)));
            m.insert("hints".into(), json!(hints));
            eprintln!("{}", Value::Object(m));
            return;
        }
        let mut t = crate::ui::table(crate::ui::Stream::Stderr);
        t.set_header(vec!["summary", ""]);
        for (k, v) in extra {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            t.add_row(vec![k.replace('_', " "), shown]);
        }
        t.add_row(vec!["elapsed".into(), format!("{:.2} s", c.elapsed_s)]);
        t.add_row(vec![
            "requests".into(),
            format!("{} ({rate:.2}/s; budget {})", c.requests, budget.describe()),
        ]);
        t.add_row(vec!["429 responses".into(), c.rate_limited.to_string()]);
        t.add_row(vec![
            "retries".into(),
            format!(
                "{} ({} transient failures)",
                c.retries, c.transient_failures
            ),
        ]);
        t.add_row(vec![
            "waited".into(),
            format!(
                "{:.2} s for the budget, {:.2} s on the server's word",
                c.paced_s, c.server_wait_s
            ),
        ]);
        let lowest = match (c.lowest_remaining, c.limit_seen) {
            (Some(r), Some(l)) => format!("{r} of {l}"),
            (Some(r), None) => r.to_string(),
            _ => "not provided by the server".into(),
        };
        t.add_row(vec!["lowest remaining".into(), lowest]);
        if c.others_seen > 0 {
            t.add_row(vec![
                "others on the key".into(),
                format!(
                    "{} response(s) counted requests not ours (at most {} in one window); waited for the server's reset {} time(s)",
                    c.others_seen, c.others_most, c.others_waits
                ),
            ]);
        }
        if let Some(l) = c.limit_lowered_to {
            t.add_row(vec![
                "budget lowered".into(),
                format!("to the server's limit of {l} per window"),
            ]);
        }
        for h in hints {
            t.add_row(vec!["hint".into(), h.clone()]);
        }
        ui.line(&t.to_string());
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Regression (issue 22): the summary's "waited for the budget" summed the waits of every
    /// request in flight, so 30 streams waiting together reported 30 times the wall time.
    #[test]
    fn waits_of_requests_in_flight_together_count_once() {
        let t0 = Instant::now();
        let mut w = WallTime::default();
        for _ in 0..30 {
            w.add(ms(1000), t0 + ms(1000));
        }
        assert_eq!(w.total, ms(1000));
    }

    #[test]
    fn overlapping_and_separate_waits_add_their_union() {
        let t0 = Instant::now() + ms(10_000);
        let mut w = WallTime::default();
        w.add(ms(100), t0 + ms(100)); // [0, 100]
        w.add(ms(100), t0 + ms(150)); // [50, 150]: 50 more
        w.add(ms(50), t0 + ms(140)); // inside: nothing
        w.add(ms(100), t0 + ms(400)); // [300, 400]: 100 more
        w.add(Duration::ZERO, t0 + ms(500));
        assert_eq!(w.total, ms(250));
    }
}
