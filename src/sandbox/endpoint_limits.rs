//! The endpoint limits Clerk documents below the instance limit (`crate::pacing::endpoint_limits`),
//! enforced per key and per scope (per user for the user updates), with the instance's algorithm.

use std::collections::HashMap;
use std::time::Duration;

use super::Algorithm;
use super::limiter::{Decision, Limiter};
use crate::pacing::budget::{Budget, Plan};
use crate::pacing::endpoint_limits::EndpointLimits;

#[derive(Debug)]
pub struct EndpointLimiter {
    limits: EndpointLimits,
    algorithm: Algorithm,
    /// One limiter per endpoint budget, keyed inside by key tag and scope.
    limiters: HashMap<&'static str, Limiter>,
}

impl EndpointLimiter {
    pub fn new(limits: EndpointLimits, algorithm: Algorithm) -> Self {
        EndpointLimiter {
            limits,
            algorithm,
            limiters: HashMap::new(),
        }
    }

    /// Count `method path` by the key tagged `key` at `now` in its endpoint budget; `None` when
    /// the endpoint has none.
    pub fn check(
        &mut self,
        key: &str,
        method: &str,
        path: &str,
        now: Duration,
    ) -> Option<Decision> {
        let scope = self.limits.scope(method, path)?;
        let algorithm = self.algorithm;
        let limiter = self.limiters.entry(scope.limit.name).or_insert_with(|| {
            let budget = Budget::new(Plan::Free, Some(scope.limit.rate), None);
            Limiter::new(&budget, algorithm, None)
        });
        Some(limiter.check(&format!("{key}:{}", scope.key), now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::budget::Rate;

    #[test]
    fn user_updates_are_limited_per_user_and_key() {
        let limits =
            EndpointLimits::new(&[("user-update".into(), Rate::new(2, Duration::from_secs(1)))]);
        let mut l = EndpointLimiter::new(limits, Algorithm::Sliding);
        let t = Duration::from_millis(10);
        let ok = |d: Option<Decision>| d.unwrap().allowed;
        assert!(ok(l.check("k", "PATCH", "/v1/users/u1", t)));
        assert!(ok(l.check("k", "PATCH", "/v1/users/u1/metadata", t)));
        assert!(!ok(l.check("k", "PATCH", "/v1/users/u1", t)));
        // Another user, another key: their own budgets.
        assert!(ok(l.check("k", "PATCH", "/v1/users/u2", t)));
        assert!(ok(l.check("k2", "PATCH", "/v1/users/u1", t)));
        assert!(l.check("k", "GET", "/v1/users/u1", t).is_none());
        // A second later the window has moved on.
        assert!(ok(l.check(
            "k",
            "PATCH",
            "/v1/users/u1",
            t + Duration::from_secs(1)
        )));
    }
}
