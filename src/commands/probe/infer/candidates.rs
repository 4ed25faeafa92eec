//! Stage 2: candidate models read off the recoveries, each tried across where its recovery is
//! known to lie; the replay picks among them.

use super::burst::FirstBurst;
use super::{Algorithm, Model, Recovery};

/// Stage 2: candidate models from the recoveries; the replay picks among them. A recovery is
/// only known between its last 429 and its first accept, so each estimate is tried across that
/// span and the best fit kept: a boundary read a few ms off would otherwise cut the burst in
/// two and blame the model.
pub(super) fn candidates(run: &FirstBurst) -> Vec<Model> {
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

/// Five points across `lo..=hi` (one when they are equal).
fn grid(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi - lo < 1e-9 {
        return vec![lo];
    }
    (0..5).map(|i| lo + (hi - lo) * i as f64 / 4.0).collect()
}
