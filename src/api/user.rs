//! One user as the API speaks of it: its id's shape, and one user's JSON checked against it.

use super::page::parse_page;
use crate::ui::clean;

/// Longest id accepted after `user_`. Clerk's are 27 characters; a little room for other shapes.
const MAX_ID_BODY: usize = 64;
/// `Ok` when `s` is a plausible Clerk user id: `user_` then letters and digits (base62).
pub fn check_id(s: &str) -> Result<(), String> {
    let why = || {
        format!(
            "{:?} is not a user id (user_ followed by letters and digits)",
            clean(s)
        )
    };
    let body = s.strip_prefix("user_").ok_or_else(why)?;
    if body.is_empty()
        || body.len() > MAX_ID_BODY
        || !body.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(why());
    }
    Ok(())
}

/// One user's JSON (a `GET /v1/users/{id}` body, or a cached value) checked to be the user `id`
/// as a users page would hold it; returned on one line, newline-terminated.
pub fn single_user(body: &[u8], id: &str) -> Result<Vec<u8>, String> {
    let body = body.trim_ascii();
    if !body.starts_with(b"{") {
        return Err(format!("the answer for {id} is not a JSON object"));
    }
    // The same checks and the same one-line form as a page of the list, by making it one.
    let mut page = Vec::with_capacity(body.len() + 2);
    page.push(b'[');
    page.extend_from_slice(body);
    page.push(b']');
    let mut users = parse_page(&page).map_err(|e| format!("the answer for {id}: {e}"))?;
    match users.pop() {
        Some(u) if users.is_empty() && u.id == id => Ok(u.line),
        Some(u) if users.is_empty() => Err(format!("the answer for {id} is user {}", clean(&u.id))),
        _ => Err(format!("the answer for {id} is not one user")),
    }
}

/// A user's `updated_at` (milliseconds), when it has an integer one: the version the cache
/// compares before it writes.
pub fn updated_at(user: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Stamp {
        updated_at: Option<serde_json::Value>,
    }
    serde_json::from_slice::<Stamp>(user)
        .ok()?
        .updated_at?
        .as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_at_is_the_top_level_integer_only() {
        let u = br#"{"id":"user_a","public_metadata":{"updated_at":9},"updated_at":1700000001000}"#;
        assert_eq!(updated_at(u), Some(1_700_000_001_000));
        for bad in [
            &br#"{"id":"user_a"}"#[..],
            br#"{"updated_at":"1700000001000"}"#,
            br#"{"updated_at":1.5}"#,
            b"not json",
        ] {
            assert_eq!(updated_at(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn single_user_checks_the_id_and_keeps_the_json_as_sent() {
        let body = b"{\n  \"id\": \"user_a\", \"created_at\": 1, \"x\": \"a  b\"\n}\n";
        assert_eq!(
            single_user(body, "user_a").unwrap(),
            b"{\"id\":\"user_a\",\"created_at\":1,\"x\":\"a  b\"}\n"
        );
        for (bad, id) in [
            (&b"not json"[..], "user_a"),
            (b"{\"id\":\"user_b\",\"created_at\":1}", "user_a"),
            (b"{\"id\":\"user_a\"}", "user_a"),
            (
                b"{\"id\":\"user_a\",\"created_at\":1},{\"id\":\"user_a\",\"created_at\":1}",
                "user_a",
            ),
            (b"[{\"id\":\"user_a\",\"created_at\":1}]", "user_a"),
            (b"{\"id\":\"user_a\",\"created_at\":1", "user_a"),
            (b"", "user_a"),
        ] {
            assert!(
                single_user(bad, id).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
