//! What `status` asks the world: one `GET /v1/users?limit=1`, and with `--budget-store` the
//! processes sharing the budget. Nothing here decides or shows anything.

use crate::http::{HttpError, RateLimitView};
use crate::pacing::shared::ProcessInfo;
use crate::settings::context::Context;

/// The request status makes.
pub const REQUEST: &str = "GET /v1/users?limit=1";

/// Everything observed, as plain data.
#[derive(Debug, Clone)]
pub struct Observed {
    pub answer: Result<Answer, Refusal>,
    pub store: Option<StoreSeen>,
}

/// A successful response.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub latency_ms: u64,
    pub attempts: u32,
    pub trace_id: Option<String>,
    pub view: RateLimitView,
}

/// The request failed (past retries, or with an error retrying does not fix).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub exit: crate::error::Exit,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub trace_id: Option<String>,
    pub message: String,
}

/// The shared budget's store, with the processes it lists (or why they could not be listed).
#[derive(Debug, Clone)]
pub struct StoreSeen {
    pub url: String,
    pub shared: bool,
    pub processes: Result<Vec<ProcessInfo>, String>,
}

pub async fn fetch(ctx: &Context) -> Observed {
    let url = ctx.client.url("/v1/users", &[("limit", "1")]);
    let answer = match ctx.client.get(&url).await {
        Ok(resp) => Ok(Answer {
            status: resp.status.as_u16(),
            latency_ms: resp.latency.as_millis() as u64,
            attempts: resp.attempts,
            trace_id: ["clerk-trace-id", "x-clerk-trace-id", "cf-ray"]
                .iter()
                .find_map(|h| resp.headers.get(*h))
                .and_then(|v| v.to_str().ok())
                .map(crate::ui::clean),
            view: resp.view,
        }),
        Err(e) => Err(refusal(&e)),
    };
    let store = match ctx.client.limiter().shared() {
        Some(sb) => Some(StoreSeen {
            url: sb.shown().to_string(),
            shared: !sb.is_local(),
            processes: sb.processes().await.map_err(|e| e.to_string()),
        }),
        None => None,
    };
    Observed { answer, store }
}

fn refusal(e: &HttpError) -> Refusal {
    let (status, code, trace_id) = match e {
        HttpError::Clerk(c) | HttpError::RateLimited { last: c, .. } => {
            (Some(c.status), c.code.clone(), c.trace_id.clone())
        }
        _ => (None, None, None),
    };
    Refusal {
        exit: e.exit(),
        status,
        code,
        trace_id,
        message: e.to_string(),
    }
}
