//! From what the server answered to what it enforces: pure, so every rule is tested on exact
//! synthetic sequences.
//!
//! The server stamps a request somewhere between our send and the response, so each request is
//! placed at the midpoint of the two. A "recovery" is an accepted request right after a 429; its
//! time is the midpoint between that 429 and the accept, so it is known to half a sampling step.
//!
//! Each algorithm is a hypothesis with parameters read off the recoveries; each hypothesis is
//! then replayed over every response (would this model have accepted request k, given what the
//! server really accepted before it?), and the one that explains the most responses wins. The
//! driver makes the hypotheses disagree on purpose (see `driver`): the second cycle is sent in
//! two halves a gap apart, so a sliding log returns half of it at a time and a fixed window all.
//!
//! Burst mode's four stages each have a file: [`burst`] (the first burst and its recoveries),
//! [`candidates`] (models read off the recoveries), [`replay`] (each model replayed over the
//! responses and scored), [`verdict`] (the winner's figures, the verdict and the evidence).
//! [`headers`] judges what the server said (Retry-After, rate-limit headers); [`load`] reads
//! ramp and constant runs, which fit no model.

mod burst;
mod candidates;
mod headers;
mod load;
mod replay;
mod verdict;

use std::time::Duration;

use serde::Serialize;

use crate::http::RateLimitView;

/// What part of the protocol sent a request; inference reads the burst apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Burst,
    Probe,
    Cycle,
    Measure,
    Ramp,
    Constant,
}

/// One request as the probe saw it. `status` 0 is a transport failure.
#[derive(Debug, Clone)]
pub struct Sample {
    pub sent: Duration,
    pub received: Duration,
    pub status: u16,
    pub phase: Phase,
    /// The ramp step (0 otherwise).
    pub step: u32,
    pub view: RateLimitView,
}

impl Sample {
    pub fn stamp(&self) -> f64 {
        (self.sent.as_secs_f64() + self.received.as_secs_f64()) / 2.0
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn limited(&self) -> bool {
        self.status == 429
    }
}

/// The algorithms a server may limit by: the sandbox's own, so a probe names what it serves.
pub use crate::pacing::algorithm::Algorithm;

/// A limiter model to replay over the responses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub algorithm: Algorithm,
    /// Fixed/sliding: requests per window. Bucket: capacity.
    pub limit: f64,
    /// Fixed/sliding: the window. Bucket: time to refill one request (seconds).
    pub window: f64,
    /// Fixed: a window boundary (seconds since the probe started).
    pub phase: f64,
}

/// How well one model explains the responses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub algorithm: Algorithm,
    pub explained: usize,
    pub of: usize,
    pub limit: f64,
    pub window_s: f64,
    /// The smallest limit (capacity) and the longest window (refill interval, for a bucket)
    /// among this algorithm's candidates that explain as many responses: what the responses
    /// cannot rule out, so the safe side for advice.
    pub safe_limit: f64,
    pub safe_window_s: f64,
}

/// One recovery: capacity seen again after a 429.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Recovery {
    /// Between the last 429 and the first accept (seconds since start).
    pub at: f64,
    /// The stamp of the last 429 before it: capacity came back after this.
    pub last_refused: f64,
    /// The stamp of that first accept.
    pub first_accept: f64,
    /// Accepts in a row from there until the next 429 (or the end).
    pub amount: u64,
    /// Whether a 429 ended the run (false: we stopped sending first).
    pub ended_by_429: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetryAfterFindings {
    /// Every Retry-After value seen, in seconds, with how often.
    pub values: Vec<(f64, usize)>,
    /// A request sent right after the wait was accepted (and nothing was accepted before it).
    pub honest: usize,
    /// Capacity came back before the wait was over (a request during the wait was accepted).
    pub early: usize,
    /// The first request after the wait was refused, with nothing accepted during it.
    pub too_short: usize,
    /// The most capacity came back before the wait ended, in seconds.
    pub most_early_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeaderCheck {
    pub field: &'static str,
    pub said: String,
    pub observed: String,
    pub agrees: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeaderFindings {
    /// Conventions seen on any response (`x-ratelimit`, `ietf`, `retry-after`, ...).
    pub conventions: Vec<&'static str>,
    /// The rate-limit headers of the first response, as sent.
    pub first_response: Vec<(String, String)>,
    pub checks: Vec<HeaderCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Limit, window and algorithm inferred.
    Inferred,
    /// A 429 was seen but the run ended before the recovery told the rest.
    Partial,
    /// A model won, but another algorithm explains the responses nearly as well: see
    /// `alternative` and `to_decide`; the recommended flags are safe under both.
    Tentative,
    /// No 429 within the bounds.
    NoLimitReached,
    /// The very first request was refused.
    LimitedFromFirst,
    /// Ramp/constant modes: rates and acceptance, no model.
    Load,
}

#[derive(Debug, Clone, Serialize)]
pub struct RampStep {
    pub step: u32,
    pub rate_per_s: f64,
    pub sent: usize,
    pub accepted: usize,
    pub limited: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inference {
    pub verdict: Verdict,
    pub requests: usize,
    pub accepted: usize,
    pub limited: usize,
    pub failed: usize,
    /// Accepted before the first 429.
    pub burst: Option<u64>,
    pub first_429_s: Option<f64>,
    pub algorithm: Option<Algorithm>,
    /// Requests per window (fixed, sliding); for a bucket, rate × window.
    pub limit: Option<u64>,
    pub window_s: Option<f64>,
    /// Sustained requests per second the server allows.
    pub rate_per_s: Option<f64>,
    /// Token bucket: its capacity.
    pub capacity: Option<u64>,
    pub evidence: Vec<String>,
    pub scores: Vec<Score>,
    /// Tentative and partial verdicts: the runner-up model the run could not rule out.
    pub alternative: Option<Score>,
    /// What further evidence would decide between the verdict and the alternative.
    pub to_decide: Option<String>,
    pub recoveries: Vec<Recovery>,
    pub retry_after: RetryAfterFindings,
    pub headers: HeaderFindings,
    pub ramp: Vec<RampStep>,
}

pub use headers::{check_headers, retry_after};
pub use load::infer_load;

/// The earliest request sent that got a response.
pub(super) fn first_sent(samples: &[Sample]) -> Option<&Sample> {
    samples
        .iter()
        .filter(|s| s.status != 0)
        .min_by_key(|s| s.sent)
}

/// The responses in the order the server most likely handled them: the order they were sent.
/// Several in flight at once come back in any order, and midpoints would reorder them (a 429
/// "before" an accept the server handled first reads as a recovery); sends are not reordered by
/// the response path, and with one connection each, neither by the request path.
pub(super) fn by_stamp(samples: &[Sample]) -> Vec<&Sample> {
    let mut v: Vec<&Sample> = samples.iter().filter(|s| s.status != 0).collect();
    v.sort_by_key(|s| s.sent);
    v
}

/// Infer what the server enforces from a burst-mode run, in four stages: the first burst,
/// candidate models from the recoveries, the replay that scores them, and the verdict.
pub fn infer(samples: &[Sample], header_window: Option<Duration>) -> Inference {
    let sorted = by_stamp(samples);
    let mut inf = base(samples);
    let Some(run) = burst::first_burst(samples, &sorted, &mut inf) else {
        return inf;
    };
    let models = candidates::candidates(&run);
    let Some((m, explained)) = replay::pick(models, &sorted, &mut inf) else {
        return inf;
    };
    verdict::conclude(&mut inf, &run, m, explained, header_window);
    inf
}

fn base(samples: &[Sample]) -> Inference {
    let accepted = samples.iter().filter(|s| s.ok()).count();
    let limited = samples.iter().filter(|s| s.limited()).count();
    let failed = samples.iter().filter(|s| s.status == 0).count();
    Inference {
        verdict: Verdict::Partial,
        requests: samples.len(),
        accepted,
        limited,
        failed,
        burst: None,
        first_429_s: None,
        algorithm: None,
        limit: None,
        window_s: None,
        rate_per_s: None,
        capacity: None,
        evidence: Vec::new(),
        scores: Vec::new(),
        alternative: None,
        to_decide: None,
        recoveries: Vec::new(),
        retry_after: retry_after(samples),
        headers: HeaderFindings {
            conventions: Vec::new(),
            first_response: Vec::new(),
            checks: Vec::new(),
        },
        ramp: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A request sent at `t` ms, answered 2 ms later.
    fn at(t: u64, status: u16, phase: Phase) -> Sample {
        Sample {
            sent: ms(t),
            received: ms(t + 2),
            status,
            phase,
            step: 0,
            view: RateLimitView::default(),
        }
    }

    fn with_ra(mut s: Sample, secs: u64) -> Sample {
        s.view.retry_after = Some(Duration::from_secs(secs));
        s
    }

    /// A fixed window of 5 per 1000 ms with boundaries at 300, 1300, 2300 ms, probed the way
    /// the driver does it.
    fn fixed_run() -> Vec<Sample> {
        let mut v = Vec::new();
        for t in 0..5 {
            v.push(at(t * 3, 200, Phase::Burst));
        }
        v.push(with_ra(at(15, 429, Phase::Burst), 1));
        for t in (40..300).step_by(20) {
            v.push(at(t, 429, Phase::Probe));
        }
        // Boundary at 300: half (3) at once, the rest 150 ms later.
        v.push(at(305, 200, Phase::Probe));
        v.push(at(308, 200, Phase::Cycle));
        v.push(at(311, 200, Phase::Cycle));
        v.push(at(460, 200, Phase::Cycle));
        v.push(at(463, 200, Phase::Cycle));
        v.push(at(466, 429, Phase::Cycle));
        for t in (490..1300).step_by(40) {
            v.push(at(t, 429, Phase::Probe));
        }
        // Boundary at 1300: everything back at once.
        for t in [1305, 1308, 1311, 1314] {
            v.push(at(t, 200, Phase::Measure));
        }
        v
    }

    #[test]
    fn a_fixed_window_returns_everything_at_its_boundary() {
        let s = fixed_run();
        let inf = infer(&s, None);
        assert_eq!(inf.algorithm, Some(Algorithm::Fixed), "{inf:#?}");
        assert_eq!(inf.verdict, Verdict::Inferred);
        assert_eq!(inf.burst, Some(5));
        assert_eq!(inf.limit, Some(5));
        let w = inf.window_s.unwrap();
        assert!((w - 1.0).abs() < 0.05, "{w}");
        assert_eq!(inf.recoveries.len(), 2);
        assert_eq!(inf.recoveries[0].amount, 5);
        assert_eq!(inf.scores[0].explained, inf.scores[0].of);
    }

    #[test]
    fn a_sliding_log_returns_the_halves_a_gap_apart() {
        // 5 per 1000 ms sliding: the burst at 0..12 ages out at 1000..1012.
        let mut v = Vec::new();
        for t in 0..5 {
            v.push(at(t * 3, 200, Phase::Burst));
        }
        v.push(at(15, 429, Phase::Burst));
        for t in (40..1000).step_by(40) {
            v.push(at(t, 429, Phase::Probe));
        }
        v.push(at(1015, 200, Phase::Probe));
        v.push(at(1018, 200, Phase::Cycle));
        v.push(at(1021, 200, Phase::Cycle));
        v.push(at(1500, 200, Phase::Cycle));
        v.push(at(1503, 200, Phase::Cycle));
        v.push(at(1506, 429, Phase::Cycle));
        for t in (1540..2015).step_by(40) {
            v.push(at(t, 429, Phase::Probe));
        }
        // At 2020 only the first half (1016..1022) has aged out.
        v.push(at(2020, 200, Phase::Probe));
        v.push(at(2023, 200, Phase::Measure));
        v.push(at(2026, 200, Phase::Measure));
        v.push(at(2029, 429, Phase::Measure));
        let inf = infer(&v, None);
        assert_eq!(inf.algorithm, Some(Algorithm::Sliding), "{inf:#?}");
        assert_eq!(inf.limit, Some(5));
        assert!((inf.window_s.unwrap() - 1.0).abs() < 0.05, "{inf:#?}");
    }

    /// The sliding run above, cut before the measure that tells the two windows apart: both
    /// explain every response, so the verdict is tentative, names the other model and what
    /// would decide, and the advice holds under both.
    #[test]
    fn a_tie_between_windows_is_tentative_and_says_what_would_decide() {
        let mut v = Vec::new();
        for t in 0..5 {
            v.push(at(t * 3, 200, Phase::Burst));
        }
        v.push(at(15, 429, Phase::Burst));
        for t in (40..1000).step_by(40) {
            v.push(at(t, 429, Phase::Probe));
        }
        // The second cycle: a first part of 2 (the recovery and one more), the rest later.
        v.push(at(1015, 200, Phase::Probe));
        v.push(at(1018, 200, Phase::Cycle));
        v.push(at(1500, 200, Phase::Cycle));
        v.push(at(1503, 200, Phase::Cycle));
        v.push(at(1506, 200, Phase::Cycle));
        v.push(at(1509, 429, Phase::Cycle));
        for t in (1540..2015).step_by(40) {
            v.push(at(t, 429, Phase::Probe));
        }
        v.push(at(2020, 200, Phase::Probe));
        let inf = infer(&v, None);
        assert_eq!(inf.verdict, Verdict::Tentative, "{inf:#?}");
        let alt = inf.alternative.as_ref().expect("an alternative");
        assert_ne!(Some(alt.algorithm), inf.algorithm);
        assert!(
            inf.to_decide
                .as_deref()
                .is_some_and(|t| t.contains("two parts")),
            "{inf:#?}"
        );
        // The same responses with the measure that decides: no longer tentative.
        let mut decided = v.clone();
        // Asked for twice the first part: only the first part came back.
        decided.push(at(2023, 200, Phase::Measure));
        decided.push(at(2026, 429, Phase::Measure));
        decided.push(at(2029, 429, Phase::Measure));
        let inf2 = infer(&decided, None);
        assert_eq!(inf2.verdict, Verdict::Inferred, "{inf2:#?}");
        assert_eq!(inf2.algorithm, Some(Algorithm::Sliding));
        assert_eq!(inf2.alternative, None);
        // Advice safe under both: no model not ruled out allows less.
        let rec = crate::commands::probe::report::recommend(&inf).unwrap();
        let r: crate::pacing::budget::Rate = rec.rate.parse().unwrap();
        for s in [
            inf.scores
                .iter()
                .find(|s| Some(s.algorithm) == inf.algorithm)
                .unwrap(),
            alt,
        ] {
            assert!(
                r.per_second() <= s.safe_limit / s.safe_window_s + 1e-9,
                "{rec:?} {s:?}"
            );
        }
        assert_eq!(rec.burst, None);
    }

    #[test]
    fn a_bucket_returns_one_request_at_a_steady_rate() {
        // Capacity 4, one token per 250 ms.
        let mut v = Vec::new();
        for t in 0..4 {
            v.push(at(t * 2, 200, Phase::Burst));
        }
        v.push(at(8, 429, Phase::Burst));
        let mut t = 20;
        let mut next_token = 251;
        while t < 1800 {
            if t >= next_token {
                v.push(at(t, 200, Phase::Probe));
                v.push(at(t + 3, 429, Phase::Cycle));
                next_token += 250;
                t += 6;
            } else {
                v.push(at(t, 429, Phase::Probe));
                t += 15;
            }
        }
        let inf = infer(&v, None);
        assert_eq!(inf.algorithm, Some(Algorithm::Bucket), "{inf:#?}");
        assert_eq!(inf.capacity, Some(4));
        assert!((inf.rate_per_s.unwrap() - 4.0).abs() < 0.2, "{inf:#?}");
        // No window stated: the time to refill from empty.
        assert!((inf.window_s.unwrap() - 1.0).abs() < 0.1);
        assert!((infer(&v, Some(Duration::from_secs(10))).window_s.unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn no_429_means_no_limit_reached() {
        let v: Vec<Sample> = (0..30).map(|t| at(t, 200, Phase::Burst)).collect();
        let inf = infer(&v, None);
        assert_eq!(inf.verdict, Verdict::NoLimitReached);
        assert_eq!(inf.burst, Some(30));
        assert_eq!(inf.evidence, ["no limit reached within 30 requests"]);
    }

    #[test]
    fn a_429_first_is_reported_as_such() {
        let v = vec![at(0, 429, Phase::Burst)];
        assert_eq!(infer(&v, None).verdict, Verdict::LimitedFromFirst);
        assert_eq!(infer_load(&v, &[1.0]).verdict, Verdict::LimitedFromFirst);
    }

    #[test]
    fn a_429_with_no_recovery_in_time_is_partial() {
        let mut v: Vec<Sample> = (0..3).map(|t| at(t, 200, Phase::Burst)).collect();
        v.push(at(5, 429, Phase::Burst));
        v.push(at(50, 429, Phase::Probe));
        let inf = infer(&v, None);
        assert_eq!(inf.verdict, Verdict::Partial);
        assert_eq!(inf.limit, Some(3));
        assert_eq!(inf.window_s, None);
    }

    #[test]
    fn retry_after_is_judged_by_the_request_right_after_the_wait() {
        // Honest: nothing accepted during the 1 s wait, accepted right after it.
        let v = vec![
            at(0, 200, Phase::Burst),
            with_ra(at(3, 429, Phase::Burst), 1),
            at(500, 429, Phase::Probe),
            at(1006, 200, Phase::Probe),
        ];
        let f = retry_after(&v);
        assert_eq!((f.honest, f.early, f.too_short), (1, 0, 0));
        assert_eq!(f.values, [(1.0, 1)]);
        // Too short: refused right after the wait, nothing accepted during it.
        let v = vec![
            at(0, 200, Phase::Burst),
            with_ra(at(3, 429, Phase::Burst), 1),
            at(1006, 429, Phase::Probe),
            at(1500, 200, Phase::Probe),
        ];
        let f = retry_after(&v);
        assert_eq!((f.honest, f.early, f.too_short), (0, 0, 1));
        // Early: capacity was back 600 ms before the wait ended.
        let v = vec![
            at(0, 200, Phase::Burst),
            with_ra(at(3, 429, Phase::Burst), 1),
            at(400, 200, Phase::Probe),
        ];
        let f = retry_after(&v);
        assert_eq!((f.honest, f.early, f.too_short), (0, 1, 0));
        assert!((f.most_early_s.unwrap() - 0.604).abs() < 1e-9);
    }

    #[test]
    fn headers_are_checked_against_what_was_seen() {
        let mut s = fixed_run();
        for x in s.iter_mut() {
            x.view.limit = Some(5);
            x.view.conventions = vec!["x-ratelimit"];
        }
        s[4].view.remaining = Some(0);
        let inf = infer(&s, None);
        let h = check_headers(&s, &inf);
        assert_eq!(h.conventions, ["x-ratelimit"]);
        assert!(h.checks.iter().all(|c| c.agrees), "{h:#?}");
        for x in s.iter_mut() {
            x.view.limit = Some(50);
        }
        let h = check_headers(&s, &inf);
        assert!(h.checks.iter().any(|c| c.field == "limit" && !c.agrees));
    }

    #[test]
    fn ramp_steps_are_counted_apart() {
        let mut v = Vec::new();
        for t in 0..5 {
            v.push(at(t * 200, 200, Phase::Ramp));
        }
        for t in 0..10 {
            let mut s = at(1000 + t * 100, if t < 3 { 200 } else { 429 }, Phase::Ramp);
            s.step = 1;
            v.push(s);
        }
        let inf = infer_load(&v, &[5.0, 10.0]);
        assert_eq!(inf.verdict, Verdict::Load);
        assert_eq!(inf.ramp.len(), 2);
        assert_eq!((inf.ramp[1].accepted, inf.ramp[1].limited), (3, 7));
        assert_eq!(inf.burst, Some(8));
        assert!(
            inf.evidence
                .iter()
                .any(|e| e.contains("highest rate with no 429: 5.00/s"))
        );
    }
}
