//! One page of `GET /v1/users`: validating it whole, and keeping each user's JSON as sent.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A user as the export needs it: its id and created_at for paging and de-duplication, and its
/// JSON exactly as the server sent it, on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct PageUser {
    pub id: String,
    pub created_at: i64,
    pub line: Vec<u8>,
}

/// The two fields paging needs, borrowed where possible: everything else is skipped unparsed.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    created_at: Option<i64>,
}

/// The same, leniently, to say precisely what is wrong with a user the fast path refused.
#[derive(Deserialize)]
struct LooseKeys {
    id: Option<serde_json::Value>,
    created_at: Option<serde_json::Value>,
}

/// Parse a page body. Any defect fails the whole page (it is retried as a transient fault and
/// never partly written): not a JSON array, a user that is not an object, a missing or non-string
/// id, a missing or non-integer created_at.
pub fn parse_page(body: &[u8]) -> Result<Vec<PageUser>, String> {
    let raws: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| {
        if body.first().is_some_and(|b| *b == b'{') {
            "the users page is a JSON object, not an array".to_string()
        } else {
            format!("the users page is not a complete JSON array ({e})")
        }
    })?;
    let mut out = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let text = raw.get();
        if !text.starts_with('{') {
            return Err(format!("user {i} of the page is not a JSON object"));
        }
        let (id, created_at) = match serde_json::from_str::<Keys>(text) {
            Ok(Keys {
                id: Some(id),
                created_at: Some(t),
            }) if !id.is_empty() => (id.into_owned(), t),
            _ => return Err(explain(i, text)),
        };
        out.push(PageUser {
            id,
            created_at,
            line: one_line(text),
        });
    }
    Ok(out)
}

fn explain(i: usize, text: &str) -> String {
    let keys: LooseKeys = match serde_json::from_str(text) {
        Ok(k) => k,
        Err(e) => return format!("user {i} of the page is unreadable ({e})"),
    };
    match keys.id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => {
            format!("user {s} has no integer created_at")
        }
        _ => format!("user {i} of the page has no id"),
    }
}

/// The JSON text on one line, byte for byte otherwise: a pretty-printing server's newlines
/// between tokens are dropped (inside strings JSON escapes them, so they cannot occur there).
fn one_line(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    if !b.iter().any(|&c| c == b'\n' || c == b'\r') {
        let mut v = Vec::with_capacity(b.len() + 1);
        v.extend_from_slice(b);
        v.push(b'\n');
        return v;
    }
    let mut v = Vec::with_capacity(b.len() + 1);
    let mut in_str = false;
    let mut escaped = false;
    for &c in b {
        if in_str {
            v.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
            v.push(c);
        } else if !matches!(c, b'\n' | b'\r' | b' ' | b'\t') {
            v.push(c);
        }
    }
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_user_exactly_as_sent() {
        let body = br#"[{"z":1,"id":"user_1","created_at":5,"a":{"b":[1,2]}},{"id":"user_2","created_at":6,"unicode":"\u00e9 \"q\""}]"#;
        let p = parse_page(body).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].line,
            b"{\"z\":1,\"id\":\"user_1\",\"created_at\":5,\"a\":{\"b\":[1,2]}}\n"
        );
        assert_eq!(p[1].id, "user_2");
        assert_eq!(p[1].created_at, 6);
        assert!(String::from_utf8_lossy(&p[1].line).contains(r#""\u00e9 \"q\"""#));
    }

    #[test]
    fn pretty_printed_users_become_one_line_with_strings_untouched() {
        let body = b"[\n  {\n    \"id\": \"user_1\",\n    \"created_at\": 5,\n    \"bio\": \"a  b\\n c\"\n  }\n]";
        let p = parse_page(body).unwrap();
        assert_eq!(
            String::from_utf8(p[0].line.clone()).unwrap(),
            "{\"id\":\"user_1\",\"created_at\":5,\"bio\":\"a  b\\n c\"}\n"
        );
    }

    #[test]
    fn defects_fail_the_whole_page() {
        for (body, why) in [
            (&br#"{"errors":[]}"#[..], "not an array"),
            (
                br#"[{"id":"user_1","created_at":1},"#,
                "not a complete JSON array",
            ),
            (br#"[{"created_at":1}]"#, "has no id"),
            (br#"[{"id":"","created_at":1}]"#, "has no id"),
            (br#"[{"id":7,"created_at":1}]"#, "has no id"),
            (br#"[{"id":"user_1"}]"#, "no integer created_at"),
            (
                br#"[{"id":"user_1","created_at":"yesterday"}]"#,
                "no integer created_at",
            ),
            (br#"[1]"#, "not a JSON object"),
            (b"", "not a complete JSON array"),
        ] {
            let e = parse_page(body).unwrap_err();
            assert!(e.contains(why), "{}: {e}", String::from_utf8_lossy(body));
        }
        assert_eq!(parse_page(b"[]").unwrap(), vec![]);
    }
}
