//! The advice: the `--rate` (and `--burst`) that never asks for more than the probe measured.

use super::Recommended;
use crate::commands::probe::infer::{self, Algorithm, Inference, Verdict};

/// A window for people and for `--rate`: servers configure round windows (whole seconds, or
/// 100 ms steps under a second), so a measurement within 3% of one is that one; else the next
/// round one up within 10% (a longer window is the safe side); else 10 ms steps, rounded up.
pub fn fmt_window(w: f64) -> String {
    let unit = if w >= 0.95 { 1.0 } else { 0.1 };
    let show = |r: f64| {
        if unit == 1.0 {
            format!("{}s", r.round() as u64)
        } else {
            format!("{}ms", (r * 1000.0).round() as u64)
        }
    };
    let nearest = (w / unit).round() * unit;
    if nearest > 0.0 && (nearest - w).abs() <= w * 0.03 {
        return show(nearest);
    }
    let up = (w / unit).ceil() * unit;
    if up <= w * 1.1 {
        return show(up);
    }
    format!("{}ms", ((w * 100.0).ceil() * 10.0) as u64)
}

/// The window for `--rate`, rounded up (never down): to 100 ms from a second on, else to 10 ms.
/// Whole seconds print as such (`10s`), the rest in milliseconds (`10100ms`).
pub fn window_up(w: f64) -> (String, f64) {
    let unit = if w >= 1.0 { 0.1 } else { 0.01 };
    // A hair above a step is measurement noise in the float, not a longer window.
    let up = ((w / unit) - 1e-6).ceil().max(1.0) * unit;
    let ms = (up * 1000.0).round() as u64;
    let text = if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    };
    (text, ms as f64 / 1000.0)
}

/// How far a token bucket's measured rate and capacity may be off (the accuracy the probe is
/// benchmarked to): its advice is taken this much under both.
const BUCKET_TOLERANCE: f64 = 0.02;

/// How far a measured window may read short: the advice's window is this much longer.
const WINDOW_TOLERANCE: f64 = 0.02;

/// Flags that never ask for more than was measured: the limit (capacity) rounded down to the
/// smallest the responses allow, the window up to the longest, and when the verdict is
/// tentative, the stricter of the two models (no `--burst` unless both are buckets).
pub fn recommend(i: &Inference) -> Option<Recommended> {
    let measured = i.rate_per_s?;
    if measured <= 0.0 {
        return None;
    }
    let (limit, window, burst) = match (i.verdict, i.algorithm) {
        (Verdict::Inferred | Verdict::Partial | Verdict::Tentative, Some(alg)) => {
            let best = i.scores.iter().find(|s| s.algorithm == alg)?;
            let alt = i.alternative.as_ref();
            // (requests, per window) each model allows at most.
            let as_window = |s: &infer::Score| match s.algorithm {
                Algorithm::Bucket => {
                    let rate = 1.0 / s.safe_window_s;
                    (s.safe_limit, s.safe_limit / rate)
                }
                _ => (s.safe_limit, s.safe_window_s),
            };
            if alg == Algorithm::Bucket && alt.is_none_or(|a| a.algorithm == Algorithm::Bucket) {
                // A bucket's rate and capacity are estimates from recovery times (its window's
                // N is a count): both are taken BUCKET_TOLERANCE under what was measured, the
                // error the probe is held to, so the advice stays under the server's.
                let rate = (1.0 - BUCKET_TOLERANCE) / best.safe_window_s;
                let cap = (best.safe_limit * (1.0 - BUCKET_TOLERANCE))
                    .floor()
                    .max(1.0);
                // The bucket's window is not observable: the stated one, else refill from empty.
                let w = i.window_s.unwrap_or(cap / rate);
                (rate * w, w, Some(cap as u64))
            } else {
                let (mut n, mut w) = as_window(best);
                if let Some(a) = alt {
                    let (an, aw) = as_window(a);
                    n = n.min(an);
                    w = w.max(aw);
                }
                (n, w, None)
            }
        }
        (Verdict::Load, _) => (measured * 10.0, 10.0, None),
        _ => return None,
    };
    // Recovery times are stamped at midpoints, so a loaded link can read a window short (1%
    // over loopback on a busy machine): the window is taken WINDOW_TOLERANCE longer first.
    let (wtext, wsecs) = window_up(window * (1.0 + WINDOW_TOLERANCE));
    let n = (limit + 1e-6).floor() as u64;
    if n == 0 {
        return None;
    }
    let rate = format!("{n}/{wtext}");
    let flags = match burst {
        Some(b) => format!("--rate {rate} --burst {b}"),
        None => format!("--rate {rate}"),
    };
    let pct = (1.0 - n as f64 / wsecs / measured) * 100.0;
    let margin = format!(
        "{:.1}% under the measured {measured:.2}/s (limit{} rounded down, window 2% longer and up{})",
        pct.max(0.0),
        if burst.is_some() {
            " and capacity 2% under what was measured and"
        } else {
            ""
        },
        if i.verdict == Verdict::Tentative || i.alternative.is_some() {
            ", and the stricter of the models not ruled out"
        } else {
            ""
        }
    );
    Some(Recommended {
        rate,
        burst,
        flags,
        margin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_snap_to_round_values_or_round_up() {
        assert_eq!(fmt_window(1.0), "1s");
        assert_eq!(fmt_window(0.987), "1s");
        assert_eq!(fmt_window(10.2), "10s");
        assert_eq!(fmt_window(9.4), "10s");
        assert_eq!(fmt_window(0.47), "500ms");
        assert_eq!(fmt_window(0.5), "500ms");
        assert_eq!(fmt_window(2.03), "2s");
        assert_eq!(fmt_window(0.123), "130ms");
        assert_eq!(fmt_window(0.0415), "50ms");
    }

    #[test]
    fn advice_rounds_the_window_up_never_down() {
        assert_eq!(window_up(10.0), ("10s".into(), 10.0));
        assert_eq!(window_up(9.97), ("10s".into(), 10.0));
        assert_eq!(window_up(10.03), ("10100ms".into(), 10.1));
        assert_eq!(window_up(0.987), ("990ms".into(), 0.99));
        assert_eq!(window_up(0.5), ("500ms".into(), 0.5));
    }
}
