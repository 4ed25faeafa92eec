//! One page of `GET /v1/users`: validating it whole, and keeping each user's JSON as sent.

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A user as the export needs it: its id and created_at for paging and de-duplication, and
/// where its JSON lies in the page's body, exactly as the server sent it (see [`append_line`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PageUser {
    pub id: String,
    pub created_at: i64,
    pub span: Range<usize>,
}

/// A user with its own copy of its JSON, on one line (for callers that keep users apart from
/// the page they came in: batch-get, one user's answer).
#[derive(Debug, Clone, PartialEq)]
pub struct UserLine {
    pub id: String,
    pub created_at: i64,
    pub line: Vec<u8>,
}

/// The same, leniently, to say precisely what is wrong with a user the fast path refused.
#[derive(Deserialize)]
struct LooseKeys {
    id: Option<serde_json::Value>,
}

/// The two keys the fast path reads; every other key is validated and skipped by serde.
#[derive(Deserialize)]
struct Keys {
    id: String,
    created_at: i64,
}

/// Parse a page body into its users, each with its place in `body`. Any defect fails the whole
/// page (it is retried as a transient fault and never partly written): not a JSON array, a user
/// that is not an object, a missing or non-string id, a missing or non-integer created_at.
pub fn parse_users(body: &[u8]) -> Result<Vec<PageUser>, String> {
    match fast_users(body) {
        Some(users) => Ok(users),
        None => slow_users(body),
    }
}

/// [`parse_users`] with each user's JSON copied out on one line.
pub fn parse_page(body: &[u8]) -> Result<Vec<UserLine>, String> {
    Ok(parse_users(body)?
        .into_iter()
        .map(|u| {
            let mut line = Vec::with_capacity(u.span.len() + 1);
            append_line(body, &u.span, &mut line);
            UserLine {
                id: u.id,
                created_at: u.created_at,
                line,
            }
        })
        .collect())
}

/// The hot path of an export: one serde pass over the page that validates every byte and reads
/// `id` and `created_at` (each user's end comes from the stream's byte offset), no copy of any
/// user. `None` for anything it does not take (a defect, or what it is too strict for, such as
/// a repeated key): [`slow_users`] then decides, and says why.
fn fast_users(body: &[u8]) -> Option<Vec<PageUser>> {
    let mut i = skip_ws(body, 0);
    if body.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(body, i + 1);
    let mut out = Vec::new();
    if body.get(i) == Some(&b']') {
        return (skip_ws(body, i + 1) == body.len()).then_some(out);
    }
    loop {
        if body.get(i) != Some(&b'{') {
            return None;
        }
        let mut stream = serde_json::Deserializer::from_slice(&body[i..]).into_iter::<Keys>();
        let keys = stream.next()?.ok()?;
        let end = i + stream.byte_offset();
        if keys.id.is_empty() {
            return None;
        }
        out.push(PageUser {
            id: keys.id,
            created_at: keys.created_at,
            span: i..end,
        });
        i = skip_ws(body, end);
        match body.get(i) {
            Some(b',') => i = skip_ws(body, i + 1),
            Some(b']') => return (skip_ws(body, i + 1) == body.len()).then_some(out),
            _ => return None,
        }
    }
}

/// The exact path: the page as raw values, then each user's keys by a walk of its top level.
fn slow_users(body: &[u8]) -> Result<Vec<PageUser>, String> {
    let raws: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| {
        if body.first().is_some_and(|b| *b == b'{') {
            "the users page is a JSON object, not an array".to_string()
        } else {
            format!("the users page is not a complete JSON array ({e})")
        }
    })?;
    let base = body.as_ptr() as usize;
    let mut out = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let text = raw.get();
        if !text.starts_with('{') {
            return Err(format!("user {i} of the page is not a JSON object"));
        }
        let (id, created_at) = match key_fields(text.as_bytes()) {
            Some((id, t)) if !id.is_empty() => (id, t),
            _ => return Err(explain(i, text)),
        };
        // A RawValue borrows from the body: its place is its address's offset.
        let start = text.as_ptr() as usize - base;
        out.push(PageUser {
            id,
            created_at,
            span: start..start + text.len(),
        });
    }
    Ok(out)
}

/// `id` (a string) and `created_at` (an integer) of one user, found by walking only the top
/// level of the object. The page was already validated as JSON, so a structural walk is exact;
/// it is the hot path of an export, about three times cheaper than a second serde pass.
fn key_fields(obj: &[u8]) -> Option<(String, i64)> {
    let (mut id, mut created) = (None, None);
    let mut i = 1;
    loop {
        i = skip_ws(obj, i);
        match obj.get(i)? {
            b'}' => break,
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = end_of_string(obj, i);
        // Checked slicing: the walk must not panic even on input that is not JSON.
        let key = obj.get(i + 1..key_end.checked_sub(1)?)?;
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(obj, i + 1);
        let end = end_of_value(obj, start);
        match key {
            b"id" => id = Some(obj.get(start..end)?),
            b"created_at" => created = Some(obj.get(start..end)?),
            _ => {}
        }
        if end <= i {
            return None;
        }
        i = end;
    }
    let id = id?;
    let id: String = if id.contains(&b'\\') {
        serde_json::from_slice(id).ok()?
    } else {
        let inner = id.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
        String::from_utf8(inner.to_vec()).ok()?
    };
    let created = std::str::from_utf8(created?).ok()?.parse().ok()?;
    Some((id, created))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Index just past the string starting at `b[i] == '"'`.
fn end_of_string(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while let Some(k) = memchr::memchr2(b'"', b'\\', &b[j.min(b.len())..]) {
        if b[j + k] == b'\\' {
            j += k + 2;
        } else {
            return j + k + 1;
        }
    }
    b.len()
}

/// Index just past the value starting at `i`.
fn end_of_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => end_of_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = end_of_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            j
        }
    }
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

/// Append the user at `span` of `body` to `out` on one line, byte for byte otherwise, newline
/// terminated (see [`one_line_at`]).
pub fn append_line(body: &[u8], span: &Range<usize>, out: &mut Vec<u8>) {
    let w = out.len();
    out.extend_from_slice(&body[span.clone()]);
    let n = out.len();
    let end = one_line_at(out, w..n, w);
    out.truncate(end);
    out.push(b'\n');
}

/// Turn `body` into the lines of its users at `kept` (indices into `users`, ascending), in
/// place: each user moved down to where the last one ended, on one line, newline terminated;
/// the rest cut off. No second buffer for a page: a user's line is never longer than its span
/// plus the separator after it, so the writing never overtakes the reading.
pub fn lines_in_place(body: &mut Vec<u8>, users: &[PageUser], kept: &[usize]) {
    let mut w = 0;
    for &k in kept {
        let span = users[k].span.clone();
        debug_assert!(w <= span.start, "users out of order");
        w = one_line_at(body, span, w);
        body[w] = b'\n';
        w += 1;
    }
    body.truncate(w);
}

/// Move the JSON at `from` in `buf` to `to` (at or before it) on one line, byte for byte
/// otherwise: a pretty-printing server's newlines and spaces between tokens are dropped (inside
/// strings JSON escapes newlines, so they cannot occur there). Returns where it ends.
fn one_line_at(buf: &mut [u8], from: Range<usize>, mut to: usize) -> usize {
    if memchr::memchr2(b'\n', b'\r', &buf[from.clone()]).is_none() {
        let len = from.len();
        buf.copy_within(from, to);
        return to + len;
    }
    let (mut in_str, mut escaped) = (false, false);
    for r in from {
        let c = buf[r];
        let keep = if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
            true
        } else if c == b'"' {
            in_str = true;
            true
        } else {
            !matches!(c, b'\n' | b'\r' | b' ' | b'\t')
        };
        if keep {
            buf[to] = c;
            to += 1;
        }
    }
    to
}

/// The JSON text on one line (see [`append_line`]), newline terminated.
pub fn one_line(text: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(text.len() + 1);
    append_line(text.as_bytes(), &(0..text.len()), &mut v);
    v
}

/// The body of a `GET …/count` answer, `{"object":"total_count","total_count":N}`: N.
pub fn parse_count(body: &[u8]) -> Result<u64, String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("total_count").and_then(|t| t.as_u64()))
        .ok_or_else(|| "the count response has no total_count".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_answer_gives_its_total_and_anything_else_is_refused() {
        assert_eq!(
            parse_count(br#"{"object":"total_count","total_count":1200}"#),
            Ok(1200)
        );
        for bad in [&b"[]"[..], b"{}", b"{\"total_count\":-1}", b"not json", b""] {
            assert!(
                parse_count(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

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
    fn key_fields_walk_only_the_top_level() {
        let f = |s: &str| key_fields(s.as_bytes());
        assert_eq!(f(r#"{"id":"u1","created_at":5}"#), Some(("u1".into(), 5)));
        // Same names nested, in strings, and escaped: only the top level counts.
        let tricky = r#"{"meta":{"id":"no","created_at":1,"x":[{"id":"no"}]},"s":"\"id\":\"no\"","created_at" : -7 , "id" : "u\u0032"}"#;
        assert_eq!(f(tricky), Some(("u2".into(), -7)));
        assert_eq!(f(r#"{"id":"u1"}"#), None);
        assert_eq!(f(r#"{"id":3,"created_at":1}"#), None);
        assert_eq!(f(r#"{"id":"u","created_at":1.5}"#), None);
        assert_eq!(f(r#"{"id":"u","created_at":"1"}"#), None);
        assert_eq!(f("{ }"), None);
    }

    /// Found by proptest: an unterminated key made the walk slice backwards and panic.
    #[test]
    fn key_fields_never_panics_on_an_unterminated_key() {
        for s in [
            "{\"",
            "{\"a",
            "{ \"\\",
            "{\"id\":\"x",
            "{\"id\":{",
            "{\"a\":]]]}",
            "{:",
        ] {
            assert_eq!(key_fields(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn the_fast_path_and_the_exact_path_agree() {
        let body = b" [ {\"id\":\"u\\u0031\",\"x\":{\"id\":\"no\"},\"created_at\":-3} ,\n{\"created_at\":4,\"id\":\"u2\"}\n] ";
        let fast = fast_users(body).expect("the fast path takes a plain page");
        assert_eq!(fast, slow_users(body).unwrap());
        assert_eq!(fast[0].id, "u1");
        assert_eq!(
            &body[fast[1].span.clone()],
            br#"{"created_at":4,"id":"u2"}"#
        );
        // A repeated key is beyond the fast path: the exact path takes the last, as before.
        let dup = br#"[{"id":"a","created_at":1,"id":"b"}]"#;
        assert_eq!(fast_users(dup), None);
        assert_eq!(parse_users(dup).unwrap()[0].id, "b");
    }

    #[test]
    fn lines_are_gathered_from_the_body_one_a_line() {
        let body = b"[{\"id\":\"a\",\"created_at\":1},{\n \"id\": \"b\",\n \"created_at\": 2\n}]";
        let users = parse_users(body).unwrap();
        let mut out = Vec::new();
        for u in &users {
            append_line(body, &u.span, &mut out);
        }
        assert_eq!(
            out,
            b"{\"id\":\"a\",\"created_at\":1}\n{\"id\":\"b\",\"created_at\":2}\n"
        );
    }

    #[test]
    fn lines_in_place_are_the_lines_appended() {
        let body = b"[{\"id\":\"a\",\"created_at\":1},{\n \"id\": \"b\",\n \"s\": \"x \\\" y\",\n \"created_at\": 2\n},{\"id\":\"c\",\"created_at\":3}]";
        let users = parse_users(body).unwrap();
        for kept in [vec![0, 1, 2], vec![1, 2], vec![0, 2], vec![2], vec![]] {
            let mut want = Vec::new();
            for &k in &kept {
                append_line(body, &users[k].span, &mut want);
            }
            let mut got = body.to_vec();
            lines_in_place(&mut got, &users, &kept);
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
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

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[ -~\\n\"\\\\{}\\[\\]:,é]{0,12}".prop_map(Value::String),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_\"\\\\]{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        /// The hand-written top-level walk finds what serde finds, whatever surrounds the keys.
        #[test]
        fn key_fields_agrees_with_serde(
            noise in prop::collection::btree_map("[a-z_\"\\\\]{0,8}", value(), 0..6),
            id in "[ -~é]{1,10}",
            created in any::<i64>(),
            pretty in any::<bool>(),
        ) {
            let mut m: Map<String, Value> = noise.into_iter().collect();
            m.insert("id".into(), json!(id));
            m.insert("created_at".into(), json!(created));
            let v = Value::Object(m);
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
            prop_assert_eq!(key_fields(text.as_bytes()), Some((id, created)));
            // And the line written is the same JSON, on one line.
            let page = format!("[{text}]");
            let users = parse_page(page.as_bytes()).unwrap();
            let line = std::str::from_utf8(&users[0].line).unwrap();
            prop_assert_eq!(line.matches('\n').count(), 1);
            prop_assert_eq!(serde_json::from_str::<Value>(line).unwrap(), v);
        }

        /// The one-pass fast path finds what the exact path finds, or leaves the page to it.
        #[test]
        fn fast_path_agrees_with_the_exact_path(
            users in prop::collection::vec(
                (prop::collection::btree_map("[a-z_\"\\\\]{0,8}", value(), 0..4), "[ -~é]{1,10}", any::<i64>()),
                0..4,
            ),
            pretty in any::<bool>(),
        ) {
            let items: Vec<Value> = users
                .into_iter()
                .map(|(noise, id, created)| {
                    let mut m: Map<String, Value> = noise.into_iter().collect();
                    m.insert("id".into(), json!(id));
                    m.insert("created_at".into(), json!(created));
                    Value::Object(m)
                })
                .collect();
            let page = Value::Array(items);
            let text = if pretty { serde_json::to_string_pretty(&page).unwrap() } else { page.to_string() };
            let fast = fast_users(text.as_bytes());
            prop_assert!(fast.is_some());
            prop_assert_eq!(fast.unwrap(), slow_users(text.as_bytes()).unwrap());
        }

        /// Any bytes: the fast path never takes what the exact path refuses, nor differs.
        #[test]
        fn fast_path_never_takes_what_the_exact_path_refuses(s in "[\\[\\]{}\",:0-9a-z_ \\\\]{0,64}") {
            if let Some(fast) = fast_users(s.as_bytes()) {
                prop_assert_eq!(Ok(fast), slow_users(s.as_bytes()));
            }
        }

        /// Whatever a server sends, parsing a page returns or fails; it never panics.
        #[test]
        fn parse_page_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_page(&body);
        }

        #[test]
        fn parse_page_never_panics_on_near_json(s in "[\\[\\]{}\",:0-9a-z_ \\\\]{0,64}") {
            let _ = parse_page(s.as_bytes());
            let _ = key_fields(s.as_bytes());
        }
    }
}
