//! Per-key rate limiting. Pure: every call takes `now` (time since the sandbox started), so tests
//! drive it with exact instants instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Algorithm, HeaderStyle, RetryAfterStyle};
use crate::pacing::budget::Budget;

/// What the limiter says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The most requests the policy allows at once (`limit`, or the bucket's capacity).
    pub limit: u32,
    /// Requests still allowed right after this one.
    pub remaining: u32,
    /// Time until the quota is whole again (fixed: window end; sliding: the oldest counted request
    /// leaves; bucket: full again).
    pub reset: Duration,
    /// When refused: time until a request would be accepted.
    pub retry_after: Duration,
    /// The policy's window, for `RateLimit-Policy`.
    pub window: Duration,
}

#[derive(Debug, Default)]
struct KeyState {
    /// Fixed: the window number and how many were accepted in it.
    fixed: (u64, u32),
    /// Sliding: when each request in the last window was accepted.
    log: VecDeque<Duration>,
    /// Bucket (as GCRA): the theoretical arrival time of the next request.
    tat: Duration,
    blocked_until: Option<Duration>,
}

#[derive(Debug)]
pub struct Limiter {
    algorithm: Algorithm,
    limit: u32,
    window: Duration,
    capacity: u32,
    block: Option<Duration>,
    keys: HashMap<String, KeyState>,
}

impl Limiter {
    pub fn new(budget: &Budget, algorithm: Algorithm, block: Option<Duration>) -> Self {
        Limiter {
            algorithm,
            limit: budget.rate.limit.max(1),
            window: budget.rate.window,
            capacity: budget.bucket_capacity().max(1),
            block,
            keys: HashMap::new(),
        }
    }

    fn policy_limit(&self) -> u32 {
        match self.algorithm {
            Algorithm::Bucket => self.capacity,
            _ => self.limit,
        }
    }

    /// Count a request by `key` at `now`, or refuse it.
    pub fn check(&mut self, key: &str, now: Duration) -> Decision {
        let (algorithm, limit, window, capacity, block) = (
            self.algorithm,
            self.limit,
            self.window,
            self.capacity,
            self.block,
        );
        let policy_limit = self.policy_limit();
        let st = self.keys.entry(key.to_string()).or_default();
        let refuse = |retry_after: Duration, reset: Duration| Decision {
            allowed: false,
            limit: policy_limit,
            remaining: 0,
            reset: reset.max(retry_after),
            retry_after,
            window,
        };
        if let Some(until) = st.blocked_until {
            if now < until {
                return refuse(until - now, until - now);
            }
            st.blocked_until = None;
        }
        let decision = match algorithm {
            Algorithm::Fixed => {
                let w = window.as_nanos();
                let n = (now.as_nanos() / w) as u64;
                let end = Duration::from_nanos(((n as u128 + 1) * w) as u64);
                if st.fixed.0 != n {
                    st.fixed = (n, 0);
                }
                if st.fixed.1 < limit {
                    st.fixed.1 += 1;
                    Decision {
                        allowed: true,
                        limit,
                        remaining: limit - st.fixed.1,
                        reset: end - now,
                        retry_after: Duration::ZERO,
                        window,
                    }
                } else {
                    refuse(end - now, end - now)
                }
            }
            Algorithm::Sliding => {
                // A request at t counts while now < t + window.
                while st.log.front().is_some_and(|&t| t + window <= now) {
                    st.log.pop_front();
                }
                if (st.log.len() as u32) < limit {
                    st.log.push_back(now);
                    let oldest = *st.log.front().expect("just pushed");
                    Decision {
                        allowed: true,
                        limit,
                        remaining: limit - st.log.len() as u32,
                        reset: oldest + window - now,
                        retry_after: Duration::ZERO,
                        window,
                    }
                } else {
                    let wait = *st.log.front().expect("full log") + window - now;
                    refuse(wait, wait)
                }
            }
            Algorithm::Bucket => {
                // GCRA: exact integer arithmetic for a bucket of `capacity` refilled at
                // limit/window; one request costs `t` of credit, a full bucket holds `tau + t`.
                let t = window / limit;
                let tau = t * (capacity - 1);
                let tat = st.tat.max(now);
                if tat - now <= tau {
                    st.tat = tat + t;
                    let room = (now + tau + t).saturating_sub(st.tat);
                    Decision {
                        allowed: true,
                        limit: capacity,
                        remaining: (room.as_nanos() / t.as_nanos().max(1)) as u32,
                        reset: st.tat - now,
                        retry_after: Duration::ZERO,
                        window,
                    }
                } else {
                    refuse(tat - tau - now, tat - now)
                }
            }
        };
        if !decision.allowed
            && let Some(b) = block
        {
            st.blocked_until = Some(now + b.max(decision.retry_after));
            return refuse(b.max(decision.retry_after), b.max(decision.reset));
        }
        decision
    }
}

/// Whole seconds, rounded up, at least 1: a client waiting that long is never early.
pub fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

/// The rate-limit headers a response carries in the chosen style.
pub fn rate_limit_headers(style: HeaderStyle, d: &Decision) -> Vec<(&'static str, String)> {
    let reset = d.reset.as_secs() + u64::from(d.reset.subsec_nanos() > 0);
    match style {
        HeaderStyle::None => Vec::new(),
        HeaderStyle::XRateLimit => vec![
            ("x-ratelimit-limit", d.limit.to_string()),
            ("x-ratelimit-remaining", d.remaining.to_string()),
            ("x-ratelimit-reset", reset.to_string()),
        ],
        HeaderStyle::Ietf => vec![
            (
                "ratelimit-policy",
                format!("\"default\";q={};w={}", d.limit, ceil_secs(d.window)),
            ),
            (
                "ratelimit",
                format!("\"default\";r={};t={}", d.remaining, reset),
            ),
        ],
    }
}

/// The `Retry-After` value of a 429, or none.
pub fn retry_after_header(
    style: RetryAfterStyle,
    wait: Duration,
    now: SystemTime,
) -> Option<String> {
    match style {
        RetryAfterStyle::None => None,
        RetryAfterStyle::Seconds => Some(ceil_secs(wait).to_string()),
        RetryAfterStyle::HttpDate => {
            // An HTTP-date has whole seconds: round the moment up so a client is never early.
            let at = now + wait;
            let secs = at.duration_since(UNIX_EPOCH).map(ceil_secs).unwrap_or(1);
            Some(httpdate::fmt_http_date(
                UNIX_EPOCH + Duration::from_secs(secs),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::budget::{Plan, Rate};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn limiter(alg: Algorithm, rate: &str, burst: Option<u32>, block: Option<Duration>) -> Limiter {
        let rate: Rate = rate.parse().unwrap();
        Limiter::new(&Budget::new(Plan::Free, Some(rate), burst), alg, block)
    }

    fn accepted(l: &mut Limiter, key: &str, times: impl IntoIterator<Item = u64>) -> usize {
        times
            .into_iter()
            .filter(|&t| l.check(key, ms(t)).allowed)
            .count()
    }

    #[test]
    fn fixed_window_counts_per_aligned_window() {
        let mut l = limiter(Algorithm::Fixed, "5/1s", None, None);
        // 10 requests at 900ms: 5 pass. 10 at 1000ms (a new window): 5 pass.
        assert_eq!(accepted(&mut l, "k", [900; 10]), 5);
        let d = l.check("k", ms(950));
        assert!(!d.allowed);
        assert_eq!(d.retry_after, ms(50));
        assert_eq!(accepted(&mut l, "k", [1000; 10]), 5);
        // Keys are counted apart.
        assert_eq!(accepted(&mut l, "other", [1000; 10]), 5);
        let d = l.check("k2", ms(1200));
        assert_eq!((d.remaining, d.reset), (4, ms(800)));
    }

    #[test]
    fn sliding_log_never_holds_more_than_the_limit_in_any_window() {
        let mut l = limiter(Algorithm::Sliding, "5/1s", None, None);
        assert_eq!(accepted(&mut l, "k", [900; 10]), 5);
        // A fixed window would reset at 1000ms; the sliding log waits until 1900ms.
        assert_eq!(accepted(&mut l, "k", [1000, 1500, 1899]), 0);
        let d = l.check("k", ms(1899));
        assert_eq!(d.retry_after, ms(1));
        assert_eq!(accepted(&mut l, "k", [1900; 10]), 5);
        let mut l = limiter(Algorithm::Sliding, "3/1s", None, None);
        assert_eq!(
            accepted(&mut l, "k", [0, 400, 800, 999, 1000, 1399, 1400]),
            5
        );
    }

    #[test]
    fn bucket_bursts_to_capacity_then_refills_at_the_rate() {
        let mut l = limiter(Algorithm::Bucket, "5/1s", Some(10), None);
        let first = l.check("k", ms(0));
        assert_eq!((first.limit, first.remaining), (10, 9));
        assert_eq!(accepted(&mut l, "k", [0; 20]), 9);
        let d = l.check("k", ms(100));
        assert!(!d.allowed);
        assert_eq!(d.retry_after, ms(100));
        // One token per 200ms.
        assert_eq!(accepted(&mut l, "k", [200, 200, 400]), 2);
        // After 2s of quiet the bucket is full again.
        assert_eq!(accepted(&mut l, "k", [2400; 20]), 10);
    }

    #[test]
    fn block_refuses_everything_for_its_duration() {
        let mut l = limiter(Algorithm::Fixed, "2/1s", None, Some(Duration::from_secs(3)));
        assert_eq!(accepted(&mut l, "k", [0, 0]), 2);
        let d = l.check("k", ms(10));
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Duration::from_secs(3));
        let d = l.check("k", ms(2010));
        assert!(!d.allowed);
        assert_eq!(d.retry_after, ms(1000));
        assert_eq!(accepted(&mut l, "k", [3010, 3010, 3010]), 2);
    }

    #[test]
    fn headers_in_each_style() {
        let d = Decision {
            allowed: true,
            limit: 100,
            remaining: 42,
            reset: ms(2500),
            retry_after: Duration::ZERO,
            window: Duration::from_secs(10),
        };
        assert!(rate_limit_headers(HeaderStyle::None, &d).is_empty());
        assert_eq!(
            rate_limit_headers(HeaderStyle::XRateLimit, &d),
            [
                ("x-ratelimit-limit", "100".to_string()),
                ("x-ratelimit-remaining", "42".to_string()),
                ("x-ratelimit-reset", "3".to_string()),
            ]
        );
        assert_eq!(
            rate_limit_headers(HeaderStyle::Ietf, &d),
            [
                ("ratelimit-policy", "\"default\";q=100;w=10".to_string()),
                ("ratelimit", "\"default\";r=42;t=3".to_string()),
            ]
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_400);
        assert_eq!(
            retry_after_header(RetryAfterStyle::Seconds, ms(1), now).as_deref(),
            Some("1")
        );
        assert_eq!(
            retry_after_header(RetryAfterStyle::Seconds, ms(2001), now).as_deref(),
            Some("3")
        );
        assert_eq!(retry_after_header(RetryAfterStyle::None, ms(1), now), None);
        // 1_700_000_000.4 + 2.0 → 1_700_000_002.4 → rounded up to …003.
        let date = retry_after_header(RetryAfterStyle::HttpDate, ms(2000), now).unwrap();
        let parsed = httpdate::parse_http_date(&date).unwrap();
        assert_eq!(parsed, UNIX_EPOCH + Duration::from_secs(1_700_000_003));
    }
}
