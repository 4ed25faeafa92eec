//! Injected failures: `--faults 500:0.05,503:0.02,reset:0.01,truncate:0.01,slow=2s:0.01`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::pacing::budget::parse_duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status and a ClerkErrors body.
    Status(u16),
    /// Close the connection without any response.
    Reset,
    /// Let the handler act (a create commits), then close the connection without its answer:
    /// the client cannot know whether the write happened.
    ResetAfter,
    /// Declare the full Content-Length, send half the body, then close.
    Truncate,
    /// Answer normally after this delay.
    Slow(Duration),
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Status(s) => write!(f, "{s}"),
            FaultKind::Reset => f.write_str("reset"),
            FaultKind::ResetAfter => f.write_str("reset-after"),
            FaultKind::Truncate => f.write_str("truncate"),
            FaultKind::Slow(d) => write!(f, "slow={}", humantime::format_duration(*d)),
        }
    }
}

/// A parsed `--faults` value: each kind with the share of requests it hits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub faults: Vec<(FaultKind, f64)>,
}

impl FaultSpec {
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .faults
            .iter()
            .map(|(k, p)| format!("{k}:{p}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

const EXAMPLE: &str = "for example 500:0.05,503:0.02,reset:0.01,truncate:0.01,slow=2s:0.01";

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut faults = Vec::new();
        for part in s.split(',').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let (kind, share) = part
                .rsplit_once(':')
                .ok_or_else(|| format!("fault {part:?} is not KIND:SHARE ({EXAMPLE})"))?;
            let share: f64 = share
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| {
                    format!("fault {part:?}: share {share:?} is not a number from 0 to 1")
                })?;
            let kind = kind.trim();
            let kind = if kind == "reset" {
                FaultKind::Reset
            } else if kind == "reset-after" {
                FaultKind::ResetAfter
            } else if kind == "truncate" {
                FaultKind::Truncate
            } else if let Some(d) = kind.strip_prefix("slow=") {
                FaultKind::Slow(parse_duration(d).map_err(|e| format!("fault {part:?}: {e}"))?)
            } else if kind == "slow" {
                return Err(format!(
                    "fault {part:?}: slow needs a delay, as in slow=2s:0.01"
                ));
            } else {
                match kind.parse::<u16>() {
                    Ok(code) if (400..=599).contains(&code) => FaultKind::Status(code),
                    Ok(_) => {
                        return Err(format!(
                            "fault {part:?}: status {kind} is not an error status (400 to 599)"
                        ));
                    }
                    Err(_) => {
                        return Err(format!(
                            "fault {part:?}: unknown kind {kind:?} (a status such as 500, reset, reset-after, truncate or slow=DURATION)"
                        ));
                    }
                }
            };
            faults.push((kind, share));
        }
        let total: f64 = faults.iter().map(|(_, p)| p).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!(
                "faults {s:?}: the shares add up to {total}, more than 1"
            ));
        }
        Ok(FaultSpec { faults })
    }
}

/// clap value parser for `--faults`.
pub fn faults_arg(s: &str) -> Result<FaultSpec, String> {
    s.parse()
}

/// Draws faults from a seeded stream, so a run with the same seed and the same request order
/// meets the same faults.
#[derive(Debug)]
pub struct FaultDraw {
    spec: FaultSpec,
    rng: ChaCha8Rng,
    remaining: Option<u64>,
}

impl FaultDraw {
    pub fn new(spec: FaultSpec, seed: u64, max: Option<u64>) -> Self {
        FaultDraw {
            spec,
            rng: ChaCha8Rng::seed_from_u64(seed),
            remaining: max,
        }
    }

    /// The fault for the next request, if any.
    pub fn draw(&mut self) -> Option<FaultKind> {
        if self.spec.is_empty() || self.remaining == Some(0) {
            return None;
        }
        let u: f64 = self.rng.random();
        let mut acc = 0.0;
        for &(kind, p) in &self.spec.faults {
            acc += p;
            // `p == 1.0` must hit every time, whatever rounding did to `acc`.
            if u < acc || p >= 1.0 {
                if let Some(r) = self.remaining.as_mut() {
                    *r -= 1;
                }
                return Some(kind);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let s: FaultSpec = "500:0.05, 503:0.02,reset:0.01,truncate:0.01,slow=2s:0.01,429:0"
            .parse()
            .unwrap();
        assert_eq!(
            s.faults,
            [
                (FaultKind::Status(500), 0.05),
                (FaultKind::Status(503), 0.02),
                (FaultKind::Reset, 0.01),
                (FaultKind::Truncate, 0.01),
                (FaultKind::Slow(Duration::from_secs(2)), 0.01),
                (FaultKind::Status(429), 0.0),
            ]
        );
        assert_eq!(
            s.to_string(),
            "500:0.05,503:0.02,reset:0.01,truncate:0.01,slow=2s:0.01,429:0"
        );
        assert!("".parse::<FaultSpec>().unwrap().is_empty());
    }

    #[test]
    fn reset_after_parses_and_prints() {
        let s: FaultSpec = "reset-after:0.03,503:0.02".parse().unwrap();
        assert_eq!(
            s.faults,
            [
                (FaultKind::ResetAfter, 0.03),
                (FaultKind::Status(503), 0.02)
            ]
        );
        assert_eq!(s.to_string(), "reset-after:0.03,503:0.02");
    }

    #[test]
    fn bad_specs_name_the_bad_part() {
        for (bad, why) in [
            ("500", "\"500\" is not KIND:SHARE"),
            ("500:x", "share \"x\""),
            ("500:1.5", "from 0 to 1"),
            ("200:0.1", "not an error status"),
            ("teapot:0.1", "unknown kind \"teapot\""),
            ("slow:0.1", "slow needs a delay"),
            ("slow=fast:0.1", "\"slow=fast:0.1\""),
            ("500:0.6,503:0.6", "more than 1"),
        ] {
            let e = bad.parse::<FaultSpec>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn draws_are_seeded_and_near_their_shares() {
        let spec: FaultSpec = "500:0.1,reset:0.2".parse().unwrap();
        let run = |seed| {
            let mut d = FaultDraw::new(spec.clone(), seed, None);
            (0..10_000).map(|_| d.draw()).collect::<Vec<_>>()
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        let n500 = a
            .iter()
            .filter(|f| **f == Some(FaultKind::Status(500)))
            .count();
        let nreset = a.iter().filter(|f| **f == Some(FaultKind::Reset)).count();
        assert!((800..1200).contains(&n500), "{n500}");
        assert!((1700..2300).contains(&nreset), "{nreset}");
    }

    #[test]
    fn certain_faults_always_hit_and_max_caps_them() {
        let spec: FaultSpec = "truncate:1".parse().unwrap();
        let mut d = FaultDraw::new(spec, 3, Some(2));
        assert_eq!(d.draw(), Some(FaultKind::Truncate));
        assert_eq!(d.draw(), Some(FaultKind::Truncate));
        assert_eq!(d.draw(), None);
    }
}
