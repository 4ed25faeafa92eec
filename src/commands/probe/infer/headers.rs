//! What the server said, checked against what it did: Retry-After, and the rate-limit headers.

use super::{
    Algorithm, HeaderCheck, HeaderFindings, Inference, Phase, RetryAfterFindings, Sample, by_stamp,
    first_sent,
};

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
