//! Stage 3: replay each candidate model over the responses and score it by how many it
//! answers the same way; the best wins.

use super::{Algorithm, Inference, Model, Sample, Score};

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

/// Stage 3: replay every candidate; the best per algorithm goes into `inf.scores`, the best of
/// all is returned with how many responses it explains.
pub(super) fn pick(
    models: Vec<Model>,
    sorted: &[&Sample],
    inf: &mut Inference,
) -> Option<(Model, usize)> {
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
