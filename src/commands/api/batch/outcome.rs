//! What an answer (or its absence) makes of a line: its result record, and whether the run must
//! stop.

use reqwest::Method;
use serde_json::{Value, json};

use super::line::Line;
use crate::error::fail;
use crate::http::{ClerkError, HttpError, Response};

/// The fields every result has: the line's number, its `id`, its status, what it asked.
pub fn base_result(l: &Line, status: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("line".into(), json!(l.no));
    if let Some(id) = &l.id {
        m.insert("id".into(), id.clone());
    }
    m.insert("status".into(), json!(status));
    if let Ok(r) = &l.request {
        m.insert("method".into(), json!(r.method.as_str()));
        m.insert("path".into(), json!(r.path));
    }
    m
}

fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

/// What an answer makes of a line, and whether the run must stop (an error every other line
/// would meet too). A `None` result: the line was surely not applied and stays unfinished.
pub fn outcome(
    l: &Line,
    req: &crate::http::Request,
    answer: Result<Response, HttpError>,
) -> (Option<Value>, Option<anyhow::Error>) {
    match answer {
        Ok(resp) => answered(l, req, &resp),
        Err(e) => not_answered(l, req, e),
    }
}

/// The line's result: `status`, the HTTP status when there was one, and what else is known.
fn result_of(
    l: &Line,
    status: &str,
    http: Option<u16>,
    extra: Vec<(&str, Value)>,
) -> Option<Value> {
    let mut m = base_result(l, status);
    if let Some(h) = http {
        m.insert("http_status".into(), json!(h));
    }
    for (k, v) in extra {
        m.insert(k.into(), v);
    }
    Some(Value::Object(m))
}

/// The server answered: ok, failed, or unknown (a 5xx to a request that may not be sent again).
fn answered(
    l: &Line,
    req: &crate::http::Request,
    resp: &Response,
) -> (Option<Value>, Option<anyhow::Error>) {
    let status = resp.status.as_u16();
    if resp.status.is_success() {
        return (
            result_of(
                l,
                "ok",
                Some(status),
                vec![("body", body_value(&resp.body))],
            ),
            None,
        );
    }
    let e = ClerkError::parse(status, &resp.headers, &resp.body);
    if req.method == Method::DELETE && status == 404 {
        // Gone already (an earlier delete): what the line asked for holds.
        return (
            result_of(
                l,
                "ok",
                Some(status),
                vec![("note", json!("already absent")), ("error", json!(e))],
            ),
            None,
        );
    }
    if matches!(status, 401 | 403) {
        let line = format!("line {}: {e}", l.no);
        return (None, Some(fail(e.exit(), line)));
    }
    let transient = resp.status.is_server_error() || status == 408;
    if transient && !req.idempotent() {
        return (
            result_of(
                l,
                "unknown",
                Some(status),
                vec![
                    ("error", json!(e)),
                    (
                        "why",
                        json!(format!(
                            "the {} may have been applied; not sent again (no idempotency key)",
                            req.method
                        )),
                    ),
                ],
            ),
            None,
        );
    }
    (
        result_of(l, "failed", Some(status), vec![("error", json!(e))]),
        None,
    )
}

/// No answer to act on: the request failed in the HTTP core (after its retries), was refused
/// by the budget, or may have been applied without an answer.
fn not_answered(
    l: &Line,
    req: &crate::http::Request,
    e: HttpError,
) -> (Option<Value>, Option<anyhow::Error>) {
    match e {
        HttpError::NotRetried { method, detail } => (
            result_of(
                l,
                "unknown",
                None,
                vec![(
                    "why",
                    json!(format!(
                        "{detail}; the {method} may have been applied; not sent again (no idempotency key)"
                    )),
                )],
            ),
            None,
        ),
        HttpError::Clerk(e) => (
            result_of(l, "failed", Some(e.status), vec![("error", json!(e))]),
            None,
        ),
        e @ (HttpError::RateLimited { .. } | HttpError::WaitTooLong { .. }) => {
            // Refused by the server: not applied; the rest waits for a rerun.
            (None, Some(anyhow::Error::new(e)))
        }
        e @ HttpError::Transport { .. } => {
            let result = (!req.idempotent()).then(|| {
                result_of(
                    l,
                    "unknown",
                    None,
                    vec![(
                        "why",
                        json!(format!("{e}; not sent again (no idempotency key)")),
                    )],
                )
            });
            (result.flatten(), Some(anyhow::Error::new(e)))
        }
    }
}
