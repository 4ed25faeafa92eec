//! What a verified delivery asks of the cache: pure, so every event shape is unit-tested.
//!
//! Clerk's events are `{"type": "user.updated", "data": {...}, "object": "event", ...}`; for the
//! user events `data` is the user as the Backend API serializes it (for `user.deleted` only
//! `{"id", "object", "deleted"}`).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::{check_id, single_user, updated_at};
use crate::ui::clean;

/// What to do with the user's cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Acknowledge and do nothing: an event the cache does not depend on.
    Ignore,
    /// `user.deleted`: drop the entry and leave a tombstone, so no write brings the user back.
    Delete,
    /// `user.updated` without the user to write: drop the entry unless it is this version or a
    /// later one, and remember `updated_at` so that no older copy can be written back.
    Supersede { updated_at: Option<i64> },
    /// Replace the entry with this user (one line of JSON, as batch-get caches it), unless the
    /// entry holds a later version (by `updated_at`, when the user has one).
    Write {
        line: Vec<u8>,
        updated_at: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type (`user.updated`), cleaned for the log.
    pub kind: String,
    pub user_id: Option<String>,
    pub action: Action,
    /// Why a --prime write was not done, for the log line.
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct DataId {
    id: Option<serde_json::Value>,
}

/// Decide what a (verified) body asks. `Err` is a body that is not a Clerk event, or a user event
/// without a user id: answered 400, since acting on a guess could leave a stale entry behind.
pub fn parse(body: &[u8], prime: bool) -> Result<Event, String> {
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|_| "the body is not a Clerk event (JSON with a type)".to_string())?;
    let kind = clean(&env.kind);
    let user_event = matches!(
        env.kind.as_str(),
        "user.created" | "user.updated" | "user.deleted"
    );
    if !user_event {
        return Ok(Event {
            kind,
            user_id: None,
            action: Action::Ignore,
            note: None,
        });
    }
    let data = env.data.ok_or_else(|| format!("{kind} without data"))?;
    let id = match serde_json::from_str::<DataId>(data.get()) {
        Ok(DataId {
            id: Some(serde_json::Value::String(id)),
        }) => id,
        _ => return Err(format!("{kind} without a data.id")),
    };
    check_id(&id).map_err(|why| format!("{kind}: data.id {why}"))?;
    let mut note = None;
    let action = match (env.kind.as_str(), prime) {
        ("user.deleted", _) => Action::Delete,
        ("user.updated", false) => Action::Supersede {
            updated_at: updated_at(data.get().as_bytes()),
        },
        (_, false) => Action::Ignore,
        (_, true) => match single_user(data.get().as_bytes(), &id) {
            Ok(mut line) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Action::Write {
                    updated_at: updated_at(data.get().as_bytes()),
                    line,
                }
            }
            // Never cache what batch-get would refuse to read; an update still invalidates.
            Err(why) => {
                note = Some(why);
                if env.kind == "user.updated" {
                    Action::Supersede {
                        updated_at: updated_at(data.get().as_bytes()),
                    }
                } else {
                    Action::Ignore
                }
            }
        },
    };
    Ok(Event {
        kind,
        user_id: Some(id),
        action,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"{"id":"user_2abc","object":"user","created_at":1700000000000,
        "updated_at":1700000001000,"first_name":"Ada"}"#;

    fn event(kind: &str, data: &str) -> Vec<u8> {
        format!(r#"{{"type":"{kind}","object":"event","data":{data},"timestamp":1}}"#).into_bytes()
    }

    #[test]
    fn updates_and_deletes_invalidate_without_prime() {
        let e = parse(&event("user.updated", USER), false).unwrap();
        assert_eq!(
            e.action,
            Action::Supersede {
                updated_at: Some(1700000001000)
            }
        );
        assert_eq!(e.user_id.as_deref(), Some("user_2abc"));
        let e = parse(&event("user.deleted", USER), false).unwrap();
        assert_eq!(e.action, Action::Delete);
        assert_eq!(e.user_id.as_deref(), Some("user_2abc"));
        let deleted = r#"{"deleted":true,"id":"user_2abc","object":"user"}"#;
        let e = parse(&event("user.deleted", deleted), true).unwrap();
        assert_eq!(e.action, Action::Delete);
        let e = parse(&event("user.created", USER), false).unwrap();
        assert_eq!(e.action, Action::Ignore);
        assert_eq!(e.user_id.as_deref(), Some("user_2abc"));
    }

    #[test]
    fn prime_writes_the_user_on_one_line() {
        for kind in ["user.created", "user.updated"] {
            let e = parse(&event(kind, USER), true).unwrap();
            let Action::Write { line, updated_at } = e.action else {
                panic!("{kind}: {:?}", e.action)
            };
            assert_eq!(updated_at, Some(1700000001000));
            assert!(!line.contains(&b'\n'));
            let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
            assert_eq!(v["first_name"], "Ada");
            assert_eq!(
                single_user(&line, "user_2abc").unwrap().trim_ascii_end(),
                &line[..]
            );
        }
    }

    #[test]
    fn prime_never_caches_what_batch_get_could_not_read() {
        let no_created_at = r#"{"id":"user_2abc","object":"user","updated_at":5}"#;
        let e = parse(&event("user.updated", no_created_at), true).unwrap();
        assert_eq!(
            e.action,
            Action::Supersede {
                updated_at: Some(5)
            }
        );
        assert!(e.note.is_some());
        let e = parse(&event("user.created", no_created_at), true).unwrap();
        assert_eq!(e.action, Action::Ignore);
    }

    #[test]
    fn other_events_are_ignored_whatever_their_data() {
        for body in [
            event("session.created", r#"{"id":"sess_1"}"#),
            event("organization.updated", "null"),
            br#"{"type":"email.created"}"#.to_vec(),
        ] {
            let e = parse(&body, true).unwrap();
            assert_eq!(e.action, Action::Ignore);
            assert_eq!(e.user_id, None);
        }
    }

    #[test]
    fn bodies_that_are_not_events_or_lack_a_user_id_are_refused() {
        for body in [
            b"".to_vec(),
            b"not json".to_vec(),
            b"[]".to_vec(),
            br#"{"data":{}}"#.to_vec(),
            br#"{"type":"user.updated"}"#.to_vec(),
            event("user.updated", "{}"),
            event("user.updated", r#"{"id":42}"#),
            event("user.deleted", r#"{"id":"sess_123"}"#),
            event("user.deleted", r#"{"id":"user_../../x"}"#),
            event("user.updated", "[1]"),
        ] {
            assert!(
                parse(&body, false).is_err(),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }

    #[test]
    fn event_types_are_cleaned_for_the_log() {
        let e = parse(br#"{"type":"evil\nline"}"#, false).unwrap();
        assert!(!e.kind.contains('\n'));
    }
}
