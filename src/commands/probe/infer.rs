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

/// The earliest request sent that got a response.
fn first_sent(samples: &[Sample]) -> Option<&Sample> {
    samples
        .iter()
        .filter(|s| s.status != 0)
        .min_by_key(|s| s.sent)
}

/// The responses in the order the server most likely handled them: the order they were sent.
/// Several in flight at once come back in any order, and midpoints would reorder them (a 429
/// "before" an accept the server handled first reads as a recovery); sends are not reordered by
/// the response path, and with one connection each, neither by the request path.
fn by_stamp(samples: &[Sample]) -> Vec<&Sample> {
    let mut v: Vec<&Sample> = samples.iter().filter(|s| s.status != 0).collect();
    v.sort_by_key(|s| s.sent);
    v
}

/// Capacity seen again after each 429 streak, in time order, from the responses after `from`.
pub fn recoveries(sorted: &[&Sample], from: f64) -> Vec<Recovery> {
    let mut out: Vec<Recovery> = Vec::new();
    // The last 429: its stamp, and when its response came back.
    let mut last_429: Option<(f64, f64)> = None;
    let mut open: Option<usize> = None;
    for s in sorted.iter().filter(|s| s.stamp() >= from) {
        if s.limited() {
            if let Some(i) = open.take() {
                out[i].ended_by_429 = true;
            }
            last_429 = Some((s.stamp(), s.received.as_secs_f64()));
        } else if s.ok() {
            match (open, last_429) {
                (Some(i), _) => out[i].amount += 1,
                // Sent before that 429 came back: in flight alongside it, so the server may
                // have handled it first. It belongs with the run before the 429, not after.
                (None, Some((_, back))) if s.sent.as_secs_f64() < back => {
                    if let Some(r) = out.last_mut() {
                        r.amount += 1;
                    }
                }
                (None, Some((l, _))) => {
                    out.push(Recovery {
                        at: (l + s.stamp()) / 2.0,
                        last_refused: l,
                        first_accept: s.stamp(),
                        amount: 1,
                        ended_by_429: false,
                    });
                    open = Some(out.len() - 1);
                }
                (None, None) => {}
            }
        }
    }
    out
}

/// Five points across `lo..=hi` (one when they are equal).
fn grid(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi - lo < 1e-9 {
        return vec![lo];
    }
    (0..5).map(|i| lo + (hi - lo) * i as f64 / 4.0).collect()
}

/// How far candidate `k` is from the middle of its algorithm's candidates (window and phase).
fn centre_distance(scored: &[(Model, usize)], k: usize) -> f64 {
    let m = scored[k].0;
    let same: Vec<&Model> = scored
        .iter()
        .map(|(x, _)| x)
        .filter(|x| x.algorithm == m.algorithm && x.limit == m.limit)
        .collect();
    let mean = |f: fn(&Model) -> f64| same.iter().map(|x| f(x)).sum::<f64>() / same.len() as f64;
    (m.window - mean(|x| x.window)).abs() + (m.phase - mean(|x| x.phase)).abs()
}

/// Replay a model over the responses: how many of them would it have answered the same way?
/// Each decision is conditioned on what the server really accepted before, so one miss does not
/// cascade.
pub fn explain(model: &Model, sorted: &[&Sample]) -> usize {
    let mut accepted: Vec<f64> = Vec::new();
    // Bucket (GCRA): the theoretical arrival time of the next request.
    let mut tat = f64::NEG_INFINITY;
    let mut matches = 0;
    for s in sorted {
        let t = s.stamp();
        let predicted_ok = match model.algorithm {
            Algorithm::Fixed => {
                let w = model.window;
                let start = model.phase + ((t - model.phase) / w).floor() * w;
                let used = accepted.iter().filter(|&&a| a >= start && a <= t).count();
                (used as f64) < model.limit - 0.5
            }
            Algorithm::Sliding => {
                let used = accepted
                    .iter()
                    .filter(|&&a| a > t - model.window && a <= t)
                    .count();
                (used as f64) < model.limit - 0.5
            }
            Algorithm::Bucket => {
                let tau = model.window * (model.limit - 1.0);
                tat.max(t) - t <= tau + model.window * 0.05
            }
        };
        if predicted_ok == s.ok() {
            matches += 1;
        }
        if s.ok() {
            accepted.push(t);
            tat = tat.max(t) + model.window;
        }
    }
    matches
}

/// Infer what the server enforces from a burst-mode run, in four stages: the first burst,
/// candidate models from the recoveries, the replay that scores them, and the verdict.
pub fn infer(samples: &[Sample], header_window: Option<Duration>) -> Inference {
    let sorted = by_stamp(samples);
    let mut inf = base(samples);
    let Some(run) = first_burst(samples, &sorted, &mut inf) else {
        return inf;
    };
    let models = candidates(&run);
    let Some((m, explained)) = pick(models, &sorted, &mut inf) else {
        return inf;
    };
    conclude(&mut inf, &run, m, explained, header_window);
    inf
}

/// What the first burst and the recoveries after it showed.
struct FirstBurst {
    /// Accepted before the first 429.
    k1: u64,
    /// The first 429's stamp.
    t1: f64,
    /// The first accept's stamp.
    a1: f64,
    recs: Vec<Recovery>,
    /// The first recovery returned a lot at once (fixed window or sliding log), not a trickle.
    full: bool,
}

/// Stage 1: the burst and its recoveries; `None` (with `inf` already told why) when the run
/// has nothing to fit a model to.
fn first_burst(samples: &[Sample], sorted: &[&Sample], inf: &mut Inference) -> Option<FirstBurst> {
    if first_sent(samples).is_some_and(|s| s.limited()) {
        inf.verdict = Verdict::LimitedFromFirst;
        inf.burst = Some(0);
        inf.evidence
            .push("the very first request was refused: the key is already limited".into());
        return None;
    }
    let Some(first_429) = sorted.iter().find(|s| s.limited()) else {
        inf.verdict = Verdict::NoLimitReached;
        inf.burst = Some(inf.accepted as u64);
        inf.evidence
            .push(format!("no limit reached within {} requests", inf.requests));
        return None;
    };
    let t1 = first_429.stamp();
    // Requests already in flight when the first 429 came back belong to the burst too: with
    // several in flight, a 429 can be stamped before an accept sent at the same moment.
    let k1 = samples
        .iter()
        .filter(|s| s.ok() && (s.phase == Phase::Burst || s.stamp() < t1))
        .count() as u64;
    let a1 = sorted.iter().find(|s| s.ok()).map_or(0.0, |s| s.stamp());
    inf.burst = Some(k1);
    inf.first_429_s = Some(t1);
    let recs = recoveries(sorted, t1);
    inf.recoveries = recs.clone();
    inf.verdict = Verdict::Partial;
    let Some(r1) = recs.first().copied() else {
        inf.limit = Some(k1);
        inf.evidence.push(format!(
            "{k1} accepted, then 429s until the run ended: capacity did not come back in time to tell the window"
        ));
        return None;
    };
    let full = r1.amount as f64 >= (k1 as f64 / 2.0).max(2.0);
    Some(FirstBurst {
        k1,
        t1,
        a1,
        recs,
        full,
    })
}

/// Models of `alg` at `limit` across a window span and a phase span (5 × 5 points).
fn push_grid(
    models: &mut Vec<Model>,
    algorithm: Algorithm,
    limit: f64,
    (wlo, whi): (f64, f64),
    (plo, phi): (f64, f64),
) {
    for window in grid(wlo, whi) {
        for phase in grid(plo, phi) {
            models.push(Model {
                algorithm,
                limit,
                window,
                phase,
            });
        }
    }
}

/// Between a recovery's last 429 and its first accept: where capacity came back.
fn span(r: Recovery) -> (f64, f64) {
    (r.last_refused, r.first_accept)
}

/// Stage 2: candidate models from the recoveries; the replay picks among them. A recovery is
/// only known between its last 429 and its first accept, so each estimate is tried across that
/// span and the best fit kept: a boundary read a few ms off would otherwise cut the burst in
/// two and blame the model.
fn candidates(run: &FirstBurst) -> Vec<Model> {
    if run.full {
        windowed_candidates(run)
    } else {
        gradual_candidates(run)
    }
}

/// A lot came back at once: a fixed window or a sliding log (a bucket only as a long shot).
fn windowed_candidates(run: &FirstBurst) -> Vec<Model> {
    let &FirstBurst { k1, a1, .. } = run;
    let r1 = run.recs[0];
    let r2 = run.recs.get(1).copied();
    let mut models = Vec::new();
    let n = r1.amount.max(1) as f64;
    if let Some(r2) = r2 {
        // The designed experiment: the second cycle went out in two halves a gap apart,
        // so a 429 before three quarters of it came back says sliding log. With a small
        // limit that is a single response, so it also orders the candidates for a tie.
        let halves = r2.ended_by_429 && (r2.amount as f64) < n * 0.75;
        let fixed = (
            Algorithm::Fixed,
            (
                r2.last_refused - r1.first_accept,
                r2.first_accept - r1.last_refused,
            ),
            span(r1),
        );
        let sliding = (
            Algorithm::Sliding,
            (
                r2.last_refused - r1.first_accept,
                r2.first_accept - r1.first_accept,
            ),
            (0.0, 0.0),
        );
        let order = if halves {
            [sliding, fixed]
        } else {
            [fixed, sliding]
        };
        for (alg, w, p) in order {
            push_grid(&mut models, alg, n, w, p);
        }
    }
    push_grid(
        &mut models,
        Algorithm::Sliding,
        k1 as f64,
        (r1.last_refused - a1, r1.first_accept - a1),
        (0.0, 0.0),
    );
    let w = r2.map_or(r1.at - a1, |r2| r2.at - r1.at).max(1e-3);
    // What the bucket held, not what refilled while the burst was being sent.
    let held = (k1 as f64 - (run.t1 - a1) / (w / n)).round().max(1.0);
    models.push(Model {
        algorithm: Algorithm::Bucket,
        limit: held,
        window: w / n,
        phase: 0.0,
    });
    models
}

/// Capacity came back a little at a time: a bucket refilling, or a sliding log whose burst was
/// spread out and ages out as spread.
fn gradual_candidates(run: &FirstBurst) -> Vec<Model> {
    let &FirstBurst { k1, t1, a1, .. } = run;
    let recs = &run.recs;
    let r1 = recs[0];
    let mut models = Vec::new();
    let interval = if recs.len() >= 2 {
        let last = recs[recs.len() - 1];
        let tokens: u64 = recs[1..].iter().map(|r| r.amount).sum();
        let t = tokens.max(1) as f64;
        (
            (last.last_refused - r1.first_accept) / t,
            (last.first_accept - r1.last_refused) / t,
        )
    } else {
        let i = (r1.at - t1) / r1.amount.max(1) as f64;
        (i, i)
    };
    // The bucket refilled while the burst was being sent: what it held is less than the
    // burst by that much (a lot over a slow link).
    for i in grid(interval.0.max(1e-6), interval.1.max(1e-6)) {
        let held = (k1 as f64 - (t1 - a1) / i).round().max(1.0);
        for b in [held - 1.0, held, held + 1.0] {
            if b >= 1.0 {
                models.push(Model {
                    algorithm: Algorithm::Bucket,
                    limit: b,
                    window: i,
                    phase: 0.0,
                });
            }
        }
    }
    push_grid(
        &mut models,
        Algorithm::Sliding,
        k1 as f64,
        (r1.last_refused - a1, r1.first_accept - a1),
        (0.0, 0.0),
    );
    if let Some(r2) = recs.get(1).copied() {
        push_grid(
            &mut models,
            Algorithm::Fixed,
            k1 as f64,
            (
                r2.last_refused - r1.first_accept,
                r2.first_accept - r1.last_refused,
            ),
            span(r1),
        );
    }
    models
}

/// Stage 3: replay every candidate; the best per algorithm goes into `inf.scores`, the best of
/// all is returned with how many responses it explains.
fn pick(models: Vec<Model>, sorted: &[&Sample], inf: &mut Inference) -> Option<(Model, usize)> {
    let total = sorted.len();
    let mut scored: Vec<(Model, usize)> = models
        .into_iter()
        .filter(|m| m.window > 0.0 && m.limit >= 1.0)
        .map(|m| (m, explain(&m, sorted)))
        .collect();
    // Ties go to the earlier candidate (the shape of the first recovery ordered the
    // algorithms); within an algorithm, to the estimate nearest the middle of its span.
    let mut best: Option<(Model, usize, f64)> = None;
    for (k, (m, e)) in scored.iter().enumerate() {
        let centrality = centre_distance(&scored, k);
        let better = match best {
            None => true,
            Some((b, be, bc)) => {
                *e > be || (*e == be && b.algorithm == m.algorithm && centrality < bc)
            }
        };
        if better {
            best = Some((*m, *e, centrality));
        }
    }
    // One score per algorithm for the report: its best candidate.
    scored.sort_by_key(|s| std::cmp::Reverse(s.1));
    let mut seen = Vec::new();
    for (m, e) in &scored {
        if !seen.contains(&m.algorithm) {
            seen.push(m.algorithm);
            let ties = scored
                .iter()
                .filter(|(x, xe)| x.algorithm == m.algorithm && xe == e);
            let (safe_limit, safe_window_s) = ties
                .fold((f64::INFINITY, 0.0f64), |(l, w), (x, _)| {
                    (l.min(x.limit), w.max(x.window))
                });
            inf.scores.push(Score {
                algorithm: m.algorithm,
                explained: *e,
                of: total,
                limit: m.limit,
                window_s: m.window,
                safe_limit,
                safe_window_s,
            });
        }
    }
    best.map(|(m, e, _)| (m, e))
}

/// How close another algorithm may come before the verdict is only tentative. The designed
/// experiment makes a fixed window and a sliding log disagree on a fifth of the limit (at
/// least 2 responses); one response apart is noise, not evidence; large runs allow a little
/// more noise (a quarter of a percent).
fn tie_margin(total: usize) -> usize {
    1 + total / 400
}

/// Stage 4b: when another algorithm explains the responses nearly as well, or the run ended
/// before a second recovery, say so, name the alternative and what would decide.
fn undecided(inf: &mut Inference, m: Model, explained: usize, recoveries: usize) {
    let total = inf.scores.first().map_or(0, |s| s.of);
    let runner_up = inf
        .scores
        .iter()
        .find(|s| s.algorithm != m.algorithm)
        .cloned();
    let close = runner_up
        .as_ref()
        .is_some_and(|r| r.explained + tie_margin(total) >= explained);
    if close && inf.verdict == Verdict::Inferred {
        inf.verdict = Verdict::Tentative;
    }
    if inf.verdict == Verdict::Inferred {
        return;
    }
    let Some(alt) = runner_up else {
        return;
    };
    inf.to_decide = Some(match (m.algorithm, alt.algorithm) {
        (Algorithm::Bucket, _) | (_, Algorithm::Bucket) => format!(
            "more recoveries: a token bucket returns one request every {:.3} s steadily, a window returns its whole limit at once; rerun with a larger --max-requests or --max-duration",
            1.0 / inf.rate_per_s.unwrap_or(1.0).max(1e-9)
        ),
        _ if recoveries < 2 => "a second recovery, after a cycle sent in two parts a gap apart and timed against the first accept: a fixed window then returns all of it at once, a sliding log only the first part; rerun with a larger --max-requests or --max-duration, or without --honor-retry-after".into(),
        _ => "which part of the second cycle came back first: it was sent in two parts a gap apart (a fixed window returns both at its boundary, a sliding log only the first), but timing noise blurred the answer; rerun from nearer the server or on a less loaded machine".into(),
    });
    inf.alternative = Some(alt);
}

/// Stage 4: the winning model's figures, the verdict and the evidence.
fn conclude(
    inf: &mut Inference,
    run: &FirstBurst,
    m: Model,
    explained: usize,
    header_window: Option<Duration>,
) {
    let total = inf.scores.first().map_or(0, |s| s.of);
    inf.algorithm = Some(m.algorithm);
    match m.algorithm {
        Algorithm::Fixed | Algorithm::Sliding => {
            inf.limit = Some(m.limit.round() as u64);
            inf.window_s = Some(m.window);
            inf.rate_per_s = Some(m.limit / m.window);
            // One recovery cannot tell a sliding log from a fixed window whose boundary fell
            // a window after the first accept: it takes a second.
            inf.verdict = if run.recs.len() >= 2 {
                Verdict::Inferred
            } else {
                Verdict::Partial
            };
        }
        Algorithm::Bucket => {
            let rate = 1.0 / m.window;
            // The bucket's window is not observable (any N/W with the same ratio behaves the
            // same): take the one the server states, else the time to refill from empty.
            let w = header_window
                .map(|d| d.as_secs_f64())
                .unwrap_or(m.limit / rate);
            inf.capacity = Some(m.limit.round() as u64);
            inf.rate_per_s = Some(rate);
            inf.window_s = Some(w);
            inf.limit = Some((rate * w).round() as u64);
            inf.verdict = if run.recs.len() >= 3 {
                Verdict::Inferred
            } else {
                Verdict::Partial
            };
        }
    }
    undecided(inf, m, explained, run.recs.len());
    inf.evidence = evidence(&m, explained, total, (run.k1, run.t1), &run.recs, run.full);
}

fn evidence(
    m: &Model,
    explained: usize,
    total: usize,
    (k1, t1): (u64, f64),
    recs: &[Recovery],
    full: bool,
) -> Vec<String> {
    let mut ev = Vec::new();
    let r1 = recs[0];
    ev.push(format!(
        "{k1} accepted back-to-back before the first 429; capacity first came back {:.2} s later, {} request(s) at once",
        r1.at - t1,
        r1.amount
    ));
    match m.algorithm {
        Algorithm::Fixed => ev.push(format!(
            "all capacity returned at once at boundaries {:.2} s apart, whenever the requests were sent",
            m.window
        )),
        Algorithm::Sliding => ev.push(format!(
            "capacity returned {:.2} s after each accepted request, as the requests aged out{}",
            m.window,
            if full && recs.len() >= 2 {
                format!(
                    " (the second cycle, sent in two parts a gap apart, came back {} at a time)",
                    recs[1].amount
                )
            } else {
                String::new()
            }
        )),
        Algorithm::Bucket => ev.push(format!(
            "after the burst, capacity returned one request every {:.3} s ({:.2}/s), steadily, over {} recoveries",
            m.window,
            1.0 / m.window,
            recs.len()
        )),
    }
    ev.push(format!(
        "this model reproduces {explained} of {total} responses"
    ));
    ev
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

/// Was each Retry-After honest? For the first 429 of each streak, look at the first request sent
/// once its wait was over: accepted is honest, refused is a wait too short, unless something
/// was accepted during the wait (capacity came back early; our own requests may have used it).
pub fn retry_after(samples: &[Sample]) -> RetryAfterFindings {
    let sorted = by_stamp(samples);
    let mut f = RetryAfterFindings {
        values: Vec::new(),
        honest: 0,
        early: 0,
        too_short: 0,
        most_early_s: None,
    };
    for s in &sorted {
        if let Some(ra) = s.view.retry_after {
            let v = (ra.as_secs_f64() * 1000.0).round() / 1000.0;
            match f.values.iter_mut().find(|(x, _)| *x == v) {
                Some((_, n)) => *n += 1,
                None => f.values.push((v, 1)),
            }
        }
    }
    f.values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut prev_limited = false;
    for (i, s) in sorted.iter().enumerate() {
        let streak_start = s.limited() && !prev_limited;
        prev_limited = s.limited();
        let (true, Some(ra)) = (streak_start, s.view.retry_after) else {
            continue;
        };
        let deadline = s.received.as_secs_f64() + ra.as_secs_f64();
        let rest = &sorted[i + 1..];
        let during = rest
            .iter()
            .find(|x| x.ok() && x.sent.as_secs_f64() < deadline);
        if let Some(early) = during {
            f.early += 1;
            let by = deadline - early.stamp();
            f.most_early_s = Some(f.most_early_s.map_or(by, |m: f64| m.max(by)));
            continue;
        }
        match rest.iter().find(|x| x.sent.as_secs_f64() >= deadline) {
            Some(x) if x.ok() => f.honest += 1,
            Some(x) if x.limited() => f.too_short += 1,
            _ => {}
        }
    }
    f
}

/// Which headers came back, and whether what they said matches what was observed.
pub fn check_headers(samples: &[Sample], inf: &Inference) -> HeaderFindings {
    let mut h = HeaderFindings {
        conventions: Vec::new(),
        first_response: first_sent(samples)
            .map(|s| s.view.headers.clone())
            .unwrap_or_default(),
        checks: Vec::new(),
    };
    for s in samples {
        for c in &s.view.conventions {
            if !h.conventions.contains(c) {
                h.conventions.push(c);
            }
        }
    }
    let said_limit = samples.iter().find_map(|s| s.view.limit);
    let expected_limit = if inf.algorithm == Some(Algorithm::Bucket) {
        inf.capacity
    } else {
        inf.limit
    };
    if let (Some(said), Some(obs)) = (said_limit, expected_limit) {
        h.checks.push(HeaderCheck {
            field: "limit",
            said: said.to_string(),
            observed: obs.to_string(),
            agrees: (said as f64 - obs as f64).abs() <= (obs as f64 * 0.05).max(1.0),
        });
    }
    let said_window = samples.iter().find_map(|s| s.view.window);
    if let (Some(said), Some(obs)) = (said_window, inf.window_s) {
        let said = said.as_secs_f64();
        h.checks.push(HeaderCheck {
            field: "window",
            said: format!("{said} s"),
            observed: format!("{obs:.2} s"),
            // Headers state whole seconds: a 500 ms window reads as 1.
            agrees: (said - obs).abs() <= (obs * 0.1).max(1.0),
        });
    }
    // The last accept before the first 429 should have said no request was left.
    if let Some(t1) = inf.first_429_s {
        // The lowest, not the last: responses to requests in flight together come back in
        // any order.
        let lowest = samples
            .iter()
            .filter(|s| s.ok() && (s.phase == Phase::Burst || s.stamp() < t1))
            .filter_map(|s| s.view.remaining)
            .min();
        if let Some(rem) = lowest {
            h.checks.push(HeaderCheck {
                field: "remaining",
                said: format!("{rem} at the lowest before the first 429"),
                observed: "0".into(),
                agrees: rem <= 1,
            });
        }
        let first = samples.iter().find(|s| s.limited() && s.stamp() >= t1);
        if let (Some(reset), Some(r1)) = (first.and_then(|s| s.view.reset), inf.recoveries.first())
        {
            let obs = r1.at - t1;
            let said = reset.as_secs_f64();
            h.checks.push(HeaderCheck {
                field: "reset",
                said: format!("{said} s on the first 429"),
                observed: format!("{obs:.2} s until capacity came back"),
                // Whole seconds rounded up; a bucket's reset is "full again", later than one.
                agrees: said + 0.1 >= obs
                    && (inf.algorithm == Some(Algorithm::Bucket) || said <= obs + 1.1),
            });
        }
    }
    h
}

/// Ramp and constant modes: per-step acceptance and the sustained rate, no model.
pub fn infer_load(samples: &[Sample], rates: &[f64]) -> Inference {
    let sorted = by_stamp(samples);
    let mut inf = base(samples);
    inf.verdict = Verdict::Load;
    if first_sent(samples).is_some_and(|s| s.limited()) {
        inf.verdict = Verdict::LimitedFromFirst;
        inf.burst = Some(0);
    }
    let t1 = sorted.iter().find(|s| s.limited()).map(|s| s.stamp());
    inf.first_429_s = t1;
    if inf.verdict != Verdict::LimitedFromFirst {
        inf.burst = Some(match t1 {
            Some(t1) => sorted.iter().filter(|s| s.ok() && s.stamp() < t1).count() as u64,
            None => inf.accepted as u64,
        });
    }
    for (i, &rate) in rates.iter().enumerate() {
        let step: Vec<&Sample> = samples.iter().filter(|s| s.step == i as u32).collect();
        if step.is_empty() {
            continue;
        }
        inf.ramp.push(RampStep {
            step: i as u32,
            rate_per_s: rate,
            sent: step.len(),
            accepted: step.iter().filter(|s| s.ok()).count(),
            limited: step.iter().filter(|s| s.limited()).count(),
        });
    }
    if let Some(t1) = t1 {
        // Once limited, what gets through is what the server refills: its sustained rate.
        let after: Vec<&&Sample> = sorted.iter().filter(|s| s.stamp() >= t1).collect();
        let oks = after.iter().filter(|s| s.ok()).count();
        let span = after.last().map_or(0.0, |s| s.stamp()) - t1;
        if span > 0.0 && oks > 0 {
            inf.rate_per_s = Some(oks as f64 / span);
        }
        inf.evidence.push(format!(
            "first 429 after {:.2} s; {} of {} requests were limited",
            t1, inf.limited, inf.requests
        ));
        if let Some(r) = inf.rate_per_s {
            inf.evidence.push(format!(
                "once limited, {r:.2} requests per second got through (the sustained rate)"
            ));
        }
    } else {
        inf.evidence
            .push(format!("no limit reached within {} requests", inf.requests));
    }
    if let Some(clean) = inf.ramp.iter().rev().find(|s| s.limited == 0 && s.sent > 0)
        && inf.ramp.iter().any(|s| s.limited > 0)
    {
        inf.evidence.push(format!(
            "highest rate with no 429: {:.2}/s",
            clean.rate_per_s
        ));
    }
    inf
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
