//! Stage 1: the first burst, and the recoveries after it (capacity seen again after a 429).

use super::{Inference, Phase, Recovery, Sample, Verdict, first_sent};

/// What the first burst and the recoveries after it showed.
pub(super) struct FirstBurst {
    /// Accepted before the first 429.
    pub(super) k1: u64,
    /// The first 429's stamp.
    pub(super) t1: f64,
    /// The first accept's stamp.
    pub(super) a1: f64,
    pub(super) recs: Vec<Recovery>,
    /// The first recovery returned a lot at once (fixed window or sliding log), not a trickle.
    pub(super) full: bool,
}

/// Stage 1: the burst and its recoveries; `None` (with `inf` already told why) when the run
/// has nothing to fit a model to.
pub(super) fn first_burst(
    samples: &[Sample],
    sorted: &[&Sample],
    inf: &mut Inference,
) -> Option<FirstBurst> {
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
