//! Which failures retry, and how long to wait before the next try: [`decide`] is the whole
//! policy, a pure function of one attempt's outcome, so it is tested as a table without HTTP.

use std::time::Duration;

use crate::pacing::headers::RateLimitView;

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

/// What one try came to, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx the caller accepted.
    Success,
    /// 429: the server refused the request, so it did nothing; repeating is always safe.
    RateLimited,
    /// 5xx or 408: the server may or may not have acted on the request.
    ServerError,
    /// A 2xx the caller's check refused (truncated, malformed): the server did act on it.
    Invalid,
    /// No response at all: connection refused or dropped, timeout, cut-off body.
    NoResponse,
    /// Any other status: retrying cannot change the answer.
    Final,
    /// A body over the size limit: retrying would only read it again.
    Oversized,
    /// No response, and retrying cannot bring one (TLS spoken to a plain-HTTP port, nothing
    /// listening at the URL on the run's first request).
    Hopeless,
}

impl Outcome {
    pub fn of_status(status: u16) -> Outcome {
        match classify(status) {
            Class::Success => Outcome::Success,
            Class::RateLimited => Outcome::RateLimited,
            Class::Transient => Outcome::ServerError,
            Class::Fatal => Outcome::Final,
        }
    }
}

/// The limits a request is retried within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_retries: u32,
    pub max_wait: Duration,
    /// Safe to send twice: GET, HEAD, DELETE, or any request carrying an Idempotency-Key. A
    /// request that is not is retried only after a 429 (which the server did not act on).
    pub idempotent: bool,
}

/// Why the core stops trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The answer is final (success, or a status retrying cannot change).
    Final,
    /// `--max-retries` tries were spent.
    OutOfRetries,
    /// The wait the server asks for (or the backoff) is above `--max-wait`.
    WaitTooLong(Duration),
    /// The request may have been acted on and is not safe to send twice.
    NotIdempotent,
}

/// What to do after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// This request waits, then tries again.
    RetryAfter(Duration),
    /// Every request (of the process, or of every process sharing the budget) holds off for
    /// this long, then this one tries again: the server's wait is about the key, not the request.
    PauseEveryone(Duration),
    GiveUp(GiveUp),
}

/// The retry policy. `attempt` counts from 0 (the first try); `view` is the rate-limit view of
/// the response, if there was one; `unit` is a uniform sample in [0, 1) for the backoff's jitter.
pub fn decide(
    outcome: Outcome,
    view: Option<&RateLimitView>,
    attempt: u32,
    policy: &Policy,
    unit: f64,
) -> Verdict {
    let repeatable = match outcome {
        Outcome::Success | Outcome::Final | Outcome::Oversized | Outcome::Hopeless => {
            return Verdict::GiveUp(GiveUp::Final);
        }
        Outcome::RateLimited => true,
        Outcome::ServerError | Outcome::Invalid | Outcome::NoResponse => policy.idempotent,
    };
    if !repeatable {
        return Verdict::GiveUp(GiveUp::NotIdempotent);
    }
    let none = RateLimitView::default();
    let view = view.unwrap_or(&none);
    let wait = wait_after(view, attempt, unit);
    // A 429 says how long the key is blocked: a wait past --max-wait ends the run even with
    // retries left. A transient failure is out of retries first.
    if outcome == Outcome::RateLimited {
        if wait > policy.max_wait {
            return Verdict::GiveUp(GiveUp::WaitTooLong(wait));
        }
        if attempt >= policy.max_retries {
            return Verdict::GiveUp(GiveUp::OutOfRetries);
        }
        return Verdict::PauseEveryone(wait);
    }
    if attempt >= policy.max_retries {
        return Verdict::GiveUp(GiveUp::OutOfRetries);
    }
    if wait > policy.max_wait {
        return Verdict::GiveUp(GiveUp::WaitTooLong(wait));
    }
    if view.retry_after.is_some() {
        Verdict::PauseEveryone(wait)
    } else {
        Verdict::RetryAfter(wait)
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

    fn policy(idempotent: bool) -> Policy {
        Policy {
            max_retries: 3,
            max_wait: Duration::from_secs(60),
            idempotent,
        }
    }

    fn view(retry_after: Option<u64>) -> RateLimitView {
        RateLimitView {
            retry_after: retry_after.map(Duration::from_secs),
            ..Default::default()
        }
    }

    /// The whole policy as a table: outcome, Retry-After, attempt, idempotent -> verdict.
    #[test]
    fn the_policy_as_a_table() {
        use Outcome::*;
        use Verdict::{PauseEveryone, RetryAfter};
        let done = Verdict::GiveUp(GiveUp::Final);
        let not_idem = Verdict::GiveUp(GiveUp::NotIdempotent);
        let out_of_retries = Verdict::GiveUp(GiveUp::OutOfRetries);
        let too_long = |d| Verdict::GiveUp(GiveUp::WaitTooLong(d));
        let s = Duration::from_secs;
        // Backoff at unit 1.0 is BASE * 2^attempt.
        let backoff = |a: u32| BASE * (1 << a);
        let rows: Vec<(Outcome, Option<u64>, u32, bool, Verdict)> = vec![
            (Success, None, 0, true, done),
            (Success, None, 0, false, done),
            (Final, None, 0, true, done),
            (Oversized, None, 0, true, done),
            // No response that a retry could bring: a certificate for another name, no such
            // host, nothing listening, TLS to a plain port.
            (Hopeless, None, 0, true, done),
            (Hopeless, None, 0, false, done),
            // 429: always repeatable, everyone pauses, Retry-After first.
            (RateLimited, Some(7), 0, true, PauseEveryone(s(7))),
            (RateLimited, Some(7), 0, false, PauseEveryone(s(7))),
            (RateLimited, None, 2, false, PauseEveryone(backoff(2))),
            (RateLimited, Some(7), 3, true, out_of_retries),
            (RateLimited, Some(61), 0, true, too_long(s(61))),
            // Past --max-wait wins over out-of-retries for a 429.
            (RateLimited, Some(61), 3, true, too_long(s(61))),
            // 5xx, dropped connections, invalid bodies: only when safe to repeat.
            (ServerError, None, 0, true, RetryAfter(backoff(0))),
            (ServerError, Some(5), 1, true, PauseEveryone(s(5))),
            (ServerError, None, 0, false, not_idem),
            (NoResponse, None, 1, true, RetryAfter(backoff(1))),
            (NoResponse, None, 0, false, not_idem),
            (Invalid, None, 2, true, RetryAfter(backoff(2))),
            (Invalid, None, 0, false, not_idem),
            (ServerError, None, 3, true, out_of_retries),
            // Out of retries is checked before the wait for transient failures.
            (ServerError, Some(61), 3, true, out_of_retries),
            (ServerError, Some(61), 0, true, too_long(s(61))),
        ];
        for (outcome, ra, attempt, idempotent, want) in rows {
            let v = view(ra);
            let got = decide(outcome, Some(&v), attempt, &policy(idempotent), 1.0);
            assert_eq!(
                got, want,
                "{outcome:?} retry-after {ra:?} attempt {attempt} idempotent {idempotent}"
            );
        }
    }

    #[test]
    fn no_response_view_still_backs_off_never_zero() {
        let got = decide(Outcome::NoResponse, None, 0, &policy(true), 0.0);
        assert_eq!(got, Verdict::RetryAfter(Duration::from_millis(10)));
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(Outcome::of_status(204), Outcome::Success);
        assert_eq!(Outcome::of_status(429), Outcome::RateLimited);
        assert_eq!(Outcome::of_status(503), Outcome::ServerError);
        assert_eq!(Outcome::of_status(408), Outcome::ServerError);
        assert_eq!(Outcome::of_status(404), Outcome::Final);
    }
}
