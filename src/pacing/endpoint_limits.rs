//! Endpoint budgets: the limits Clerk documents below the instance limit for some endpoints.
//!
//! A request to one of these endpoints must fit two budgets at once: the instance's (every
//! request of the key) and the endpoint's, which is counted per user for the user updates and per
//! instance for invitations. This table is the one place both the client (which paces to it) and
//! the sandbox (which enforces it) read; `--endpoint-rate NAME=N/DURATION` overrides an entry
//! (tests use short windows; a user whose instance has other limits sets them).

use std::fmt;

use serde::Serialize;

use crate::pacing::budget::Rate;

/// One documented endpoint limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndpointLimit {
    /// The name `--endpoint-rate` takes.
    pub name: &'static str,
    pub method: &'static str,
    /// The paths it covers, as Clerk writes them.
    pub paths: &'static [&'static str],
    pub rate: Rate,
    /// Counted per user (the `{user_id}` of the path) instead of per instance.
    pub per_user: bool,
}

const MINUTE: u64 = 60;

/// Clerk's documented endpoint limits (system-limits page). The two user updates share one
/// budget per user: whether Clerk counts them apart is not documented, and counting them together
/// can only be slower, never a 429.
pub const DOCUMENTED: &[EndpointLimit] = &[
    EndpointLimit {
        name: "user-update",
        method: "PATCH",
        paths: &["/v1/users/{user_id}", "/v1/users/{user_id}/metadata"],
        rate: Rate::new(10, std::time::Duration::from_secs(10)),
        per_user: true,
    },
    EndpointLimit {
        name: "invitation-create",
        method: "POST",
        paths: &["/v1/invitations"],
        rate: Rate::new(100, std::time::Duration::from_secs(60 * MINUTE)),
        per_user: false,
    },
    EndpointLimit {
        name: "invitation-bulk",
        method: "POST",
        paths: &["/v1/invitations/bulk"],
        rate: Rate::new(25, std::time::Duration::from_secs(60 * MINUTE)),
        per_user: false,
    },
];

/// The endpoint limits in force: the documented ones with `--endpoint-rate` overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointLimits {
    pub limits: Vec<EndpointLimit>,
}

impl Default for EndpointLimits {
    fn default() -> Self {
        EndpointLimits {
            limits: DOCUMENTED.to_vec(),
        }
    }
}

/// Which endpoint budget a request draws from, and the count it is kept in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub limit: EndpointLimit,
    /// `user-update:user_123`, `invitation-create`: requests with the same key share a budget.
    pub key: String,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} per ", self.key, self.limit.rate)?;
        f.write_str(if self.limit.per_user {
            "user)"
        } else {
            "instance)"
        })
    }
}

impl EndpointLimits {
    pub fn new(overrides: &[(String, Rate)]) -> Self {
        let mut l = EndpointLimits::default();
        for (name, rate) in overrides {
            if let Some(e) = l.limits.iter_mut().find(|e| e.name == name) {
                e.rate = *rate;
            }
        }
        l
    }

    /// The endpoint budget `method path` draws from, if any. `path` is the URL's path; whatever
    /// comes before its `/v1/` (a proxy's prefix) is ignored, and so is a trailing slash.
    pub fn scope(&self, method: &str, path: &str) -> Option<Scope> {
        let rest = &path[path.find("/v1/")?..];
        let rest = rest.trim_end_matches('/');
        let segs: Vec<&str> = rest.split('/').skip(1).collect();
        let (name, user) = match (method.to_ascii_uppercase().as_str(), segs.as_slice()) {
            ("PATCH", ["v1", "users", id]) | ("PATCH", ["v1", "users", id, "metadata"])
                if !id.is_empty() && *id != "count" =>
            {
                ("user-update", Some(*id))
            }
            ("POST", ["v1", "invitations"]) => ("invitation-create", None),
            ("POST", ["v1", "invitations", "bulk"]) => ("invitation-bulk", None),
            _ => return None,
        };
        let limit = *self.limits.iter().find(|e| e.name == name)?;
        let key = match user {
            Some(id) => format!("{name}:{id}"),
            None => name.to_string(),
        };
        Some(Scope { limit, key })
    }
}

/// Words that follow a collection in Clerk's paths without being an id (`/v1/users/count`,
/// `/v1/invitations/bulk`): kept as they are by [`template`].
const NOT_IDS: &[&str] = &["count", "bulk", "me", "verify", "revoke", "metadata"];

/// A request's endpoint as a template without ids, for metrics labels: `/v1/users/user_2x/metadata`
/// is `/v1/users/{user_id}/metadata`. Clerk's paths alternate a collection and an id, so the
/// segment after a collection is an id (named after the collection) unless it is one of the few
/// words Clerk puts there; any other segment holding a digit or a capital is an id too. What
/// comes before `/v1/` (a proxy's prefix) is dropped, and so is the query: a label never carries
/// an id, an email or a search, and the templates stay a handful.
pub fn template(path: &str) -> String {
    let rest = path.find("/v1/").map_or(path, |i| &path[i..]);
    let rest = rest.trim_end_matches('/');
    let mut out = String::with_capacity(rest.len() + 16);
    let mut collection = "resource";
    // Index 0 is the version ("v1"); collections sit at odd indexes, their ids at even ones.
    for (i, seg) in rest.split('/').skip(1).enumerate() {
        out.push('/');
        let looks_like_id = seg.chars().any(|c| {
            c.is_ascii_digit() || c.is_ascii_uppercase() || !(c.is_ascii_lowercase() || c == '_')
        });
        let version =
            seg.len() > 1 && seg.starts_with('v') && seg[1..].chars().all(|c| c.is_ascii_digit());
        if i == 0 && (version || !looks_like_id) {
            out.push_str(seg);
        } else if i % 2 == 1 && !looks_like_id {
            out.push_str(seg);
            collection = seg;
        } else if i % 2 == 0 && NOT_IDS.contains(&seg) {
            out.push_str(seg);
        } else {
            let singular = match collection.strip_suffix("ies") {
                Some(s) => format!("{s}y"),
                None => collection
                    .strip_suffix('s')
                    .unwrap_or(collection)
                    .to_string(),
            };
            out.push('{');
            out.push_str(&singular);
            out.push_str("_id}");
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// clap value parser for `--endpoint-rate NAME=N/DURATION`.
pub fn endpoint_rate_arg(s: &str) -> Result<(String, Rate), String> {
    let names: Vec<&str> = DOCUMENTED.iter().map(|e| e.name).collect();
    let (name, rate) = s.split_once('=').ok_or_else(|| {
        format!(
            "--endpoint-rate {s:?} is not NAME=N/DURATION (for example user-update=5/1s; names: {})",
            names.join(", ")
        )
    })?;
    let name = name.trim();
    if !names.contains(&name) {
        return Err(format!(
            "--endpoint-rate {s:?}: {name:?} is not one of {}",
            names.join(", ")
        ));
    }
    Ok((
        name.to_string(),
        crate::pacing::budget::rate_arg(rate.trim())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn requests_find_their_endpoint_budget() {
        let l = EndpointLimits::default();
        let key = |m: &str, p: &str| l.scope(m, p).map(|s| s.key);
        assert_eq!(
            key("PATCH", "/v1/users/user_1"),
            Some("user-update:user_1".into())
        );
        assert_eq!(
            key("patch", "/proxy/v1/users/user_1/metadata/"),
            Some("user-update:user_1".into())
        );
        assert_eq!(
            key("POST", "/v1/invitations"),
            Some("invitation-create".into())
        );
        assert_eq!(
            key("POST", "/v1/invitations/bulk"),
            Some("invitation-bulk".into())
        );
        for (m, p) in [
            ("GET", "/v1/users/user_1"),
            ("PATCH", "/v1/users"),
            ("POST", "/v1/users"),
            ("PATCH", "/v1/users/user_1/other"),
            ("GET", "/v1/invitations"),
            ("PATCH", "/users/user_1"),
        ] {
            assert_eq!(key(m, p), None, "{m} {p}");
        }
        let s = l.scope("PATCH", "/v1/users/u").unwrap();
        assert!(s.limit.per_user);
        assert_eq!(s.limit.rate, Rate::new(10, Duration::from_secs(10)));
    }

    #[test]
    fn templates_carry_no_ids() {
        for (path, want) in [
            ("/v1/users", "/v1/users"),
            ("/v1/users/count", "/v1/users/count"),
            (
                "/v1/users/user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
                "/v1/users/{user_id}",
            ),
            (
                "/proxy/v1/users/user_1/metadata/",
                "/v1/users/{user_id}/metadata",
            ),
            ("/v1/invitations/bulk", "/v1/invitations/bulk"),
            (
                "/v1/invitations/inv_1/revoke",
                "/v1/invitations/{invitation_id}/revoke",
            ),
            (
                "/v1/organizations/acme",
                "/v1/organizations/{organization_id}",
            ),
            (
                "/v1/organizations/org_1/memberships/user_2",
                "/v1/organizations/{organization_id}/memberships/{membership_id}",
            ),
            ("/v1/users/a@b.example", "/v1/users/{user_id}"),
            ("/v1/allowlist_identifiers", "/v1/allowlist_identifiers"),
            ("/", "/"),
        ] {
            assert_eq!(template(path), want, "{path}");
        }
    }

    #[test]
    fn overrides_replace_a_documented_rate() {
        let (name, rate) = endpoint_rate_arg("user-update=5/1s").unwrap();
        let l = EndpointLimits::new(&[(name, rate)]);
        let s = l.scope("PATCH", "/v1/users/u").unwrap();
        assert_eq!(s.limit.rate, Rate::new(5, Duration::from_secs(1)));
        assert!(
            endpoint_rate_arg("nope=5/1s")
                .unwrap_err()
                .contains("not one of")
        );
        assert!(
            endpoint_rate_arg("user-update")
                .unwrap_err()
                .contains("NAME=N/DURATION")
        );
        assert!(endpoint_rate_arg("user-update=5").is_err());
    }
}
