//! Stage 4: the winning model's figures, the verdict (tentative when another model comes
//! close), and the evidence in words.

use std::time::Duration;

use super::burst::FirstBurst;
use super::{Algorithm, Inference, Model, Recovery, Verdict};

/// Stage 4: the winning model's figures, the verdict and the evidence.
pub(super) fn conclude(
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
