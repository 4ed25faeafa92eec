//! One line of a batch file: read, checked offline, and the resource it changes (the key its
//! order is kept on).

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The fields a line may carry; anything else is a typo worth refusing.
const FIELDS: &[&str] = &["method", "path", "body", "headers", "idempotency_key", "id"];

/// A request line, checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// `/v1/…`, without the query.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

impl Request {
    /// Safe to send twice, by the same rule as the HTTP core's.
    pub fn idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::DELETE)
            || self.headers.contains_key("idempotency-key")
    }
}

/// One line of the file that holds a request (blank lines and `#` comments are not lines here).
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based, as an editor counts the file's lines.
    pub no: usize,
    /// Of the line's text: a journal record applies to this text only, so an edited line is a
    /// new line.
    pub hash: String,
    /// The caller's own name for the line.
    pub id: Option<Value>,
    /// Whose state the line changes: lines with the same resource keep their file order.
    pub resource: Option<String>,
    pub request: Result<Request, String>,
}

pub fn hash_of(text: &str) -> String {
    hex::encode(&Sha256::digest(text.trim().as_bytes())[..8])
}

/// The resource a path changes: a user, an organization, or one membership. Lines on the same
/// resource run in file order; other lines (creating users, invitations, lists) in any order.
pub fn resource_of(path: &str) -> Option<String> {
    let segs: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    match segs.as_slice() {
        ["v1", "users", id, ..] if !matches!(*id, "" | "count" | "ban" | "unban") => {
            Some(format!("user:{id}"))
        }
        ["v1", "organizations", org, "memberships", user, ..]
            if !org.is_empty() && !user.is_empty() =>
        {
            Some(format!("membership:{org}:{user}"))
        }
        ["v1", "organizations", org, ..] if !org.is_empty() => Some(format!("organization:{org}")),
        _ => None,
    }
}

/// Read one line of the file (`text` without its newline).
pub fn parse(no: usize, text: &str) -> Line {
    let hash = hash_of(text);
    let value: Result<Value, String> =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"));
    let (id, resource) = match &value {
        Ok(v) => (
            v.get("id")
                .cloned()
                .filter(|i| i.is_string() || i.is_number()),
            v.get("path")
                .and_then(Value::as_str)
                .and_then(|p| super::super::split_path(p).ok())
                .and_then(|(p, _)| resource_of(&p)),
        ),
        Err(_) => (None, None),
    };
    Line {
        no,
        hash,
        id,
        resource,
        request: value.and_then(|v| request_of(&v)),
    }
}

fn request_of(v: &Value) -> Result<Request, String> {
    let obj = v
        .as_object()
        .ok_or("not a JSON object such as {\"method\":\"PATCH\",\"path\":\"/v1/users/user_1/metadata\",\"body\":{…}}")?;
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {k:?} (a line takes {})",
            FIELDS.join(", ")
        ));
    }
    let method = obj
        .get("method")
        .and_then(Value::as_str)
        .ok_or("no \"method\" (GET, POST, PATCH, PUT, DELETE or HEAD)")?;
    let method = match method.trim().to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        _ => {
            return Err(format!(
                "method {method:?} is not one of GET, POST, PATCH, PUT, DELETE, HEAD"
            ));
        }
    };
    let path = obj
        .get("path")
        .and_then(Value::as_str)
        .ok_or("no \"path\" (such as /v1/users/user_1/metadata)")?;
    let (path, query) = super::super::split_path(path).map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                let value = value
                    .as_str()
                    .ok_or_else(|| format!("header {name:?}: the value is not a string"))?;
                let (n, v) = super::super::header_of(&format!("{name}: {value}"))
                    .map_err(|e| e.to_string())?;
                headers.append(n, v);
            }
        }
        Some(_) => return Err("\"headers\" is not an object of NAME: VALUE strings".into()),
    }
    match obj.get("idempotency_key") {
        None | Some(Value::Null) => {}
        Some(Value::String(k)) if !k.trim().is_empty() => {
            let v = HeaderValue::from_str(k.trim())
                .map_err(|_| "\"idempotency_key\" is not a valid header value".to_string())?;
            headers.insert(HeaderName::from_static("idempotency-key"), v);
        }
        Some(_) => return Err("\"idempotency_key\" is not a non-empty string".into()),
    }
    let body = match obj.get("body") {
        None | Some(Value::Null) => None,
        Some(_) if matches!(method, Method::GET | Method::HEAD) => {
            return Err(format!(
                "a {method} sends no body (put query parameters in the path)"
            ));
        }
        Some(b @ (Value::Object(_) | Value::Array(_))) => Some(Bytes::from(b.to_string())),
        Some(_) => return Err("\"body\" is not a JSON object or array".into()),
    };
    Ok(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_come_from_the_path() {
        for (path, want) in [
            ("/v1/users/user_1/metadata", Some("user:user_1")),
            ("/v1/users/user_1", Some("user:user_1")),
            ("/v1/users/count", None),
            ("/v1/users", None),
            ("/v1/users/ban", None),
            ("/v1/organizations/org_1", Some("organization:org_1")),
            (
                "/v1/organizations/org_1/memberships/user_2/metadata",
                Some("membership:org_1:user_2"),
            ),
            ("/v1/invitations", None),
        ] {
            assert_eq!(resource_of(path).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn a_good_line_becomes_a_request() {
        let l = parse(
            3,
            r#"{"method":"patch","path":"users/user_1/metadata","body":{"public_metadata":{"a":1}},"idempotency_key":"k1","id":"x","headers":{"X-Note":"n"}}"#,
        );
        let r = l.request.unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(r.path, "/v1/users/user_1/metadata");
        assert_eq!(r.headers["idempotency-key"], "k1");
        assert_eq!(r.headers["x-note"], "n");
        assert!(r.idempotent());
        assert_eq!(l.resource.as_deref(), Some("user:user_1"));
        assert_eq!(l.id, Some(Value::from("x")));
    }

    #[test]
    fn bad_lines_say_what_is_wrong_and_keep_their_resource() {
        for (text, why) in [
            ("{", "not JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"path":"/v1/users"}"#, "no \"method\""),
            (r#"{"method":"FETCH","path":"/v1/users"}"#, "not one of"),
            (r#"{"method":"GET"}"#, "no \"path\""),
            (
                r#"{"method":"GET","path":"https://x.example/v1/users"}"#,
                "is a URL",
            ),
            (
                r#"{"method":"GET","path":"/v1/users","body":{}}"#,
                "sends no body",
            ),
            (
                r#"{"method":"PATCH","path":"/v1/users/u","body":"x"}"#,
                "not a JSON object",
            ),
            (
                r#"{"method":"PATCH","path":"/v1/users/u","bdy":{}}"#,
                "unknown field \"bdy\"",
            ),
            (
                r#"{"method":"GET","path":"/v1/users","headers":{"Authorization":"x"}}"#,
                "set by clerk-rl",
            ),
        ] {
            let e = parse(1, text).request.unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let l = parse(1, r#"{"method":"PATCH","path":"/v1/users/u","body":3}"#);
        assert_eq!(l.resource.as_deref(), Some("user:u"));
    }
}
