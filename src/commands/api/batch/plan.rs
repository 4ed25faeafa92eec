//! `--dry-run`'s arithmetic: how long the budgets need for the requests of a batch, offline.
//!
//! k requests under N per W need ceil(k / N) windows: the first N go at once, each later N a
//! window after (plus a round trip per window, which only a run measures). The instance budget
//! counts every request; an endpoint budget (per user, per instance) counts its own, and the
//! busiest of its counts is the one that binds.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::pacing::budget::Rate;
use crate::pacing::endpoint_limits::EndpointLimits;

/// The least time `k` requests need under `rate`.
pub fn least_time(k: u64, rate: &Rate) -> Duration {
    if k == 0 || rate.limit == 0 {
        return Duration::ZERO;
    }
    rate.window * ((k - 1) / u64::from(rate.limit)) as u32
}

#[derive(Debug, Clone, PartialEq)]
pub struct Budgeted {
    pub name: String,
    pub rate: Rate,
    pub per_user: bool,
    /// The busiest count of this budget: its key and requests.
    pub busiest: String,
    pub requests: u64,
    pub least: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub requests: u64,
    pub instance: Rate,
    pub instance_least: Duration,
    pub endpoints: Vec<Budgeted>,
}

impl Plan {
    /// The plan for these requests (method, path).
    pub fn of<M: AsRef<str>, P: AsRef<str>>(
        requests: impl Iterator<Item = (M, P)>,
        instance: &Rate,
        limits: &EndpointLimits,
    ) -> Plan {
        let mut n = 0u64;
        let mut per_key: HashMap<String, (u64, crate::pacing::endpoint_limits::EndpointLimit)> =
            HashMap::new();
        for (method, path) in requests {
            n += 1;
            if let Some(s) = limits.scope(method.as_ref(), path.as_ref()) {
                per_key.entry(s.key).or_insert((0, s.limit)).0 += 1;
            }
        }
        let mut busiest: HashMap<&str, Budgeted> = HashMap::new();
        let mut keys: Vec<_> = per_key.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, (k, limit)) in keys {
            let least = least_time(*k, &limit.rate);
            let b = busiest.entry(limit.name).or_insert_with(|| Budgeted {
                name: limit.name.to_string(),
                rate: limit.rate,
                per_user: limit.per_user,
                busiest: key.clone(),
                requests: *k,
                least,
            });
            if *k > b.requests {
                b.busiest = key.clone();
                b.requests = *k;
                b.least = least;
            }
        }
        let mut endpoints: Vec<Budgeted> = busiest.into_values().collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        Plan {
            requests: n,
            instance: *instance,
            instance_least: least_time(n, instance),
            endpoints,
        }
    }

    /// The least time in all: the slowest budget.
    pub fn least(&self) -> Duration {
        self.endpoints
            .iter()
            .map(|e| e.least)
            .fold(self.instance_least, Duration::max)
    }

    /// Which budget binds: `instance`, or an endpoint budget's name.
    pub fn binding(&self) -> String {
        match self.endpoints.iter().max_by_key(|e| e.least) {
            Some(e) if e.least > self.instance_least => e.name.clone(),
            _ => "instance".into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "instance": {"rate": self.instance, "least_s": self.instance_least.as_secs_f64()},
            "endpoints": self.endpoints.iter().map(|e| json!({
                "name": e.name,
                "rate": e.rate,
                "per_user": e.per_user,
                "busiest": e.busiest,
                "requests": e.requests,
                "least_s": e.least.as_secs_f64(),
            })).collect::<Vec<_>>(),
            "least_s": self.least().as_secs_f64(),
            "binding": self.binding(),
        })
    }

    pub fn describe(&self) -> String {
        let t = |d: Duration| humantime::format_duration(d).to_string();
        let mut s = format!(
            "instance budget {}: {} requests need at least {}\n",
            self.instance,
            self.requests,
            t(self.instance_least)
        );
        for e in &self.endpoints {
            s.push_str(&format!(
                "endpoint budget {} ({} per {}): the busiest, {}, has {} requests: at least {}\n",
                e.name,
                e.rate,
                if e.per_user { "user" } else { "instance" },
                e.busiest,
                e.requests,
                t(e.least)
            ));
        }
        s.push_str(&format!(
            "at least {} in all, the {} budget binding (plus a round trip per window)\n",
            t(self.least()),
            self.binding()
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        s.parse().unwrap()
    }

    #[test]
    fn k_requests_need_whole_windows_after_the_first() {
        let r = rate("10/10s");
        assert_eq!(least_time(0, &r), Duration::ZERO);
        assert_eq!(least_time(10, &r), Duration::ZERO);
        assert_eq!(least_time(11, &r), Duration::from_secs(10));
        assert_eq!(least_time(20, &r), Duration::from_secs(10));
        assert_eq!(least_time(21, &r), Duration::from_secs(20));
    }

    #[test]
    fn the_busiest_user_binds_when_the_instance_has_room() {
        let paths: Vec<String> = (0..40)
            .map(|i| format!("/v1/users/user_{}/metadata", if i < 25 { 0 } else { i }))
            .collect();
        let p = Plan::of(
            paths.iter().map(|p| ("PATCH", p.as_str())),
            &rate("1000/10s"),
            &EndpointLimits::default(),
        );
        assert_eq!(p.requests, 40);
        assert_eq!(p.instance_least, Duration::ZERO);
        assert_eq!(p.endpoints.len(), 1);
        assert_eq!(p.endpoints[0].busiest, "user-update:user_0");
        assert_eq!(p.endpoints[0].requests, 25);
        assert_eq!(p.least(), Duration::from_secs(20));
        assert_eq!(p.binding(), "user-update");
        // 2,000 updates over 100 users at production: both need one window more.
        let paths: Vec<String> = (0..2000)
            .map(|i| format!("/v1/users/user_{}/metadata", i % 100))
            .collect();
        let p = Plan::of(
            paths.iter().map(|p| ("PATCH", p.as_str())),
            &rate("1000/10s"),
            &EndpointLimits::default(),
        );
        assert_eq!(p.least(), Duration::from_secs(10));
        assert_eq!(p.binding(), "instance");
    }
}
