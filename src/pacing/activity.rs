//! What a process spending a key says of its work in its heartbeat (`--budget-store`), for
//! `clerk-rl top` and `status`: read from the HTTP core's [`Monitor`], never counted apart.
//! Records from an older clerk-rl lack these fields: each reads as zero.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pacing::monitor::Monitor;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Activity {
    /// When the process started, Unix milliseconds.
    pub started_ms: u64,
    /// Requests sent since it started (retries included).
    pub requests: u64,
    /// 429 responses it got.
    pub rate_limited: u64,
    /// Wall time it waited for the budget, seconds.
    pub budget_wait_s: f64,
    /// Wall time it was held on the server's word (Retry-After, a full window's reset), seconds.
    pub server_wait_s: f64,
    /// Requests sent and not yet answered.
    pub in_flight: u64,
    /// The budget it paces to: requests per window (lowered to a server's Limit when below)…
    pub budget_limit: u32,
    /// …and the window, seconds.
    pub window_s: f64,
}

impl Activity {
    /// The monitor's figures now, with the budget in force.
    pub fn of(m: &Monitor, limit: u32, window: Duration) -> Self {
        let c = m.counters();
        Activity {
            started_ms: m.started_unix_ms(),
            requests: c.requests,
            rate_limited: c.rate_limited,
            budget_wait_s: round3(c.paced_s),
            server_wait_s: round3(c.server_wait_s),
            in_flight: m.in_flight(),
            budget_limit: limit,
            window_s: window.as_secs_f64(),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
