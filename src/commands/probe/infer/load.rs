//! Ramp and constant modes: no model to fit, only what each step got through.

use super::{Inference, RampStep, Sample, Verdict, base, by_stamp, first_sent};

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
