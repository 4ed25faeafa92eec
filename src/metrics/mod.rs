//! Prometheus metrics: one explicit registry per process (no globals), filled by what runs (the
//! HTTP core's monitor, `webhook serve`'s deliveries) and served as OpenMetrics text on
//! `GET /metrics`, by `--metrics-listen ADDR` for as long as the command runs, and by
//! `webhook serve` on its own listener too. docs/metrics.md lists every metric.
//!
//! Nothing is counted twice: [`http::HttpCollector`] reads the monitor's counters when scraped,
//! and the families it encodes are the monitor's own.

pub mod http;
pub mod webhook;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Metric, Registry};

use crate::error::{Exit, fail};

/// The media type of OpenMetrics text, which Prometheus asks for first.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Every metric's name starts with this (and `_`).
pub const PREFIX: &str = "clerk_rl";

/// The registry of this process, shared by whoever registers into it and the listener(s) that
/// serve it. Cloning shares it.
#[derive(Clone)]
pub struct Hub {
    registry: Arc<RwLock<Registry>>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hub")
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    /// A registry holding `clerk_rl_build_info{version}` only, so far.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register(
            "build",
            "The clerk-rl version serving these metrics",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Hub {
            registry: Arc::new(RwLock::new(registry)),
        }
    }

    /// Register a metric under `clerk_rl_<name>`.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry
            .write()
            .expect("metrics registry")
            .register(name, help, metric);
    }

    /// Register a collector, asked for its metrics on each scrape (its names get the prefix).
    pub fn register_collector(&self, collector: Box<dyn Collector>) {
        self.registry
            .write()
            .expect("metrics registry")
            .register_collector(collector);
    }

    /// The OpenMetrics text of everything registered, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        let registry = self.registry.read().expect("metrics registry");
        // Writing into a String cannot fail; a collector's error would be a bug of ours.
        if encode(&mut out, &registry).is_err() {
            out.clear();
            out.push_str("# EOF\n");
        }
        out
    }

    /// `GET /metrics` over this registry, to merge into a router (`webhook serve`'s).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let hub = self.clone();
        Router::new().route(
            "/metrics",
            get(move || {
                let hub = hub.clone();
                async move { hub.response() }
            }),
        )
    }

    fn response(&self) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, CONTENT_TYPE)],
            self.encode(),
        )
            .into_response()
    }

    /// Bind `addr` (`--metrics-listen`) and serve `/metrics` there in the background until the
    /// process ends. A taken port or an address not ours is a usage error, before any request.
    /// Returns the address bound (port 0 picks a free one).
    pub async fn serve(&self, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            fail(
                Exit::Usage,
                format!("--metrics-listen {addr}: cannot listen there ({e}); pick a free port, e.g. --metrics-listen 127.0.0.1:9464"),
            )
        })?;
        let bound = listener.local_addr()?;
        let app: Router = self
            .router()
            .fallback(|| async { (StatusCode::NOT_FOUND, "only GET /metrics is served here\n") });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(bound)
    }
}

/// clap value parser for `--metrics-listen`: `HOST:PORT` with an IP address (`127.0.0.1:9464`,
/// `[::1]:9464`, `0.0.0.0:9464` for every interface), or `:PORT` for 127.0.0.1.
pub fn listen_arg(s: &str) -> Result<SocketAddr, String> {
    let t = s.trim();
    let full = if t.starts_with(':') {
        format!("127.0.0.1{t}")
    } else {
        t.to_string()
    };
    full.parse().map_err(|_| {
        format!(
            "{s:?} is not IP:PORT (for example 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 or :9464)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_are_ip_and_port() {
        assert_eq!(listen_arg(":9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(listen_arg("[::1]:1").unwrap().to_string(), "[::1]:1");
        for bad in ["localhost:9464", "9464", "127.0.0.1", "127.0.0.1:99999", ""] {
            assert!(listen_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_hub_is_openmetrics_with_the_build_info() {
        let text = Hub::new().encode();
        assert!(text.contains("# TYPE clerk_rl_build info"), "{text}");
        assert!(text.contains("clerk_rl_build_info{version="), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
