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

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::budget::Budget;

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
    Window {
        in_flight: u32,
        done: VecDeque<Instant>,
    },
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
}

impl PacerCore {
    pub fn new(budget: &Budget) -> Self {
        let mode = match budget.burst {
            Some(burst) => Mode::Bucket { tat: None, burst },
            None => Mode::Window {
                in_flight: 0,
                done: VecDeque::with_capacity(budget.rate.limit.min(4096) as usize),
            },
        };
        PacerCore {
            limit: budget.rate.limit,
            window: budget.rate.window,
            mode,
            blocked_until: None,
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
        let window = self.window;
        let limit = self.limit;
        match &mut self.mode {
            Mode::Window { in_flight, done } => {
                while done.front().is_some_and(|&t| t + window <= now) {
                    done.pop_front();
                }
                if *in_flight as usize + done.len() < limit as usize {
                    *in_flight += 1;
                    Ok(())
                } else if let Some(&oldest) = done.front() {
                    Err(Wait::Until(oldest + window))
                } else {
                    Err(Wait::Completion)
                }
            }
            Mode::Bucket { tat, burst } => {
                let interval = window / limit;
                let tolerance = interval * (*burst - 1);
                let t = tat.unwrap_or(now).max(now);
                // The request may go when its theoretical arrival is within the tolerance.
                if t <= now + tolerance {
                    *tat = Some(t + interval);
                    Ok(())
                } else {
                    Err(Wait::Until(t - tolerance))
                }
            }
        }
    }

    /// The response to a request that held a slot has arrived (or the request was abandoned).
    pub fn complete(&mut self, now: Instant) {
        if let Mode::Window { in_flight, done } = &mut self.mode {
            *in_flight = in_flight.saturating_sub(1);
            // Completions are reported in time order, so the deque stays sorted; clamp in case a
            // caller reports a slightly older instant.
            let t = done.back().map_or(now, |&last| now.max(last));
            done.push_back(t);
        }
    }

    /// The server asked us to hold off (429 Retry-After, or Remaining 0 until its reset).
    pub fn pause_until(&mut self, until: Instant) {
        if self.blocked_until.is_none_or(|b| b < until) {
            self.blocked_until = Some(until);
        }
    }

    pub fn blocked_until(&self) -> Option<Instant> {
        self.blocked_until
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
    done: bool,
}

impl Permit {
    pub fn complete(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.pacer
                .core
                .lock()
                .expect("pacer lock")
                .complete(Instant::now());
            self.pacer.changed.notify_waiters();
        }
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
            let decision = self
                .core
                .lock()
                .expect("pacer lock")
                .try_acquire(Instant::now());
            match decision {
                Ok(()) => {
                    let permit = Permit {
                        pacer: Arc::clone(self),
                        done: false,
                    };
                    return (permit, started.elapsed());
                }
                Err(Wait::Until(t)) => {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Plan, Rate};

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
                core.complete(r);
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
        core.complete(t0 + Duration::from_millis(100));
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
