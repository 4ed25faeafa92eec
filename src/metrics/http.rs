//! The HTTP core's metrics: read from its [`Monitor`] on each scrape (the counters the end-of-run
//! summary prints) plus the families the monitor keeps (requests by endpoint, round trips).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

use crate::pacing::budget::Budget;
use crate::pacing::monitor::Monitor;

/// Registered by `Context::connect` when `--metrics-listen` is given.
#[derive(Debug)]
pub struct HttpCollector {
    monitor: Arc<Monitor>,
    budget: Budget,
}

impl HttpCollector {
    pub fn new(monitor: Arc<Monitor>, budget: Budget) -> Self {
        HttpCollector { monitor, budget }
    }
}

fn counter(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: impl prometheus_client::encoding::EncodeCounterValue,
) -> Result<(), std::fmt::Error> {
    let c = ConstCounter::new(value);
    c.encode(e.encode_descriptor(name, help, unit, c.metric_type())?)
}

fn gauge(
    e: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: impl prometheus_client::encoding::EncodeGaugeValue,
) -> Result<(), std::fmt::Error> {
    let g = ConstGauge::new(value);
    g.encode(e.encode_descriptor(name, help, unit, g.metric_type())?)
}

impl Collector for HttpCollector {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let m = &self.monitor;
        let c = m.counters();
        let family = m.by_endpoint();
        family.encode(e.encode_descriptor(
            "http_requests",
            "Requests sent, by method, endpoint template (no ids) and status class (none: no response).",
            None,
            family.metric_type(),
        )?)?;
        counter(
            &mut e,
            "http_rate_limited",
            "429 responses.",
            None,
            c.rate_limited,
        )?;
        counter(
            &mut e,
            "http_retries",
            "Requests sent again after a 429 or a transient failure.",
            None,
            c.retries,
        )?;
        counter(
            &mut e,
            "http_transient_failures",
            "Tries that failed in a way worth retrying (5xx, no response, an unusable body).",
            None,
            c.transient_failures,
        )?;
        counter(
            &mut e,
            "budget_wait",
            "Wall time during which at least one request waited for the budget.",
            Some(&Unit::Seconds),
            c.paced_s,
        )?;
        counter(
            &mut e,
            "server_wait",
            "Wall time during which requests were held on the server's word (Retry-After, a full window's reset).",
            Some(&Unit::Seconds),
            c.server_wait_s,
        )?;
        counter(
            &mut e,
            "ratelimit_others_seen",
            "Responses whose Remaining counted requests that were not ours: another client spends the key.",
            None,
            c.others_seen,
        )?;
        self.encode_gauges(&mut e)?;
        let h = m.round_trip();
        h.encode(e.encode_descriptor(
            "http_round_trip",
            "Round trip of the tries that got a response, from send to the whole body read.",
            Some(&Unit::Seconds),
            h.metric_type(),
        )?)?;
        Ok(())
    }
}

impl HttpCollector {
    /// The gauges: requests in flight, the last Remaining and Limit seen, the budget in force.
    fn encode_gauges(&self, e: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let m = &self.monitor;
        let c = m.counters();
        gauge(
            e,
            "http_requests_in_flight",
            "Requests sent and not yet answered.",
            None,
            m.in_flight(),
        )?;
        let (remaining, limit) = m.last_view();
        if let Some(r) = remaining {
            gauge(
                e,
                "ratelimit_remaining",
                "The Remaining of the last response that stated one.",
                None,
                r,
            )?;
        }
        if let Some(l) = limit {
            gauge(
                e,
                "ratelimit_limit",
                "The Limit of the last response that stated one.",
                None,
                l,
            )?;
        }
        let in_force = c
            .limit_lowered_to
            .map_or(self.budget.rate.limit, |l| l.min(self.budget.rate.limit));
        gauge(
            e,
            "budget_limit",
            "Requests per window of the budget in force (lowered to the server's Limit when below).",
            None,
            in_force,
        )?;
        gauge(
            e,
            "budget_window",
            "The budget's window.",
            Some(&Unit::Seconds),
            self.budget.rate.window.as_secs_f64(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Hub;
    use crate::pacing::budget::Plan;
    use std::time::Duration;

    #[test]
    fn the_monitor_reads_as_openmetrics_without_ids() {
        let monitor = Arc::new(Monitor::default());
        {
            let _f = monitor.request_sent();
            monitor.answered(
                "GET",
                "/v1/users/user_2abcDEF",
                Some(429),
                Duration::from_millis(20),
            );
        }
        monitor.rate_limited();
        let _still = monitor.request_sent();
        let hub = Hub::new();
        hub.register_collector(Box::new(HttpCollector::new(
            Arc::clone(&monitor),
            Budget::new(Plan::Dev, None, None),
        )));
        let text = hub.encode();
        for want in [
            "clerk_rl_http_requests_total{method=\"GET\",endpoint=\"/v1/users/{user_id}\",status_class=\"4xx\"} 1",
            "clerk_rl_http_rate_limited_total 1",
            "clerk_rl_http_requests_in_flight 1",
            "clerk_rl_budget_limit 100",
            "clerk_rl_budget_window_seconds 10.0",
            "clerk_rl_budget_wait_seconds_total 0.0",
            "clerk_rl_http_round_trip_seconds_count 1",
        ] {
            assert!(text.contains(want), "{want} in\n{text}");
        }
        assert!(!text.contains("user_2abc"), "{text}");
        assert!(!text.contains("clerk_rl_ratelimit_remaining"), "{text}");
        monitor.observe(&crate::pacing::headers::RateLimitView {
            remaining: Some(7),
            limit: Some(100),
            ..Default::default()
        });
        let text = hub.encode();
        assert!(text.contains("clerk_rl_ratelimit_remaining 7\n"), "{text}");
        assert!(text.contains("clerk_rl_ratelimit_limit 100\n"), "{text}");
    }
}
