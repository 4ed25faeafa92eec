//! How many of an export's page streams run at once, when `--concurrency 0` (auto) split it.
//!
//! The split's stream count comes from the budget and the first page's latency (rate x latency):
//! right when the latency is a round trip, wrong when it is the server's own work, which more
//! streams only queue behind (a loaded or local server). Each running stream holds a page in
//! memory, so streams that add no throughput only add memory. So the streams start two at a time
//! and double while the pages per second grow by a quarter or more; when they stop growing the
//! count stays, and when it fell the previous count comes back. Streams above the count hold
//! nothing: they wait before taking a part (one already running finishes its part).
//!
//! The decision is [`RampCore`], with the time passed in; [`Ramp`] shares it between streams.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Grow only on at least this gain in pages per second over the previous count.
const GAIN: f64 = 1.25;
/// Go back to the previous count when pages per second fell below this share of it.
const LOSS: f64 = 0.9;

#[derive(Debug, Clone, PartialEq)]
pub struct RampCore {
    allowed: usize,
    max: usize,
    frozen: bool,
    /// Pages per second at the previous count, and that count.
    prev: (f64, usize),
    level_start: Instant,
    level_pages: u64,
}

impl RampCore {
    /// Up to `max` streams, judged against one stream's rate: one page per `first_latency`.
    pub fn auto(max: usize, first_latency: Duration, now: Instant) -> Self {
        let max = max.max(1);
        RampCore {
            allowed: max.min(2),
            max,
            frozen: max == 1,
            prev: (1.0 / first_latency.as_secs_f64().max(1e-4), 1),
            level_start: now,
            level_pages: 0,
        }
    }

    /// Exactly `n` streams (`--concurrency N`, or a resumed export).
    pub fn fixed(n: usize, now: Instant) -> Self {
        RampCore {
            allowed: n.max(1),
            max: n.max(1),
            frozen: true,
            prev: (0.0, n.max(1)),
            level_start: now,
            level_pages: 0,
        }
    }

    pub fn allowed(&self) -> usize {
        self.allowed
    }

    /// A page arrived at `now`. Returns true when the count changed.
    pub fn page_done(&mut self, now: Instant) -> bool {
        if self.frozen {
            return false;
        }
        self.level_pages += 1;
        // Enough pages at this count to judge it: two rounds of every stream.
        if self.level_pages < 2 * self.allowed as u64 {
            return false;
        }
        let secs = (now - self.level_start).as_secs_f64().max(1e-6);
        let rate = self.level_pages as f64 / secs;
        let (prev_rate, prev_allowed) = self.prev;
        if rate < prev_rate * LOSS {
            self.allowed = prev_allowed;
            self.frozen = true;
        } else if rate >= prev_rate * GAIN && self.allowed < self.max {
            self.prev = (rate, self.allowed);
            self.allowed = (self.allowed * 2).min(self.max);
            self.level_start = now;
            self.level_pages = 0;
        } else {
            self.frozen = true;
            return false;
        }
        true
    }
}

/// [`RampCore`] shared by the streams of one export.
#[derive(Debug)]
pub struct Ramp {
    core: Mutex<RampCore>,
    changed: Notify,
}

impl Ramp {
    pub fn new(core: RampCore) -> Self {
        Ramp {
            core: Mutex::new(core),
            changed: Notify::new(),
        }
    }

    /// Whether stream `w` (0-based) may run now.
    pub fn admits(&self, w: usize) -> bool {
        w < self.core.lock().expect("ramp lock").allowed()
    }

    pub fn page_done(&self) {
        if self
            .core
            .lock()
            .expect("ramp lock")
            .page_done(Instant::now())
        {
            self.changed.notify_waiters();
        }
    }

    /// Wake the waiting streams: the work changed (a stream ended).
    pub fn nudge(&self) {
        self.changed.notify_waiters();
    }

    /// Wait until stream `w` may run, or `give_up` says there is nothing left to run.
    pub async fn wait(&self, w: usize, give_up: impl Fn() -> bool) -> bool {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if give_up() {
                return false;
            }
            if self.admits(w) {
                return true;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed pages at `per_s` pages per second until the count changes or freezes.
    fn run_level(core: &mut RampCore, now: &mut Instant, per_s: f64) -> bool {
        let step = Duration::from_secs_f64(1.0 / per_s);
        for _ in 0..1000 {
            *now += step;
            if core.page_done(*now) {
                return true;
            }
            if core.frozen {
                return false;
            }
        }
        panic!("never decided");
    }

    #[test]
    fn streams_double_while_throughput_grows_then_stay() {
        let mut now = Instant::now();
        // One stream: a page per 100 ms (10/s); streams add throughput up to 4, then not.
        let mut core = RampCore::auto(16, Duration::from_millis(100), now);
        assert_eq!(core.allowed(), 2);
        assert!(run_level(&mut core, &mut now, 20.0));
        assert_eq!(core.allowed(), 4);
        assert!(run_level(&mut core, &mut now, 40.0));
        assert_eq!(core.allowed(), 8);
        assert!(!run_level(&mut core, &mut now, 42.0));
        assert_eq!(core.allowed(), 8, "no gain: the count stays, and is final");
        assert!(!core.page_done(now + Duration::from_secs(1)));
    }

    #[test]
    fn a_server_that_only_queues_keeps_two_and_one_that_slows_goes_back_to_one() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(16, Duration::from_millis(50), now);
        // Two streams, the same 20 pages/s as one: no gain, stay at two.
        assert!(!run_level(&mut core, &mut now, 20.0));
        assert_eq!(core.allowed(), 2);
        let mut core = RampCore::auto(16, Duration::from_millis(50), now);
        // Two streams, slower than one: back to one.
        assert!(run_level(&mut core, &mut now, 12.0));
        assert_eq!(core.allowed(), 1);
    }

    #[test]
    fn never_more_than_the_most_the_budget_can_use() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(3, Duration::from_millis(100), now);
        assert!(run_level(&mut core, &mut now, 20.0));
        assert_eq!(core.allowed(), 3);
        assert!(!run_level(&mut core, &mut now, 60.0));
        assert_eq!(core.allowed(), 3);
        let fixed = RampCore::fixed(5, now);
        assert_eq!(fixed.allowed(), 5);
    }
}
