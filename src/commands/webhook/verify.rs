//! Svix webhook verification, exactly as Svix specifies it, with no I/O and the clock passed in.
//!
//! A delivery carries `svix-id`, `svix-timestamp` (Unix seconds) and `svix-signature` (one or more
//! space-separated `v1,<base64>` entries: several while a secret is being rotated, any one
//! matching suffices). The signature is HMAC-SHA256, keyed with the base64-decoded part of the
//! secret after `whsec_`, over `{id}.{timestamp}.{body}`. A timestamp more than five minutes away
//! from now, either way, is refused: together with remembering ids (see `replay`), that is what
//! stops a captured delivery from being played again later.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a delivery's timestamp may be from our clock, either way (Svix's own tolerance).
pub const TOLERANCE_SECS: i64 = 5 * 60;
/// The most `v1,` entries one signature header may carry that we try (Svix sends one per active
/// secret, so a handful at most); the rest are ignored, bounding the work a forged header costs.
const MAX_SIGNATURES: usize = 16;
/// The longest `svix-id` accepted (Svix's are `msg_` and 27 characters); it becomes part of a
/// Redis key and of log lines.
const MAX_ID_LEN: usize = 128;

/// Padding is optional in secrets and signatures pasted around by people.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A Svix endpoint's signing secret (`whsec_…`). `Debug` shows only its masked form.
#[derive(Clone)]
pub struct SigningSecret {
    key: Vec<u8>,
    masked: String,
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningSecret({})", self.masked)
    }
}

impl SigningSecret {
    /// `whsec_` followed by base64, as Clerk's dashboard shows it. The prefix is required (Svix's
    /// libraries would also take bare base64): it catches pasting the wrong value, such as the
    /// Clerk secret key, which would otherwise fail only as "every signature mismatches". The
    /// error never repeats the value.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        let Some(b64) = raw.strip_prefix("whsec_") else {
            return Err("does not start with whsec_ (copy it from the endpoint's page in the Clerk Dashboard)".into());
        };
        let key = LENIENT
            .decode(b64)
            .map_err(|_| "is not whsec_ followed by base64".to_string())?;
        // Svix generates 24 to 64 random bytes; fewer than 16 is not a real secret.
        if key.len() < 16 {
            return Err("is too short to be a Svix signing secret".into());
        }
        let tail: String = raw
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Ok(SigningSecret {
            key,
            masked: format!("whsec_…{tail}"),
        })
    }

    /// `whsec_…abcd`: enough to tell two secrets apart in a log, nothing to sign with.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `v1,<base64>` signature Svix would send (the unit tests sign with it; the server
    /// only verifies).
    #[cfg(test)]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag)
        )
    }
}

/// The three Svix headers as they came, `None` when absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    pub id: Option<&'a [u8]>,
    pub timestamp: Option<&'a [u8]>,
    pub signature: Option<&'a [u8]>,
}

/// A delivery that passed: its id and timestamp can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<'a> {
    pub id: &'a str,
    pub timestamp: i64,
}

/// Why a delivery was refused (answered 400). The text is safe to log: it never quotes a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("svix-timestamp is not Unix seconds")]
    BadTimestamp,
    #[error("timestamp {0}s in the past (more than 5 minutes)")]
    TooOld(i64),
    #[error("timestamp {0}s in the future (more than 5 minutes)")]
    TooNew(i64),
    #[error("svix-signature holds no v1 signature")]
    NoSignature,
    #[error("signature does not match")]
    Mismatch,
    #[error("svix-id is not an id")]
    BadId,
}

/// Verify a delivery received at `now` (Unix seconds). Checks run cheapest first, and the
/// signature before anything is concluded from the id.
pub fn verify<'a>(
    secret: &SigningSecret,
    headers: Headers<'a>,
    body: &[u8],
    now: i64,
) -> Result<Verified<'a>, Rejection> {
    let id = headers.id.ok_or(Rejection::MissingHeader("svix-id"))?;
    let ts = headers
        .timestamp
        .ok_or(Rejection::MissingHeader("svix-timestamp"))?;
    let sig = headers
        .signature
        .ok_or(Rejection::MissingHeader("svix-signature"))?;
    let id = std::str::from_utf8(id).map_err(|_| Rejection::BadId)?;
    if id.is_empty() {
        return Err(Rejection::MissingHeader("svix-id"));
    }
    let timestamp = parse_timestamp(ts)?;
    let age = now.saturating_sub(timestamp);
    if age > TOLERANCE_SECS {
        return Err(Rejection::TooOld(age));
    }
    if -age > TOLERANCE_SECS {
        return Err(Rejection::TooNew(-age));
    }
    let candidates: Vec<Vec<u8>> = sig
        .split(|b| *b == b' ')
        .filter_map(|entry| entry.strip_prefix(b"v1,"))
        .take(MAX_SIGNATURES)
        .filter_map(|b64| general_purpose::STANDARD.decode(b64).ok())
        .collect();
    if candidates.is_empty() {
        return Err(Rejection::NoSignature);
    }
    let mac = secret.mac(id, timestamp, body);
    // verify_slice compares in constant time; which entry matched is no secret.
    if !candidates
        .iter()
        .any(|c| mac.clone().verify_slice(c).is_ok())
    {
        return Err(Rejection::Mismatch);
    }
    // Signed, so from Svix; still checked, since it goes into a Redis key and the log.
    if id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Rejection::BadId);
    }
    Ok(Verified { id, timestamp })
}

/// Unix seconds, digits only (Svix signs the integer as it formats it, so `+5` or `05` would
/// never match anyway).
fn parse_timestamp(raw: &[u8]) -> Result<i64, Rejection> {
    if raw.is_empty() || raw.len() > 18 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(Rejection::BadTimestamp);
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(Rejection::BadTimestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Svix's published test vector (docs.svix.com, and the Standard Webhooks specification); the
    // npm `svix` library signs it to the same value.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secret() -> SigningSecret {
        SigningSecret::parse(SECRET).unwrap()
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
        Headers {
            id: Some(id.as_bytes()),
            timestamp: Some(ts.as_bytes()),
            signature: Some(sig.as_bytes()),
        }
    }

    fn check(h: Headers<'_>, body: &[u8], now: i64) -> Result<(), Rejection> {
        verify(&secret(), h, body, now).map(|_| ())
    }

    #[test]
    fn signs_svix_test_vector() {
        assert_eq!(secret().sign(ID, TS, BODY), SIG);
    }

    #[test]
    fn accepts_svix_test_vector() {
        let v = verify(&secret(), headers(ID, "1614265330", SIG), BODY, TS).unwrap();
        assert_eq!(
            v,
            Verified {
                id: ID,
                timestamp: TS
            }
        );
    }

    #[test]
    fn any_one_of_several_signatures_suffices() {
        let other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        for sig in [
            format!("{other} {SIG}"),
            format!("{SIG} {other}"),
            format!("v1a,xyz v2,abc {SIG}"),
            format!("v1,not*base64 {SIG}"),
        ] {
            assert_eq!(
                check(headers(ID, "1614265330", &sig), BODY, TS),
                Ok(()),
                "{sig}"
            );
        }
    }

    #[test]
    fn tampered_body_id_or_timestamp_is_refused() {
        let ts = TS.to_string();
        assert_eq!(
            check(headers(ID, &ts, SIG), br#"{"test": 2432232315}"#, TS),
            Err(Rejection::Mismatch)
        );
        assert_eq!(
            check(headers("msg_other", &ts, SIG), BODY, TS),
            Err(Rejection::Mismatch)
        );
        assert_eq!(
            check(headers(ID, "1614265331", SIG), BODY, TS),
            Err(Rejection::Mismatch)
        );
    }

    #[test]
    fn wrong_secret_is_refused() {
        let other = SigningSecret::parse("whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=").unwrap();
        let ts = TS.to_string();
        assert_eq!(
            verify(&other, headers(ID, &ts, SIG), BODY, TS),
            Err(Rejection::Mismatch)
        );
    }

    #[test]
    fn five_minutes_either_way_and_not_a_second_more() {
        let ts = TS.to_string();
        let h = headers(ID, &ts, SIG);
        assert_eq!(check(h, BODY, TS + 300), Ok(()));
        assert_eq!(check(h, BODY, TS - 300), Ok(()));
        assert_eq!(check(h, BODY, TS + 301), Err(Rejection::TooOld(301)));
        assert_eq!(check(h, BODY, TS - 301), Err(Rejection::TooNew(301)));
        assert_eq!(check(h, BODY, 0), Err(Rejection::TooNew(TS)));
        assert_eq!(
            check(h, BODY, i64::MAX),
            Err(Rejection::TooOld(i64::MAX - TS))
        );
    }

    #[test]
    fn stale_timestamp_is_refused_even_when_correctly_signed() {
        let s = secret();
        let old = TS - 3600;
        let sig = s.sign(ID, old, BODY);
        assert_eq!(
            check(headers(ID, &old.to_string(), &sig), BODY, TS),
            Err(Rejection::TooOld(3600))
        );
    }

    #[test]
    fn missing_or_malformed_headers() {
        let ts = TS.to_string();
        let full = headers(ID, &ts, SIG);
        assert_eq!(
            check(Headers { id: None, ..full }, BODY, TS),
            Err(Rejection::MissingHeader("svix-id"))
        );
        assert_eq!(
            check(
                Headers {
                    timestamp: None,
                    ..full
                },
                BODY,
                TS
            ),
            Err(Rejection::MissingHeader("svix-timestamp"))
        );
        assert_eq!(
            check(
                Headers {
                    signature: None,
                    ..full
                },
                BODY,
                TS
            ),
            Err(Rejection::MissingHeader("svix-signature"))
        );
        assert_eq!(
            check(headers("", &ts, SIG), BODY, TS),
            Err(Rejection::MissingHeader("svix-id"))
        );
        for bad in [
            "",
            "-1614265330",
            "+1614265330",
            "1614265330.5",
            "16142653e3",
            "99999999999999999999",
        ] {
            assert_eq!(
                check(headers(ID, bad, SIG), BODY, TS),
                Err(Rejection::BadTimestamp),
                "{bad}"
            );
        }
        for bad in [
            "",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v2,abc",
            "v1,***",
        ] {
            assert_eq!(
                check(headers(ID, &ts, bad), BODY, TS),
                Err(Rejection::NoSignature),
                "{bad}"
            );
        }
    }

    #[test]
    fn signed_ids_unfit_for_keys_and_logs_are_refused() {
        let s = secret();
        for id in ["msg with space", "msg\nX", &"m".repeat(200)] {
            let sig = s.sign(id, TS, BODY);
            assert_eq!(
                check(headers(id, &TS.to_string(), &sig), BODY, TS),
                Err(Rejection::BadId),
                "{id:?}"
            );
        }
    }

    #[test]
    fn secrets_must_be_whsec_base64_and_are_never_shown() {
        let s = secret();
        assert_eq!(s.masked(), "whsec_…LaSw");
        assert!(!format!("{s:?}").contains("MfKQ9r8"));
        assert!(SigningSecret::parse("  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").is_ok());
        for bad in [
            "",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "sk_test_abcdefghijklmnopqrstuvwxyz",
            "whsec_",
            "whsec_not base64!",
            "whsec_c2hvcnQ=",
        ] {
            let e = SigningSecret::parse(bad).unwrap_err();
            assert!(bad.len() < 8 || !e.contains(&bad[6..]), "{e}");
        }
    }
}
