//! How many requests a command keeps in flight: as many as the budget needs, no more.
//!
//! The pacer decides *when* a request may go; this decides *how many* may be under way, so the
//! pacer, not a missing stream, is what holds the rate. By Little's law the count the budget
//! needs is rate x round trip (production: 100/s x 0.3 s = 30), measured as the run goes: the
//! smoothed round trip of the answers (the server's own time included), with a margin for
//! jitter. Fewer leaves the budget unused; more only waits in the pacer, holding memory.
//!
//! A server can be the limit instead of the budget: one that serves K at once queues the rest,
//! and its answers then slow down as more are in flight. When the smoothed round trip grows
//! well past the least one seen while several are in flight, the count is held near the
//! server's own capacity (in flight x least / smoothed) and the summary says so. When rate x
//! round trip is past the cap (a budget that does not bind), nothing but the server will hold
//! the count: it starts at 8 and doubles once a round trip, as TCP's slow start does, so the
//! server's queue shows before the count overshoots it.
//!
//! [`InFlightCore`] is the decision, fed one sample at a time (no clock: exact tests);
//! [`InFlight`] shares it between the workers of one command and ends their waits at once when
//! the command stops (the reader of stdout left, an error).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Head room over rate x round trip, for jitter and for the requests the pacer holds back.
const MARGIN: f64 = 1.25;
/// How much slower than the least round trip the answers must be to say the server queues.
const QUEUEING: f64 = 1.5;
/// Below this difference, slower answers are noise, not a queue (loopback, tiny latencies).
const QUEUE_FLOOR: f64 = 0.005;
/// Weight of a new sample in the smoothed round trip.
const ALPHA: f64 = 0.2;
/// Before the first answer: a few at once, enough to learn the round trip quickly.
const FIRST: usize = 2;
/// Where a count whose budget is out of reach starts (rate x round trip is past the cap: a
/// budget that does not bind, or a path too long for the cap). The server, not the budget,
/// will be the limit then, and nothing says how many it serves at once: the count doubles
/// once a round trip from here, as TCP's slow start does, so the server's queue shows before
/// the count overshoots it. Started at the cap, 64 pages of 500 users went out at once to a
/// server that served a few, each holding a body: 49-63 MB where 8 MB was needed.
const OUT_OF_REACH_START: usize = 8;
/// Answers after a cut for the server before judging it: a queue's answers get faster when
/// fewer are in flight; a path that got slower as a whole does not, and then the least round
/// trip (which made it look like a queue) is forgotten.
const JUDGE_CUT: u64 = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct InFlightCore {
    /// The budget's rate, requests per second.
    rate: f64,
    /// The most ever allowed (`--concurrency`, or the command's default cap).
    cap: usize,
    /// `--concurrency N` given: exactly N, whatever is measured.
    fixed: bool,
    limit: usize,
    srtt: Option<f64>,
    /// The least round trip of the run: the server's time with nothing queued. Forgotten only
    /// when a cut shows that the path itself got slower.
    least: Option<f64>,
    /// The most the limit ever was.
    peak: usize,
    /// Set when the server, not the budget, held the count: (least, smoothed) round trip.
    server_bound: Option<(f64, f64)>,
    samples: u64,
    /// The last cut for the server, to be judged: (count before, smoothed round trip then,
    /// answers seen then).
    cut: Option<(usize, f64, u64)>,
    /// Answers since the count last grew (once the server was the limit, it grows by one a
    /// round trip, so it stays near the server's capacity instead of swinging around it).
    since_growth: usize,
}

impl InFlightCore {
    /// Chosen from the round trip, up to `cap`, for a budget of `rate` requests per second.
    pub fn auto(rate: f64, cap: usize) -> Self {
        let cap = cap.max(1);
        InFlightCore {
            rate,
            cap,
            fixed: false,
            limit: FIRST.min(cap),
            srtt: None,
            least: None,
            peak: FIRST.min(cap),
            server_bound: None,
            samples: 0,
            cut: None,
            since_growth: 0,
        }
    }

    /// Exactly `n` (`--concurrency N`).
    pub fn fixed(n: usize) -> Self {
        let n = n.max(1);
        InFlightCore {
            fixed: true,
            limit: n,
            peak: n,
            ..InFlightCore::auto(0.0, n)
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Start from one measured round trip at once (no doubling from two): for a command that
    /// plans its work around the count before it runs, as an export splits its range.
    pub fn warmed(mut self, rtt: Duration) -> Self {
        if self.fixed {
            return self;
        }
        let rtt = rtt.as_secs_f64();
        self.srtt = Some(rtt);
        self.least = Some(rtt);
        self.samples = 1;
        self.limit = if self.out_of_reach() {
            OUT_OF_REACH_START.min(self.cap)
        } else {
            self.needed().unwrap_or(FIRST).clamp(1, self.cap)
        };
        self.peak = self.peak.max(self.limit);
        self
    }

    /// The count the run is planned for: what rate x round trip needs, up to the cap, which a
    /// budget out of reach starts below and grows to (see [`OUT_OF_REACH_START`]).
    /// (`--concurrency N`: its N, which is both the cap and the count.)
    pub fn planned(&self) -> usize {
        self.needed()
            .map_or(self.limit, |n| n.clamp(1, self.cap))
            .max(self.limit)
    }

    /// Rate x round trip is past the cap: the budget cannot bind, whatever is in flight.
    fn out_of_reach(&self) -> bool {
        self.needed().is_some_and(|n| n > self.cap)
    }

    /// Start with `n` in flight before any answer is seen, for a command whose first requests
    /// are its critical path (a batch starts every resource's chain at once: a user's 20th
    /// update is 19 round trips after its first). The pacer, not the count, holds the rate;
    /// the first answers set the count as usual, and a server that serves fewer at once still
    /// answers its first ones unqueued, so its least round trip is still seen.
    pub fn starting(mut self, n: usize) -> Self {
        if !self.fixed {
            self.limit = n.clamp(1, self.cap);
            self.peak = self.peak.max(self.limit);
        }
        self
    }

    #[cfg(test)]
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// (least, smoothed) round trip when the server's capacity held the count.
    #[cfg(test)]
    pub fn server_bound(&self) -> Option<(Duration, Duration)> {
        self.server_bound
            .map(|(a, b)| (Duration::from_secs_f64(a), Duration::from_secs_f64(b)))
    }

    fn least(&self) -> Option<f64> {
        self.least
    }

    /// What rate x round trip asks for, with the margin, at the smoothed round trip.
    pub fn needed(&self) -> Option<usize> {
        // One stream that outruns the budget by the margin is all it takes; beyond that, one
        // more than rate x round trip so that a late answer leaves no gap.
        self.srtt.map(|rtt| match self.rate * rtt * MARGIN {
            x if x <= 1.0 => 1,
            x => x.ceil() as usize + 1,
        })
    }

    /// An answer took `rtt` on the wire, with `in_flight` requests under way (itself included).
    /// Returns true when the limit changed.
    pub fn observe(&mut self, rtt: Duration, in_flight: usize) -> bool {
        let rtt = rtt.as_secs_f64();
        self.samples += 1;
        self.srtt = Some(match self.srtt {
            None => rtt,
            Some(s) => s + ALPHA * (rtt - s),
        });
        self.least = Some(self.least.map_or(rtt, |l| l.min(rtt)));
        if self.fixed {
            return false;
        }
        let srtt = self.srtt.unwrap_or(rtt);
        let least = self.least().unwrap_or(rtt);
        let mut want = self.needed().unwrap_or(FIRST);
        let queueing = in_flight >= 3
            && self.samples >= 8
            && srtt > least * QUEUEING
            && srtt - least > QUEUE_FLOOR;
        if let Some((before, srtt_then, at)) = self.cut
            && self.samples >= at + JUDGE_CUT
        {
            self.cut = None;
            if in_flight * 4 <= before * 3 && srtt >= srtt_then * 0.9 {
                // Fewer in flight, answers as slow: no queue, the path is slower.
                self.server_bound = None;
                self.least = Some(srtt);
                return self.set(self.needed().unwrap_or(FIRST));
            }
        }
        if queueing {
            // Little's law for the server: it serves about in_flight x least / srtt at once.
            let capacity = in_flight as f64 * least / srtt;
            let server = (capacity * MARGIN).ceil() as usize + 1;
            if server < want {
                want = server;
                self.server_bound = Some((least, srtt));
                if server < self.limit && self.cut.is_none() {
                    self.cut = Some((self.limit, srtt, self.samples));
                }
            }
        }
        self.set(want)
    }

    fn set(&mut self, want: usize) -> bool {
        self.since_growth += 1;
        // Grow at most doubling per answer, so a wrong first sample cannot overshoot at once;
        // with a budget out of reach, doubling once a round trip at most, so that the server's
        // answers show its queue before more go; by one a round trip near a server that queues.
        let mut want = want.clamp(1, self.cap).min(self.limit * 2);
        if want > self.limit && (self.server_bound.is_some() || self.out_of_reach()) {
            if self.since_growth < self.limit {
                return false;
            }
            if self.server_bound.is_some() {
                want = self.limit + 1;
            }
        }
        if want > self.limit {
            self.since_growth = 0;
        }
        if want == self.limit {
            return false;
        }
        self.limit = want;
        self.peak = self.peak.max(want);
        true
    }

    /// One line for the summary: what was kept in flight and why.
    pub fn describe(&self) -> String {
        if self.fixed {
            return format!("{} in flight (--concurrency)", self.limit);
        }
        let Some(rtt) = self.srtt else {
            return format!("up to {} in flight", self.limit);
        };
        let mut s = format!(
            "up to {} in flight (rate {:.1}/s x round trip {} ms",
            self.peak,
            self.rate,
            (rtt * 1000.0).round()
        );
        if self.peak >= self.cap && self.needed().is_some_and(|n| n > self.cap) {
            s.push_str(&format!(
                "; capped at {}: --concurrency allows more",
                self.cap
            ));
        }
        s.push(')');
        if let Some((least, srtt)) = self.server_bound {
            s.push_str(&format!(
                "; the server, not the budget, was the limit: its answers slowed from {} ms to {} ms as more were in flight",
                (least * 1000.0).round(),
                (srtt * 1000.0).round()
            ));
        }
        s
    }
}

/// [`InFlightCore`] shared by the workers of one command: worker `w` (0-based) runs while
/// `w < limit`; everything waiting ends at once on [`InFlight::stop`].
#[derive(Debug)]
pub struct InFlight {
    core: Mutex<InFlightCore>,
    changed: Notify,
    stopped: AtomicBool,
    under_way: std::sync::atomic::AtomicUsize,
}

impl InFlight {
    pub fn new(core: InFlightCore) -> Self {
        InFlight {
            core: Mutex::new(core),
            changed: Notify::new(),
            stopped: AtomicBool::new(false),
            under_way: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn core(&self) -> std::sync::MutexGuard<'_, InFlightCore> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limit(&self) -> usize {
        self.core().limit()
    }

    pub fn snapshot(&self) -> InFlightCore {
        self.core().clone()
    }

    /// Requests under way now (tracked, from their wait for the budget to their answer).
    pub fn under_way(&self) -> usize {
        self.under_way.load(Ordering::SeqCst)
    }

    /// A request starts; the guard counts it as under way until dropped.
    pub fn start(&self) -> UnderWay<'_> {
        self.under_way.fetch_add(1, Ordering::SeqCst);
        UnderWay(self)
    }

    /// An answer took `rtt`: feed it to the decision (call while its [`UnderWay`] is alive).
    pub fn observe(&self, rtt: Duration) {
        let n = self.under_way.load(Ordering::SeqCst).max(1);
        if self.core().observe(rtt, n) {
            self.changed.notify_waiters();
        }
    }

    /// End every wait now and from now on: the command is stopping.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Wake the waiting workers: the work changed (a worker ended, work was added).
    pub fn nudge(&self) {
        self.changed.notify_waiters();
    }

    /// Wait until worker `w` may run. False when stopped, or when `give_up` says there is
    /// nothing left to do.
    pub async fn wait(&self, w: usize, give_up: impl Fn() -> bool) -> bool {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.stopped() || give_up() {
                return false;
            }
            if w < self.limit() {
                return true;
            }
            notified.await;
        }
    }
}

tokio::task_local! {
    /// The in-flight count the request being polled belongs to (see [`InFlight::track`]).
    static TRACKED: Arc<InFlight>;
}

/// The HTTP core calls this with every answer's time on the wire (the pacer's wait left
/// out): it feeds the count of whichever command's request it was, if one tracks it.
pub fn answered(rtt: Duration) {
    let _ = TRACKED.try_with(|f| f.observe(rtt));
}

impl InFlight {
    /// Run one request (or a few in a row) counted as under way, its answers measured.
    pub async fn track<F: Future>(self: &Arc<Self>, f: F) -> F::Output {
        let _under_way = self.start();
        TRACKED.scope(Arc::clone(self), f).await
    }

    /// Run `work` on every item, as many at once as the count allows (it follows the round
    /// trip as answers come). Outputs in completion order; the first error ends it all, and so
    /// does [`InFlight::stop`] (with the outputs so far).
    pub async fn run_all<I, F, Fut, T, E>(self: &Arc<Self>, items: I, work: F) -> Result<Vec<T>, E>
    where
        I: IntoIterator,
        F: Fn(I::Item) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        use futures::StreamExt;
        let mut items = items.into_iter();
        let mut running = futures::stream::FuturesUnordered::new();
        let mut out = Vec::new();
        loop {
            while !self.stopped() && running.len() < self.limit() {
                match items.next() {
                    Some(item) => running.push(self.track(work(item))),
                    None => break,
                }
            }
            match running.next().await {
                Some(r) => out.push(r?),
                None => return Ok(out),
            }
        }
    }
}

/// A request under way (see [`InFlight::start`]).
pub struct UnderWay<'a>(&'a InFlight);

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        self.0.under_way.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_starts_with_a_place_per_chain_and_the_first_answer_sets_the_count() {
        // 1000/10s at 3x: 300/s; 100 chains start at once, not two.
        let mut c = InFlightCore::auto(300.0, 128).starting(100);
        assert_eq!(c.limit(), 100);
        assert_eq!(InFlightCore::auto(300.0, 128).starting(500).limit(), 128);
        assert_eq!(InFlightCore::fixed(4).starting(100).limit(), 4);
        // 300 ms: 300 x 0.3 x 1.25 = 112.5 -> 114.
        c.observe(Duration::from_millis(300), 100);
        assert_eq!(c.limit(), 114);
        // A fast server needs few: the count falls to what rate x round trip asks.
        let mut c = InFlightCore::auto(300.0, 128).starting(100);
        c.observe(Duration::from_millis(2), 100);
        assert_eq!(c.limit(), 1);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feed `n` answers of `rtt` with the count in flight the limit allows.
    fn settle(core: &mut InFlightCore, rtt: Duration, n: usize) {
        for _ in 0..n {
            let k = core.limit();
            core.observe(rtt, k);
        }
    }

    #[test]
    fn production_at_300_ms_keeps_rate_times_round_trip_in_flight() {
        // 1000/10s = 100/s; 0.3 s round trip: Little's law says 30, with the margin 39.
        let mut core = InFlightCore::auto(100.0, 64);
        assert_eq!(core.limit(), 2);
        settle(&mut core, ms(300), 20);
        assert_eq!(core.limit(), 39);
        assert!(core.server_bound().is_none());
        assert!(core.describe().contains("up to 39 in flight"));
    }

    #[test]
    fn a_warmed_count_starts_at_what_the_round_trip_needs() {
        let core = InFlightCore::auto(100.0, 64).warmed(ms(300));
        assert_eq!(core.limit(), 39);
        assert_eq!(InFlightCore::auto(2.0, 64).warmed(ms(150)).limit(), 1);
        assert_eq!(InFlightCore::fixed(3).warmed(ms(300)).limit(), 3);
    }

    #[test]
    fn a_budget_that_does_not_bind_no_longer_sends_the_cap_at_once_to_a_server_that_serves_a_few() {
        // 100000/1s, pages in 5 ms: rate x round trip is far past the cap of 64. The server
        // serves 2 at once; m in flight take m/2 x 5 ms. Started at the cap, all 64 went at once.
        let mut core = InFlightCore::auto(100_000.0, 64).warmed(ms(5));
        assert_eq!(core.limit(), OUT_OF_REACH_START);
        assert_eq!(core.planned(), 64, "the run is still planned for the cap");
        let mut most = core.limit();
        for _ in 0..400 {
            let m = core.limit();
            let rtt = 5.0 * (m as f64 / 2.0).max(1.0);
            core.observe(Duration::from_secs_f64(rtt / 1000.0), m);
            most = most.max(core.limit());
        }
        assert!(most <= 2 * OUT_OF_REACH_START, "overshot to {most}");
        assert!(
            core.limit() <= 8,
            "held near the server's 2: {}",
            core.limit()
        );
        assert!(core.server_bound().is_some());
    }

    #[test]
    fn a_budget_out_of_reach_doubles_once_a_round_trip_up_to_the_cap_on_a_server_with_room() {
        let mut core = InFlightCore::auto(100_000.0, 64).warmed(ms(5));
        // A round trip of answers (as many as are in flight) before each doubling.
        for (answers, then) in [(8, 16), (16, 32), (32, 64)] {
            settle(&mut core, ms(5), answers - 1);
            assert_eq!(core.limit(), then / 2, "not before a round trip of answers");
            settle(&mut core, ms(5), 1);
            assert_eq!(core.limit(), then);
        }
        settle(&mut core, ms(5), 100);
        assert_eq!(core.limit(), 64);
        assert!(core.server_bound().is_none());
    }

    #[test]
    fn growth_doubles_at_most_per_answer() {
        let mut core = InFlightCore::auto(100.0, 64);
        core.observe(ms(300), 1);
        assert_eq!(core.limit(), 4);
        core.observe(ms(300), 2);
        assert_eq!(core.limit(), 8);
    }

    #[test]
    fn one_stream_serves_a_small_budget() {
        // 20/10s = 2/s at 150 ms: 0.3 in flight needed; one or two is plenty.
        let mut core = InFlightCore::auto(2.0, 64);
        settle(&mut core, ms(150), 20);
        assert!(core.limit() <= 2, "{}", core.limit());
    }

    #[test]
    fn a_server_that_queues_holds_the_count_near_its_capacity() {
        // Capacity 4, 40 ms a page: with m > 4 in flight an answer takes m/4 x 40 ms. The budget
        // (500/s) would ask for far more than the server serves.
        let mut core = InFlightCore::auto(500.0, 64);
        let mut held = Vec::new();
        for _ in 0..400 {
            let m = core.limit();
            let rtt = if m <= 4 { 40.0 } else { 40.0 * m as f64 / 4.0 };
            core.observe(Duration::from_secs_f64(rtt / 1000.0), m);
            held.push(core.limit());
        }
        let tail = &held[200..];
        let (lo, hi) = (tail.iter().min().unwrap(), tail.iter().max().unwrap());
        assert!(
            *lo >= 4 && *hi <= 8,
            "held near the server's 4 (it serves them all): {lo}..{hi}"
        );
        assert!(core.server_bound().is_some());
        assert!(core.describe().contains("the server, not the budget"));
    }

    #[test]
    fn a_server_with_room_is_not_called_the_limit() {
        // 50/1s, 40 ms, capacity above what the budget needs: 2.5 x 1.25 + 1 = 4.
        let mut core = InFlightCore::auto(50.0, 64);
        settle(&mut core, ms(40), 50);
        assert_eq!(core.limit(), 4);
        assert!(core.server_bound().is_none());
    }

    #[test]
    fn the_cap_is_the_most_and_fixed_is_exact() {
        let mut core = InFlightCore::auto(100.0, 10);
        settle(&mut core, ms(300), 20);
        assert_eq!(core.limit(), 10);
        assert!(core.describe().contains("capped at 10"));
        let mut f = InFlightCore::fixed(3);
        settle(&mut f, ms(300), 20);
        assert_eq!(f.limit(), 3);
        assert_eq!(f.planned(), 3);
    }

    #[test]
    fn a_slower_server_grows_the_count_and_a_faster_one_shrinks_it() {
        let mut core = InFlightCore::auto(100.0, 64);
        settle(&mut core, ms(100), 40);
        let at_100 = core.limit();
        settle(&mut core, ms(300), 40);
        assert!(core.limit() > at_100);
        settle(&mut core, ms(100), 80);
        assert_eq!(core.limit(), at_100);
    }

    #[tokio::test(start_paused = true)]
    async fn run_all_keeps_what_the_round_trip_needs_in_flight() {
        // 100/s at 300 ms: after the first answers, about 39 run at once.
        let f = Arc::new(InFlight::new(InFlightCore::auto(100.0, 64)));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let now = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let out: Result<Vec<u32>, ()> = f
            .run_all(0..400u32, |i| {
                let (most, now) = (Arc::clone(&most), Arc::clone(&now));
                async move {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(ms(300)).await;
                    answered(ms(300));
                    now.fetch_sub(1, Ordering::SeqCst);
                    Ok(i)
                }
            })
            .await;
        assert_eq!(out.unwrap().len(), 400);
        assert_eq!(most.load(Ordering::SeqCst), 39);
        assert_eq!(f.snapshot().peak(), 39);
    }

    #[tokio::test]
    async fn stop_ends_every_wait_at_once() {
        let f = Arc::new(InFlight::new(InFlightCore::fixed(1)));
        let waiter = {
            let f = Arc::clone(&f);
            tokio::spawn(async move { f.wait(5, || false).await })
        };
        tokio::task::yield_now().await;
        f.stop();
        assert!(!waiter.await.unwrap(), "a stopped wait says no");
        assert!(!f.wait(0, || false).await, "and so does every later one");
    }
}
