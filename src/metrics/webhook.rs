//! `webhook serve`'s metrics: deliveries by event type and outcome, and the cache writes refused
//! because the cache knows better (a later version, a tombstone). Counted where each delivery's
//! one log line is written.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::Hub;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    event: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabels {
    reason: &'static str,
}

/// What became of one delivery (the `outcome` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Answered 4xx before any change: too large, a bad signature, a body that is not an event.
    Rejected,
    /// An event the receiver does nothing with (204).
    Ignored,
    /// A delivery id already handled.
    Replay,
    /// The entry was deleted or found absent; a version or tombstone recorded.
    Dropped,
    /// `--prime`: the user was written.
    Written,
    /// `--prime`: not written, the cache knows a later version.
    KeptNewer,
    /// `--prime`: not written, the user was deleted.
    Tombstoned,
    /// `--prime`: the cache already holds this version.
    Current,
    /// Redis failed: answered 503 so Svix retries.
    Unavailable,
}

impl Fate {
    fn label(self) -> &'static str {
        match self {
            Fate::Rejected => "rejected",
            Fate::Ignored => "ignored",
            Fate::Replay => "replay",
            Fate::Dropped => "dropped",
            Fate::Written => "written",
            Fate::KeptNewer => "kept_newer",
            Fate::Tombstoned => "tombstoned",
            Fate::Current => "current",
            Fate::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Default)]
pub struct WebhookMetrics {
    deliveries: Family<DeliveryLabels, Counter>,
    refused: Family<RefusedLabels, Counter>,
}

/// An event type fit for a label: Clerk's are short dotted lowercase words (`user.updated`);
/// anything else is counted as `other`, so a label never carries what a sender made up.
fn event_label(event: Option<&str>) -> String {
    match event {
        None => "unknown".into(),
        Some(e)
            if !e.is_empty()
                && e.len() <= 64
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') =>
        {
            e.to_string()
        }
        Some(_) => "other".into(),
    }
}

impl WebhookMetrics {
    /// New counters, registered in `hub`.
    pub fn register(hub: &Hub) -> Arc<Self> {
        let m = Arc::new(WebhookMetrics::default());
        hub.register(
            "webhook_deliveries",
            "Deliveries received, by event type (unknown before the body was read) and outcome",
            m.deliveries.clone(),
        );
        hub.register(
            "webhook_cache_writes_refused",
            "Cache writes refused as stale: the cache knew a later version (newer_version) or the user was deleted (tombstone)",
            m.refused.clone(),
        );
        m
    }

    /// One delivery's fate.
    pub fn delivery(&self, event: Option<&str>, fate: Fate) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                event: event_label(event),
                outcome: fate.label(),
            })
            .inc();
        let reason = match fate {
            Fate::KeptNewer => "newer_version",
            Fate::Tombstoned => "tombstone",
            _ => return,
        };
        self.refused.get_or_create(&RefusedLabels { reason }).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_and_refusals_are_counted_without_made_up_labels() {
        let hub = Hub::new();
        let m = WebhookMetrics::register(&hub);
        m.delivery(Some("user.updated"), Fate::KeptNewer);
        m.delivery(Some("user.updated"), Fate::KeptNewer);
        m.delivery(Some("User\"{evil}"), Fate::Ignored);
        m.delivery(None, Fate::Rejected);
        let text = hub.encode();
        for want in [
            "clerk_rl_webhook_deliveries_total{event=\"user.updated\",outcome=\"kept_newer\"} 2",
            "clerk_rl_webhook_deliveries_total{event=\"other\",outcome=\"ignored\"} 1",
            "clerk_rl_webhook_deliveries_total{event=\"unknown\",outcome=\"rejected\"} 1",
            "clerk_rl_webhook_cache_writes_refused_total{reason=\"newer_version\"} 2",
        ] {
            assert!(text.contains(want), "{want} in\n{text}");
        }
    }
}
