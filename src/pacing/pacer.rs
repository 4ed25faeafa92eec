//! Pacing requests to the budget, shared by every concurrent request of the process.
//!
//! The default contract: never more than N requests in any window of length W, as any server
//! limiting by fixed window, sliding log or token bucket at that rate sees them.
//!
//! The server stamps a request when it handles it, somewhere between our send and its response,
//! so spacing *sends* W apart is not enough. A request is counted in the window until W after its
//! response arrived (by then the server has surely stamped it), and while it is in flight. The
//! cost is one latency per window; the gain is provably zero 429s from our own pacing.
//!
//! With `--burst B` the pacer is instead a token bucket of capacity B refilled at N/W (GCRA on
//! absolute deadlines, so drift never adds up).
//!
//! The logic is a plain state machine, [`PacerCore`], that takes `now` as an argument: its tests
//! are exact and instant. [`Pacer`] wraps it for async callers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::pacing::budget::Budget;
use crate::pacing::headers::RateLimitView;

/// What a caller must do before it may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Try again at this instant (or earlier, if something completes).
    Until(Instant),
    /// Every slot is held by a request in flight: wait for one to complete.
    Completion,
}

#[derive(Debug)]
enum Mode {
    /// Strict sliding window: in-flight requests plus responses younger than W.
    Window,
    /// GCRA: the theoretical arrival time of the next request.
    Bucket { tat: Option<Instant>, burst: u32 },
}

/// The pacing state machine. Every method takes the current time.
#[derive(Debug)]
pub struct PacerCore {
    limit: u32,
    window: Duration,
    mode: Mode,
    blocked_until: Option<Instant>,
    /// Send instants of the requests in flight (a multiset: instant -> how many).
    in_flight: BTreeMap<Instant, u32>,
    in_flight_n: u32,
    /// Response instants, oldest first, kept for `horizon` past the oldest request that may
    /// still ask how many of ours the server can be counting.
    done: VecDeque<Instant>,
    /// How far back a server may count: our window, or a longer one a policy header stated.
    horizon: Duration,
}

/// What a response's rate-limit headers mean for the pacing, decided by [`judge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    /// The server's Limit is below the budget: pace at this limit from now on.
    pub lower_limit_to: Option<u32>,
    /// The server counts at least this many requests in its window that are not ours (not this
    /// process's, or with `--budget-store` not any sharing process's): someone else spends the key.
    pub others: Option<u64>,
    /// Hold every request this long: the server's window is full and not by our doing, so only
    /// its Reset says when there is room again.
    pub pause: Option<Duration>,
}

/// Read one response's rate-limit headers against our own count.
///
/// `own` is how many of our requests the server can be counting in its window as of this
/// response (this one included); `None` when unknown, and then Remaining 0 pauses until Reset
/// as the only safe reading. Remaining 0 with `own` at the limit is no news: the
/// response-anchored schedule already waits exactly as long as needed, and a coarse Reset (whole
/// seconds, rounded up) would only lose budget. Remaining below what `own` explains means
/// another client spends the key: counted, and at 0 we wait for the server's Reset.
pub fn judge(view: &RateLimitView, own: Option<u32>, limit: u32) -> Verdict {
    let mut v = Verdict {
        lower_limit_to: view
            .limit
            .filter(|&l| l >= 1 && l < limit as u64)
            .map(|l| l as u32),
        ..Verdict::default()
    };
    let Some(remaining) = view.remaining else {
        return v;
    };
    let server_limit = view.limit.unwrap_or(limit as u64);
    let others = match own {
        Some(own) => {
            let used = server_limit.saturating_sub(remaining);
            (used > own as u64).then(|| used - own as u64)
        }
        None => None,
    };
    v.others = others;
    if remaining == 0 && (own.is_none() || others.is_some()) {
        v.pause = view.reset;
    }
    v
}

impl PacerCore {
    pub fn new(budget: &Budget) -> Self {
        let mode = match budget.burst {
            Some(burst) => Mode::Bucket { tat: None, burst },
            None => Mode::Window,
        };
        PacerCore {
            limit: budget.rate.limit,
            window: budget.rate.window,
            mode,
            blocked_until: None,
            in_flight: BTreeMap::new(),
            in_flight_n: 0,
            done: VecDeque::with_capacity(budget.rate.limit.min(4096) as usize),
            horizon: budget.rate.window,
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Responses that still count against the window at `now` start at this index of `done`.
    fn counting_from(&self, now: Instant) -> usize {
        let window = self.window;
        self.done.partition_point(|&t| t + window <= now)
    }

    /// Forget responses no request can ask about any more.
    fn prune(&mut self, now: Instant) {
        let oldest = self
            .in_flight
            .keys()
            .next()
            .map_or(now, |&sent| sent.min(now));
        let keep = self.horizon.max(self.window);
        while self.done.front().is_some_and(|&t| t + keep <= oldest) {
            self.done.pop_front();
        }
    }

    /// Take a slot now, or say how long to wait.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Wait> {
        if let Some(until) = self.blocked_until {
            if until > now {
                return Err(Wait::Until(until));
            }
            self.blocked_until = None;
        }
        self.prune(now);
        let window = self.window;
        let limit = self.limit;
        let from = self.counting_from(now);
        match &mut self.mode {
            Mode::Window => {
                let counted = self.done.len() - from;
                if self.in_flight_n as usize + counted >= limit as usize {
                    return match self.done.get(from) {
                        Some(&oldest) => Err(Wait::Until(oldest + window)),
                        None => Err(Wait::Completion),
                    };
                }
            }
            Mode::Bucket { tat, burst } => {
                let interval = window / limit;
                let tolerance = interval * (*burst - 1);
                let t = tat.unwrap_or(now).max(now);
                // The request may go when its theoretical arrival is within the tolerance.
                if t > now + tolerance {
                    return Err(Wait::Until(t - tolerance));
                }
                *tat = Some(t + interval);
            }
        }
        *self.in_flight.entry(now).or_default() += 1;
        self.in_flight_n += 1;
        Ok(())
    }

    /// The response to the request sent at `sent` arrived at `now` (or the request was
    /// abandoned). Returns how many of our requests the server can be counting in its window
    /// as of that response: every request in flight (this one included) and every response
    /// after `sent` minus the horizon, since the server stamped this one no earlier than `sent`.
    pub fn complete(&mut self, sent: Instant, now: Instant) -> u32 {
        if let Some(n) = self.in_flight.get_mut(&sent) {
            *n -= 1;
            if *n == 0 {
                self.in_flight.remove(&sent);
            }
        }
        let flying = self.in_flight_n;
        self.in_flight_n = self.in_flight_n.saturating_sub(1);
        let since = sent.checked_sub(self.horizon);
        let earlier = match since {
            Some(since) => self.done.len() - self.done.partition_point(|&t| t <= since),
            None => self.done.len(),
        };
        // Completions are reported in time order, so the deque stays sorted; clamp in case a
        // caller reports a slightly older instant.
        let t = self.done.back().map_or(now, |&last| now.max(last));
        self.done.push_back(t);
        flying + earlier as u32
    }

    /// The server asked us to hold off (429 Retry-After, or a window others filled).
    pub fn pause_until(&mut self, until: Instant) {
        if self.blocked_until.is_none_or(|b| b < until) {
            self.blocked_until = Some(until);
        }
    }

    pub fn blocked_until(&self) -> Option<Instant> {
        self.blocked_until
    }

    /// The server's Limit is below the budget: pace at it (never raised again).
    pub fn lower_limit(&mut self, limit: u32) {
        let limit = limit.max(1);
        if limit < self.limit {
            self.limit = limit;
            if let Mode::Bucket { burst, .. } = &mut self.mode {
                *burst = (*burst).min(limit);
            }
        }
    }

    /// A policy header stated the server's window: count our requests over it when it is
    /// longer than ours, so a longer server window never looks like someone else's spending.
    pub fn server_window(&mut self, window: Duration) {
        // A day is the longest budget window; a longer stated one is not a plan, and keeping
        // that much history would only cost memory.
        self.horizon = self.horizon.max(window.min(Duration::from_secs(86_400)));
    }

    /// Apply a verdict on a response read at `now`.
    #[cfg(test)]
    pub fn apply(&mut self, verdict: &Verdict, now: Instant) {
        if let Some(l) = verdict.lower_limit_to {
            self.lower_limit(l);
        }
        if let Some(p) = verdict.pause {
            self.pause_until(now + p);
        }
    }
}

/// The async, shareable pacer.
#[derive(Debug)]
pub struct Pacer {
    core: Mutex<PacerCore>,
    changed: Notify,
}

/// A held slot. Call [`Permit::complete`] when the response arrived; dropping it does the same,
/// so a cancelled or failed request never leaks a slot.
#[derive(Debug)]
pub struct Permit {
    pacer: Arc<Pacer>,
    sent: Instant,
    done: bool,
}

impl Permit {
    /// Release the slot; returns how many of this process's requests the server can be
    /// counting as of this response (see [`PacerCore::complete`]).
    pub fn complete(mut self) -> u32 {
        self.finish()
    }

    fn finish(&mut self) -> u32 {
        if self.done {
            return 0;
        }
        self.done = true;
        let own = self
            .pacer
            .core
            .lock()
            .expect("pacer lock")
            .complete(self.sent, Instant::now());
        self.pacer.changed.notify_waiters();
        own
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Pacer {
    pub fn new(budget: &Budget) -> Arc<Self> {
        Arc::new(Pacer {
            core: Mutex::new(PacerCore::new(budget)),
            changed: Notify::new(),
        })
    }

    /// Wait for a slot. Returns the permit and how long the wait took.
    pub async fn acquire(self: &Arc<Self>) -> (Permit, Duration) {
        let started = Instant::now();
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            let decision = self.core.lock().expect("pacer lock").try_acquire(now);
            match decision {
                Ok(()) => {
                    let permit = Permit {
                        pacer: Arc::clone(self),
                        sent: now,
                        done: false,
                    };
                    return (permit, started.elapsed());
                }
                Err(Wait::Until(t)) => {
                    super::ahead::booked(t);
                    tokio::select! {
                        _ = tokio::time::sleep_until(t) => {}
                        _ = &mut notified => {}
                    }
                }
                Err(Wait::Completion) => notified.await,
            }
        }
    }

    /// Hold every request of the process until `until`.
    pub fn pause_until(&self, until: Instant) {
        self.core.lock().expect("pacer lock").pause_until(until);
        self.changed.notify_waiters();
    }

    pub fn blocked_until(&self) -> Option<Instant> {
        self.core.lock().expect("pacer lock").blocked_until()
    }

    /// Judge a response's headers against this process's own count; a lower Limit takes
    /// effect at once, a pause is the caller's to apply (it knows `--max-wait`).
    pub fn react(&self, view: &RateLimitView, own: Option<u32>) -> Verdict {
        let mut core = self.core.lock().expect("pacer lock");
        if let Some(w) = view.window {
            core.server_window(w);
        }
        let verdict = judge(view, own, core.limit());
        if let Some(l) = verdict.lower_limit_to {
            core.lower_limit(l);
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::budget::{Plan, Rate};

    fn budget(limit: u32, window_ms: u64, burst: Option<u32>) -> Budget {
        Budget::new(
            Plan::Free,
            Some(Rate::new(limit, Duration::from_millis(window_ms))),
            burst,
        )
    }

    /// Drive the core like a client with a fixed latency and `conc` requests in flight at most,
    /// recording (send, response) times. Deterministic: no sleeping, the clock is a variable.
    fn simulate(
        core: &mut PacerCore,
        latency: Duration,
        conc: usize,
        total: usize,
    ) -> Vec<(Instant, Instant)> {
        let t0 = Instant::now();
        let mut now = t0;
        let mut in_flight: Vec<Instant> = Vec::new(); // response times
        let mut log = Vec::new();
        while log.len() < total {
            // Deliver responses due by now, in time order.
            in_flight.sort();
            while in_flight.first().is_some_and(|&r| r <= now) {
                let r = in_flight.remove(0);
                core.complete(r - latency, r);
            }
            if in_flight.len() < conc {
                match core.try_acquire(now) {
                    Ok(()) => {
                        in_flight.push(now + latency);
                        log.push((now, now + latency));
                        continue;
                    }
                    Err(Wait::Until(t)) => {
                        let next = in_flight.iter().min().copied().map_or(t, |r| r.min(t));
                        now = next.max(now);
                    }
                    Err(Wait::Completion) => now = *in_flight.iter().min().unwrap(),
                }
            } else {
                now = *in_flight.iter().min().unwrap();
            }
        }
        log
    }

    /// The most requests whose server stamp could fall in one window: with stamps anywhere in
    /// [send, response], the worst case counts a request in every window its interval touches.
    fn worst_window(log: &[(Instant, Instant)], window: Duration) -> usize {
        log.iter()
            .map(|&(send_a, _)| {
                // The fullest server window ends at some send time: it holds every request sent
                // by then whose response came after the window's start.
                let end = send_a;
                let start = end.checked_sub(window).unwrap_or(end);
                log.iter().filter(|&&(s, r)| s <= end && r > start).count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_n_in_any_window_even_counting_latency() {
        for (limit, window_ms, latency_ms, conc) in [
            (5, 1000, 0, 1),
            (5, 1000, 30, 1),
            (20, 10_000, 250, 8),
            (100, 10_000, 120, 16),
            (10, 2000, 700, 4),
        ] {
            let b = budget(limit, window_ms, None);
            let mut core = PacerCore::new(&b);
            let log = simulate(&mut core, Duration::from_millis(latency_ms), conc, 500);
            let worst = worst_window(&log, b.rate.window);
            assert!(
                worst <= limit as usize,
                "{limit}/{window_ms}ms latency {latency_ms}: {worst} in one window"
            );
        }
    }

    #[test]
    fn the_budget_is_fully_used_over_a_long_run() {
        // 10 per second, 5 ms latency, 8 in flight: 1000 requests should take ~99 windows plus
        // one latency per window.
        let b = budget(10, 1000, None);
        let mut core = PacerCore::new(&b);
        let log = simulate(&mut core, Duration::from_millis(5), 8, 1000);
        let span = log.last().unwrap().0 - log.first().unwrap().0;
        let least = b.rate.least_time_for(1000, 10);
        let used = least.as_secs_f64() / span.as_secs_f64();
        assert!(used > 0.99 && used <= 1.0, "used {used:.4} of the budget");
    }

    #[test]
    fn a_full_window_waits_for_the_oldest_response_to_age_out() {
        let b = budget(2, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        assert_eq!(core.try_acquire(t0), Ok(()));
        assert_eq!(core.try_acquire(t0), Ok(()));
        assert_eq!(core.try_acquire(t0), Err(Wait::Completion));
        core.complete(t0, t0 + Duration::from_millis(100));
        let at = t0 + Duration::from_millis(100);
        assert_eq!(
            core.try_acquire(at),
            Err(Wait::Until(t0 + Duration::from_millis(1100)))
        );
        assert_eq!(core.try_acquire(t0 + Duration::from_millis(1100)), Ok(()));
    }

    #[test]
    fn pause_blocks_everyone_until_the_deadline() {
        let b = budget(100, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        core.pause_until(t0 + Duration::from_secs(3));
        // An earlier pause never shortens a longer one.
        core.pause_until(t0 + Duration::from_secs(1));
        assert_eq!(
            core.try_acquire(t0),
            Err(Wait::Until(t0 + Duration::from_secs(3)))
        );
        assert_eq!(core.try_acquire(t0 + Duration::from_secs(3)), Ok(()));
        assert_eq!(core.blocked_until(), None);
    }

    #[test]
    fn bucket_allows_the_burst_then_the_steady_rate_on_absolute_deadlines() {
        let b = budget(10, 1000, Some(4));
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(core.try_acquire(t0), Ok(()));
        }
        let Err(Wait::Until(next)) = core.try_acquire(t0) else {
            panic!("the fifth request must wait")
        };
        assert_eq!(next, t0 + Duration::from_millis(100));
        // A steady stream afterwards: exactly one per 100 ms, no drift over 1000 requests.
        let mut now = next;
        let mut sent = 0;
        while sent < 1000 {
            match core.try_acquire(now) {
                Ok(()) => sent += 1,
                Err(Wait::Until(t)) => now = t,
                Err(Wait::Completion) => unreachable!(),
            }
        }
        assert_eq!(now, t0 + Duration::from_millis(100) * 1000);
    }

    /// A response's view as a server sending `X-RateLimit-*` would give it: Reset in whole
    /// seconds, rounded up.
    fn view(limit: u64, remaining: u64, reset_s: u64) -> RateLimitView {
        RateLimitView {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(Duration::from_secs(reset_s)),
            ..RateLimitView::default()
        }
    }

    /// Send `n` requests at `t0`, their responses arriving `latency` later; returns the own
    /// count the last response reports.
    fn burst(core: &mut PacerCore, t0: Instant, n: u32, latency: Duration) -> u32 {
        for _ in 0..n {
            assert_eq!(core.try_acquire(t0), Ok(()));
        }
        (0..n)
            .map(|_| core.complete(t0, t0 + latency))
            .last()
            .unwrap()
    }

    #[test]
    fn remaining_zero_when_our_own_count_fills_the_window_costs_no_extra_wait() {
        let b = budget(5, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        let lat = Duration::from_millis(20);
        let own = burst(&mut core, t0, 5, lat);
        assert_eq!(own, 5, "the last response sees all five of ours");
        // Remaining 0 with Reset rounded up to a whole second: no news.
        let v = judge(&view(5, 0, 1), Some(own), core.limit());
        assert_eq!(v, Verdict::default());
        core.apply(&v, t0 + lat);
        assert_eq!(core.blocked_until(), None);
        // The next request goes exactly a window after the first response, not at the Reset.
        assert_eq!(
            core.try_acquire(t0 + lat),
            Err(Wait::Until(t0 + lat + Duration::from_secs(1)))
        );
        assert_eq!(core.try_acquire(t0 + lat + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn remaining_below_our_count_means_someone_else_spends_and_we_wait_for_reset() {
        let b = budget(10, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        let lat = Duration::from_millis(20);
        let own = burst(&mut core, t0, 4, lat);
        assert_eq!(own, 4);
        // The server counts 7 of 10: three are not ours, but there is room: no pause.
        let v = judge(&view(10, 3, 1), Some(own), core.limit());
        assert_eq!((v.others, v.pause), (Some(3), None));
        // Later the server has none left while we sent 6: others filled the window. Wait for
        // its Reset, whatever our schedule says.
        let own = burst(&mut core, t0 + lat, 2, lat);
        assert_eq!(own, 6);
        let v = judge(&view(10, 0, 2), Some(own), core.limit());
        assert_eq!(v.others, Some(4));
        assert_eq!(v.pause, Some(Duration::from_secs(2)));
        let at = t0 + lat * 2;
        core.apply(&v, at);
        assert_eq!(
            core.try_acquire(at),
            Err(Wait::Until(at + Duration::from_secs(2)))
        );
        // The monitor counts it for the summary.
        let m = crate::pacing::monitor::Monitor::default();
        m.verdict(&v, &crate::ui::Ui::new(0, true));
        let c = m.counters();
        assert_eq!((c.others_seen, c.others_most, c.others_waits), (1, 4, 1));
    }

    #[test]
    fn our_own_count_reaches_back_to_the_send_not_just_the_window() {
        // A slow response: sent at 0, back at 900 ms. Responses at 100..500 ms are older than a
        // window at 1.2 s, but the server stamped ours as early as 0 ms, when they counted.
        let b = budget(5, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(core.try_acquire(t0), Ok(()));
        for i in 0..4 {
            assert_eq!(core.try_acquire(t0 + ms(10 * i)), Ok(()));
            core.complete(t0 + ms(10 * i), t0 + ms(100 + 100 * i));
        }
        assert_eq!(core.try_acquire(t0 + ms(1200)), Ok(()));
        core.complete(t0 + ms(1200), t0 + ms(1210));
        assert_eq!(core.complete(t0, t0 + ms(1250)), 6);
        assert_eq!(judge(&view(5, 0, 1), Some(5), 5).pause, None);
    }

    #[test]
    fn unknown_own_count_keeps_the_old_safe_reading() {
        let v = judge(&view(5, 0, 1), None, 5);
        assert_eq!((v.others, v.pause), (None, Some(Duration::from_secs(1))));
        // No Remaining header: nothing to judge.
        let v = judge(&RateLimitView::default(), Some(0), 5);
        assert_eq!(v, Verdict::default());
    }

    #[test]
    fn a_limit_below_the_budget_lowers_it() {
        let b = budget(10, 1000, None);
        let mut core = PacerCore::new(&b);
        let t0 = Instant::now();
        let own = burst(&mut core, t0, 1, Duration::from_millis(5));
        let v = judge(&view(3, 2, 1), Some(own), core.limit());
        assert_eq!(v.lower_limit_to, Some(3));
        assert_eq!(v.others, None);
        core.apply(&v, t0);
        assert_eq!(core.limit(), 3);
        assert_eq!(core.try_acquire(t0), Ok(()));
        assert_eq!(core.try_acquire(t0), Ok(()));
        assert!(
            core.try_acquire(t0).is_err(),
            "the fourth exceeds 3 per window"
        );
        // A Limit above the budget never raises it.
        assert_eq!(judge(&view(50, 40, 1), Some(3), 3).lower_limit_to, None);
        let m = crate::pacing::monitor::Monitor::default();
        let ui = crate::ui::Ui::new(0, true);
        m.verdict(&v, &ui);
        m.verdict(&v, &ui);
        assert_eq!(m.counters().limit_lowered_to, Some(3));
    }

    #[test]
    fn a_longer_server_window_widens_what_counts_as_ours() {
        let b = budget(4, 1000, None);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut ours = PacerCore::new(&b);
        let mut widened = PacerCore::new(&b);
        // A policy header said the server counts over 10 s.
        widened.server_window(s(10));
        for core in [&mut ours, &mut widened] {
            burst(core, t0, 2, Duration::ZERO);
        }
        // Two more 2 s later: over our 1 s window only these two are ours; over the server's
        // 10 s all four are, so Remaining 0 then is no sign of anyone else.
        assert_eq!(burst(&mut ours, t0 + s(2), 2, Duration::ZERO), 2);
        assert_eq!(burst(&mut widened, t0 + s(2), 2, Duration::ZERO), 4);
        assert_eq!(judge(&view(4, 0, 8), Some(4), 4).pause, None);
    }

    #[tokio::test(start_paused = true)]
    async fn async_pacer_shares_one_budget_between_tasks() {
        let b = budget(5, 1000, None);
        let pacer = Pacer::new(&b);
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..4 {
            let p = Arc::clone(&pacer);
            handles.push(tokio::spawn(async move {
                let mut sends = Vec::new();
                for _ in 0..5 {
                    let (permit, _) = p.acquire().await;
                    sends.push(Instant::now() - t0);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    permit.complete();
                }
                sends
            }));
        }
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.unwrap());
        }
        all.sort();
        assert_eq!(all.len(), 20);
        // 20 requests at 5/s: windows of sends never hold more than 5.
        for (i, &t) in all.iter().enumerate() {
            let in_window = all[i..]
                .iter()
                .filter(|&&u| u < t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 5, "{in_window} sends within 1s of {t:?}");
        }
        // And no time is wasted: the 20th goes out in the fourth window.
        assert!(all[19] < Duration::from_millis(3100), "{:?}", all[19]);
    }
}
