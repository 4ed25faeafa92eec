//! HTTP: the router, the gate every request passes (auth, limiter, faults, log) and the handlers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::spec::CREATE_USER_FIELDS;

use super::body::{body_object, json_ok, opt_bool, opt_object, opt_string, write_error};
use super::errors::ApiError;
use super::faults::FaultKind;
use super::limiter::{ceil_secs, rate_limit_headers, retry_after_header};
use super::log::{LogEntry, key_tag};
use super::misbehave;
use super::query::{COUNT_PARAMS, PAGING_PARAMS, check_known, pairs, parse_filter, parse_list};
use super::state::{AppState, KeyKind, Shared, lock, now_ms, read, write};
use super::store::UserFields;

pub use super::body::MAX_BODY_BYTES;
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/users", get(list_users).post(create_user))
        .route("/v1/users/count", get(count_users))
        .route(
            "/v1/users/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .merge(super::orgs::routes())
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// The key in `Authorization: Bearer <key>`, or the 401 Clerk answers.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::authentication_invalid());
    };
    let v = v.to_str().map_err(|_| ApiError::header_format_invalid())?;
    let (scheme, token) = v
        .trim()
        .split_once(' ')
        .ok_or_else(ApiError::header_format_invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(ApiError::header_format_invalid());
    }
    Ok(token)
}

/// A body that fails before its first byte: hyper then closes the connection with no response.
fn reset_body() -> Body {
    Body::from_stream(futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("sandbox fault: reset"))
    }))
}

/// Half of `full`, then a failure: with the full Content-Length declared, the client sees the
/// connection close mid-body. The pause lets hyper flush the half first; a failure right behind
/// it would abort the connection before anything was written.
fn truncated_body(full: Bytes) -> Body {
    let half = full.slice(..full.len() / 2);
    let chunks = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok(half), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((Err(std::io::Error::other("sandbox fault: truncate")), 2))
                }
                _ => None,
            }
        }
    });
    Body::from_stream(chunks)
}

/// Every request passes here: auth, limiter, 403 keys, faults, the handler, headers, the log.
async fn gate(State(app): State<Shared>, req: Request, next: Next) -> Response {
    // The way there: the server stamps the request only when it arrives.
    let there = app.model.half_trip();
    if !there.is_zero() {
        tokio::time::sleep(there).await;
    }
    // A busy server queues what it cannot serve yet; the request is stamped when served.
    let slot = app.model.serve().await;
    let now = app.started.elapsed();
    let sys = SystemTime::now();
    let entry = LogEntry {
        t: now.as_secs_f64(),
        unix_ms: sys
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or("").to_string(),
        status: 0,
        fault: None,
        key: None,
    };
    // Recorded even when the client goes away mid-request (a timeout during a `slow` fault):
    // the request reached the server and counted, so tests must see it.
    let mut pending = Pending {
        log: &app.log,
        entry: Some(entry),
    };
    let response = match pending.entry.as_mut() {
        Some(entry) => respond(&app, req, next, now, sys, entry).await,
        None => unreachable!("set above"),
    };
    if let Some(entry) = pending.entry.as_mut()
        && !matches!(entry.fault.as_deref(), Some("reset" | "reset-after"))
    {
        entry.status = response.status().as_u16();
    }
    drop(pending);
    drop(slot);
    // The way back.
    let back = app.model.half_trip();
    if !back.is_zero() {
        tokio::time::sleep(back).await;
    }
    response
}

/// A log entry that is written when dropped: on completion, or when the request is abandoned
/// (then with status 0, no response sent).
struct Pending<'a> {
    log: &'a crate::sandbox::log::RequestLog,
    entry: Option<LogEntry>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(e) = self.entry.take() {
            self.log.record(e);
        }
    }
}

async fn respond(
    app: &AppState,
    req: Request,
    next: Next,
    now: Duration,
    sys: SystemTime,
    entry: &mut LogEntry,
) -> Response {
    let key = match bearer(req.headers()) {
        Ok(k) => k.to_string(),
        Err(e) => return e.into_response(),
    };
    entry.key = Some(key_tag(&key));
    let Some(&kind) = app.keys.get(&key) else {
        return ApiError::key_invalid().into_response();
    };
    let decision = lock(&app.limiter).check(&entry.key.clone().unwrap_or_default(), now);
    let add_headers = |r: &mut Response| {
        for (name, value) in rate_limit_headers(app.headers, &decision) {
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert(HeaderName::from_static(name), v);
            }
        }
    };
    if !decision.allowed {
        let mut r = ApiError::too_many_requests(ceil_secs(decision.retry_after)).into_response();
        if let Some(v) = retry_after_header(app.retry_after, decision.retry_after, sys)
            && let Ok(v) = HeaderValue::from_str(&v)
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        add_headers(&mut r);
        return r;
    }
    // An endpoint with a documented limit of its own: counted there too, once the instance
    // admitted it.
    let endpoint = lock(&app.endpoint_limiter).check(
        entry.key.as_deref().unwrap_or_default(),
        req.method().as_str(),
        req.uri().path(),
        now,
    );
    if let Some(d) = endpoint
        && !d.allowed
    {
        let mut r = ApiError::too_many_requests(ceil_secs(d.retry_after)).into_response();
        if let Some(v) = retry_after_header(app.retry_after, d.retry_after, sys)
            && let Ok(v) = HeaderValue::from_str(&v)
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        add_headers(&mut r);
        return r;
    }
    // The 403 keys still count against the limit: they authenticated.
    match kind {
        KeyKind::Accepted => {}
        KeyKind::OverQuota => {
            let mut r = ApiError::quota_exceeded().into_response();
            add_headers(&mut r);
            return r;
        }
        KeyKind::Forbidden => {
            let mut r = ApiError::authorization_invalid().into_response();
            add_headers(&mut r);
            return r;
        }
    }
    let fault = lock(&app.faults).draw();
    entry.fault = fault.map(|f| f.to_string());
    let mut r = match fault {
        Some(FaultKind::Status(code)) => ApiError::injected(code).into_response(),
        Some(FaultKind::Reset) => return Response::new(reset_body()),
        Some(FaultKind::ResetAfter) => {
            // The handler runs to its end (a create is committed), only the answer is lost.
            let done = next.run(req).await;
            entry.status = done.status().as_u16();
            return Response::new(reset_body());
        }
        Some(FaultKind::Slow(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(FaultKind::Truncate) => {
            let r = next.run(req).await;
            let (mut parts, body) = r.into_parts();
            let full = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            Response::from_parts(parts, truncated_body(full))
        }
        None => next.run(req).await,
    };
    add_headers(&mut r);
    r
}

async fn list_users(
    State(app): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = pairs(q.as_deref());
    if app.strict {
        check_known(&p, &[COUNT_PARAMS, PAGING_PARAMS])?;
    }
    let users: Vec<Value> = {
        let store = read(&app);
        let mut query = parse_list(&p, app.reject_cursor, &*store)?;
        misbehave::rewrite_query(&app.misbehave, &mut query);
        let mut page = store.list(&query);
        misbehave::rewrite_page(&app.misbehave, &query, &mut page);
        page.iter().map(|u| u.to_json()).collect()
    };
    if let Some((after, n)) = app.delete_after_pages {
        let served = app
            .pages_served
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if served == after {
            write(&app).delete_oldest(n);
        }
    }
    // The server's own work grows with the page (held within the capacity slot).
    let work = app.model.page_time(users.len());
    if !work.is_zero() {
        tokio::time::sleep(work).await;
    }
    Ok(json_ok(Value::Array(users)))
}

async fn count_users(
    State(app): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = pairs(q.as_deref());
    if app.strict {
        check_known(&p, &[COUNT_PARAMS])?;
    }
    let store = read(&app);
    // Paging parameters mean nothing to a count: Clerk's SDK even forwards starting_after here.
    let filter = parse_filter(&p, &*store)?;
    Ok(json_ok(
        json!({"object": "total_count", "total_count": store.count(&filter)}),
    ))
}

async fn get_user(State(app): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let user = read(&app).get(&id).ok_or_else(ApiError::not_found)?;
    Ok(json_ok(user.to_json()))
}

async fn delete_user(
    State(app): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = write(&app).delete(&id).map_err(|_| ApiError::not_found())?;
    Ok(json_ok(
        json!({"object": "user", "id": id, "deleted": true}),
    ))
}

fn string_list(m: &Map<String, Value>, name: &str) -> Result<Vec<String>, ApiError> {
    let bad = || ApiError::format_invalid(name, format!("{name} must be an array of strings"));
    match m.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_string()).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn user_fields(m: &Map<String, Value>, creating: bool) -> Result<UserFields, ApiError> {
    let mut f = UserFields {
        external_id: opt_string(m, "external_id")?,
        first_name: opt_string(m, "first_name")?,
        last_name: opt_string(m, "last_name")?,
        username: opt_string(m, "username")?,
        locale: opt_string(m, "locale")?,
        banned: opt_bool(m, "banned")?,
        delete_self_enabled: opt_bool(m, "delete_self_enabled")?,
        create_organization_enabled: opt_bool(m, "create_organization_enabled")?,
        ..UserFields::default()
    };
    if let Some(Some(pw)) = opt_string(m, "password")? {
        if pw.chars().count() < 8 {
            return Err(ApiError::value_invalid(
                "password",
                "Passwords must be 8 characters or more.".into(),
            ));
        }
        f.password = true;
    }
    if creating {
        f.email_addresses = string_list(m, "email_address")?;
        f.phone_numbers = string_list(m, "phone_number")?;
        for e in &f.email_addresses {
            let ok = e
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
            if !ok {
                return Err(ApiError::format_invalid(
                    "email_address",
                    format!("{e:?} is not a valid email address"),
                ));
            }
        }
        for p in &f.phone_numbers {
            let digits = p.strip_prefix('+').unwrap_or("");
            if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::format_invalid(
                    "phone_number",
                    format!("{p:?} is not a phone number in E.164 format (+15551234567)"),
                ));
            }
        }
        f.public_metadata = opt_object(m, "public_metadata")?;
        f.private_metadata = opt_object(m, "private_metadata")?;
        f.unsafe_metadata = opt_object(m, "unsafe_metadata")?;
    }
    Ok(f)
}

/// What `POST /v1/users` checks beyond the fields it stores: no unknown field (Clerk's body
/// schema allows none) and a password hash comes with its hasher. Whether an instance requires
/// a password depends on its settings; the sandbox's does not.
fn check_create_body(m: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(k) = m.keys().find(|k| !CREATE_USER_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::unknown_param(k));
    }
    let digest = opt_string(m, "password_digest")?.flatten();
    let hasher = opt_string(m, "password_hasher")?.flatten();
    if digest.is_some() != hasher.is_some() {
        return Err(ApiError::value_invalid(
            "password_hasher",
            "password_digest and password_hasher go together.".into(),
        ));
    }
    Ok(())
}

async fn create_user(
    State(app): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_object(body)?;
    check_create_body(&body)?;
    let mut fields = user_fields(&body, true)?;
    if opt_string(&body, "password_digest")?.flatten().is_some() {
        fields.password = true;
    }
    let user = write(&app).create(fields, now_ms()).map_err(write_error)?;
    Ok(json_ok(user.to_json()))
}

async fn update_user(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let fields = user_fields(&body_object(body)?, false)?;
    let user = write(&app)
        .update(&id, fields, now_ms())
        .map_err(write_error)?;
    Ok(json_ok(user.to_json()))
}
