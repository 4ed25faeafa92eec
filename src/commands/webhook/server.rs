//! The HTTP side: `POST /webhook` for deliveries, `GET /healthz` for process managers, 404 for
//! anything else. Every delivery gets exactly one log line, whatever its fate.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::event::{self, Action};
use super::log::{Delivery, Log};
use super::verify::{self, Headers, SigningSecret};
use crate::metrics::Hub;
use crate::metrics::webhook::{Fate, WebhookMetrics};
use crate::ui::clean;
use crate::user_cache::deliveries::{Change, Store};
use crate::user_cache::write::Outcome;

/// Clerk's events are a few kilobytes; a megabyte leaves room for users with large metadata and
/// stops anyone from making us buffer more.
pub const MAX_BODY: usize = 1024 * 1024;
/// The path Svix delivers to (behind the TLS proxy's own path, if it rewrites).
pub const PATH: &str = "/webhook";

pub struct Receiver {
    pub secret: SigningSecret,
    pub store: Store,
    pub prime: bool,
    /// Expiry of the entries `--prime` writes.
    pub ttl: Duration,
    /// Where each delivery's line goes (timestamped text or JSON).
    pub log: Log,
    /// Each delivery's fate, counted as its line is written; served on `GET /metrics`.
    pub metrics: Arc<WebhookMetrics>,
}

pub fn router(receiver: Arc<Receiver>, hub: &Hub) -> Router {
    Router::new()
        .route(PATH, post(deliver))
        .route("/healthz", get(healthz))
        .merge(hub.router())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(receiver)
}

/// Liveness only: a Redis outage is answered per delivery (503, Svix retries), and restarting
/// the receiver would not bring Redis back.
async fn healthz() -> &'static str {
    "ok\n"
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An id as it came (not yet verified), fit for a log line.
fn shown_id(headers: &HeaderMap) -> String {
    headers
        .get("svix-id")
        .map(|v| clean(&String::from_utf8_lossy(v.as_bytes())))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into())
}

async fn deliver(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let why = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "body over 1 MB".to_string()
            } else {
                clean(&e.body_text())
            };
            return reject(&r, &shown_id(&headers), e.status(), &why, false);
        }
    };
    let h = Headers {
        id: headers.get("svix-id").map(|v| v.as_bytes()),
        timestamp: headers.get("svix-timestamp").map(|v| v.as_bytes()),
        signature: headers.get("svix-signature").map(|v| v.as_bytes()),
    };
    let verified = match verify::verify(&r.secret, h, &body, now_unix()) {
        Ok(v) => v,
        Err(why) => return reject(&r, &shown_id(&headers), BAD, &why.to_string(), true),
    };
    let id = verified.id;
    let ev = match event::parse(&body, r.prime) {
        Ok(e) => e,
        Err(why) => return reject(&r, id, BAD, &why.to_string(), true),
    };
    let who = ev.user_id.as_deref().unwrap_or("");
    let what = format!("webhook {id}: {} {who}", ev.kind);
    let what = what.trim_end();
    let note = ev
        .note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let fields = |status: u16| Delivery {
        id,
        event: Some(&ev.kind),
        user: ev.user_id.as_deref(),
        status,
    };
    let Some(change) = change_of(&ev.action, r.ttl) else {
        r.metrics.delivery(Some(&ev.kind), Fate::Ignored);
        r.log
            .delivery(fields(204), &format!("{what}: ignored{note}"));
        return StatusCode::NO_CONTENT.into_response();
    };
    match r.store.apply(id, who, change).await {
        Ok(applied) => {
            r.metrics.delivery(Some(&ev.kind), fate_of(applied));
            let done = what_was_done(applied, &ev.action);
            r.log
                .delivery(fields(204), &format!("{what}: {done}{note}"));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            // Acknowledging would leave the stale entry for its whole TTL: let Svix retry.
            r.metrics.delivery(Some(&ev.kind), Fate::Unavailable);
            r.log.delivery(
                fields(503),
                &format!("{what}: answered 503 so Svix retries: {e}"),
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the cache is unavailable; retry later\n",
            )
                .into_response()
        }
    }
}

const BAD: StatusCode = StatusCode::BAD_REQUEST;

/// What a delivery asks of the cache; `None` when it asks nothing (an event the cache ignores).
fn change_of(action: &Action, ttl: Duration) -> Option<Change<'_>> {
    Some(match action {
        Action::Ignore => return None,
        Action::Delete => Change::Delete,
        Action::Supersede { updated_at } => Change::Supersede {
            updated_at: *updated_at,
        },
        Action::Write { line, updated_at } => Change::Write {
            line,
            ttl,
            updated_at: *updated_at,
        },
    })
}

/// A delivery refused before its event was read (a body too large, a bad signature, a body
/// that is no event): counted, logged with the id as it came, answered with the status (and
/// the reason as the body, `with_reason`).
fn reject(r: &Receiver, id: &str, status: StatusCode, why: &str, with_reason: bool) -> Response {
    r.metrics.delivery(None, Fate::Rejected);
    r.log.delivery(
        Delivery {
            id,
            status: status.as_u16(),
            ..Delivery::default()
        },
        &format!("webhook {id}: rejected ({}): {why}", status.as_u16()),
    );
    if with_reason {
        (status, format!("{why}\n")).into_response()
    } else {
        status.into_response()
    }
}

/// The metrics' name for what the cache did with a delivery.
fn fate_of(applied: Outcome) -> Fate {
    match applied {
        Outcome::Replay => Fate::Replay,
        Outcome::Dropped(_) => Fate::Dropped,
        Outcome::Written => Fate::Written,
        Outcome::KeptNewer => Fate::KeptNewer,
        Outcome::Tombstoned => Fate::Tombstoned,
        Outcome::Current => Fate::Current,
    }
}

/// What the log line says the cache did with a delivery.
fn what_was_done(applied: Outcome, action: &Action) -> &'static str {
    match (applied, action) {
        (Outcome::Replay, _) => "already handled (a replay or a retry): nothing done",
        (Outcome::Dropped(true), Action::Delete) => "cache entry deleted, tombstone left",
        (Outcome::Dropped(false), Action::Delete) => "no cache entry, tombstone left",
        (Outcome::Dropped(true), Action::Supersede { updated_at: None }) => {
            "cache entry deleted (no updated_at to record)"
        }
        (Outcome::Dropped(false), Action::Supersede { updated_at: None }) => {
            "no cache entry (no updated_at to record)"
        }
        (Outcome::Dropped(true), _) => "cache entry deleted, version recorded",
        (Outcome::Dropped(false), _) => "no cache entry, version recorded",
        (Outcome::Written, _) => "cache entry written",
        (Outcome::KeptNewer, _) => "nothing written (the cache knows a later version)",
        (Outcome::Tombstoned, _) => "nothing written (the user was deleted)",
        (Outcome::Current, _) => "cache entry kept (it is this version)",
    }
}
