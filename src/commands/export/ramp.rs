//! How many of an export's page streams run at once, when `--concurrency 0` (auto) split it.
//!
//! The split's stream count comes from the budget and the first page's latency (rate x latency):
//! right when the latency is a round trip, wrong when it is the server's own work or the disk's
//! (a later part is spilled to disk and copied back), which more streams only queue behind. Each
//! running stream holds a page in memory, and each part beyond the head costs a spill, so
//! streams that add no throughput only cost. So the export runs one stream first, measures its
//! pages per second, and doubles the count while that grows by half or more; a count that
//! did not pay is dropped for the previous one, and the count is final. Streams above the count
//! hold nothing: they wait before taking a part (one already running finishes its part).
//!
//! The decision is [`RampCore`], with the time passed in; [`Ramp`] shares it between streams.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Keep a doubled count only on at least this gain in pages per second over the previous one:
/// less is within what a second part's spill to disk costs later, when it is copied back.
const GAIN: f64 = 1.5;
/// Pages measured at one count before judging it, at least (and two per stream).
const MIN_PAGES: u64 = 24;
/// Time measured at one count before judging it, at least.
const MIN_LEVEL_TIME: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq)]
pub struct RampCore {
    allowed: usize,
    max: usize,
    frozen: bool,
    /// Pages per second at the previous count, and that count.
    prev: Option<(f64, usize)>,
    level_start: Instant,
    level_pages: u64,
    /// Pages in a part, about: a count is judged over a whole part per stream, so the copy of
    /// a spilled part back into the output (which stalls the fetchers) is in the measure.
    part_pages: u64,
}

impl RampCore {
    /// One stream first, up to `max`; parts of about `part_pages` pages.
    pub fn auto(max: usize, part_pages: u64, now: Instant) -> Self {
        let max = max.max(1);
        RampCore {
            allowed: 1,
            max,
            frozen: max == 1,
            prev: None,
            level_start: now,
            level_pages: 0,
            part_pages,
        }
    }

    /// Exactly `n` streams (`--concurrency N`).
    pub fn fixed(n: usize, now: Instant) -> Self {
        RampCore {
            allowed: n.max(1),
            max: n.max(1),
            frozen: true,
            prev: None,
            level_start: now,
            level_pages: 0,
            part_pages: 0,
        }
    }

    pub fn allowed(&self) -> usize {
        self.allowed
    }

    pub fn settled(&self) -> bool {
        self.frozen
    }

    /// A page arrived at `now`. Returns true when the count changed.
    pub fn page_done(&mut self, now: Instant) -> bool {
        if self.frozen {
            return false;
        }
        self.level_pages += 1;
        let streams = self.allowed as u64;
        if self.level_pages
            < MIN_PAGES
                .max(2 * streams)
                .max((self.part_pages + 1) * streams)
            || now - self.level_start < MIN_LEVEL_TIME
        {
            return false;
        }
        let secs = (now - self.level_start).as_secs_f64().max(1e-6);
        let rate = self.level_pages as f64 / secs;
        match self.prev {
            Some((prev_rate, prev_allowed)) if rate < prev_rate * GAIN => {
                // More streams did not pay: back to the count that did.
                self.allowed = prev_allowed;
                self.frozen = true;
                return true;
            }
            _ if self.allowed >= self.max => {
                self.frozen = true;
                return false;
            }
            _ => {}
        }
        self.prev = Some((rate, self.allowed));
        self.allowed = (self.allowed * 2).min(self.max);
        self.level_start = now;
        self.level_pages = 0;
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

    /// The count now, and whether it is final.
    pub fn count(&self) -> (usize, bool) {
        let c = self.core.lock().expect("ramp lock");
        (c.allowed(), c.settled())
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
        for _ in 0..10_000 {
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
    fn streams_double_while_throughput_grows_then_keep_the_last_count_that_paid() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(16, 0, now);
        assert_eq!(core.allowed(), 1);
        // One stream: 10 pages/s. Two: 20, four: 40, eight: 42 (no gain: back to four).
        assert!(run_level(&mut core, &mut now, 10.0));
        assert_eq!(core.allowed(), 2);
        assert!(run_level(&mut core, &mut now, 20.0));
        assert_eq!(core.allowed(), 4);
        assert!(run_level(&mut core, &mut now, 40.0));
        assert_eq!(core.allowed(), 8);
        assert!(run_level(&mut core, &mut now, 42.0));
        assert_eq!(core.allowed(), 4, "eight streams did not pay");
        assert!(!core.page_done(now + Duration::from_secs(1)), "final");
    }

    #[test]
    fn a_server_or_disk_that_only_queues_keeps_one_stream() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(16, 0, now);
        assert!(run_level(&mut core, &mut now, 60.0));
        assert_eq!(core.allowed(), 2);
        // Two streams, slower than one (the second part spills to disk): back to one.
        assert!(run_level(&mut core, &mut now, 25.0));
        assert_eq!(core.allowed(), 1);
    }

    #[test]
    fn a_count_is_judged_over_a_whole_part_per_stream_and_half_a_second() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(16, 40, now);
        for _ in 0..40 {
            now += Duration::from_millis(20);
            assert!(!core.page_done(now), "a part is 40 pages");
        }
        now += Duration::from_millis(20);
        assert!(core.page_done(now));
        assert_eq!(core.allowed(), 2);
        let mut core = RampCore::auto(16, 0, now);
        for _ in 0..99 {
            now += Duration::from_millis(5);
            assert!(!core.page_done(now), "under half a second");
        }
        now += Duration::from_millis(5);
        assert!(core.page_done(now));
    }

    #[test]
    fn never_more_than_the_most_the_budget_can_use() {
        let mut now = Instant::now();
        let mut core = RampCore::auto(3, 0, now);
        assert!(run_level(&mut core, &mut now, 10.0));
        assert!(run_level(&mut core, &mut now, 20.0));
        assert_eq!(core.allowed(), 3);
        assert!(!run_level(&mut core, &mut now, 60.0));
        assert_eq!(core.allowed(), 3);
        assert_eq!(RampCore::fixed(5, now).allowed(), 5);
        assert_eq!(RampCore::auto(1, 0, now).allowed(), 1);
    }
}
