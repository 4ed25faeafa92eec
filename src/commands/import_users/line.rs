//! One input line to one `POST /v1/users` body and the identity that makes its create exactly
//! once: a Clerk User object (as export-users writes it) or a create body as the spec describes.
//! Pure functions, checked offline: a line that fails here costs no request.

use serde_json::{Map, Value};

use crate::spec::CREATE_USER_FIELDS;

/// Which field of a user the identity is, and the `GET /v1/users` filter that finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField {
    ExternalId,
    Email,
}

impl IdField {
    /// The create body's field, the list filter's name and `meta.param_name` of a 422.
    pub fn param(self) -> &'static str {
        match self {
            IdField::ExternalId => "external_id",
            IdField::Email => "email_address",
        }
    }
}

/// A line ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub identity: String,
    pub field: IdField,
    pub body: Map<String, Value>,
}

/// Parse one line; `Err` says why it is invalid.
pub fn parse(line: &[u8], require_password: bool) -> Result<Parsed, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("empty line".into());
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(obj) = v else {
        return Err("not a JSON object".into());
    };
    let mut body = if is_user_object(&obj) {
        from_user(&obj)?
    } else {
        from_body(obj)?
    };
    let has_password = ["password", "password_digest"]
        .iter()
        .any(|k| body.get(*k).is_some_and(|v| !v.is_null()));
    if !has_password {
        if require_password {
            return Err("no password or password_digest (--require-password)".into());
        }
        body.insert("skip_password_requirement".into(), Value::Bool(true));
    }
    let (identity, field) = identity_of(&body)
        .ok_or_else(|| "no identifier: no external_id, id or email address".to_string())?;
    Ok(Parsed {
        identity,
        field,
        body,
    })
}

/// A User object as Clerk answers it (and export-users writes it), rather than a create body.
fn is_user_object(o: &Map<String, Value>) -> bool {
    o.get("object").and_then(Value::as_str) == Some("user")
        || o.contains_key("id")
        || o.contains_key("email_addresses")
        || o.contains_key("phone_numbers")
}

fn nonempty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn identity_of(body: &Map<String, Value>) -> Option<(String, IdField)> {
    if let Some(e) = nonempty_str(body.get("external_id")) {
        return Some((e.to_string(), IdField::ExternalId));
    }
    let first = body
        .get("email_address")
        .and_then(Value::as_array)
        .and_then(|a| nonempty_str(a.first()));
    first.map(|e| (e.to_string(), IdField::Email))
}

fn from_body(obj: Map<String, Value>) -> Result<Map<String, Value>, String> {
    if let Some(k) = obj
        .keys()
        .find(|k| !CREATE_USER_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown field {k:?}: neither a User object nor a POST /v1/users body"
        ));
    }
    Ok(obj)
}

/// The values of `list[].field`, the one whose `id` is `primary` first.
fn contacts(o: &Map<String, Value>, list: &str, field: &str, primary: &str) -> Vec<Value> {
    let Some(items) = o.get(list).and_then(Value::as_array) else {
        return Vec::new();
    };
    let primary = o.get(primary).and_then(Value::as_str);
    let mut out: Vec<(bool, Value)> = items
        .iter()
        .filter_map(|c| {
            let value = nonempty_str(c.get(field))?;
            let is_primary = primary.is_some() && c.get("id").and_then(Value::as_str) == primary;
            Some((is_primary, Value::String(value.to_string())))
        })
        .collect();
    // Stable: the primary first, the rest in their order.
    out.sort_by_key(|(p, _)| !*p);
    out.into_iter().map(|(_, v)| v).collect()
}

/// Unix milliseconds (Clerk's User timestamps) to RFC 3339 (what the create body takes).
fn rfc3339_ms(v: &Value) -> Option<Value> {
    let ms = v.as_i64().filter(|&ms| ms >= 0)?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64);
    Some(Value::String(
        humantime::format_rfc3339_millis(t).to_string(),
    ))
}

fn from_user(o: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut b = Map::new();
    let external = nonempty_str(o.get("external_id"))
        .or_else(|| nonempty_str(o.get("id")))
        .map(str::to_string);
    if let Some(e) = external {
        b.insert("external_id".into(), Value::String(e));
    }
    for k in ["first_name", "last_name", "username", "locale"] {
        if let Some(s) = nonempty_str(o.get(k)) {
            b.insert(k.into(), Value::String(s.to_string()));
        }
    }
    let emails = contacts(
        o,
        "email_addresses",
        "email_address",
        "primary_email_address_id",
    );
    if !emails.is_empty() {
        b.insert("email_address".into(), Value::Array(emails));
    }
    let phones = contacts(
        o,
        "phone_numbers",
        "phone_number",
        "primary_phone_number_id",
    );
    if !phones.is_empty() {
        b.insert("phone_number".into(), Value::Array(phones));
    }
    let wallets = contacts(o, "web3_wallets", "web3_wallet", "primary_web3_wallet_id");
    if !wallets.is_empty() {
        b.insert("web3_wallet".into(), Value::Array(wallets));
    }
    for k in ["public_metadata", "private_metadata", "unsafe_metadata"] {
        match o.get(k) {
            Some(Value::Object(m)) if !m.is_empty() => {
                b.insert(k.into(), Value::Object(m.clone()));
            }
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return Err(format!("{k} is not an object")),
        }
    }
    for k in [
        "banned",
        "locked",
        "delete_self_enabled",
        "create_organization_enabled",
    ] {
        if let Some(v @ Value::Bool(_)) = o.get(k) {
            b.insert(k.into(), v.clone());
        }
    }
    if let Some(v @ Value::Number(_)) = o.get("create_organizations_limit") {
        b.insert("create_organizations_limit".into(), v.clone());
    }
    for k in ["created_at", "legal_accepted_at"] {
        if let Some(t) = o.get(k).and_then(rfc3339_ms) {
            b.insert(k.into(), t);
        }
    }
    // Clerk never exports these; a migration from another provider may carry them.
    let digest = nonempty_str(o.get("password_digest"));
    let hasher = nonempty_str(o.get("password_hasher"));
    match (digest, hasher) {
        (Some(d), Some(h)) => {
            b.insert("password_digest".into(), Value::String(d.into()));
            b.insert("password_hasher".into(), Value::String(h.into()));
        }
        (None, None) => {}
        _ => return Err("password_digest and password_hasher go together".into()),
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> Result<Parsed, String> {
        parse(v.to_string().as_bytes(), false)
    }

    #[test]
    fn a_user_maps_to_a_create_body_primary_first_and_its_id_becomes_external_id() {
        let u = json!({
            "object": "user", "id": "user_2abc", "external_id": null,
            "first_name": "Ada", "last_name": null, "username": "ada",
            "primary_email_address_id": "idn_2",
            "email_addresses": [{"id": "idn_1", "email_address": "old@x.io"},
                                {"id": "idn_2", "email_address": "ada@x.io"}],
            "phone_numbers": [{"id": "idn_3", "phone_number": "+15551234567"}],
            "public_metadata": {"a": 1}, "private_metadata": {}, "unsafe_metadata": {"u": true},
            "banned": false, "created_at": 1700000000123_i64, "password_enabled": true,
        });
        let got = p(u).unwrap();
        assert_eq!(got.identity, "user_2abc");
        assert_eq!(got.field, IdField::ExternalId);
        assert_eq!(
            Value::Object(got.body),
            json!({
                "external_id": "user_2abc", "first_name": "Ada", "username": "ada",
                "email_address": ["ada@x.io", "old@x.io"], "phone_number": ["+15551234567"],
                "public_metadata": {"a": 1}, "unsafe_metadata": {"u": true}, "banned": false,
                "created_at": "2023-11-14T22:13:20.123Z", "skip_password_requirement": true,
            })
        );
    }

    #[test]
    fn an_external_id_wins_over_the_source_id() {
        let got = p(json!({"id": "user_1", "external_id": "crm-9"})).unwrap();
        assert_eq!(got.identity, "crm-9");
        assert_eq!(got.body["external_id"], "crm-9");
    }

    #[test]
    fn a_body_passes_through_and_is_known_by_its_first_email() {
        let got = p(json!({"email_address": ["b@x.io"], "password": "long enough pw"})).unwrap();
        assert_eq!(
            (got.identity.as_str(), got.field),
            ("b@x.io", IdField::Email)
        );
        assert!(!got.body.contains_key("skip_password_requirement"));
    }

    #[test]
    fn password_digests_pass_through_and_require_password_refuses_users_without_one() {
        let u = json!({"id": "user_1", "password_digest": "$2a$10$x", "password_hasher": "bcrypt"});
        let got = parse(u.to_string().as_bytes(), true).unwrap();
        assert_eq!(got.body["password_hasher"], "bcrypt");
        assert!(!got.body.contains_key("skip_password_requirement"));
        let e = parse(br#"{"id":"user_1"}"#, true).unwrap_err();
        assert!(e.contains("--require-password"), "{e}");
    }

    #[test]
    fn invalid_lines_say_why() {
        for (line, why) in [
            (&b"{not json"[..], "not JSON"),
            (b"", "empty line"),
            (b"[1]", "not a JSON object"),
            (b"{\"first_name\":\"x\"}", "no identifier"),
            (
                b"{\"email_address\":[\"a@x.io\"],\"nickname\":\"x\"}",
                "unknown field",
            ),
            (b"\xff\xfe", "not UTF-8"),
            (b"{\"id\":\"u\",\"password_digest\":\"x\"}", "go together"),
        ] {
            let e = parse(line, false).unwrap_err();
            assert!(e.contains(why), "{line:?}: {e}");
        }
    }
}
