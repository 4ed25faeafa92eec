//! Which failures retry, and how long to wait before the next try.

use std::time::Duration;

use super::ratelimit::RateLimitView;

/// How the core treats a response status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Success,
    /// 429: every request of the process pauses, then this one retries.
    RateLimited,
    /// 5xx and 408: this request backs off and retries.
    Transient,
    /// Other 4xx (and anything unexpected): retrying cannot help.
    Fatal,
}

pub fn classify(status: u16) -> Class {
    match status {
        200..=299 => Class::Success,
        429 => Class::RateLimited,
        408 | 500..=599 => Class::Transient,
        _ => Class::Fatal,
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^attempt)].
/// `unit` is a uniform sample in [0, 1) (injected so tests are exact).
pub fn full_jitter(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

pub const BASE: Duration = Duration::from_millis(250);
pub const CAP: Duration = Duration::from_secs(30);

/// The wait before retrying a rate-limited or transient response: Retry-After takes precedence,
/// then the reset of an exhausted window, then backoff. A zero Retry-After still gets a jittered
/// floor so a server that says "now" is not hammered.
pub fn wait_after(view: &RateLimitView, attempt: u32, unit: f64) -> Duration {
    if let Some(ra) = view.retry_after {
        return ra.max(Duration::from_millis(50));
    }
    if view.exhausted()
        && let Some(reset) = view.reset
    {
        return reset.max(Duration::from_millis(50));
    }
    // Never wait zero: full jitter can draw 0, and an immediate retry is the storm we avoid.
    full_jitter(attempt, BASE, CAP, unit).max(Duration::from_millis(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        assert_eq!(classify(200), Class::Success);
        assert_eq!(classify(429), Class::RateLimited);
        for s in [500, 502, 503, 504, 408] {
            assert_eq!(classify(s), Class::Transient, "{s}");
        }
        for s in [400, 401, 403, 404, 422, 301] {
            assert_eq!(classify(s), Class::Fatal, "{s}");
        }
    }

    #[test]
    fn full_jitter_grows_exponentially_and_is_capped() {
        assert_eq!(full_jitter(0, BASE, CAP, 1.0), BASE);
        assert_eq!(full_jitter(3, BASE, CAP, 1.0), BASE * 8);
        assert_eq!(full_jitter(3, BASE, CAP, 0.5), BASE * 4);
        assert_eq!(full_jitter(20, BASE, CAP, 1.0), CAP);
        assert_eq!(full_jitter(u32::MAX, BASE, CAP, 0.999), CAP.mul_f64(0.999));
        assert_eq!(full_jitter(2, BASE, CAP, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_wins_over_reset_and_backoff() {
        let mut v = RateLimitView {
            retry_after: Some(Duration::from_secs(7)),
            remaining: Some(0),
            reset: Some(Duration::from_secs(2)),
            ..Default::default()
        };
        assert_eq!(wait_after(&v, 5, 1.0), Duration::from_secs(7));
        v.retry_after = None;
        assert_eq!(wait_after(&v, 5, 1.0), Duration::from_secs(2));
        v.remaining = Some(3);
        assert_eq!(wait_after(&v, 1, 1.0), BASE * 2);
        assert_eq!(wait_after(&v, 1, 0.0), Duration::from_millis(10));
    }
}
