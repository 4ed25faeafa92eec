//! The filters `GET /v1/users` takes, as Clerk's Backend API spec (2026-05-12) defines them, and
//! the check every `--filter KEY=VALUE` passes before a request is sent.
//!
//! Clerk ignores a query parameter it does not know, so a misspelt filter (`baned=false`) would
//! silently export the whole user base: names are checked here against the spec's list, with the
//! nearest one suggested. Date filters take Unix milliseconds as the API does, or an RFC 3339
//! date (`2024-10-29`, midnight UTC) or date-time (`2024-10-29T12:00:00Z`, `…+02:00`), which are
//! turned into milliseconds here so the server (and a checkpoint) only ever sees milliseconds.

pub use crate::spec::USER_LIST_FILTERS;

/// The paging parameters the spec also defines for `GET /v1/users`: a command that pages sets
/// them itself, so they are not filters.
pub const USER_LIST_PAGING: &[&str] = &["limit", "offset", "starting_after", "order_by"];

/// The filters the spec types as arrays: repeating one asks for any of the values (up to 100).
pub const USER_LIST_REPEATABLE: &[&str] = &[
    "email_address",
    "phone_number",
    "external_id",
    "username",
    "web3_wallet",
    "user_id",
    "organization_id",
];

/// Refuse a filter given twice that takes one value: one of the two would be dropped silently
/// (the last wins, or the server picks), so the export would not be what either asked for.
pub fn check_repeats(filters: &[(String, String)]) -> Result<(), String> {
    for (i, (k, v)) in filters.iter().enumerate() {
        if USER_LIST_REPEATABLE.contains(&k.as_str()) {
            continue;
        }
        if let Some((_, first)) = filters[..i].iter().find(|(k2, _)| k2 == k) {
            return Err(format!(
                "--filter {k} is given twice ({k}={first} and {k}={v}); it takes one value: keep one"
            ));
        }
    }
    Ok(())
}

/// The filters whose value is a time (Unix milliseconds in the API).
const DATE_FILTERS: &[&str] = &[
    "last_active_at_before",
    "last_active_at_after",
    "last_active_at_since",
    "created_at_before",
    "created_at_after",
    "last_sign_in_at_before",
    "last_sign_in_at_after",
];

/// Check one filter and return it as the server is to receive it (dates in milliseconds).
/// The error is one line naming the problem, and the nearest filter for an unknown name.
pub fn check_filter(key: &str, value: &str) -> Result<(String, String), String> {
    if USER_LIST_PAGING.contains(&key) {
        return Err(format!(
            "'{key}' is a paging parameter, set by export-users itself, not a filter"
        ));
    }
    if !USER_LIST_FILTERS.contains(&key) {
        return Err(match nearest(key) {
            Some(n) => format!("unknown filter '{key}'; did you mean '{n}'?"),
            None => format!(
                "unknown filter '{key}'; GET /v1/users takes {}",
                USER_LIST_FILTERS.join(", ")
            ),
        });
    }
    if key == "banned" && value != "true" && value != "false" {
        return Err(format!("banned={value}: expected true or false"));
    }
    if DATE_FILTERS.contains(&key) {
        let ms = parse_time_ms(value).map_err(|e| format!("{key}={value}: {e}"))?;
        return Ok((key.to_string(), ms.to_string()));
    }
    Ok((key.to_string(), value.to_string()))
}

/// The known filter closest to a misspelt one: by edit distance (at most a third of the name,
/// and at least 2), else the shortest filter that starts with it (`email` → `email_address`).
fn nearest(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    let allowed = (key.chars().count() / 3).max(2);
    let by_distance = USER_LIST_FILTERS
        .iter()
        .map(|f| (strsim::levenshtein(&key, f), *f))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f);
    by_distance.or_else(|| {
        USER_LIST_FILTERS
            .iter()
            .filter(|f| key.len() >= 3 && f.starts_with(key.as_str()))
            .min_by_key(|f| f.len())
            .copied()
    })
}

/// Unix milliseconds, an RFC 3339 date (midnight UTC) or an RFC 3339 date-time with `Z` or an
/// offset (a space or `t` may stand for the `T`; fractions beyond milliseconds are cut).
pub fn parse_time_ms(s: &str) -> Result<i64, String> {
    const HINT: &str = "expected Unix milliseconds (1700000000000), a date (2023-11-14) or a \
                        date-time (2023-11-14T22:13:20Z, 2023-11-14T23:13:20+01:00)";
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let date = (b.len() >= 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Some((num(0..4)?, num(5..7)?, num(8..10)?)))
        .flatten();
    let Some((y, mo, d)) = date else {
        return Err(HINT.into());
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(format!("{s:?} is not a calendar date"));
    }
    let day_ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Ok(day_ms);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return Err(HINT.into());
    }
    let (Some(h), Some(mi), Some(sec)) = (num(11..13), num(14..16), num(17..19)) else {
        return Err(HINT.into());
    };
    // 60 is a leap second, counted as the next second's start as Unix time does.
    if h > 23 || mi > 59 || sec > 60 {
        return Err(format!("{s:?} is not a time of day"));
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0;
    if let Some(f) = rest.strip_prefix('.') {
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(HINT.into());
        }
        let first3 = format!("{:0<3}", &f[..digits.min(3)]);
        frac_ms = first3.parse::<i64>().map_err(|_| HINT.to_string())?;
        rest = &f[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let two = |r: std::ops::Range<usize>| {
                rest.get(r)
                    .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
                    .and_then(|p| p.parse::<i64>().ok())
                    .ok_or_else(|| HINT.to_string())
            };
            let (oh, om) = (two(1..3)?, two(4..6)?);
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 60 + om)
        }
        "" => {
            return Err(format!(
                "{s:?} has no time zone: add Z (UTC) or an offset such as +02:00"
            ));
        }
        _ => return Err(HINT.into()),
    };
    Ok(day_ms + ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + frac_ms)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_filters_are_refused_with_the_nearest_name() {
        for (typo, want) in [
            ("baned", "banned"),
            ("Banned", "banned"),
            ("email", "email_address"),
            ("usernme", "username"),
            ("created_after", "created_at_after"),
            ("created_at_afer", "created_at_after"),
            ("last_signin_at_after", "last_sign_in_at_after"),
        ] {
            let e = check_filter(typo, "x").unwrap_err();
            assert_eq!(
                e,
                format!("unknown filter '{typo}'; did you mean '{want}'?")
            );
        }
        let e = check_filter("zzz", "1").unwrap_err();
        assert!(e.starts_with("unknown filter 'zzz'; GET /v1/users takes email_address,"));
        assert!(check_filter("limit", "5").unwrap_err().contains("paging"));
    }

    #[test]
    fn every_spec_filter_passes_and_banned_is_a_boolean() {
        for f in USER_LIST_FILTERS {
            let v = if *f == "banned" {
                "true"
            } else {
                "1700000000000"
            };
            assert_eq!(check_filter(f, v).unwrap(), (f.to_string(), v.to_string()));
        }
        assert!(check_filter("banned", "yes").is_err());
        assert_eq!(
            check_filter("query", "smith").unwrap().1,
            "smith",
            "text filters pass as given"
        );
    }

    #[test]
    fn dates_and_date_times_become_milliseconds() {
        for (input, ms) in [
            ("1700000000000", 1_700_000_000_000),
            ("-5", -5),
            ("1970-01-01", 0),
            ("2023-11-14", 1_699_920_000_000),
            ("2023-11-14T22:13:20Z", 1_700_000_000_000),
            ("2023-11-14t22:13:20z", 1_700_000_000_000),
            ("2023-11-14 22:13:20Z", 1_700_000_000_000),
            ("2023-11-14T23:13:20+01:00", 1_700_000_000_000),
            ("2023-11-14T20:43:20-01:30", 1_700_000_000_000),
            ("2023-11-14T22:13:20.123Z", 1_700_000_000_123),
            ("2023-11-14T22:13:20.1Z", 1_700_000_000_100),
            ("2023-11-14T22:13:20.123456789Z", 1_700_000_000_123),
            ("2024-02-29", 1_709_164_800_000),
            ("2000-03-01", 951_868_800_000),
            ("1969-12-31", -86_400_000),
        ] {
            assert_eq!(parse_time_ms(input), Ok(ms), "{input}");
        }
        assert_eq!(
            check_filter("created_at_after", "2023-11-14T22:13:20Z").unwrap(),
            ("created_at_after".to_string(), "1700000000000".to_string())
        );
    }

    #[test]
    fn bad_dates_are_refused_in_one_line() {
        for bad in [
            "yesterday",
            "2023-13-01",
            "2023-02-29",
            "2023-11-31",
            "2023-11-14T22:13:20",
            "2023-11-14T25:00:00Z",
            "2023-11-14T22:13Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20+0100",
            "2023/11/14",
            "23-11-14",
            "",
        ] {
            let e = parse_time_ms(bad).unwrap_err();
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
        assert!(
            parse_time_ms("2023-11-14T22:13:20")
                .unwrap_err()
                .contains("no time zone")
        );
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(s in "\\PC{0,40}") {
            let _ = parse_time_ms(&s);
            let _ = check_filter(&s, &s);
        }

        #[test]
        fn a_millisecond_round_trips_through_its_rfc3339_form(ms in -62_000_000_000_000i64..253_000_000_000_000) {
            let days = ms.div_euclid(86_400_000);
            let in_day = ms.rem_euclid(86_400_000);
            // civil_from_days, the inverse of days_from_civil
            let z = days + 719_468;
            let era = z.div_euclid(146_097);
            let doe = z - era * 146_097;
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            let mp = (5 * doy + 2) / 153;
            let d = doy - (153 * mp + 2) / 5 + 1;
            let m = if mp < 10 { mp + 3 } else { mp - 9 };
            let y = yoe + era * 400 + i64::from(m <= 2);
            proptest::prop_assume!((1..=9999).contains(&y));
            let text = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                in_day / 3_600_000,
                in_day / 60_000 % 60,
                in_day / 1000 % 60,
                in_day % 1000
            );
            proptest::prop_assert_eq!(parse_time_ms(&text), Ok(ms), "{}", text);
        }
    }
}

#[cfg(test)]
mod repeat_tests {
    use super::*;

    #[test]
    fn a_one_value_filter_twice_is_refused_an_array_filter_repeats() {
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let e = check_repeats(&f(&[
            ("banned", "true"),
            ("query", "a"),
            ("banned", "false"),
        ]))
        .unwrap_err();
        assert!(e.contains("banned=true and banned=false"), "{e}");
        assert!(check_repeats(&f(&[("user_id", "user_a"), ("user_id", "user_b")])).is_ok());
    }
}
