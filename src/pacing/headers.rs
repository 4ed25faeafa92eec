//! Reading every rate-limit header convention into one view.
//!
//! Clerk documents only `Retry-After` (seconds) on a 429; whether other fields come back is
//! unknown, so this reads all the common conventions and says which ones it saw:
//! - `X-RateLimit-Limit/-Remaining/-Reset` (Reset as delta seconds, or as a Unix epoch as GitHub
//!   sends it: a value above 10^9 is an epoch),
//! - IETF draft-10 structured fields `RateLimit-Policy: "default";q=100;w=10` and
//!   `RateLimit: "default";r=50;t=30`,
//! - the older drafts' `RateLimit-Limit/-Remaining/-Reset`, `RateLimit: limit=100, remaining=50,
//!   reset=5` and `RateLimit-Policy: 100;w=10`,
//! - `Retry-After` as delta seconds or an HTTP-date (RFC 9110).
//!
//! A malformed field is noted and ignored, never fatal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use serde::Serialize;

/// Everything the rate-limit headers of one response said.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RateLimitView {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Time until the window resets, from when the response was read.
    #[serde(serialize_with = "ser_opt_secs", rename = "reset_s")]
    pub reset: Option<Duration>,
    /// The window length, where a policy field states it.
    #[serde(serialize_with = "ser_opt_secs", rename = "window_s")]
    pub window: Option<Duration>,
    #[serde(serialize_with = "ser_opt_secs", rename = "retry_after_s")]
    pub retry_after: Option<Duration>,
    /// Which conventions were seen: `x-ratelimit`, `ietf`, `ietf-legacy`, `retry-after`.
    pub conventions: Vec<&'static str>,
    /// Every rate-limit header that came back, as sent (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Fields that were present but could not be read.
    pub malformed: Vec<String>,
}

fn ser_opt_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Header names this module reads, lower-case.
pub const NAMES: &[&str] = &[
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "retry-after",
];

/// Values above this are Unix epochs (seconds), not deltas: 10^9 s is 2001-09-09.
const EPOCH_THRESHOLD: f64 = 1e9;
/// Values above this are Unix epochs in milliseconds.
const EPOCH_MS_THRESHOLD: f64 = 1e12;
/// A wait longer than this from a header is nonsense, not a plan: cap it so math never overflows.
const MAX_HEADER_WAIT: Duration = Duration::from_secs(365 * 86_400);

impl RateLimitView {
    /// Read the view from response headers; `now` is the wall clock when the response arrived
    /// (needed for epochs and HTTP-dates).
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Self {
        let mut v = RateLimitView::default();
        let get = |name: &str| -> Option<String> {
            let vals: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
                .collect();
            if vals.is_empty() {
                None
            } else {
                Some(vals.join(", "))
            }
        };
        for name in NAMES {
            if let Some(val) = get(name) {
                v.headers.push((name.to_string(), val));
            }
        }

        let x = v.read_x_ratelimit(&get, now);
        let (ietf, legacy) = v.read_ietf(&get, now);
        if ietf.any() {
            v.conventions.push("ietf");
        }
        if legacy.any() {
            v.conventions.push("ietf-legacy");
        }

        // Precedence: the current draft, then the older drafts, then X-RateLimit.
        v.limit = ietf.limit.or(legacy.limit).or(x.0);
        v.remaining = ietf.remaining.or(legacy.remaining).or(x.1);
        v.reset = ietf.reset.or(legacy.reset).or(x.2);
        v.window = ietf.window.or(legacy.window);

        if let Some(s) = get("retry-after") {
            match parse_retry_after(&s, now) {
                Some(d) => {
                    v.retry_after = Some(d);
                    v.conventions.push("retry-after");
                }
                None => v.note("retry-after", &s),
            }
        }
        v
    }

    /// `X-RateLimit-Limit`, `-Remaining` and `-Reset`, as far as they are given.
    fn read_x_ratelimit(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
        now: SystemTime,
    ) -> (Option<u64>, Option<u64>, Option<Duration>) {
        let mut x = (None, None, None);
        if let Some(s) = get("x-ratelimit-limit") {
            x.0 = self.number("x-ratelimit-limit", &s);
        }
        if let Some(s) = get("x-ratelimit-remaining") {
            x.1 = self.number("x-ratelimit-remaining", &s);
        }
        if let Some(s) = get("x-ratelimit-reset") {
            x.2 = self.reset_value("x-ratelimit-reset", &s, now);
        }
        if x.0.is_some() || x.1.is_some() || x.2.is_some() {
            self.conventions.push("x-ratelimit");
        }
        x
    }

    /// The IETF draft-10 fields (structured: `RateLimit-Policy` and `RateLimit` naming a policy),
    /// and apart from them the older drafts' (`RateLimit-Limit`, `-Remaining`, `-Reset`).
    fn read_ietf(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
        now: SystemTime,
    ) -> (Ietf, Ietf) {
        let mut ietf = Ietf::default();
        let mut legacy = Ietf::default();
        if let Some(s) = get("ratelimit-policy") {
            match parse_policy(&s) {
                Some(Policy::Named { name, q, w }) => {
                    ietf.policy_name = Some(name);
                    ietf.limit = Some(q);
                    ietf.window = w;
                }
                Some(Policy::Legacy { q, w }) => {
                    legacy.limit = Some(q);
                    legacy.window = w;
                }
                None => self.note("ratelimit-policy", &s),
            }
        }
        if let Some(s) = get("ratelimit") {
            match parse_ratelimit(&s, ietf.policy_name.as_deref()) {
                Some(RateLimitField::Named { r, t }) => {
                    ietf.remaining = r;
                    ietf.reset = t.map(secs);
                }
                Some(RateLimitField::Legacy {
                    limit,
                    remaining,
                    reset,
                }) => {
                    legacy.limit = legacy.limit.or(limit);
                    legacy.remaining = remaining;
                    legacy.reset = reset.map(secs);
                }
                None => self.note("ratelimit", &s),
            }
        }
        if let Some(s) = get("ratelimit-limit") {
            legacy.limit = self.number("ratelimit-limit", &s).or(legacy.limit);
        }
        if let Some(s) = get("ratelimit-remaining") {
            legacy.remaining = self.number("ratelimit-remaining", &s).or(legacy.remaining);
        }
        if let Some(s) = get("ratelimit-reset") {
            legacy.reset = self
                .reset_value("ratelimit-reset", &s, now)
                .or(legacy.reset);
        }
        (ietf, legacy)
    }

    /// True when the server said no request is left in this window.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Remaining as a share of Limit, in percent.
    pub fn remaining_pct(&self) -> Option<f64> {
        match (self.remaining, self.limit) {
            (Some(r), Some(l)) if l > 0 => Some(r as f64 * 100.0 / l as f64),
            _ => None,
        }
    }

    fn note(&mut self, name: &str, value: &str) {
        let shown: String = value.chars().take(80).collect();
        self.malformed.push(format!("{name}: {shown:?}"));
    }

    fn number(&mut self, name: &str, s: &str) -> Option<u64> {
        match parse_leading_u64(s) {
            Some(n) => Some(n),
            None => {
                self.note(name, s);
                None
            }
        }
    }

    fn reset_value(&mut self, name: &str, s: &str, now: SystemTime) -> Option<Duration> {
        match parse_reset(s, now) {
            Some(d) => Some(d),
            None => {
                self.note(name, s);
                None
            }
        }
    }
}

#[derive(Default)]
struct Ietf {
    policy_name: Option<String>,
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<Duration>,
    window: Option<Duration>,
}

impl Ietf {
    fn any(&self) -> bool {
        self.limit.is_some() || self.remaining.is_some() || self.reset.is_some()
    }
}

fn secs(n: f64) -> Duration {
    Duration::try_from_secs_f64(n)
        .unwrap_or(MAX_HEADER_WAIT)
        .min(MAX_HEADER_WAIT)
}

/// `100`, `100, 100;w=10` (some servers append a policy): the leading integer.
fn parse_leading_u64(s: &str) -> Option<u64> {
    let first = s.split([',', ';']).next()?.trim();
    first.parse().ok()
}

fn parse_nonneg_f64(s: &str) -> Option<f64> {
    let n: f64 = s.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// A reset value: delta seconds, or a Unix epoch in seconds (GitHub) or milliseconds.
pub fn parse_reset(s: &str, now: SystemTime) -> Option<Duration> {
    let first = s.split([',', ';']).next()?.trim();
    let n = parse_nonneg_f64(first)?;
    let now_s = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let delta = if n > EPOCH_MS_THRESHOLD {
        (n / 1000.0 - now_s).max(0.0)
    } else if n > EPOCH_THRESHOLD {
        (n - now_s).max(0.0)
    } else {
        n
    };
    Some(secs(delta))
}

/// `Retry-After`: delta seconds, or an HTTP-date (a date in the past means no wait).
pub fn parse_retry_after(s: &str, now: SystemTime) -> Option<Duration> {
    let t = s.trim();
    if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        return t.parse::<u64>().ok().map(|n| secs(n as f64));
    }
    // Some servers send fractional seconds; RFC 9110 does not, but reading them costs nothing.
    if let Some(n) = parse_nonneg_f64(t) {
        return Some(secs(n));
    }
    let when = httpdate::parse_http_date(t).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_HEADER_WAIT),
    )
}

enum Policy {
    Named {
        name: String,
        q: u64,
        w: Option<Duration>,
    },
    Legacy {
        q: u64,
        w: Option<Duration>,
    },
}

/// One member of a structured-field list: its bare item and its parameters, as text (a string
/// item or parameter keeps its quotes, `"default"`, so it is told apart from a token).
struct Member {
    item: String,
    params: Vec<(String, String)>,
}

/// The members of a list field: parsed as an RFC 9651 structured field (the `sfv` crate), so a
/// quoted name may hold `;` or `,`; a value that is not a valid structured field (the older
/// drafts' `limit=100, remaining=50`, spaces around `=`) is read by the lenient reader instead.
fn sf_list(s: &str) -> Vec<Member> {
    sf_list_strict(s).unwrap_or_else(|| sf_list_lenient(s))
}

/// The members of a valid RFC 9651 list, or None when `s` is not one. Inner lists are skipped
/// (no rate-limit field uses them).
fn sf_list_strict(s: &str) -> Option<Vec<Member>> {
    let list: sfv::List = sfv::Parser::new(s).parse().ok()?;
    let members = list
        .iter()
        .filter_map(|entry| match entry {
            sfv::ListEntry::Item(item) => Some(Member {
                item: bare_text(&item.bare_item),
                params: item
                    .params
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), bare_text(v)))
                    .collect(),
            }),
            sfv::ListEntry::InnerList(_) => None,
        })
        .collect();
    Some(members)
}

/// A bare item as the lenient reader would have seen it: a string quoted, a token, a number or
/// a boolean as written; other types as text no number parser accepts.
fn bare_text(b: &sfv::BareItem) -> String {
    match b {
        sfv::BareItem::String(v) => format!("\"{}\"", v.as_str()),
        sfv::BareItem::Token(v) => v.as_str().to_string(),
        sfv::BareItem::Integer(v) => v.to_string(),
        sfv::BareItem::Decimal(v) => v.to_string(),
        sfv::BareItem::Boolean(v) => if *v { "?1" } else { "?0" }.to_string(),
        _ => "?".to_string(),
    }
}

/// A tolerant reader of lists as rate-limit fields use them: members split on commas outside
/// quotes, parameters on semicolons (outside quotes, too).
fn sf_list_lenient(s: &str) -> Vec<Member> {
    let split_outside_quotes = |s: &str, sep: u8| -> Vec<String> {
        let mut parts = Vec::new();
        let mut start = 0;
        let mut quoted = false;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            if b == b'"' {
                quoted = !quoted;
            } else if b == sep && !quoted {
                parts.push(s[start..i].to_string());
                start = i + 1;
            }
        }
        parts.push(s[start..].to_string());
        parts
    };
    split_outside_quotes(s, b',')
        .into_iter()
        .map(|m| {
            let parts = split_outside_quotes(&m, b';');
            let mut parts = parts.iter();
            let item = parts.next().map(|i| i.trim()).unwrap_or("").to_string();
            let params = parts
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, "?1"));
                    (k.trim().to_string(), v.trim().to_string())
                })
                .collect();
            Member { item, params }
        })
        .filter(|m| !m.item.is_empty() || !m.params.is_empty())
        .collect()
}

fn param<'a>(m: &'a Member, key: &str) -> Option<&'a str> {
    m.params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')?.strip_suffix('"')
}

/// `"default";q=100;w=10` (draft-10; `name` may be a token), or `100;w=10` (older drafts).
/// With several policies, the tightest (lowest quota per second) is the one that binds.
fn parse_policy(s: &str) -> Option<Policy> {
    let mut best: Option<(f64, Policy)> = None;
    for m in sf_list(s) {
        let candidate = if let Ok(q) = m.item.parse::<u64>() {
            let w = param(&m, "w").and_then(parse_nonneg_f64).map(secs);
            Policy::Legacy { q, w }
        } else {
            let name = unquote(&m.item).unwrap_or(&m.item);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
                continue;
            }
            let Some(q) = param(&m, "q").and_then(|q| q.parse::<u64>().ok()) else {
                continue;
            };
            let w = param(&m, "w").and_then(parse_nonneg_f64).map(secs);
            Policy::Named {
                name: name.to_string(),
                q,
                w,
            }
        };
        let (q, w) = match &candidate {
            Policy::Named { q, w, .. } | Policy::Legacy { q, w } => (*q, *w),
        };
        let per_sec = q as f64 / w.map(|w| w.as_secs_f64()).unwrap_or(1.0).max(1e-9);
        if best.as_ref().is_none_or(|(b, _)| per_sec < *b) {
            best = Some((per_sec, candidate));
        }
    }
    best.map(|(_, p)| p)
}

enum RateLimitField {
    Named {
        r: Option<u64>,
        t: Option<f64>,
    },
    Legacy {
        limit: Option<u64>,
        remaining: Option<u64>,
        reset: Option<f64>,
    },
}

/// `"default";r=50;t=30` (draft-10), or `limit=100, remaining=50, reset=5` (older drafts).
fn parse_ratelimit(s: &str, policy: Option<&str>) -> Option<RateLimitField> {
    let members = sf_list(s);
    if members.iter().any(|m| m.item.contains('=')) {
        let mut out = (None, None, None);
        for m in &members {
            let (k, v) = m.item.split_once('=')?;
            match k.trim() {
                "limit" => out.0 = Some(v.trim().parse().ok()?),
                "remaining" => out.1 = Some(v.trim().parse().ok()?),
                "reset" => out.2 = Some(parse_nonneg_f64(v)?),
                _ => {}
            }
        }
        if out == (None, None, None) {
            return None;
        }
        return Some(RateLimitField::Legacy {
            limit: out.0,
            remaining: out.1,
            reset: out.2,
        });
    }
    // Prefer the member named like the policy; else the lowest remaining binds.
    let mut best: Option<(Option<u64>, Option<f64>)> = None;
    for m in &members {
        let name = unquote(&m.item).unwrap_or(&m.item);
        let r = match param(m, "r") {
            Some(r) => Some(r.parse::<u64>().ok()?),
            None => None,
        };
        let t = match param(m, "t") {
            Some(t) => Some(parse_nonneg_f64(t)?),
            None => None,
        };
        if r.is_none() && t.is_none() {
            continue;
        }
        if policy == Some(name) {
            return Some(RateLimitField::Named { r, t });
        }
        if best.is_none_or(|(br, _)| r.unwrap_or(u64::MAX) < br.unwrap_or(u64::MAX)) {
            best = Some((r, t));
        }
    }
    best.map(|(r, t)| RateLimitField::Named { r, t })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn view(pairs: &[(&str, &str)]) -> RateLimitView {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        RateLimitView::from_headers(&h, now)
    }

    #[test]
    fn x_ratelimit_with_delta_reset() {
        let v = view(&[
            ("X-RateLimit-Limit", "100"),
            ("X-RateLimit-Remaining", "7"),
            ("X-RateLimit-Reset", "4"),
        ]);
        assert_eq!(v.limit, Some(100));
        assert_eq!(v.remaining, Some(7));
        assert_eq!(v.reset, Some(Duration::from_secs(4)));
        assert_eq!(v.conventions, vec!["x-ratelimit"]);
        assert_eq!(v.remaining_pct(), Some(7.0));
    }

    #[test]
    fn x_ratelimit_reset_as_epoch_seconds_and_millis() {
        let v = view(&[("X-RateLimit-Reset", "1700000012")]);
        assert_eq!(v.reset, Some(Duration::from_secs(12)));
        let v = view(&[("X-RateLimit-Reset", "1700000003500")]);
        assert_eq!(v.reset, Some(Duration::from_millis(3500)));
        // An epoch already past means the window has reset.
        let v = view(&[("X-RateLimit-Reset", "1600000000")]);
        assert_eq!(v.reset, Some(Duration::ZERO));
    }

    #[test]
    fn ietf_draft_10_structured_fields() {
        let v = view(&[
            ("RateLimit-Policy", "\"default\";q=100;w=10"),
            ("RateLimit", "\"default\";r=50;t=30"),
        ]);
        assert_eq!(v.limit, Some(100));
        assert_eq!(v.window, Some(Duration::from_secs(10)));
        assert_eq!(v.remaining, Some(50));
        assert_eq!(v.reset, Some(Duration::from_secs(30)));
        assert_eq!(v.conventions, vec!["ietf"]);
    }

    #[test]
    fn ietf_picks_the_member_named_by_the_tightest_policy() {
        let v = view(&[
            (
                "RateLimit-Policy",
                "\"burst\";q=1000;w=60, \"day\";q=100;w=10",
            ),
            ("RateLimit", "\"burst\";r=900;t=50, \"day\";r=3;t=2"),
        ]);
        assert_eq!(v.limit, Some(100));
        assert_eq!(v.remaining, Some(3));
        assert_eq!(v.reset, Some(Duration::from_secs(2)));
    }

    /// A quoted policy name may hold `;` and `,` (RFC 9651 strings): the structured-field
    /// parser reads it whole, where splitting on `;` took `b"` for a parameter and lost q.
    #[test]
    fn policy_name_with_a_semicolon_inside_quotes() {
        let v = view(&[
            ("RateLimit-Policy", "\"per;key, burst\";q=100;w=10"),
            ("RateLimit", "\"per;key, burst\";r=7;t=3"),
        ]);
        assert_eq!(v.limit, Some(100));
        assert_eq!(v.window, Some(Duration::from_secs(10)));
        assert_eq!(v.remaining, Some(7));
        assert_eq!(v.reset, Some(Duration::from_secs(3)));
        assert_eq!(v.conventions, vec!["ietf"]);
        assert!(v.malformed.is_empty(), "{:?}", v.malformed);
        let members = sf_list_strict("\"a;b\";q=5, tok;w=1.5, (1 2)").unwrap();
        assert_eq!(members.len(), 2, "the inner list is skipped");
        assert_eq!(members[0].item, "\"a;b\"");
        assert_eq!(members[0].params, [("q".to_string(), "5".to_string())]);
        assert_eq!(members[1].item, "tok");
        assert_eq!(
            param(&members[1], "w").and_then(parse_nonneg_f64),
            Some(1.5)
        );
    }

    /// What is not a valid structured field still reads through the lenient path: spaces
    /// around `=` and before `;`, and the older drafts' `limit=100, remaining=50`.
    #[test]
    fn invalid_structured_fields_fall_back_to_the_lenient_reader() {
        let loose = "\"default\" ; q = 100 ; w = 10";
        assert!(sf_list_strict(loose).is_none());
        let v = view(&[
            ("RateLimit-Policy", loose),
            ("RateLimit", "\"default\" ; r = 4 ; t = 2"),
        ]);
        assert_eq!(
            (v.limit, v.window, v.remaining, v.reset),
            (
                Some(100),
                Some(Duration::from_secs(10)),
                Some(4),
                Some(Duration::from_secs(2))
            )
        );
        assert!(sf_list_strict("limit=100, remaining=50").is_none());
        // The lenient reader, too, keeps a quoted `;` inside the name.
        let members = sf_list_lenient("\"a;b\" ; q = 5");
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].item, "\"a;b\"");
        assert_eq!(param(&members[0], "q"), Some("5"));
    }

    #[test]
    fn older_drafts() {
        let v = view(&[
            ("RateLimit-Limit", "100"),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "5"),
            ("RateLimit-Policy", "100;w=10"),
        ]);
        assert_eq!(v.limit, Some(100));
        assert!(v.exhausted());
        assert_eq!(v.reset, Some(Duration::from_secs(5)));
        assert_eq!(v.window, Some(Duration::from_secs(10)));
        assert_eq!(v.conventions, vec!["ietf-legacy"]);
        let v = view(&[("RateLimit", "limit=100, remaining=50, reset=5")]);
        assert_eq!(
            (v.limit, v.remaining, v.reset),
            (Some(100), Some(50), Some(Duration::from_secs(5)))
        );
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let v = view(&[("Retry-After", "3")]);
        assert_eq!(v.retry_after, Some(Duration::from_secs(3)));
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        let v = view(&[("Retry-After", &date)]);
        assert_eq!(v.retry_after, Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(
            view(&[("Retry-After", &past)]).retry_after,
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage_is_noted_and_ignored() {
        let v = view(&[
            ("X-RateLimit-Limit", "lots"),
            ("X-RateLimit-Remaining", "-3"),
            ("X-RateLimit-Reset", "soon"),
            ("RateLimit", "\"default\";r=abc"),
            ("RateLimit-Policy", ";;;"),
            ("Retry-After", "Tuesday-ish"),
        ]);
        assert_eq!(v.limit, None);
        assert_eq!(v.remaining, None);
        assert_eq!(v.reset, None);
        assert_eq!(v.retry_after, None);
        assert_eq!(v.malformed.len(), 6, "{:?}", v.malformed);
        assert!(v.conventions.is_empty());
        assert_eq!(v.headers.len(), 6);
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let v = view(&[
            ("Retry-After", "99999999999999999999"),
            ("X-RateLimit-Reset", "1e300"),
        ]);
        assert!(v.retry_after.is_none() || v.retry_after <= Some(MAX_HEADER_WAIT));
        assert!(v.reset.unwrap() <= MAX_HEADER_WAIT);
    }

    #[test]
    fn no_headers_means_nothing_provided() {
        let v = view(&[("content-type", "application/json")]);
        assert_eq!(v, RateLimitView::default());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::{HeaderName, HeaderValue};

    proptest! {
        /// Any values in any of the headers read: no panic, and every wait stays bounded.
        #[test]
        fn any_header_values_are_safe(
            values in prop::collection::vec((0..NAMES.len(), "[ -~]{0,40}"), 0..12),
            now_s in 0u64..4_000_000_000,
        ) {
            let mut h = HeaderMap::new();
            for (i, v) in &values {
                if let Ok(v) = HeaderValue::from_str(v) {
                    h.append(HeaderName::from_static(NAMES[*i]), v);
                }
            }
            let v = RateLimitView::from_headers(&h, UNIX_EPOCH + Duration::from_secs(now_s));
            for d in [v.reset, v.window, v.retry_after].into_iter().flatten() {
                prop_assert!(d <= MAX_HEADER_WAIT);
            }
            if let Some(p) = v.remaining_pct() {
                prop_assert!(p.is_finite() && p >= 0.0);
            }
        }

        /// A well-formed value always reads back.
        #[test]
        fn well_formed_values_read_back(limit in 1u64..1_000_000, rem in 0u64..1_000_000, reset in 0u64..100_000) {
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-limit", limit.into());
            h.insert("x-ratelimit-remaining", rem.into());
            h.insert("x-ratelimit-reset", reset.into());
            let v = RateLimitView::from_headers(&h, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
            prop_assert_eq!(v.limit, Some(limit));
            prop_assert_eq!(v.remaining, Some(rem));
            prop_assert_eq!(v.reset, Some(Duration::from_secs(reset)));
        }

        #[test]
        fn retry_after_is_bounded(s in "\\PC{0,40}") {
            if let Some(d) = parse_retry_after(&s, SystemTime::now()) {
                prop_assert!(d <= MAX_HEADER_WAIT);
            }
        }
    }
}
