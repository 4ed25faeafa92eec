//! `clerk-rl api`: any Backend API endpoint through the one HTTP core, for scripts and CI (the
//! model is `gh api`). Every call is paced to the instance budget and, where Clerk documents
//! one, to the endpoint's; 429s wait as the server says; only requests safe to repeat are
//! retried after a failure; the body comes out as sent and the exit code says how it went.

pub mod batch;
mod fields;
mod jq;
mod paginate;

use std::io::{self, IsTerminal, Write};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

use crate::cli::ApiArgs;
use crate::error::{Exit, fail};
use crate::http::{ClerkError, Request, Response};
use crate::settings::context::Context;
use fields::Field;
use jq::Jq;

/// Everything the command line says, checked before any key is read or request sent.
#[derive(Debug)]
pub struct Prepared {
    pub method: Method,
    /// `/v1/…`, without the query.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    /// `--jq`, compiled.
    pub jq: Option<Jq>,
}

/// `users`, `/users`, `v1/users`, `/v1/users?limit=5` -> (`/v1/users`, query pairs).
fn split_path(raw: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let usage = |m: String| fail(Exit::Usage, m);
    let raw = raw.trim();
    if raw.contains("://") {
        return Err(usage(format!(
            "PATH {raw:?} is a URL; give the path under /v1/ (the server comes from --api-url)"
        )));
    }
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let rest = path.trim_start_matches('/');
    let rest = match rest.strip_prefix("v1") {
        Some(r) if r.is_empty() || r.starts_with('/') => r.trim_start_matches('/'),
        _ => rest,
    };
    if rest.is_empty() {
        return Err(usage(
            "PATH is empty: name an endpoint, e.g. users/count".into(),
        ));
    }
    if rest.split('/').any(|s| s == ".." || s == ".") {
        return Err(usage(format!("PATH {raw:?} may not hold . or .. segments")));
    }
    let pairs = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    Ok((format!("/v1/{rest}"), pairs))
}

fn header_of(s: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let usage = |m: String| fail(Exit::Usage, m);
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| usage(format!("-H {s:?} is not NAME: VALUE")))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| usage(format!("-H {s:?}: {:?} is not a header name", name.trim())))?;
    if matches!(name.as_str(), "authorization" | "host" | "content-length") {
        return Err(usage(format!(
            "-H {}: set by clerk-rl itself (the key comes from CLERK_SECRET_KEY or --secret-key-file)",
            name.as_str()
        )));
    }
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| usage(format!("-H {s:?}: the value is not a valid header value")))?;
    Ok((name, value))
}

/// Check and build the request from the command line (no request sent).
pub fn prepare(args: &ApiArgs) -> anyhow::Result<Prepared> {
    let usage = |m: String| fail(Exit::Usage, m);
    if args.dry_run || args.results.is_some() || args.state.is_some() {
        return Err(usage(
            "--dry-run, --results and --state go with --batch FILE".into(),
        ));
    }
    let method = Method::from_bytes(args.method.as_bytes())
        .map_err(|_| usage(format!("-X {}: not an HTTP method", args.method)))?;
    let (path, mut query) = split_path(args.path.as_deref().unwrap_or_default())?;
    // Stdin can be read once: the second reader would get nothing and send it as if meant.
    let stdin_readers: Vec<String> = args
        .input
        .iter()
        .filter(|f| f.as_os_str() == "-")
        .map(|_| "--input -".to_string())
        .chain(
            args.fields
                .iter()
                .filter(|f| f.split_once('=').is_some_and(|(_, v)| v == "@-"))
                .map(|f| format!("-F {f}")),
        )
        .collect();
    if stdin_readers.len() > 1 {
        return Err(usage(format!(
            "stdin is read by {}: it can be read only once; give all but one of them a file (@FILE, --input FILE)",
            stdin_readers.join(" and ")
        )));
    }
    let mut fields: Vec<Field> = Vec::new();
    for f in &args.raw_fields {
        fields.push(fields::parse(f, false).map_err(usage)?);
    }
    for f in &args.fields {
        fields.push(fields::parse(f, true).map_err(usage)?);
    }
    let mut headers = HeaderMap::new();
    for h in &args.headers {
        let (n, v) = header_of(h)?;
        headers.append(n, v);
    }
    let bodiless = matches!(method, Method::GET | Method::HEAD);
    let jq = match &args.jq {
        Some(expr) => Some(Jq::compile(expr).map_err(usage)?),
        None => None,
    };
    if jq.is_some() && method == Method::HEAD {
        return Err(usage("--jq: a HEAD answer has no body to filter".into()));
    }
    if args.paginate && method != Method::GET {
        return Err(usage(format!(
            "--paginate walks a list with GET, not {method}"
        )));
    }
    let body = match (&args.input, bodiless) {
        (Some(_), true) => {
            return Err(usage(format!(
                "--input: a {method} sends no body (use -f for query parameters)"
            )));
        }
        (Some(file), false) => {
            let text = fields::read_source(&file.to_string_lossy())
                .map_err(|e| usage(format!("--input: {e}")))?;
            // With a body from a file, fields go to the query (as gh does).
            query.extend(fields::query(&fields));
            Some(Bytes::from(text))
        }
        (None, true) => {
            query.extend(fields::query(&fields));
            None
        }
        (None, false) if fields.is_empty() => None,
        (None, false) => {
            let v = fields::body(&fields).map_err(usage)?;
            Some(Bytes::from(v.to_string()))
        }
    };
    Ok(Prepared {
        method,
        path,
        query,
        headers,
        body,
        jq,
    })
}

/// What stdout gets of a body. A JSON body is one value and one newline: compact when stdout is
/// a pipe, so `xargs … clerk-rl api` gives one JSON value per line, and indented on a terminal,
/// as gh and xh do. Compacting only drops the whitespace between tokens, so numbers and strings
/// stay byte for byte what the server sent. Anything else (an HTML error page, an empty 204) is
/// written exactly as it came: rewriting it could only hide what the server said.
fn shown_body(body: &[u8], terminal: bool) -> Vec<u8> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return body.to_vec();
    }
    let mut out = if terminal {
        serde_json::from_slice::<serde_json::Value>(body)
            .and_then(|v| serde_json::to_vec_pretty(&v))
            .unwrap_or_else(|_| compact(body))
    } else {
        compact(body)
    };
    out.push(b'\n');
    out
}

/// Valid JSON without the whitespace outside its strings.
fn compact(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out
}

/// Status line and headers on stderr, as `curl -i` shows them.
fn print_head(resp: &Response) {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "HTTP {} {}",
        resp.status.as_u16(),
        resp.status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &resp.headers {
        let _ = writeln!(
            err,
            "{}: {}",
            name.as_str(),
            crate::ui::clean(&String::from_utf8_lossy(value.as_bytes()))
        );
    }
    let _ = writeln!(err);
}

pub async fn run(ctx: &Context, args: &ApiArgs, prepared: Prepared) -> anyhow::Result<Exit> {
    if args.paginate {
        return paginate::run(ctx, args, prepared).await;
    }
    let req = Request {
        method: prepared.method.clone(),
        url: ctx.client.url(&prepared.path, &prepared.query),
        headers: prepared.headers,
        body: prepared.body,
    };
    let summary = |status: Option<u16>| {
        if ctx.global.json || ctx.global.verbose > 0 {
            ctx.summary(&[
                (
                    "request",
                    json!(format!("{} {}", req.method, prepared.path)),
                ),
                ("status", json!(status)),
            ]);
        }
    };
    let resp = match ctx.client.execute(&req).await {
        Ok(r) => r,
        Err(e) => {
            summary(None);
            return Err(e.into());
        }
    };
    if args.include {
        print_head(&resp);
    }
    if resp.status.is_success()
        && let Some(page) = web_page(&resp)
    {
        // The Backend API answers JSON: a web page with a 2xx is a proxy's or a login page,
        // never the answer asked for. No plausible output, exit 6 (as for every command).
        summary(Some(resp.status.as_u16()));
        return Err(fail(
            Exit::Server,
            crate::http::diagnose::unusable_body(
                &resp.headers,
                format!(
                    "{} {} answered {} with {page}",
                    req.method,
                    prepared.path,
                    resp.status.as_u16()
                ),
            ),
        ));
    }
    if resp.status.is_success()
        && let Some(jq) = &prepared.jq
    {
        // A non-2xx answer is printed unfiltered (below), as gh does: the filter was written for
        // the answer asked for, and the error's body says what went wrong.
        let filtered = filter_answer(jq, &req, &prepared.path, &resp);
        summary(Some(resp.status.as_u16()));
        return filtered.map(|()| Exit::Ok);
    }
    let shown = shown_body(&resp.body, io::stdout().is_terminal());
    let mut out = io::stdout().lock();
    let written = out.write_all(&shown).and_then(|()| out.flush());
    drop(out);
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Ok),
        Err(e) => return Err(anyhow::Error::new(e).context("writing the response failed")),
        Ok(()) => {}
    }
    summary(Some(resp.status.as_u16()));
    if resp.status.is_success() {
        return Ok(Exit::Ok);
    }
    let e = ClerkError::parse(resp.status.as_u16(), &resp.headers, &resp.body);
    let mut line = e.to_string();
    // A 408 is the server giving up mid-request, as a 5xx is (the core retries both when safe):
    // the request may have been applied, and the exit is the server's (6), not a client error.
    let transient =
        resp.status.is_server_error() || resp.status == reqwest::StatusCode::REQUEST_TIMEOUT;
    if transient && !req.idempotent() {
        line.push_str(&format!(
            "; not retried: the {} may have been applied (send an Idempotency-Key header to make it safe to repeat)",
            req.method
        ));
        return Err(fail(Exit::Server, line));
    }
    Err(fail(e.exit(), line))
}

/// A 2xx answer through `--jq`, its outputs on stdout. An answer that is not JSON cannot be
/// filtered: the Backend API answers JSON, so that is the server's fault (exit 6), and nothing
/// is printed in place of what the filter would have made.
fn filter_answer(jq: &Jq, req: &Request, path: &str, resp: &Response) -> anyhow::Result<()> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body).is_err() {
        let ct = resp
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or("no Content-Type".to_string(), crate::ui::clean);
        return Err(fail(
            Exit::Server,
            format!(
                "--jq: {} {path} answered {} with a body that is not JSON ({ct}, {} bytes): nothing to filter",
                req.method,
                resp.status.as_u16(),
                resp.body.len()
            ),
        ));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let _stop = crate::signals::HardStop::arm();
    let ran = jq.run(&resp.body, &mut out);
    let flushed = out.flush().map_err(jq::Stopped::Write);
    match ran.and(flushed) {
        Ok(()) => Ok(()),
        Err(stopped) => stopped.settle(""),
    }
}

/// "a web page" when a 2xx answer is HTML (by its Content-Type, or a body that starts as HTML
/// when none is given): nothing the Backend API sends.
fn web_page(resp: &Response) -> Option<&'static str> {
    let ct = resp
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase());
    let html = match ct {
        Some(ct) => ct.contains("html"),
        None => {
            let start: Vec<u8> = resp
                .body
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take(15)
                .map(|b| b.to_ascii_lowercase())
                .collect();
            start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
        }
    };
    html.then_some("a web page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_end_with_a_newline_compact_in_a_pipe_pretty_on_a_terminal() {
        let body = b"{ \"id\" : \"user_1\",\n \"n\": 1.50, \"s\": \"a \\\" b\" }";
        assert_eq!(
            shown_body(body, false),
            b"{\"id\":\"user_1\",\"n\":1.50,\"s\":\"a \\\" b\"}\n"
        );
        let pretty = String::from_utf8(shown_body(body, true)).unwrap();
        assert!(pretty.starts_with("{\n  \"id\": \"user_1\","), "{pretty}");
        assert!(pretty.ends_with("}\n"), "{pretty}");
        assert_eq!(shown_body(b"[1, 2]\n", false), b"[1,2]\n");
        // Not JSON: as the server sent it, with no newline added.
        for raw in [&b"<html>oops</html>"[..], b"", b"{\"cut"] {
            assert_eq!(shown_body(raw, false), raw);
            assert_eq!(shown_body(raw, true), raw);
        }
    }

    #[test]
    fn paths_take_the_v1_prefix_or_not() {
        for (raw, want) in [
            ("users", "/v1/users"),
            ("/users/count", "/v1/users/count"),
            ("v1/users", "/v1/users"),
            ("/v1/organizations", "/v1/organizations"),
            ("v1x/a", "/v1/v1x/a"),
        ] {
            assert_eq!(split_path(raw).unwrap().0, want, "{raw}");
        }
        let (p, q) = split_path("/v1/users?limit=5&user_id=a&user_id=b").unwrap();
        assert_eq!(p, "/v1/users");
        assert_eq!(q.len(), 3);
        for bad in ["", "/v1/", "https://evil.example/v1/users", "users/../jwks"] {
            assert!(split_path(bad).is_err(), "{bad}");
        }
    }

    fn args(method: &str, path: &str) -> ApiArgs {
        ApiArgs {
            path: Some(path.into()),
            method: method.into(),
            raw_fields: vec![],
            fields: vec![],
            headers: vec![],
            input: None,
            paginate: false,
            page_size: 500,
            concurrency: 0,
            include: false,
            jq: None,
            batch: None,
            results: None,
            state: None,
            dry_run: false,
        }
    }

    #[test]
    fn fields_go_to_the_query_for_get_and_the_body_otherwise() {
        let mut a = args("GET", "users?order_by=-created_at");
        a.raw_fields = vec!["limit=5".into()];
        let p = prepare(&a).unwrap();
        assert_eq!(p.query.len(), 2);
        assert!(p.body.is_none());
        let mut a = args("PATCH", "users/user_1/metadata");
        a.fields = vec!["public_metadata[seats]=3".into()];
        a.headers = vec!["Idempotency-Key: k1".into()];
        let p = prepare(&a).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(p.body.as_ref().unwrap()).unwrap(),
            json!({"public_metadata": {"seats": 3}})
        );
        assert_eq!(p.headers["idempotency-key"], "k1");
        assert!(p.query.is_empty());
    }

    #[test]
    fn bad_combinations_are_usage_errors() {
        let exit = |a: &ApiArgs| crate::error::exit_of(&prepare(a).unwrap_err());
        let mut a = args("POST", "organizations");
        a.paginate = true;
        assert_eq!(exit(&a), Exit::Usage);
        let mut a = args("GET", "users");
        a.input = Some("-".into());
        assert_eq!(exit(&a), Exit::Usage);
        let mut a = args("GET", "users");
        a.headers = vec!["Authorization: Bearer x".into()];
        assert_eq!(exit(&a), Exit::Usage);
        let mut a = args("GET", "users");
        a.headers = vec!["no colon".into()];
        assert_eq!(exit(&a), Exit::Usage);
    }
}
