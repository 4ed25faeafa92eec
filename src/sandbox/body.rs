//! JSON in and out of the handlers: request bodies read as objects, fields checked with Clerk's
//! error shapes, answers written.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::store::WriteError;

/// Request bodies above this are refused (413) before they are read whole.
pub const MAX_BODY_BYTES: usize = 1 << 20;

pub(super) fn json_ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

pub(super) fn body_object(
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::body_too_large(MAX_BODY_BYTES)
        } else {
            ApiError::body_invalid(e.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::body_invalid(
            "The request body must be a JSON object.".into(),
        )),
        Err(e) => Err(ApiError::body_invalid(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

pub(super) fn opt_string(
    m: &Map<String, Value>,
    name: &str,
) -> Result<Option<Option<String>>, ApiError> {
    match m.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::format_invalid(
            name,
            format!("{name} must be a string"),
        )),
    }
}

pub(super) fn opt_bool(m: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::format_invalid(
            name,
            format!("{name} must be true or false"),
        )),
    }
}

pub(super) fn opt_object(
    m: &Map<String, Value>,
    name: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(_) => Err(ApiError::format_invalid(
            name,
            format!("{name} must be an object"),
        )),
    }
}

pub(super) fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound => ApiError::not_found(),
        WriteError::Taken(param) => ApiError::identifier_exists(param),
    }
}
