//! Sending: the burst/recovery protocol, the ramp and the constant load. Times come from tokio's
//! clock, and requests go through a `Transport`, so tests run the real protocol against the
//! sandbox's limiter on a paused clock, exactly and instantly.
//!
//! Burst mode, step by step:
//! 1. Back-to-back (at most `concurrency` in flight) until the first 429: the burst.
//! 2. Sparse single requests until one is accepted: when capacity comes back. The spacing is a
//!    sixteenth of the time since the last 429 (so the moment is known to a few percent whatever
//!    the window), and a request is also sent exactly when each Retry-After runs out, to check it.
//! 3. If a lot came back at once (fixed window or sliding log), the next cycle goes in two
//!    halves, a gap apart, then sparse requests again until the next recovery, and one more
//!    burst measures how much came back: all of it (a fixed window resets whole) or the first
//!    half (a sliding log returns requests as they age out).
//! 4. If little came back (a token bucket refilling, or a sliding log after a spread-out burst),
//!    keep taking what comes back until enough recoveries time the rate.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::Instant;

use serde::Serialize;

use super::infer::{Phase, Sample};
use crate::http::RateLimitView;

/// What one request came back with.
pub struct Outcome {
    pub status: u16,
    pub view: RateLimitView,
}

/// Sends the probe's request once: no pacing, no retry. `Err` ends the probe (a transport failure
/// or a status that no retry or wait can fix, such as 401).
pub trait Transport: Send + Sync + 'static {
    fn send(&self) -> impl Future<Output = anyhow::Result<Outcome>> + Send;
}

#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_requests: u64,
    pub max_duration: Duration,
    /// The most requests in flight at once (`--concurrency`). Burst mode chooses fewer when
    /// fewer reach twice `target_per_s` over the measured round trip.
    pub concurrency: usize,
    /// The limit to find, in requests per second (the documented or `--expect`ed rate).
    pub target_per_s: f64,
    /// The window of that limit: once slow start has found a burst of k, the later bursts keep
    /// enough in flight for k per this window.
    pub target_window: Duration,
    /// Burst mode without `--expect`: the first burst grows what it keeps in flight like TCP
    /// slow start (one more per accepted response, so it doubles each round trip) until the
    /// first 429 or the bounds, so a limit far above the documented one is still reached.
    pub grow: bool,
    /// Burst mode sends nothing before every Retry-After seen has run out. Off, the sparse
    /// recovery samples go out during the wait too (finer timing of short windows). Ramp and
    /// constant modes hold their rate either way: that is what they measure.
    pub honor_retry_after: bool,
}

/// Recoveries to time in the gradual case: five intervals time a refill rate to about 1%.
const GRADUAL_RECOVERIES: usize = 6;
/// ... and until this many came back: the rate is then timed to about 2% even when each
/// recovery is known only to a round trip (a bucket of 10/s over a 50 ms link).
const GRADUAL_TOKENS: u64 = 50;
/// Sparse spacing: this share of the time since the last 429, within the bounds below.
const SPACING_SHARE: u32 = 16;
const MIN_SPACING: Duration = Duration::from_millis(10);
const MAX_SPACING: Duration = Duration::from_secs(2);

/// A Retry-After longer than this is a long wait: approach its end in few requests.
const LONG_WAIT: Duration = Duration::from_millis(1500);
/// Retry-After is whole seconds (rounded up): capacity comes back within this much before it
/// runs out (a second, plus half a slow round trip).
const FINAL_BAND: Duration = Duration::from_millis(1200);
/// Spacing within that band: about 100 ms, so the moment is known to 1% of a 10 s window.
const FINAL_STEPS: u32 = 12;

/// When to send the next sparse request of a wait that began at `since`. A sixteenth of the
/// time waited so far (the moment is then known to a few percent whatever the window), one
/// exactly when a Retry-After runs out (to check it), and when a long Retry-After is pending,
/// halving the way to its last second and then stepping through that second: at Clerk's 10 s
/// windows that is about 20 requests per wait instead of 80, which is what keeps a probe of
/// 100/10s within 300 requests.
pub fn next_sample(now: Duration, since: Duration, deadline: Option<Duration>) -> Duration {
    let regular = now + ((now - since) / SPACING_SHARE).clamp(MIN_SPACING, MAX_SPACING);
    let Some(d) = deadline else {
        return regular;
    };
    if d - since <= LONG_WAIT {
        return regular.min(d);
    }
    let band = d.saturating_sub(FINAL_BAND);
    if now + MIN_SPACING < band {
        // Early capacity still shows (coarsely): a dishonest Retry-After is not trusted blind.
        return (now + (band - now) / 2).max(now + MIN_SPACING).min(band);
    }
    (now + FINAL_BAND / FINAL_STEPS).min(d)
}

/// Why sending stopped before the protocol was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Done,
    /// --max-requests or --max-duration.
    Bounds,
    /// Burst mode: even the most in flight allowed cannot send as fast as the limit to find
    /// refills, so no 429 would ever come; stopped after the first request.
    Unreachable,
}

/// The burst's requests in flight, from the first request's round trip and the rate to find.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InFlight {
    pub chosen: usize,
    /// `--concurrency`: the most allowed.
    pub cap: usize,
    pub round_trip_s: f64,
    /// The limit to find (requests per second); the burst aims at twice it.
    pub target_per_s: f64,
    /// What `chosen` in flight can send over that round trip.
    pub reachable_per_s: f64,
    /// Slow start: the first burst grew from `chosen` (no `--expect`: the limit is not known).
    pub grows: bool,
    /// The most in flight slow start reached.
    pub grown_to: Option<usize>,
    /// Why it grew no further: `a 429`, `--concurrency`, `--max-requests`, `--max-duration`.
    pub growth_stopped: Option<&'static str>,
    /// In flight for the bursts after the first, from the burst it found (`None`: `chosen`).
    pub then: Option<usize>,
}

impl InFlight {
    /// Enough in flight to send at least twice the target rate (a quarter more for a slower
    /// round trip under load), at least 4, at most `cap`. Over a 150 ms link, 1000/10s takes 39.
    pub fn choose(round_trip: Duration, target_per_s: f64, cap: usize) -> Self {
        // A round trip under a millisecond would choose 1 and leave no slack for jitter.
        let rtt = round_trip.as_secs_f64().max(1e-3);
        let want = (2.0 * target_per_s * rtt * 1.25).ceil() as usize + 1;
        let chosen = want.clamp(4, 1024).min(cap.max(1));
        InFlight {
            chosen,
            cap,
            round_trip_s: rtt,
            target_per_s,
            reachable_per_s: chosen as f64 / rtt,
            grows: false,
            grown_to: None,
            growth_stopped: None,
            then: None,
        }
    }

    /// The burst can never outrun the limit: no 429 would come, the budget would be spent on
    /// nothing.
    pub fn hopeless(&self) -> bool {
        self.reachable_per_s < self.target_per_s
    }

    /// Reaches the limit, but not twice it: the first 429 comes late and the burst blurs.
    /// (Slow start grows past it: not short.)
    pub fn short(&self) -> bool {
        !self.grows && self.reachable_per_s < 2.0 * self.target_per_s
    }

    /// One line for the user: what was chosen and why, or why it cannot work.
    pub fn describe(&self) -> String {
        let base = format!(
            "{} in flight (round trip {:.0} ms, so up to {:.0} requests/s; the limit to find is {:.1}/s)",
            self.chosen,
            self.round_trip_s * 1000.0,
            self.reachable_per_s,
            self.target_per_s
        );
        let need = (self.target_per_s * self.round_trip_s * 2.5).ceil() as usize + 1;
        if let Some(g) = self.grown_to {
            let mut s = format!(
                "{base}; slow start grew it to {g} (up to {:.0} requests/s) and stopped at {}",
                g as f64 / self.round_trip_s,
                self.growth_stopped.unwrap_or("the end")
            );
            if let Some(t) = self.then.filter(|&t| t != g) {
                let _ = write!(s, "; {t} in flight after that");
            }
            return s;
        }
        if self.hopeless() {
            format!(
                "{base}: this cannot outrun the limit, so no 429 would ever come; stopped before spending the budget. Allow more in flight (--concurrency {need})"
            )
        } else if self.short() {
            format!(
                "{base}: under twice the limit, the burst may blur the window; --concurrency {need} would reach it"
            )
        } else {
            base
        }
    }
}

pub struct Driver<T: Transport> {
    transport: Arc<T>,
    start: Instant,
    bounds: Bounds,
    samples: Arc<Mutex<Vec<Sample>>>,
    sent: u64,
    in_streak: bool,
    /// When each Retry-After runs out (since start), for the honesty check.
    deadlines: Vec<Duration>,
    /// When the latest Retry-After seen runs out (since start).
    blocked_until: Duration,
    /// Requests in flight during bursts: `bounds.concurrency` until burst mode chooses.
    in_flight: usize,
    /// What burst mode chose, for the report and the live line.
    pub chosen: Arc<Mutex<Option<InFlight>>>,
    /// Slow start is on (the first burst of burst mode without `--expect`).
    growing: bool,
    /// The most in flight slow start reached, and whether `--concurrency` stopped it.
    grown_to: usize,
    capped: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Burst {
    accepted: u64,
    limited: bool,
}

impl<T: Transport> Driver<T> {
    pub fn new(transport: T, bounds: Bounds, samples: Arc<Mutex<Vec<Sample>>>) -> Self {
        Driver {
            transport: Arc::new(transport),
            start: Instant::now(),
            bounds,
            samples,
            sent: 0,
            in_streak: false,
            deadlines: Vec::new(),
            blocked_until: Duration::ZERO,
            in_flight: bounds.concurrency,
            chosen: Arc::default(),
            growing: false,
            grown_to: 0,
            capped: false,
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn can_send(&self) -> bool {
        self.sent < self.bounds.max_requests && self.now() < self.bounds.max_duration
    }

    /// Start one request; the future records nothing, `record` does.
    fn launch(
        &mut self,
        phase: Phase,
        step: u32,
    ) -> impl Future<Output = (Sample, anyhow::Result<()>)> + use<T> {
        self.sent += 1;
        let t = Arc::clone(&self.transport);
        let start = self.start;
        let hold =
            if self.bounds.honor_retry_after && !matches!(phase, Phase::Ramp | Phase::Constant) {
                self.blocked_until
            } else {
                Duration::ZERO
            };
        async move {
            if hold > start.elapsed() {
                tokio::time::sleep_until(start + hold).await;
            }
            let sent = start.elapsed();
            let r = t.send().await;
            let received = start.elapsed();
            match r {
                Ok(o) => (
                    Sample {
                        sent,
                        received,
                        status: o.status,
                        phase,
                        step,
                        view: o.view,
                    },
                    Ok(()),
                ),
                Err(e) => (
                    Sample {
                        sent,
                        received,
                        status: 0,
                        phase,
                        step,
                        view: RateLimitView::default(),
                    },
                    Err(e),
                ),
            }
        }
    }

    fn record(&mut self, s: &Sample) {
        if s.limited()
            && let Some(ra) = s.view.retry_after
        {
            self.blocked_until = self.blocked_until.max(s.received + ra);
        }
        if s.limited() {
            if !self.in_streak
                && let Some(ra) = s.view.retry_after
            {
                self.deadlines.push(s.received + ra);
            }
            self.in_streak = true;
        } else if s.ok() {
            self.in_streak = false;
        }
        self.samples.lock().expect("samples lock").push(s.clone());
    }

    async fn one(&mut self, phase: Phase) -> anyhow::Result<Sample> {
        let (s, r) = self.launch(phase, 0).await;
        self.record(&s);
        r.map(|()| s)
    }

    /// Back-to-back with bounded concurrency, until a 429, `max` requests, or the bounds.
    async fn burst(&mut self, phase: Phase, max: Option<u64>) -> anyhow::Result<Burst> {
        self.burst_of(phase, max, true).await
    }

    /// Back-to-back: until a 429 when `until_429`, else all `max` of them (every refusal is
    /// evidence: the measure that tells a fixed window from a sliding log wants them all).
    async fn burst_of(
        &mut self,
        phase: Phase,
        max: Option<u64>,
        until_429: bool,
    ) -> anyhow::Result<Burst> {
        let mut b = Burst::default();
        let mut issued = 0u64;
        let mut inflight = FuturesUnordered::new();
        loop {
            while !(b.limited && until_429)
                && inflight.len() < self.in_flight
                && self.can_send()
                && max.is_none_or(|m| issued < m)
            {
                inflight.push(self.launch(phase, 0));
                issued += 1;
            }
            let Some((s, r)) = inflight.next().await else {
                return Ok(b);
            };
            self.record(&s);
            r?;
            if s.ok() && !b.limited {
                b.accepted += 1;
                if self.growing {
                    // One more per accepted response: the count doubles each round trip.
                    if self.in_flight >= self.bounds.concurrency {
                        self.capped = true;
                    } else {
                        self.in_flight += 1;
                    }
                    self.grown_to = self.grown_to.max(self.in_flight);
                }
            }
            if s.limited() {
                b.limited = true;
                self.growing = false;
            }
        }
    }

    /// Sparse single requests until one is accepted; `None` when the bounds ran out first.
    async fn until_accepted(&mut self) -> anyhow::Result<Option<Sample>> {
        // The wait began with the 429 that ended the last run of accepts.
        let waiting_since = self.now();
        loop {
            if !self.can_send() {
                return Ok(None);
            }
            let now = self.now();
            let pending = self.deadlines.iter().copied().filter(|&d| d > now).min();
            let next = next_sample(now, waiting_since, pending);
            let next = if self.bounds.honor_retry_after {
                next.max(self.blocked_until)
            } else {
                next
            };
            let next = next.min(self.bounds.max_duration);
            tokio::time::sleep_until(self.start + next).await;
            if !self.can_send() {
                return Ok(None);
            }
            let s = self.one(Phase::Probe).await?;
            if s.ok() {
                return Ok(Some(s));
            }
        }
    }

    /// The burst mode; the samples tell the rest.
    pub async fn burst_mode(&mut self) -> anyhow::Result<Ended> {
        // One request alone first: its headers are what the server says before any load, and a
        // 429 here means the key is already limited.
        let first = self.one(Phase::Burst).await?;
        if first.limited() {
            return Ok(Ended::Done);
        }
        let rtt = first.received.saturating_sub(first.sent);
        let Some(choice) = self.choose_in_flight(rtt) else {
            return Ok(Ended::Unreachable);
        };
        let b1 = self.burst(Phase::Burst, None).await?;
        let k1 = b1.accepted + u64::from(first.ok());
        if self.bounds.grow {
            self.growth_stopped(choice, b1.limited);
        }
        if !b1.limited {
            return Ok(Ended::Bounds);
        }
        let first_accept = self.first_accept_stamp();
        let Some(r1) = self.until_accepted().await? else {
            return Ok(Ended::Bounds);
        };
        // The first recovery's time: a window under a sliding log.
        let recovery_s = r1.stamp() - first_accept;
        if self.bounds.grow {
            self.settle_in_flight(rtt, k1, recovery_s);
        }
        // The second cycle goes out in two parts a gap apart: a fifth first, then the rest. A
        // fixed window returns all of it at once at its next boundary, a sliding log only the
        // first part (the rest ages out a gap later): asking for twice the first part then
        // tells them apart, cheaply (a half, as short windows used to, cost too much at 100).
        // Small limits take up to 5 (half at most), so the parts differ by more than noise.
        let first_part = (k1 / 5).max((k1 / 2).min(5)).max(2);
        let mut amount1 = 1;
        // A 429 within the first part means capacity is coming back little by little.
        if k1 >= 4 {
            let a = self.burst(Phase::Cycle, Some(first_part - 1)).await?;
            amount1 += a.accepted;
            if !a.limited {
                return self.second_part(first_part, amount1, recovery_s).await;
            }
        }
        self.gradual(k1, amount1).await
    }

    /// How many to keep in flight, from the first round trip; `None` when no count can reach
    /// the target rate.
    fn choose_in_flight(&mut self, rtt: Duration) -> Option<InFlight> {
        let choice = InFlight::choose(rtt, self.bounds.target_per_s, self.bounds.concurrency);
        *self.chosen.lock().expect("chosen lock") = Some(InFlight {
            grows: self.bounds.grow,
            ..choice
        });
        if choice.hopeless() {
            return None;
        }
        self.in_flight = choice.chosen;
        self.growing = self.bounds.grow;
        self.grown_to = choice.chosen;
        Some(choice)
    }

    /// Slow start ends with the first burst: record how far it grew and what stopped it.
    fn growth_stopped(&mut self, choice: InFlight, limited: bool) {
        self.growing = false;
        let stopped = if limited {
            "the first 429"
        } else if self.sent >= self.bounds.max_requests {
            "--max-requests"
        } else {
            "--max-duration"
        };
        *self.chosen.lock().expect("chosen lock") = Some(InFlight {
            grows: true,
            grown_to: Some(self.grown_to),
            growth_stopped: Some(if self.capped && limited {
                "the first 429 (after reaching --concurrency)"
            } else if self.capped {
                match stopped {
                    "--max-requests" => "--max-requests (after reaching --concurrency)",
                    _ => "--max-duration (after reaching --concurrency)",
                }
            } else {
                stopped
            }),
            then: None,
            ..choice
        });
    }

    /// The later bursts need only outrun k1 per window (as `--expect` would give): what slow
    /// start reached would spend its overshoot again on every burst. The window is the
    /// documented one, or the first recovery's time when that is clearly shorter (a 1 s window
    /// must not be chased with what 10 s need).
    fn settle_in_flight(&mut self, rtt: Duration, k1: u64, recovery_s: f64) {
        let doc = self.bounds.target_window.as_secs_f64().max(1e-3);
        let window = if recovery_s > 0.0 && recovery_s < doc / 2.0 {
            recovery_s
        } else {
            doc
        };
        let need = InFlight::choose(rtt, k1 as f64 / window, self.bounds.concurrency);
        let then = need.chosen.min(self.grown_to);
        self.in_flight = then;
        if let Some(c) = self.chosen.lock().expect("chosen lock").as_mut() {
            c.then = Some(then);
        }
    }

    /// The first part of the second cycle was all accepted: the rest after a gap, then, once
    /// capacity is back, ask for twice the first part.
    async fn second_part(
        &mut self,
        first_part: u64,
        mut amount1: u64,
        recovery_s: f64,
    ) -> anyhow::Result<Ended> {
        // Under a sliding log (r1 = first accept + W) this is half a window, so the two
        // parts age out visibly apart; under a fixed window it is at most about half a
        // window, so both parts land in the same window.
        let gap = Duration::from_secs_f64((recovery_s / 2.0).max(0.0)).max(MIN_SPACING * 2);
        let until = (self.now() + gap).min(self.bounds.max_duration);
        tokio::time::sleep_until(self.start + until).await;
        let b = self.burst(Phase::Cycle, None).await?;
        amount1 += b.accepted;
        if !b.limited {
            return Ok(Ended::Bounds);
        }
        let Some(_r2) = self.until_accepted().await? else {
            return Ok(Ended::Bounds);
        };
        // All of it back (fixed) or the first part (sliding).
        let ask = (2 * first_part).max(first_part + 2).min(amount1);
        let until_429 = self.bounds.honor_retry_after;
        self.burst_of(Phase::Measure, Some(ask - 1), until_429)
            .await?;
        Ok(Ended::Done)
    }

    /// Gradual: take what came back each time, until the rate is timed.
    async fn gradual(&mut self, k1: u64, amount1: u64) -> anyhow::Result<Ended> {
        // A sliding log after a spread-out burst returns it all within a window: once as much
        // as the burst has come back, more recoveries only repeat it.
        let mut recoveries = 1;
        let mut recovered = amount1;
        while (recoveries < GRADUAL_RECOVERIES || recovered < GRADUAL_TOKENS) && recovered < k1 {
            let b = self.burst(Phase::Cycle, None).await?;
            recovered += b.accepted;
            if !b.limited {
                return Ok(Ended::Bounds);
            }
            if self.until_accepted().await?.is_none() {
                return Ok(Ended::Bounds);
            }
            recovered += 1;
            recoveries += 1;
        }
        // The last recovery's run, so its amount is known too.
        self.burst(Phase::Cycle, None).await?;
        Ok(Ended::Done)
    }

    fn first_accept_stamp(&self) -> f64 {
        self.samples
            .lock()
            .expect("samples lock")
            .iter()
            .filter(|s| s.ok())
            .map(|s| s.stamp())
            .fold(f64::INFINITY, f64::min)
            .min(self.now().as_secs_f64())
    }

    /// Hold `rate` requests per second for `duration`, on absolute deadlines so lateness never
    /// adds up; 429s do not slow it (that is what this mode measures).
    async fn paced(
        &mut self,
        phase: Phase,
        step: u32,
        rate: f64,
        duration: Duration,
    ) -> anyhow::Result<Ended> {
        let begin = self.now();
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut i: u32 = 0;
        let mut inflight = FuturesUnordered::new();
        loop {
            let due = begin + interval * i;
            let sending = due < begin + duration && self.can_send();
            if !sending && inflight.is_empty() {
                return Ok(if due < begin + duration {
                    Ended::Bounds
                } else {
                    Ended::Done
                });
            }
            tokio::select! {
                _ = tokio::time::sleep_until(self.start + due), if sending && inflight.len() < self.bounds.concurrency => {
                    inflight.push(self.launch(phase, step));
                    i += 1;
                }
                Some((s, r)) = inflight.next(), if !inflight.is_empty() => {
                    self.record(&s);
                    r?;
                }
            }
        }
    }

    pub async fn constant(&mut self, rate: f64, duration: Duration) -> anyhow::Result<Ended> {
        self.paced(Phase::Constant, 0, rate, duration).await
    }

    /// Step through `rates`, holding each for `step`, and stop after the first step with a 429.
    pub async fn ramp(&mut self, rates: &[f64], step: Duration) -> anyhow::Result<Ended> {
        for (i, &rate) in rates.iter().enumerate() {
            let ended = self.paced(Phase::Ramp, i as u32, rate, step).await?;
            let limited = self
                .samples
                .lock()
                .expect("samples lock")
                .iter()
                .any(|s| s.step == i as u32 && s.limited());
            if limited {
                return Ok(Ended::Done);
            }
            if ended == Ended::Bounds {
                return Ok(Ended::Bounds);
            }
        }
        Ok(Ended::Done)
    }
}
