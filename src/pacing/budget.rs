//! The request budget: presets, `N/DURATION` rates, and the documented limit of a key's instance.
//!
//! A budget is what the user *configures*; the pacer (`crate::pacing::pacer`) enforces it. The documented
//! instance limits are kept apart so `status` can say when a budget exceeds what Clerk documents.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

/// A rate: at most `limit` requests in any window of length `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub limit: u32,
    #[serde(serialize_with = "ser_secs", rename = "window_s")]
    pub window: Duration,
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// The longest window accepted: a day. Longer ones are almost certainly a typo (`100/10d`).
const MAX_WINDOW: Duration = Duration::from_secs(86_400);
/// More than a million requests per window is no budget anyone is granted.
const MAX_LIMIT: u32 = 1_000_000;

impl Rate {
    pub const fn new(limit: u32, window: Duration) -> Self {
        Rate { limit, window }
    }

    /// Requests per second, for ETAs and reports.
    pub fn per_second(&self) -> f64 {
        self.limit as f64 / self.window.as_secs_f64()
    }

    /// The spacing of a steady stream at this rate.
    pub fn interval(&self) -> Duration {
        self.window / self.limit
    }

    /// The least time from the first to the last of `n` requests through a token bucket of
    /// capacity `burst` refilled at this rate.
    pub fn least_time_for(&self, n: u64, burst: u32) -> Duration {
        let extra = n.saturating_sub(burst as u64);
        self.window.mul_f64(extra as f64 / self.limit as f64)
    }

    /// The least time from the first to the last of `n` requests when no window of this length
    /// may hold more than `limit` of them: request k+limit is at least a window after request k.
    pub fn least_time_windowed(&self, n: u64) -> Duration {
        let windows = n.saturating_sub(1) / self.limit as u64;
        self.window
            .saturating_mul(windows.min(u32::MAX as u64) as u32)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.limit,
            humantime::format_duration(self.window)
        )
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `100/10s`, `5/1s`, `300/1m`, `1000/10 s`; `10/s` means `10/1s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (n, d) = s.split_once('/').ok_or_else(|| {
            format!("rate {s:?} is not N/DURATION (for example 100/10s, 5/1s, 300/1m)")
        })?;
        let n = n.trim();
        let limit: u32 = n.parse().map_err(|_| {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                format!("rate {s:?}: {n} requests per window is too large (at most {MAX_LIMIT})")
            } else {
                format!("rate {s:?}: {n:?} is not a whole number of requests")
            }
        })?;
        if limit == 0 {
            return Err(format!(
                "rate {s:?}: the number of requests must be at least 1"
            ));
        }
        if limit > MAX_LIMIT {
            return Err(format!(
                "rate {s:?}: {limit} requests per window is too large (at most {MAX_LIMIT})"
            ));
        }
        let too_long = || {
            format!(
                "rate {s:?}: the window {:?} is too large (at most 1 day)",
                d.trim()
            )
        };
        let window = parse_duration(d).map_err(|e| {
            if e.contains("too large") {
                too_long()
            } else {
                format!("rate {s:?}: {e}")
            }
        })?;
        if window > MAX_WINDOW {
            return Err(too_long());
        }
        Ok(Rate { limit, window })
    }
}

/// A positive duration in humantime syntax (`10s`, `1m`, `250ms`); a bare unit means one of it.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration (for example 10s, 1m, 250ms)".into());
    }
    let owned;
    let t = if t.starts_with(|c: char| c.is_ascii_alphabetic()) {
        owned = format!("1{t}");
        owned.as_str()
    } else {
        t
    };
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("{s:?} is not a duration ({e}; for example 10s, 1m, 250ms)"))?;
    if d.is_zero() {
        return Err(format!("{s:?}: the duration must be more than zero"));
    }
    Ok(d)
}

/// clap value parser for duration flags.
pub fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s)
}

/// clap value parser for durations where zero means "none" (`--latency 0s`).
pub fn duration_or_zero_arg(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s.trim()) {
        Ok(d) if d.is_zero() => Ok(d),
        _ => parse_duration(s),
    }
}

/// clap value parser for `--rate`.
pub fn rate_arg(s: &str) -> Result<Rate, String> {
    s.parse()
}

/// clap value parser for `--burst`.
pub fn burst_arg(s: &str) -> Result<u32, String> {
    let b: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("burst {s:?} is not a whole number"))?;
    if b == 0 || b > MAX_LIMIT {
        return Err(format!("burst must be between 1 and {MAX_LIMIT}"));
    }
    Ok(b)
}

/// Budget presets. `dev` and `prod` are Clerk's documented Backend API limits for development and
/// production instances; `free` and `pro` are this tool's own cautious presets (Clerk documents
/// limits per instance, not per plan), leaving the rest of the key's limit to the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// 20 requests per 10 s: a cautious preset of this tool, not a Clerk figure
    Free,
    /// 100 requests per 10 s: a preset of this tool, not a Clerk figure
    Pro,
    /// 100 requests per 10 s: Clerk's documented limit for development instances
    Dev,
    /// 1000 requests per 10 s: Clerk's documented limit for production instances
    Prod,
}

impl Plan {
    pub fn rate(self) -> Rate {
        let w = Duration::from_secs(10);
        match self {
            Plan::Free => Rate::new(20, w),
            Plan::Pro => Rate::new(100, w),
            Plan::Dev => Rate::new(100, w),
            Plan::Prod => Rate::new(1000, w),
        }
    }

    /// The burst a server enforcing this plan as a token bucket allows (sandbox `--algorithm bucket`).
    pub fn burst(self) -> Option<u32> {
        match self {
            Plan::Free => Some(40),
            Plan::Pro => Some(200),
            Plan::Dev | Plan::Prod => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Dev => "dev",
            Plan::Prod => "prod",
        }
    }
}

/// The budget in force: a rate, and optionally a token-bucket burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub plan: Plan,
    pub rate: Rate,
    /// `--burst`: pace as a token bucket of this capacity instead of the strict sliding window.
    pub burst: Option<u32>,
    /// Whether `--rate` overrode the plan's rate.
    pub custom_rate: bool,
}

impl Budget {
    pub fn new(plan: Plan, rate: Option<Rate>, burst: Option<u32>) -> Self {
        Budget {
            plan,
            rate: rate.unwrap_or_else(|| plan.rate()),
            burst,
            custom_rate: rate.is_some(),
        }
    }

    /// The capacity a token-bucket server enforcing this budget holds: `--burst`, else the plan's
    /// burst when the plan's own rate is in force, else the rate's limit.
    pub fn bucket_capacity(&self) -> u32 {
        self.burst
            .or(if self.custom_rate {
                None
            } else {
                self.plan.burst()
            })
            .unwrap_or(self.rate.limit)
    }

    /// How many requests may go at once at the start.
    pub fn initial_burst(&self) -> u32 {
        self.burst.unwrap_or(self.rate.limit)
    }

    /// The least time `n` requests can take under this budget's pacing contract.
    pub fn least_time(&self, n: u64) -> Duration {
        match self.burst {
            Some(b) => self.rate.least_time_for(n, b),
            None => self.rate.least_time_windowed(n),
        }
    }

    /// The time left for `items_left` items fetched `per_request` a request: the requests left
    /// at the budget's rate (requests × W / N), corrected by the rate observed this run once a
    /// window's worth of time has passed, when it is slower (latency, 429s, a shared budget).
    pub fn eta(
        &self,
        items_left: u64,
        per_request: u64,
        observed_items: u64,
        elapsed: Duration,
    ) -> Duration {
        let requests_left = items_left.div_ceil(per_request.max(1));
        let budget_per_s = self.rate.per_second();
        let mut per_s = budget_per_s;
        if elapsed >= self.rate.window && observed_items > 0 {
            let observed_per_s =
                observed_items as f64 / per_request.max(1) as f64 / elapsed.as_secs_f64();
            per_s = per_s.min(observed_per_s);
        }
        Duration::from_secs_f64((requests_left as f64 / per_s).min(1e9))
    }

    /// A word when this budget leaves most of the key's documented limit unused (under a
    /// quarter of it): the default `free` preset paces a production key at 2% of its limit, which
    /// is right for a tool sharing the key with an application, but should never be silent.
    pub fn headroom_hint(&self, instance: Instance) -> Option<String> {
        let doc = instance.documented_rate()?;
        let share = self.rate.per_second() / doc.per_second();
        if share >= 0.25 {
            return None;
        }
        let whole = match instance {
            Instance::Development => Plan::Dev,
            Instance::Production => Plan::Prod,
            Instance::Unknown => return None,
        };
        let pct = share * 100.0;
        let pct = if pct >= 1.0 {
            format!("{pct:.0}%")
        } else {
            format!("{pct:.1}%")
        };
        Some(format!(
            "using {pct} of this {} instance's {doc}; the rest is left to your application; `--plan {}` uses all of it",
            instance.name(),
            whole.name()
        ))
    }

    /// A short description: `20/10s (plan free)`, `5/1s (--rate), burst 8`.
    pub fn describe(&self) -> String {
        let src = if self.custom_rate {
            "--rate".to_string()
        } else {
            format!("plan {}", self.plan.name())
        };
        match self.burst {
            Some(b) => format!("{} ({src}), burst {b}", self.rate),
            None => format!("{} ({src})", self.rate),
        }
    }
}

/// The kind of Clerk instance a secret key belongs to, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Instance {
    Development,
    Production,
    Unknown,
}

impl Instance {
    pub fn from_key(key: &str) -> Self {
        if key.starts_with("sk_test_") {
            Instance::Development
        } else if key.starts_with("sk_live_") {
            Instance::Production
        } else {
            Instance::Unknown
        }
    }

    /// Clerk's documented Backend API limit for this kind of instance.
    pub fn documented_rate(self) -> Option<Rate> {
        match self {
            Instance::Development => Some(Plan::Dev.rate()),
            Instance::Production => Some(Plan::Prod.rate()),
            Instance::Unknown => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Instance::Development => "development",
            Instance::Production => "production",
            Instance::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_under_a_quarter_of_the_documented_limit_says_so() {
        let free = Budget::new(Plan::Free, None, None);
        assert_eq!(
            free.headroom_hint(Instance::Production).as_deref(),
            Some(
                "using 2% of this production instance's 1000/10s; the rest is left to your \
                 application; `--plan prod` uses all of it"
            )
        );
        assert_eq!(
            free.headroom_hint(Instance::Development).as_deref(),
            Some(
                "using 20% of this development instance's 100/10s; the rest is left to your \
                 application; `--plan dev` uses all of it"
            )
        );
        let tiny = Budget::new(Plan::Free, Some("1/10s".parse().unwrap()), None);
        assert!(
            tiny.headroom_hint(Instance::Production)
                .unwrap()
                .starts_with("using 0.1% ")
        );
        // A quarter or more, or an unknown instance: nothing to say.
        for (plan, rate, inst) in [
            (Plan::Pro, None, Instance::Development),
            (Plan::Free, Some("25/10s"), Instance::Development),
            (Plan::Prod, None, Instance::Production),
            (Plan::Free, Some("250/10s"), Instance::Production),
            (Plan::Free, None, Instance::Unknown),
        ] {
            let b = Budget::new(plan, rate.map(|r| r.parse().unwrap()), None);
            assert_eq!(b.headroom_hint(inst), None, "{plan:?} {rate:?} {inst:?}");
        }
    }

    #[test]
    fn the_eta_comes_from_the_budget_and_slows_to_the_observed_rate() {
        let b = Budget::new(Plan::Free, Some("10/10s".parse().unwrap()), None);
        let s = Duration::from_secs;
        // 10,000 users left in pages of 500: 20 requests at 1/s.
        assert_eq!(b.eta(10_000, 500, 0, s(0)), s(20));
        assert_eq!(b.eta(10_001, 500, 0, s(0)), s(21));
        assert_eq!(b.eta(0, 500, 0, s(0)), s(0));
        // Before a window has passed the observed rate is not trusted (the first burst).
        assert_eq!(b.eta(10_000, 500, 500, s(5)), s(20));
        // Observed 0.5 requests/s, slower than the budget: it wins.
        assert_eq!(b.eta(10_000, 500, 10 * 500, s(20)), s(40));
        // Observed faster than the budget (a burst): the budget still bounds it.
        assert_eq!(b.eta(10_000, 500, 100 * 500, s(20)), s(20));
    }

    #[test]
    fn parses_rates_in_humantime_syntax() {
        assert_eq!(
            "100/10s".parse::<Rate>().unwrap(),
            Rate::new(100, Duration::from_secs(10))
        );
        assert_eq!(
            "5/1s".parse::<Rate>().unwrap(),
            Rate::new(5, Duration::from_secs(1))
        );
        assert_eq!(
            "300/1m".parse::<Rate>().unwrap(),
            Rate::new(300, Duration::from_secs(60))
        );
        assert_eq!(
            " 10 / s ".parse::<Rate>().unwrap(),
            Rate::new(10, Duration::from_secs(1))
        );
        assert_eq!(
            "7/250ms".parse::<Rate>().unwrap(),
            Rate::new(7, Duration::from_millis(250))
        );
    }

    #[test]
    fn rejects_bad_rates_with_a_reason() {
        for (bad, why) in [
            ("100", "N/DURATION"),
            ("0/10s", "at least 1"),
            ("-1/10s", "whole number"),
            ("x/10s", "whole number"),
            ("10/0s", "more than zero"),
            ("10/", "empty duration"),
            ("10/10parsecs", "not a duration"),
            ("10/2d", "too large (at most 1 day)"),
            ("10/99999999999999999999s", "too large (at most 1 day)"),
            ("2000000/1s", "too large"),
            ("99999999999999999999/1s", "too large"),
        ] {
            let e = bad.parse::<Rate>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn presets_match_the_documented_figures() {
        assert_eq!(Plan::Free.rate().to_string(), "20/10s");
        assert_eq!(Plan::Pro.rate().to_string(), "100/10s");
        assert_eq!(Plan::Dev.rate().to_string(), "100/10s");
        assert_eq!(Plan::Prod.rate().to_string(), "1000/10s");
        assert_eq!(Plan::Free.burst(), Some(40));
        assert_eq!(Plan::Pro.burst(), Some(200));
    }

    #[test]
    fn bucket_capacity_prefers_flag_then_plan_then_limit() {
        let plan_only = Budget::new(Plan::Free, None, None);
        assert_eq!(plan_only.bucket_capacity(), 40);
        assert_eq!(plan_only.initial_burst(), 20);
        let flag = Budget::new(Plan::Free, None, Some(7));
        assert_eq!(flag.bucket_capacity(), 7);
        let custom = Budget::new(Plan::Free, Some("5/1s".parse().unwrap()), None);
        assert_eq!(custom.bucket_capacity(), 5);
        assert_eq!(custom.describe(), "5/1s (--rate)");
    }

    #[test]
    fn instance_comes_from_the_key_prefix() {
        assert_eq!(Instance::from_key("sk_test_abc"), Instance::Development);
        assert_eq!(Instance::from_key("sk_live_abc"), Instance::Production);
        assert_eq!(Instance::from_key("pk_test_abc"), Instance::Unknown);
        assert_eq!(
            Instance::Production.documented_rate(),
            Some(Rate::new(1000, Duration::from_secs(10)))
        );
    }

    #[test]
    fn least_time_counts_the_burst_as_free() {
        let r = Rate::new(10, Duration::from_secs(1));
        assert_eq!(r.least_time_for(10, 10), Duration::ZERO);
        assert_eq!(r.least_time_for(30, 10), Duration::from_secs(2));
        assert_eq!(r.least_time_windowed(10), Duration::ZERO);
        assert_eq!(r.least_time_windowed(11), Duration::from_secs(1));
        assert_eq!(r.least_time_windowed(42), Duration::from_secs(4));
        let b = Budget::new(Plan::Free, Some(r), None);
        assert_eq!(b.least_time(42), Duration::from_secs(4));
        let b = Budget::new(Plan::Free, Some(r), Some(10));
        assert_eq!(b.least_time(42), Duration::from_secs_f64(3.2));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_rate_text_parses_or_explains(s in "\\PC{0,30}") {
            match s.parse::<Rate>() {
                Ok(r) => prop_assert!(r.limit >= 1 && !r.window.is_zero() && r.window <= MAX_WINDOW),
                Err(e) => prop_assert!(!e.is_empty()),
            }
            let _ = parse_duration(&s);
        }

        #[test]
        fn rates_roundtrip_through_their_display(limit in 1u32..=MAX_LIMIT, ms in 1u64..=86_400_000) {
            let r = Rate::new(limit, Duration::from_millis(ms));
            prop_assert_eq!(r.to_string().parse::<Rate>(), Ok(r));
        }
    }
}
