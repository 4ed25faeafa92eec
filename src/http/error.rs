//! Clerk's error bodies, and the failures of a request after the core gave up on it.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::exit::Exit;
use crate::ui::{MAX_SHOWN, clean};

/// A parsed `ClerkErrors` body: `{"errors":[{"message","long_message","code","meta"}],
/// "clerk_trace_id":"…"}`; whatever is missing stays `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClerkError {
    pub status: u16,
    pub code: Option<String>,
    pub message: Option<String>,
    pub long_message: Option<String>,
    pub trace_id: Option<String>,
    /// How many errors the body listed (the first is shown).
    pub count: usize,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    errors: Vec<Item>,
    clerk_trace_id: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    message: Option<String>,
    long_message: Option<String>,
    code: Option<String>,
}

impl ClerkError {
    pub fn parse(status: u16, headers: &HeaderMap, body: &[u8]) -> Self {
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let header_trace = ["clerk-trace-id", "cf-ray"]
            .iter()
            .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()).map(clean));
        match parsed {
            Some(b) => {
                let first = b.errors.into_iter().next();
                let count = usize::from(first.is_some());
                let (message, long_message, code) = match first {
                    Some(i) => (i.message, i.long_message, i.code),
                    None => (None, None, None),
                };
                ClerkError {
                    status,
                    code: code.map(|s| clean(&s)),
                    message: message.map(|s| clean(&s)),
                    long_message: long_message.map(|s| clean(&s)),
                    trace_id: b.clerk_trace_id.map(|s| clean(&s)).or(header_trace),
                    count,
                }
            }
            None => {
                let text = String::from_utf8_lossy(&body[..body.len().min(MAX_SHOWN * 4)]);
                let text = match (
                    super::diagnose::redirect(status, headers),
                    super::diagnose::foreign_body(headers),
                ) {
                    (Some(r), _) => r,
                    (None, Some(kind)) if !text.trim().is_empty() => {
                        format!("({kind}) {}", clean(&text))
                    }
                    _ => clean(&text),
                };
                ClerkError {
                    status,
                    code: None,
                    message: (!text.is_empty()).then_some(text),
                    long_message: None,
                    trace_id: header_trace,
                    count: 0,
                }
            }
        }
    }

    pub fn exit(&self) -> Exit {
        match (self.status, self.code.as_deref()) {
            (403, Some("quota_exceeded")) => Exit::Quota,
            (401 | 403, _) => Exit::Auth,
            (429, _) => Exit::RateLimited,
            (400 | 422, _) => Exit::Usage,
            (500..=599, _) => Exit::Server,
            _ => Exit::Other,
        }
    }

    /// A hint for the user, where the code has an obvious next step.
    pub fn hint(&self) -> Option<&'static str> {
        match (self.status, self.code.as_deref()) {
            (403, Some("quota_exceeded")) => {
                Some("the instance's quota is used up; retrying will not help")
            }
            (401, _) => Some(
                "check CLERK_SECRET_KEY or --secret-key-file, and that --api-url matches the key",
            ),
            (403, _) => Some("this key may not call this endpoint"),
            _ => None,
        }
    }
}

impl fmt::Display for ClerkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(c) = &self.code {
            write!(f, " {c}")?;
        }
        let text = self.long_message.as_ref().or(self.message.as_ref());
        if let Some(m) = text {
            write!(f, ": {m}")?;
        }
        if let Some(t) = &self.trace_id {
            write!(f, " (trace {t})")?;
        }
        if let Some(h) = self.hint() {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

/// Why a request failed for good, after the core's retries.
#[derive(Debug)]
pub enum HttpError {
    /// The server answered with an error that retrying does not fix (4xx other than 429), or a
    /// retryable one past the retries.
    Clerk(ClerkError),
    /// Still rate limited after `--max-retries`.
    RateLimited { retries: u32, last: ClerkError },
    /// The server asked for a wait longer than `--max-wait`.
    WaitTooLong { wait: Duration, max_wait: Duration },
    /// Connection errors, timeouts, or bodies that could not be read or were invalid.
    Transport { retries: u32, detail: String },
    /// No answer to a request that is not safe to send twice (a POST or PATCH without an
    /// `Idempotency-Key`): it may have been applied, so it was not repeated.
    NotRetried { method: String, detail: String },
}

impl HttpError {
    pub fn exit(&self) -> Exit {
        match self {
            HttpError::Clerk(e) => e.exit(),
            HttpError::RateLimited { .. } | HttpError::WaitTooLong { .. } => Exit::RateLimited,
            HttpError::Transport { .. } | HttpError::NotRetried { .. } => Exit::Server,
        }
    }
}

/// Seconds, as Retry-After gives them, so a huge one reads as what the server sent; above a
/// minute also in words.
fn fmt_wait(d: Duration) -> String {
    let s = d.as_secs().max(1);
    if s < 60 {
        format!("{s} s")
    } else {
        // Rounded to the minute: "1day 3h 46m", not "1day 3h 46m 40s".
        let words = humantime::format_duration(Duration::from_secs(s / 60 * 60));
        format!("{s} s ({words})")
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Clerk(e) if e.status >= 500 => {
                write!(f, "server error past retries: {e}")
            }
            HttpError::Clerk(e) => write!(f, "{e}"),
            HttpError::RateLimited { retries, last } => write!(
                f,
                "still rate limited after {retries} retries ({last}); lower --rate or raise --max-retries"
            ),
            HttpError::WaitTooLong { wait, max_wait } => write!(
                f,
                "the server asked to wait {} (Retry-After), longer than --max-wait {}; try again later or raise --max-wait",
                fmt_wait(*wait),
                fmt_wait(*max_wait)
            ),
            HttpError::Transport { retries: 0, detail } => write!(f, "{detail}"),
            HttpError::Transport { retries, detail } => {
                write!(f, "{detail} (after {retries} retries)")
            }
            HttpError::NotRetried { method, detail } => write!(
                f,
                "{detail}; not retried: the {method} may have been applied (send an Idempotency-Key header to make it safe to repeat)"
            ),
        }
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_clerk_errors_body() {
        let body = br#"{"errors":[{"message":"Invalid key","long_message":"The provided Clerk Secret Key is invalid.","code":"clerk_key_invalid","meta":{}}],"clerk_trace_id":"abc123"}"#;
        let e = ClerkError::parse(401, &HeaderMap::new(), body);
        assert_eq!(e.code.as_deref(), Some("clerk_key_invalid"));
        assert_eq!(e.trace_id.as_deref(), Some("abc123"));
        assert_eq!(e.exit(), Exit::Auth);
        let line = e.to_string();
        assert!(line.starts_with("HTTP 401 clerk_key_invalid: The provided Clerk Secret Key is invalid. (trace abc123)"), "{line}");
    }

    #[test]
    fn a_huge_wait_is_shown_in_seconds() {
        let e = HttpError::WaitTooLong {
            wait: Duration::from_secs(100_000),
            max_wait: Duration::from_secs(60),
        };
        let line = e.to_string();
        assert!(line.contains("wait 100000 s (1day 3h 46m)"), "{line}");
        assert!(line.contains("--max-wait 60 s (1m)"), "{line}");
    }

    #[test]
    fn maps_codes_to_exit_codes() {
        let mk = |status, code: &str| {
            let body = format!(r#"{{"errors":[{{"message":"m","code":"{code}"}}]}}"#);
            ClerkError::parse(status, &HeaderMap::new(), body.as_bytes()).exit()
        };
        assert_eq!(mk(403, "quota_exceeded"), Exit::Quota);
        assert_eq!(mk(403, "authorization_invalid"), Exit::Auth);
        assert_eq!(mk(429, "too_many_requests"), Exit::RateLimited);
        assert_eq!(mk(422, "form_param_value_invalid"), Exit::Usage);
        assert_eq!(mk(503, "x"), Exit::Server);
        assert_eq!(mk(404, "resource_not_found"), Exit::Other);
    }

    #[test]
    fn trace_id_falls_back_to_headers_and_garbage_bodies_are_bounded() {
        let mut h = HeaderMap::new();
        h.insert("cf-ray", "ray-1".parse().unwrap());
        let body = format!("<html>{}\x1b[31m</html>", "x".repeat(5000));
        let e = ClerkError::parse(502, &h, body.as_bytes());
        assert_eq!(e.trace_id.as_deref(), Some("ray-1"));
        let m = e.message.unwrap();
        assert!(m.chars().count() <= MAX_SHOWN + 1);
        assert!(!m.contains('\x1b'));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any body: parsed or described, one bounded, printable line, never a panic.
        #[test]
        fn any_error_body_gives_one_bounded_line(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..600)) {
            let e = ClerkError::parse(status, &HeaderMap::new(), &body);
            let line = e.to_string();
            prop_assert!(!line.contains('\n'));
            prop_assert!(line.chars().count() < 4 * MAX_SHOWN + 200);
            prop_assert!(!line.chars().any(|c| c.is_control()));
        }

        #[test]
        fn any_clerk_shaped_body_keeps_its_code(code in "[a-z_]{1,30}", msg in "\\PC{0,300}", trace in "[a-f0-9]{0,32}") {
            let body = serde_json::json!({"errors":[{"message": msg, "code": code}], "clerk_trace_id": trace});
            let e = ClerkError::parse(422, &HeaderMap::new(), body.to_string().as_bytes());
            prop_assert_eq!(e.code.as_deref(), Some(code.as_str()));
        }
    }
}
