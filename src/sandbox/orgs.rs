//! Organizations, invitations and user metadata, with the spec's shapes: `GET /v1/organizations`
//! answers `{data, total_count}` (offset paging, newest first by default), `POST
//! /v1/organizations` creates one, `POST /v1/invitations` creates an invitation, and `PATCH
//! /v1/users/{id}/metadata` deep-merges metadata. Their endpoint limits are enforced in the gate.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{patch, post};
use serde_json::{Map, Value, json};

use super::body::{body_object, json_ok, opt_object, opt_string, write_error};
use super::errors::ApiError;
use super::org_store::org_object;
use super::query::{first, limit_offset, pairs, sign};
use super::state::{AppState, lock, now_ms, write};

type Shared = std::sync::Arc<AppState>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/v1/organizations",
            axum::routing::get(list_orgs).post(create_org),
        )
        .route("/v1/invitations", post(create_invitation))
        .route("/v1/users/{id}/metadata", patch(merge_metadata))
}

fn sort_key(o: &Map<String, Value>, field: &str) -> (i64, String) {
    let id = o["id"].as_str().unwrap_or_default().to_string();
    match field {
        "name" => (
            0,
            format!("{}\u{0}{id}", o["name"].as_str().unwrap_or_default()),
        ),
        "members_count" => (o["members_count"].as_i64().unwrap_or(0), id),
        _ => (o["created_at"].as_i64().unwrap_or(0), id),
    }
}

async fn list_orgs(State(app): State<Shared>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = pairs(q.as_deref());
    let (limit, offset) = limit_offset(&p)?;
    let offset = offset as usize;
    let (asc, field) = sign(first(&p, "order_by").unwrap_or("-created_at"));
    if !matches!(field, "created_at" | "name" | "members_count") {
        return Err(ApiError::value_invalid(
            "order_by",
            format!("order_by {field:?} is not one of name, created_at, members_count"),
        ));
    }
    let query = first(&p, "query").map(|s| s.trim().to_lowercase());
    let store = lock(&app.orgs);
    let mut hits: Vec<&Map<String, Value>> = store
        .orgs
        .iter()
        .filter(|o| match &query {
            None => true,
            Some(q) if q.is_empty() => true,
            Some(q) => ["id", "name", "slug"].iter().any(|k| {
                o[*k]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().contains(q.as_str()))
            }),
        })
        .collect();
    hits.sort_by_cached_key(|o| sort_key(o, field));
    if !asc {
        hits.reverse();
    }
    let total = hits.len();
    let data: Vec<&Map<String, Value>> = hits.into_iter().skip(offset).take(limit).collect();
    Ok(json_ok(json!({ "data": data, "total_count": total })))
}

fn required_string(m: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match opt_string(m, name)? {
        Some(Some(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_missing",
            "missing required parameter",
            format!("{name} must be included."),
        )),
    }
}

async fn create_org(
    State(app): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = body_object(body)?;
    let name = required_string(&m, "name")?;
    let slug = opt_string(&m, "slug")?.flatten();
    if let Some(s) = &slug
        && (s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Err(ApiError::format_invalid(
            "slug",
            "A slug can contain only lowercase alphanumeric characters and the dash \"-\".".into(),
        ));
    }
    let public = opt_object(&m, "public_metadata")?.unwrap_or_default();
    let private = opt_object(&m, "private_metadata")?.unwrap_or_default();
    let mut store = lock(&app.orgs);
    if let Some(s) = &slug
        && store.orgs.iter().any(|o| o["slug"].as_str() == Some(s))
    {
        return Err(ApiError::identifier_exists("slug"));
    }
    let id = store.next_id("org_");
    let org = org_object(id, &name, slug, public, private, now_ms());
    store.orgs.push(org.clone());
    Ok(json_ok(Value::Object(org)))
}

async fn create_invitation(
    State(app): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = body_object(body)?;
    let email = required_string(&m, "email_address")?.to_lowercase();
    let valid = email
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !valid {
        return Err(ApiError::format_invalid(
            "email_address",
            format!("{email:?} is not a valid email address"),
        ));
    }
    let public = opt_object(&m, "public_metadata")?.unwrap_or_default();
    let ignore_existing = matches!(m.get("ignore_existing"), Some(Value::Bool(true)));
    let days = match m.get("expires_in_days") {
        None | Some(Value::Null) => 30,
        Some(v) => match v.as_i64() {
            Some(d) if (1..=365).contains(&d) => d,
            _ => {
                return Err(ApiError::value_invalid(
                    "expires_in_days",
                    "expires_in_days must be an integer between 1 and 365".into(),
                ));
            }
        },
    };
    let mut store = lock(&app.orgs);
    if store.pending_emails.contains(&email) && !ignore_existing {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "duplicate_record",
            "duplicate invitation",
            format!(
                "There are already pending invitations for the following email addresses: {email}"
            ),
        ));
    }
    let id = store.next_id("inv_");
    let now = now_ms();
    let inv = json!({
        "object": "invitation",
        "id": id,
        "email_address": email,
        "public_metadata": public,
        "revoked": false,
        "status": "pending",
        "url": format!("https://accounts.sandbox.invalid/sign-up?__clerk_ticket={id}"),
        "expires_at": now + days * 86_400_000,
        "created_at": now,
        "updated_at": now,
    });
    store.pending_emails.insert(email);
    store.invitations.push(inv.clone());
    Ok(json_ok(inv))
}

/// Deep merge: objects merge key by key, `null` removes a key, anything else replaces.
fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (_, Value::Null) => {
                into.remove(&k);
            }
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

async fn merge_metadata(
    State(app): State<Shared>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = body_object(body)?;
    if let Some(k) = m.keys().find(|k| {
        !matches!(
            k.as_str(),
            "public_metadata" | "private_metadata" | "unsafe_metadata"
        )
    }) {
        return Err(ApiError::unknown_param(k));
    }
    let public = opt_object(&m, "public_metadata")?;
    let private = opt_object(&m, "private_metadata")?;
    let unsafe_ = opt_object(&m, "unsafe_metadata")?;
    let user = write(&app)
        .modify(&id, now_ms(), |u| {
            if let Some(p) = public {
                deep_merge(&mut u.public_metadata, p);
            }
            if let Some(p) = private {
                deep_merge(&mut u.private_metadata, p);
            }
            if let Some(p) = unsafe_ {
                deep_merge(&mut u.unsafe_metadata, p);
            }
        })
        .map_err(write_error)?;
    Ok(json_ok(user.to_json()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::sandbox::org_store::OrgStore;

    #[test]
    fn deep_merge_merges_nested_objects_and_null_removes() {
        let mut a = json!({"a": 1, "n": {"x": 1, "y": 2}, "gone": true});
        let b = json!({"b": 2, "n": {"y": 3, "z": 4}, "gone": null});
        let (Value::Object(am), Value::Object(bm)) = (&mut a, b) else {
            unreachable!()
        };
        deep_merge(am, bm);
        assert_eq!(a, json!({"a": 1, "n": {"x": 1, "y": 3, "z": 4}, "b": 2}));
    }

    #[test]
    fn generated_organizations_are_stable_and_unique() {
        let a = OrgStore::new(7, 50);
        let b = OrgStore::new(7, 50);
        assert_eq!(a.orgs, b.orgs);
        let ids: HashSet<&str> = a.orgs.iter().map(|o| o["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 50);
        assert!(a.orgs.iter().all(|o| o["id"].as_str().unwrap().len() == 31));
    }
}
