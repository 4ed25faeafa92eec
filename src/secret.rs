//! The secret key: where it comes from, how it is shown, where it may be sent.
//!
//! It is read from `CLERK_SECRET_KEY` or `--secret-key-file` (never a flag), kept in a type whose
//! `Debug` masks it, and sent only over https or to a loopback address.

use std::fmt;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

use reqwest::Url;

use crate::error::{Exit, fail};

pub const ENV_KEY: &str = "CLERK_SECRET_KEY";
/// The webhook signing secret's variable: read by `webhook serve`, shown (present or not, never
/// its value) by `config show`, so it lives below both.
pub const ENV_SIGNING_SECRET: &str = "CLERK_WEBHOOK_SIGNING_SECRET";

#[derive(Clone)]
pub struct SecretKey(String);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.masked())
    }
}

impl SecretKey {
    /// Validate a key read from somewhere: no spaces or control characters (they would let a
    /// bad file inject headers), not empty.
    pub fn new(raw: &str, source: &str) -> anyhow::Result<Self> {
        let key = unwrap_key(raw);
        if key.is_empty() {
            return Err(fail(
                Exit::Usage,
                format!("the secret key from {source} is empty"),
            ));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(
                Exit::Usage,
                format!("the secret key from {source} contains spaces or control characters"),
            ));
        }
        if key.starts_with("pk_") {
            return Err(fail(
                Exit::Usage,
                format!(
                    "the key from {source} is a publishable key (pk_…), meant for browsers: the Backend API needs the secret key (sk_test_… or sk_live_…) from the dashboard's API keys page"
                ),
            ));
        }
        Ok(SecretKey(key.to_string()))
    }

    /// The key itself, for the Authorization header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk_live_…abcd`: the prefix tells the instance, the last four tell keys apart.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    /// A stable, non-reversible id of the instance, for namespacing caches and budgets.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(format!("clerk-rl:{}", self.0).as_bytes());
        hex::encode(&d[..8])
    }
}

/// The key inside what was read: without a byte-order mark (Windows editors add one), and taken
/// out of a `.env`-style line (`CLERK_SECRET_KEY=sk_…`, `export CLERK_SECRET_KEY="sk_…"`). Clerk's
/// keys are base62, so an `=` is never part of one.
fn unwrap_key(raw: &str) -> &str {
    let mut t = raw.trim().trim_start_matches('\u{feff}').trim();
    if let Some(rest) = t.strip_prefix("export ") {
        t = rest.trim_start();
    }
    if let Some((name, value)) = t.split_once('=')
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        t = value.trim();
    }
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            t = &t[1..t.len() - 1];
        }
    }
    t
}

pub fn mask(key: &str) -> String {
    let prefix = ["sk_live_", "sk_test_"]
        .iter()
        .find(|p| key.starts_with(**p))
        .copied()
        .unwrap_or("");
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < prefix.len() + 12 {
        return format!("{prefix}…");
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
}

/// Find the key: `--secret-key-file` first (explicit), then the environment.
pub fn load(file: Option<&Path>, env: Option<String>) -> anyhow::Result<(SecretKey, Vec<String>)> {
    let mut warnings = Vec::new();
    if let Some(path) = file {
        let first = read_secret_file(path, "--secret-key-file", &mut warnings)?;
        return Ok((SecretKey::new(&first, "--secret-key-file")?, warnings));
    }
    match env {
        Some(v) => Ok((SecretKey::new(&v, ENV_KEY)?, warnings)),
        None => Err(fail(
            Exit::Usage,
            format!(
                "no secret key: set {ENV_KEY}, or pass --secret-key-file PATH ('-' for stdin), or try --sandbox"
            ),
        )),
    }
}

/// The first line of a file holding a secret given with `flag` ('-' reads stdin). A file other
/// users may read adds a warning; an unreadable one is a usage error. The content is never shown.
pub fn read_secret_file(
    path: &Path,
    flag: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<String> {
    let raw = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| fail(Exit::Usage, format!("cannot read {flag} from stdin: {e}")))?;
        s
    } else {
        let meta = std::fs::metadata(path).map_err(|e| {
            fail(
                Exit::Usage,
                format!("cannot read {flag} {}: {e}", path.display()),
            )
        })?;
        if meta.is_dir() {
            return Err(fail(
                Exit::Usage,
                format!("{flag} {} is a folder, not a file", path.display()),
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                warnings.push(format!(
                    "{} is readable by other users; chmod 600 it",
                    path.display()
                ));
            }
        }
        std::fs::read_to_string(path).map_err(|e| {
            fail(
                Exit::Usage,
                format!("cannot read {flag} {}: {e}", path.display()),
            )
        })?
    };
    Ok(raw.lines().next().unwrap_or("").to_string())
}

/// Parse `--api-url` and check the key may be sent there: https anywhere, plain http only to a
/// loopback address. A trailing `/v1` is dropped (the core adds it).
pub fn api_base(raw: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| fail(Exit::Usage, format!("--api-url {raw:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&url) {
                return Err(fail(
                    Exit::Usage,
                    format!(
                        "refusing to send the secret key over plain http to {}; use https (http is allowed only to a loopback address)",
                        url.host_str().unwrap_or("?")
                    ),
                ));
            }
        }
        other => {
            return Err(fail(
                Exit::Usage,
                format!("--api-url must be https:// (or http:// to loopback), not {other}://"),
            ));
        }
    }
    if url.host_str().is_none() {
        return Err(fail(Exit::Usage, format!("--api-url {raw:?} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail(Exit::Usage, "--api-url must not carry credentials"));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_string();
    let path = path.strip_suffix("/v1").unwrap_or(&path).to_string();
    url.set_path(&format!("{path}/"));
    Ok(url)
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_prefix_and_last_four() {
        assert_eq!(mask("sk_live_abcdefghijklmnopWXYZ"), "sk_live_…WXYZ");
        assert_eq!(mask("sk_test_abcdefghijklmnop1234"), "sk_test_…1234");
        assert_eq!(mask("sk_test_short"), "sk_test_…");
        assert_eq!(mask("weird"), "…");
        let k = SecretKey::new("sk_test_abcdefghijklmnop1234", "t").unwrap();
        assert!(!format!("{k:?}").contains("abcdefgh"));
    }

    #[test]
    fn a_bom_or_an_env_line_around_the_key_is_read_through() {
        let k = "sk_test_abcdefghijklmnop1234";
        for raw in [
            format!("\u{feff}{k}"),
            format!("\u{feff}{k}\r\n"),
            format!("CLERK_SECRET_KEY={k}"),
            format!("export CLERK_SECRET_KEY=\"{k}\""),
            format!("CLERK_SECRET_KEY='{k}'\n"),
        ] {
            assert_eq!(SecretKey::new(&raw, "test").unwrap().expose(), k, "{raw:?}");
        }
    }

    #[test]
    fn a_publishable_key_is_named_as_such() {
        for raw in [
            "pk_test_abcdefghijklmnop1234",
            "CLERK_PUBLISHABLE_KEY=pk_live_abcdefgh12345",
        ] {
            let e = SecretKey::new(raw, "--secret-key-file")
                .unwrap_err()
                .to_string();
            assert!(e.contains("publishable key"), "{e}");
            assert!(!e.contains("abcdefgh"), "the key is never shown: {e}");
        }
    }

    #[test]
    fn keys_with_spaces_or_newlines_inside_are_refused() {
        assert!(SecretKey::new("sk_test_a b", "t").is_err());
        assert!(SecretKey::new("sk_test_a\r\nX-Evil: 1", "t").is_err());
        assert!(SecretKey::new("   ", "t").is_err());
        assert_eq!(
            SecretKey::new(" sk_test_x\n", "t").unwrap().expose(),
            "sk_test_x"
        );
    }

    #[test]
    fn api_url_rules() {
        assert_eq!(
            api_base("https://api.clerk.com").unwrap().as_str(),
            "https://api.clerk.com/"
        );
        assert_eq!(
            api_base("https://api.clerk.com/v1/").unwrap().as_str(),
            "https://api.clerk.com/"
        );
        assert_eq!(
            api_base("http://127.0.0.1:9/v1").unwrap().as_str(),
            "http://127.0.0.1:9/"
        );
        assert_eq!(
            api_base("http://[::1]:9").unwrap().as_str(),
            "http://[::1]:9/"
        );
        assert_eq!(
            api_base("http://localhost:9/proxy").unwrap().as_str(),
            "http://localhost:9/proxy/"
        );
        for bad in [
            "http://api.clerk.com",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
            "https://u:p@x.com",
        ] {
            assert!(api_base(bad).is_err(), "{bad}");
        }
        let e = api_base("http://example.com").unwrap_err().to_string();
        assert!(e.contains("refusing"), "{e}");
    }
}
