//! The query language of `GET /v1/users` and `/v1/users/count`: which parameters exist, how
//! each is parsed and checked (422s named as Clerk names them), and what a parsed filter admits
//! and how users sort. The store only walks its users with these.

use std::cmp::Ordering;

use super::errors::ApiError;
use super::users::User;

/// The most values a repeatable filter (`user_id`, `email_address`, …) takes, as Clerk documents.
const MAX_LIST_VALUES: usize = 100;

/// The fields `order_by` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    EmailAddress,
    Web3Wallet,
    FirstName,
    LastName,
    PhoneNumber,
    Username,
    LastActiveAt,
    LastSignInAt,
}

impl SortField {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "email_address" => SortField::EmailAddress,
            "web3wallet" => SortField::Web3Wallet,
            "first_name" => SortField::FirstName,
            "last_name" => SortField::LastName,
            "phone_number" => SortField::PhoneNumber,
            "username" => SortField::Username,
            "last_active_at" => SortField::LastActiveAt,
            "last_sign_in_at" => SortField::LastSignInAt,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub field: SortField,
    pub desc: bool,
}

impl Default for Order {
    fn default() -> Self {
        Order {
            field: SortField::CreatedAt,
            desc: true,
        }
    }
}

/// A repeatable `+`/`-` filter (`user_id`, `external_id`): included values restrict the result to
/// them, excluded ones are left out.
#[derive(Debug, Clone, Default)]
pub struct PlusMinus<T> {
    pub include: Vec<T>,
    pub exclude: Vec<T>,
}

impl<T: PartialEq> PlusMinus<T> {
    fn admits(&self, v: Option<&T>) -> bool {
        if !self.include.is_empty() && !v.is_some_and(|v| self.include.contains(v)) {
            return false;
        }
        !v.is_some_and(|v| self.exclude.contains(v))
    }
}

/// Every filter of the list and count endpoints, already validated.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Included ids resolve to indices; `include_given` remembers that some were asked for even
    /// when none exists (the answer is then empty, not everyone).
    pub user_ids: PlusMinus<u64>,
    pub user_ids_include_given: bool,
    pub external_ids: PlusMinus<String>,
    pub email_addresses: Vec<String>,
    pub usernames: Vec<String>,
    pub phone_numbers: Vec<String>,
    /// Nobody has web3 wallets or organization memberships: asking for some matches no one.
    pub matches_nobody: bool,
    pub query: Option<String>,
    pub email_address_query: Option<String>,
    pub phone_number_query: Option<String>,
    pub username_query: Option<String>,
    pub name_query: Option<String>,
    pub banned: Option<bool>,
    pub created_at_after: Option<i64>,
    pub created_at_before: Option<i64>,
    pub last_active_at_after: Option<i64>,
    pub last_active_at_before: Option<i64>,
    pub last_sign_in_at_after: Option<i64>,
    pub last_sign_in_at_before: Option<i64>,
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    hay.to_lowercase().contains(needle_lower)
}

fn strictly_between(v: Option<i64>, after: Option<i64>, before: Option<i64>) -> bool {
    if after.is_none() && before.is_none() {
        return true;
    }
    let Some(v) = v else { return false };
    after.is_none_or(|a| v > a) && before.is_none_or(|b| v < b)
}

impl Filter {
    /// Whether deciding needs the user itself, not just its index.
    pub(super) fn needs_user(&self) -> bool {
        !self.external_ids.include.is_empty()
            || !self.external_ids.exclude.is_empty()
            || !self.email_addresses.is_empty()
            || !self.usernames.is_empty()
            || !self.phone_numbers.is_empty()
            || self.query.is_some()
            || self.email_address_query.is_some()
            || self.phone_number_query.is_some()
            || self.username_query.is_some()
            || self.name_query.is_some()
            || self.banned.is_some()
            || self.last_active_at_after.is_some()
            || self.last_active_at_before.is_some()
            || self.last_sign_in_at_after.is_some()
            || self.last_sign_in_at_before.is_some()
    }

    pub(super) fn admits_index(&self, i: u64) -> bool {
        !self.user_ids.exclude.contains(&i)
    }

    pub(super) fn admits(&self, u: &User) -> bool {
        if !self.external_ids.admits(u.external_id.as_ref()) {
            return false;
        }
        if !self.email_addresses.is_empty()
            && !u.emails.iter().any(|e| {
                self.email_addresses
                    .iter()
                    .any(|q| q.eq_ignore_ascii_case(&e.value))
            })
        {
            return false;
        }
        if !self.usernames.is_empty()
            && !u
                .username
                .as_ref()
                .is_some_and(|n| self.usernames.iter().any(|q| q.eq_ignore_ascii_case(n)))
        {
            return false;
        }
        if !self.phone_numbers.is_empty()
            && !u
                .phones
                .iter()
                .any(|p| self.phone_numbers.contains(&p.value))
        {
            return false;
        }
        if let Some(b) = self.banned
            && u.banned != b
        {
            return false;
        }
        if !strictly_between(
            u.last_active_at,
            self.last_active_at_after,
            self.last_active_at_before,
        ) || !strictly_between(
            u.last_sign_in_at,
            self.last_sign_in_at_after,
            self.last_sign_in_at_before,
        ) {
            return false;
        }
        let name_matches = |q: &str| {
            u.first_name.as_deref().is_some_and(|n| contains_ci(n, q))
                || u.last_name.as_deref().is_some_and(|n| contains_ci(n, q))
                || match (&u.first_name, &u.last_name) {
                    (Some(f), Some(l)) => contains_ci(&format!("{f} {l}"), q),
                    _ => false,
                }
        };
        let email_matches = |q: &str| u.emails.iter().any(|e| contains_ci(&e.value, q));
        let phone_matches = |q: &str| u.phones.iter().any(|p| contains_ci(&p.value, q));
        let username_matches = |q: &str| u.username.as_deref().is_some_and(|n| contains_ci(n, q));
        if let Some(q) = &self.query
            && !(email_matches(q)
                || phone_matches(q)
                || username_matches(q)
                || name_matches(q)
                || contains_ci(&u.id, q))
        {
            return false;
        }
        if self
            .email_address_query
            .as_deref()
            .is_some_and(|q| !email_matches(q))
            || self
                .phone_number_query
                .as_deref()
                .is_some_and(|q| !phone_matches(q))
            || self
                .username_query
                .as_deref()
                .is_some_and(|q| !username_matches(q))
            || self.name_query.as_deref().is_some_and(|q| !name_matches(q))
        {
            return false;
        }
        true
    }
}

/// What a list request asks for, validated.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Filter,
    pub order: Order,
    pub limit: usize,
    pub offset: u64,
    /// The index of the `starting_after` user (a created_at ordering is guaranteed by then).
    pub starting_after: Option<u64>,
}

/// A sort key: `None` (no value) sorts after every value ascending, before them descending, as
/// in Postgres.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum KeyVal {
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Keyed {
    pub(super) key: Option<KeyVal>,
    pub(super) index: u64,
    pub(super) desc: bool,
}

impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_key = match (&self.key, &other.key) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        };
        let asc = by_key.then(self.index.cmp(&other.index));
        if self.desc { asc.reverse() } else { asc }
    }
}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(super) fn sort_key(u: &User, field: SortField) -> Option<KeyVal> {
    match field {
        SortField::CreatedAt => Some(KeyVal::Int(u.created_at)),
        SortField::UpdatedAt => Some(KeyVal::Int(u.updated_at)),
        SortField::EmailAddress => u.primary_email().map(|s| KeyVal::Str(s.to_lowercase())),
        SortField::Web3Wallet => None,
        SortField::FirstName => u.first_name.clone().map(KeyVal::Str),
        SortField::LastName => u.last_name.clone().map(KeyVal::Str),
        SortField::PhoneNumber => u.primary_phone().map(|s| KeyVal::Str(s.to_string())),
        SortField::Username => u.username.clone().map(KeyVal::Str),
        SortField::LastActiveAt => u.last_active_at.map(KeyVal::Int),
        SortField::LastSignInAt => u.last_sign_in_at.map(KeyVal::Int),
    }
}

/// The filters `GET /v1/users` and `/v1/users/count` both define; every one of them is parsed by
/// [`parse_filter`].
pub use crate::spec::USER_LIST_FILTERS as COUNT_PARAMS;

/// The list's own parameters besides the filters: the paging ones [`parse_list`] reads.
pub const PAGING_PARAMS: &[&str] = &["limit", "offset", "starting_after", "order_by"];

/// Strict mode: the first parameter in none of the `known` lists is a 422 `form_param_unknown`.
pub fn check_known(p: &[(String, String)], known: &[&[&str]]) -> Result<(), ApiError> {
    match p
        .iter()
        .find(|(k, _)| !known.iter().any(|list| list.contains(&k.as_str())))
    {
        Some((k, _)) => Err(ApiError::unknown_param(k)),
        None => Ok(()),
    }
}

pub fn pairs(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn first<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn all<'a>(p: &'a [(String, String)], name: &str) -> Result<Vec<&'a str>, ApiError> {
    let v: Vec<&str> = p
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    if v.len() > MAX_LIST_VALUES {
        return Err(ApiError::value_invalid(
            name,
            format!(
                "{name} accepts at most {MAX_LIST_VALUES} values, {} were given",
                v.len()
            ),
        ));
    }
    Ok(v)
}

fn int(p: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    first(p, name)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                ApiError::format_invalid(name, format!("{name} must be an integer, not {v:?}"))
            })
        })
        .transpose()
}

/// `+value` / `-value` / `value`. A `+` left unencoded in a URL arrives as a space: same thing.
pub(super) fn sign(v: &str) -> (bool, &str) {
    if let Some(rest) = v.strip_prefix('-') {
        (false, rest)
    } else if let Some(rest) = v.strip_prefix('+').or_else(|| v.strip_prefix(' ')) {
        (true, rest)
    } else {
        (true, v)
    }
}

fn lower_query(p: &[(String, String)], name: &str) -> Option<String> {
    first(p, name)
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
}

/// What the query language needs of the users it filters: an id's index, when this instance
/// issued it. The store implements it; the language does not depend on the store.
pub trait UserIds {
    fn index_of_id(&self, id: &str) -> Option<u64>;
}

pub fn parse_filter(p: &[(String, String)], store: &impl UserIds) -> Result<Filter, ApiError> {
    let mut f = Filter::default();
    for v in all(p, "user_id")? {
        let (inc, id) = sign(v);
        let idx = store.index_of_id(id);
        if inc {
            f.user_ids_include_given = true;
            f.user_ids.include.extend(idx);
        } else {
            f.user_ids.exclude.extend(idx);
        }
    }
    for v in all(p, "external_id")? {
        let (inc, id) = sign(v);
        if inc {
            f.external_ids.include.push(id.to_string());
        } else {
            f.external_ids.exclude.push(id.to_string());
        }
    }
    f.email_addresses = all(p, "email_address")?
        .into_iter()
        .map(|s| s.trim().to_string())
        .collect();
    f.usernames = all(p, "username")?
        .into_iter()
        .map(|s| s.trim().to_string())
        .collect();
    f.phone_numbers = all(p, "phone_number")?
        .into_iter()
        .map(|s| s.trim().to_string())
        .collect();
    // Nobody here has web3 wallets, organization memberships or external accounts.
    let wallets = all(p, "web3_wallet")?;
    let orgs_included = all(p, "organization_id")?.into_iter().any(|v| sign(v).0);
    let provider_ids = all(p, "provider_user_id")?;
    f.matches_nobody = !wallets.is_empty() || orgs_included || !provider_ids.is_empty();
    f.query = lower_query(p, "query");
    f.email_address_query = lower_query(p, "email_address_query");
    f.phone_number_query = lower_query(p, "phone_number_query");
    f.username_query = lower_query(p, "username_query");
    f.name_query = lower_query(p, "name_query");
    f.banned = match first(p, "banned").map(str::trim) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => {
            return Err(ApiError::format_invalid(
                "banned",
                format!("banned must be true or false, not {v:?}"),
            ));
        }
    };
    f.created_at_before = int(p, "created_at_before")?;
    f.created_at_after = int(p, "created_at_after")?;
    f.last_active_at_before = int(p, "last_active_at_before")?;
    f.last_active_at_after = int(p, "last_active_at_after")?;
    // `since` is inclusive; `after` is strict.
    if let Some(since) = int(p, "last_active_at_since")? {
        f.last_active_at_after = Some(f.last_active_at_after.unwrap_or(i64::MIN).max(since - 1));
    }
    f.last_sign_in_at_before = int(p, "last_sign_in_at_before")?;
    f.last_sign_in_at_after = int(p, "last_sign_in_at_after")?;
    Ok(f)
}
/// `limit` (1 to 500, 10 when absent) and `offset` (0 or more), as every list of the API takes
/// them.
pub(super) fn limit_offset(p: &[(String, String)]) -> Result<(usize, u64), ApiError> {
    let limit = match int(p, "limit")? {
        None => 10,
        Some(l) if (1..=500).contains(&l) => l as usize,
        Some(l) => {
            return Err(ApiError::value_invalid(
                "limit",
                format!("limit must be between 1 and 500, not {l}"),
            ));
        }
    };
    let offset = match int(p, "offset")? {
        None => 0,
        Some(o) if o >= 0 => o as u64,
        Some(o) => {
            return Err(ApiError::value_invalid(
                "offset",
                format!("offset must be 0 or more, not {o}"),
            ));
        }
    };
    Ok((limit, offset))
}

pub fn parse_list(
    p: &[(String, String)],
    reject_cursor: bool,
    store: &impl UserIds,
) -> Result<ListQuery, ApiError> {
    let (limit, offset) = limit_offset(p)?;
    // Clerk keeps the first order_by and ignores the rest.
    let order = match first(p, "order_by") {
        None => Order::default(),
        Some(v) => {
            let (asc, field) = sign(v);
            let field = SortField::parse(field).ok_or_else(|| {
                ApiError::value_invalid(
                    "order_by",
                    format!(
                        "order_by {v:?} is not one of created_at, updated_at, email_address, \
                         web3wallet, first_name, last_name, phone_number, username, \
                         last_active_at, last_sign_in_at (with an optional + or - prefix)"
                    ),
                )
            })?;
            Order { field, desc: !asc }
        }
    };
    let filter = parse_filter(p, store)?;
    let starting_after = match first(p, "starting_after").map(str::trim) {
        None | Some("") => None,
        Some(_) if reject_cursor => return Err(ApiError::unknown_param("starting_after")),
        Some(id) => {
            if order.field != SortField::CreatedAt {
                return Err(ApiError::value_invalid(
                    "starting_after",
                    "starting_after requires ordering by created_at (order_by omitted, \
                     created_at, +created_at or -created_at)"
                        .into(),
                ));
            }
            if offset != 0 {
                return Err(ApiError::value_invalid(
                    "starting_after",
                    "starting_after cannot be combined with a non-zero offset".into(),
                ));
            }
            // An id this instance never issued is a bad cursor, not a missing list: 422.
            Some(store.index_of_id(id).ok_or_else(|| {
                ApiError::value_invalid(
                    "starting_after",
                    format!("starting_after {id:?} is not the id of a user of this instance"),
                )
            })?)
        }
    };
    Ok(ListQuery {
        filter,
        order,
        limit,
        offset,
        starting_after,
    })
}
