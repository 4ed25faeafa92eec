//! Clerk's error shape: `{"errors":[{message,long_message,code,meta}],"clerk_trace_id":…}`, with
//! the trace id in a `Clerk-Trace-Id` header as well.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::users::mix;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Static, which keeps the error small enough to pass around in `Result`s by value.
    pub message: &'static str,
    pub long_message: String,
    /// Boxed: an inline `Value` (an IndexMap with preserve_order) makes every `Result` fat.
    pub meta: Box<Value>,
}

static TRACE_COUNTER: AtomicU64 = AtomicU64::new(1);

/// A fresh 32-hex-digit trace id, unique within the process.
pub fn trace_id() -> String {
    let n = TRACE_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", mix(n ^ 0x7472_6163_6500_0000), mix(n))
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        long_message: String,
    ) -> Self {
        ApiError {
            status,
            code,
            message,
            long_message,
            meta: Box::new(json!({})),
        }
    }

    fn param(mut self, name: &str) -> Self {
        self.meta = Box::new(json!({ "param_name": name }));
        self
    }

    pub fn authentication_invalid() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication_invalid",
            "Invalid authentication",
            "Unable to authenticate the request, you need to supply an active session".into(),
        )
    }

    pub fn header_format_invalid() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authorization_header_format_invalid",
            "Invalid Authorization header format",
            "Invalid Authorization header format. Must be \"Bearer <YOUR_API_KEY>\"".into(),
        )
    }

    pub fn key_invalid() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "Secret Key is invalid",
            "The provided Secret Key is invalid. Make sure that your Secret Key is correct.".into(),
        )
    }

    pub fn authorization_invalid() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "authorization_invalid",
            "Unauthorized request",
            "You are not authorized to perform this request".into(),
        )
    }

    pub fn quota_exceeded() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "quota_exceeded",
            "Quota exceeded",
            "You have reached your instance's quota. Upgrade your plan to continue.".into(),
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "Resource not found".into(),
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
            "Too many requests, please try again later.".into(),
        );
        e.meta = Box::new(json!({ "retry_after": retry_after_secs }));
        e
    }

    /// A query or body parameter that is not what its type says (`limit=abc`).
    pub fn format_invalid(param: &str, long: String) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_format_invalid",
            "is invalid",
            long,
        )
        .param(param)
    }

    /// A well-formed parameter whose value is not allowed (`limit=501`).
    pub fn value_invalid(param: &str, long: String) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_value_invalid",
            "is invalid",
            long,
        )
        .param(param)
    }

    /// A parameter this API version does not know (`--reject-cursor` uses it for starting_after).
    pub fn unknown_param(param: &str) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_unknown",
            "is unknown",
            format!("{param} is not a valid parameter for this request."),
        )
        .param(param)
    }

    pub fn identifier_exists(param: &str) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_identifier_exists",
            "That identifier is taken. Please try another.",
            format!("That {param} is taken. Please try another."),
        )
        .param(param)
    }

    pub fn body_invalid(long: String) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            long,
        )
    }

    pub fn body_too_large(max: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            "Request body too large",
            format!("The request body must be at most {max} bytes."),
        )
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            "This endpoint does not support this HTTP method.".into(),
        )
    }

    /// An injected server fault (`--faults 503:0.1`).
    pub fn injected(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reason = status.canonical_reason().unwrap_or("Error");
        let code = match status.as_u16() {
            500 => "internal_clerk_error",
            502 => "bad_gateway",
            503 => "service_unavailable",
            504 => "gateway_timeout",
            429 => "too_many_requests",
            _ => "sandbox_injected_fault",
        };
        ApiError::new(
            status,
            code,
            reason,
            format!("{reason} (injected by the sandbox's --faults)"),
        )
    }

    pub fn body(&self, trace: &str) -> Value {
        json!({
            "errors": [{
                "message": self.message,
                "long_message": self.long_message,
                "code": self.code,
                "meta": self.meta,
            }],
            "clerk_trace_id": trace,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let trace = trace_id();
        let mut r = (self.status, axum::Json(self.body(&trace))).into_response();
        if let Ok(v) = HeaderValue::from_str(&trace) {
            r.headers_mut().insert("clerk-trace-id", v);
        }
        r
    }
}
