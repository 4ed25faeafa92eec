//! What a failed request means for the person running clerk-rl, and whether retrying can help:
//! a TLS handshake answered in plain HTTP, nothing listening, a redirect, a body that is a web
//! page or encoded in a way nobody asked for. Each becomes one line that says what to do next.

use reqwest::Url;
use reqwest::header::{self, HeaderMap};

use crate::ui::clean;

/// A request that got no response.
#[derive(Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// Worth retrying (a dropped connection, a timeout): the description.
    Retry(String),
    /// Retrying cannot help: the line that says why and what to do.
    Hopeless(String),
}

/// `https://host:port`, without path or query (which may hold ids).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The causes of an error, lowercased, for matching.
fn chain(e: &(dyn std::error::Error + 'static)) -> (String, bool) {
    let mut text = String::new();
    let mut refused = false;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        text.push_str(&c.to_string().to_lowercase());
        text.push(' ');
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            refused = true;
        }
        cur = c.source();
    }
    (text, refused)
}

/// Classify a send that failed. `first`: no response has come from this server yet in this run
/// (so a refused connection means a wrong URL or a server that is not up, not a restart).
pub fn no_response(
    e: &(dyn std::error::Error + 'static),
    url: &Url,
    first: bool,
    described: String,
) -> Diagnosis {
    let (text, refused) = chain(e);
    let plain_answer = [
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "record overflow",
        "http request to https",
    ];
    if url.scheme() == "https" && plain_answer.iter().any(|p| text.contains(p)) {
        let mut http = url.clone();
        let _ = http.set_scheme("http");
        return Diagnosis::Hopeless(format!(
            "{} does not speak TLS (the handshake got a plain-HTTP answer): use {} in --api-url / CLERK_API_URL, or the server's TLS port",
            origin(url),
            origin(&http)
        ));
    }
    // A certificate does not fix itself between retries, and one for another name mid-run is
    // someone else answering: never worth a retry. Its reason is shortened to what to check,
    // not every name the certificate lists.
    if text.contains("invalid peer certificate") {
        return Diagnosis::Hopeless(bad_certificate(&text, url));
    }
    // No such name (NXDOMAIN) on the first request is a typo in the URL; a resolver that timed
    // out ("temporary failure") is retried, and so is a name that resolved earlier in the run.
    let no_such_host = [
        "name or service not known",
        "no address associated with hostname",
        "nodename nor servname provided",
        "no such host is known",
    ];
    if first && text.contains("dns error") && no_such_host.iter().any(|p| text.contains(p)) {
        return Diagnosis::Hopeless(format!(
            "{} does not resolve (DNS knows no such host): check the host name in --api-url / CLERK_API_URL",
            host_of(url)
        ));
    }
    if first && (refused || text.contains("connection refused")) {
        return Diagnosis::Hopeless(format!(
            "nothing listens at {} (connection refused): check --api-url / CLERK_API_URL, or start the server",
            origin(url)
        ));
    }
    Diagnosis::Retry(described)
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("the host").to_string()
}

/// The line for a TLS certificate the client refused, from the lowercased error chain.
fn bad_certificate(text: &str, url: &Url) -> String {
    let origin = origin(url);
    let host = host_of(url);
    if text.contains("not valid for name") {
        return format!(
            "the TLS certificate of {origin} is for another name, not {host}: check --api-url / CLERK_API_URL (a proxy or load balancer answering with another site's certificate?)"
        );
    }
    let why = if text.contains("unknownissuer") || text.contains("unknown issuer") {
        "its issuer is not trusted"
    } else if text.contains("expired") {
        "it has expired"
    } else if text.contains("not valid yet") || text.contains("notvalidyet") {
        "it is not valid yet (is this machine's clock right?)"
    } else if text.contains("revoked") {
        "it is revoked"
    } else {
        "it was refused"
    };
    format!(
        "the TLS certificate of {origin} is not accepted: {why}; check --api-url / CLERK_API_URL, or if a proxy intercepts TLS, trust its CA through SSL_CERT_FILE"
    )
}

/// A 2xx body the caller could not use: name what it was, if the headers say.
pub fn unusable_body(headers: &HeaderMap, why: String) -> String {
    let get = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(|v| clean(v.trim()))
            .filter(|v| !v.is_empty())
    };
    if let Some(enc) = get(header::CONTENT_ENCODING)
        && !enc.eq_ignore_ascii_case("identity")
    {
        return format!(
            "{why}: the body came with Content-Encoding: {enc}, which clerk-rl did not ask for and does not decode (a proxy compressing it unasked?)"
        );
    }
    match get(header::CONTENT_TYPE) {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => format!(
            "{why}: the body is Content-Type: {ct}, not JSON (is --api-url the Backend API, https://api.clerk.com, rather than a web page or a proxy's login page?)"
        ),
        _ => why,
    }
}

/// A 3xx: where it points, and why clerk-rl does not go there by itself.
pub fn redirect(status: u16, headers: &HeaderMap) -> Option<String> {
    if !(300..400).contains(&status) {
        return None;
    }
    let to = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(clean)
        .unwrap_or_else(|| "(no Location header)".into());
    Some(format!(
        "the server redirects to {to}: clerk-rl does not follow redirects (one could carry the key elsewhere); if that is the API, use it as --api-url"
    ))
}

/// A non-JSON error body (a proxy's or a web server's page): its Content-Type, for the line.
pub fn foreign_body(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    (!ct.to_ascii_lowercase().contains("json")).then(|| format!("a {} body", clean(ct.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    #[test]
    fn bodies_name_their_type_or_encoding() {
        let m = unusable_body(
            &h(&[("content-type", "text/html; charset=utf-8")]),
            "bad page".into(),
        );
        assert!(m.contains("Content-Type: text/html; charset=utf-8"), "{m}");
        let m = unusable_body(
            &h(&[
                ("content-type", "application/json"),
                ("content-encoding", "br"),
            ]),
            "bad page".into(),
        );
        assert!(m.contains("Content-Encoding: br"), "{m}");
        assert_eq!(
            unusable_body(&h(&[("content-type", "application/json")]), "bad".into()),
            "bad"
        );
    }

    #[test]
    fn redirects_name_their_location() {
        let m = redirect(301, &h(&[("location", "https://api.example.com/v1/users")])).unwrap();
        assert!(
            m.contains("redirects to https://api.example.com/v1/users"),
            "{m}"
        );
        assert!(redirect(200, &HeaderMap::new()).is_none());
    }

    #[test]
    fn refused_is_hopeless_only_on_the_first_request() {
        let url: Url = "http://127.0.0.1:9/v1/users?user_id=x".parse().unwrap();
        let e = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        match no_response(&e, &url, true, "could not connect".into()) {
            Diagnosis::Hopeless(m) => {
                assert!(m.contains("nothing listens at http://127.0.0.1:9"), "{m}");
                assert!(!m.contains("user_id"), "{m}");
            }
            d => panic!("{d:?}"),
        }
        assert_eq!(
            no_response(&e, &url, false, "could not connect".into()),
            Diagnosis::Retry("could not connect".into())
        );
    }

    /// An error whose Display is `text` (the chain is what `no_response` reads).
    #[derive(Debug)]
    struct Text(&'static str);
    impl std::fmt::Display for Text {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Text {}

    #[test]
    fn no_such_host_is_hopeless_on_the_first_request_a_resolver_timeout_is_not() {
        let url: Url = "https://api.clerk.invalid/v1/users".parse().unwrap();
        let nx = Text("dns error: failed to lookup address information: Name or service not known");
        match no_response(&nx, &url, true, "x".into()) {
            Diagnosis::Hopeless(m) => {
                assert!(m.contains("api.clerk.invalid does not resolve"), "{m}")
            }
            d => panic!("{d:?}"),
        }
        assert_eq!(
            no_response(&nx, &url, false, "x".into()),
            Diagnosis::Retry("x".into())
        );
        let again = Text(
            "dns error: failed to lookup address information: Temporary failure in name resolution",
        );
        assert_eq!(
            no_response(&again, &url, true, "x".into()),
            Diagnosis::Retry("x".into())
        );
    }

    #[test]
    fn a_certificate_for_another_name_is_hopeless_without_listing_its_names() {
        let url: Url = "https://127.0.0.1:8443/v1/users".parse().unwrap();
        let e = Text(
            "invalid peer certificate: certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"a.example\") or DnsName(\"b.example\")",
        );
        for first in [true, false] {
            match no_response(&e, &url, first, "x".into()) {
                Diagnosis::Hopeless(m) => {
                    assert!(m.contains("is for another name, not 127.0.0.1"), "{m}");
                    assert!(!m.contains("b.example"), "{m}");
                }
                d => panic!("{d:?}"),
            }
        }
        let e = Text("invalid peer certificate: UnknownIssuer");
        match no_response(&e, &url, false, "x".into()) {
            Diagnosis::Hopeless(m) => assert!(m.contains("issuer is not trusted"), "{m}"),
            d => panic!("{d:?}"),
        }
    }
}
