//! The flags of `clerk-rl probe`.

use super::*;

pub(crate) const PROBE_AFTER_HELP: &str = "\
probe provokes 429s on purpose: it sends unpaced requests (GET only) until the server refuses,
then watches how capacity comes back. It announces the most requests and time it will spend
before starting, stays within --max-requests and --max-duration (default 3x the limit to find),
and refuses a production key (sk_live_) without --allow-production; with one, it sends nothing
during a Retry-After wait (--sample-during-waits to sample anyway). Ctrl-C stops at once and
prints the report so far (exit 130).

Modes:
  burst      back-to-back until the first 429, then sparse requests to time the recovery:
             the burst, the limit N per window W, and the algorithm (fixed window, sliding
             window, token bucket) with its evidence. It keeps enough in flight to send twice
             the limit to find (--expect, else the key's documented limit) over the measured
             round trip, up to --concurrency, and says so; if that cannot outrun the limit it
             stops after one request (exit 2). A verdict the responses cannot settle is
             marked tentative, with the model not ruled out and what would decide
  ramp       step the rate from --from to --to (--steps steps of --step-duration), stopping
             after the first step that gets a 429
  constant   hold --probe-rate for --duration and count accepted vs limited

Rates are requests per second (2.5) or N/DURATION (100/10s). The global --rate and --burst are
the budget other commands pace to; the report prints the values to set them to.

The recommended --rate/--burst never exceed what was measured: limit and capacity rounded
down, window up, the margin stated.

Exit codes: 0 measured (also: no limit reached within the bounds), 2 bad input, a production
key without --allow-production, or too few in flight to outrun the limit, 3 the very first
request was refused, 130 Ctrl-C.

Examples:
  clerk-rl --sandbox probe
  clerk-rl probe --json > probe.json
  clerk-rl probe --plot probe.svg --timeline probe.csv
  clerk-rl probe --allow-production --expect 1000/10s
  clerk-rl probe --mode ramp --from 1 --to 20 --step-duration 5s
  clerk-rl probe --mode constant --probe-rate 100/10s --duration 30s";

/// How `probe` loads the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeMode {
    /// Back-to-back until the first 429, then time the recovery (infers N, W and the algorithm)
    Burst,
    /// Step the rate up from --from to --to until 429s start
    Ramp,
    /// Hold --probe-rate for --duration
    Constant,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// burst, ramp or constant
    #[arg(long, value_enum, default_value = "burst")]
    pub mode: ProbeMode,

    /// The GET path to probe, under /v1/, e.g. --endpoint '/v1/users/count'
    #[arg(long, default_value = "/v1/users?limit=1", value_name = "PATH")]
    pub endpoint: String,

    /// Send at most this many requests (default: 3x the documented limit of the key's instance,
    /// else 3x the budget's limit)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,

    /// Stop sending after this long
    #[arg(long, default_value = "60s", value_parser = duration_arg, value_name = "DURATION")]
    pub max_duration: Duration,

    /// The most requests in flight at once. Burst mode chooses enough to send twice the limit to
    /// find over the first request's round trip (at least 4) and says what it chose; ramp and
    /// constant modes use it as their bound
    #[arg(long, default_value_t = 128, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,

    /// The limit to find, e.g. --expect 1000/10s (default: the documented limit of the key's
    /// instance, else the budget's --rate). It sets how many requests burst mode keeps in
    /// flight and the default --max-requests (3x it)
    #[arg(long, value_name = "N/DURATION", value_parser = rate_arg)]
    pub expect: Option<Rate>,

    /// Ramp: the first rate (per second, or N/DURATION)
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub from: Option<f64>,

    /// Ramp: the last rate (per second, or N/DURATION)
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub to: Option<f64>,

    /// Ramp: how many rates from --from to --to
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=100))]
    pub steps: u32,

    /// Ramp: how long each rate is held
    #[arg(long, default_value = "5s", value_parser = duration_arg, value_name = "DURATION")]
    pub step_duration: Duration,

    /// Constant: the rate to hold (per second, or N/DURATION); named apart from the global
    /// --rate, which is the budget
    #[arg(long, value_name = "RATE", value_parser = probe_rate_arg, allow_negative_numbers = true)]
    pub probe_rate: Option<f64>,

    /// Constant: how long to hold it
    #[arg(long, default_value = "10s", value_parser = duration_arg, value_name = "DURATION")]
    pub duration: Duration,

    /// Allow probing with a production (sk_live_) key: it spends that instance's real limit
    #[arg(long)]
    pub allow_production: bool,

    /// Burst mode: send nothing while a Retry-After wait runs (the default for a production key,
    /// whose budget is the live application's). N and the algorithm are still found; the window
    /// only to the resolution of the Retry-After values (whole seconds at Clerk)
    #[arg(long, conflicts_with = "sample_during_waits")]
    pub honor_retry_after: bool,

    /// Burst mode: send sparse single requests during a Retry-After wait too, to time the window
    /// finely (the default for development and unknown keys)
    #[arg(long)]
    pub sample_during_waits: bool,

    /// Also draw the timeline as an SVG chart into FILE
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Write every request (time, status, headers' remaining) as CSV into FILE
    #[arg(long, value_name = "FILE.csv")]
    pub timeline: Option<PathBuf>,
}

/// A probe rate: requests per second (`2.5`) or `N/DURATION` (`100/10s`); more than zero.
pub(crate) fn probe_rate_arg(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let per_s = if t.contains('/') {
        t.parse::<Rate>()?.per_second()
    } else {
        t.parse::<f64>().map_err(|_| {
            format!(
                "rate {s:?} is not requests per second or N/DURATION (for example 5, 2.5, 100/10s)"
            )
        })?
    };
    if !per_s.is_finite() || per_s <= 0.0 {
        return Err(format!("rate {s:?} must be more than zero"));
    }
    if per_s > 10_000.0 {
        return Err(format!("rate {s:?} is above the 10000/s a probe may send"));
    }
    Ok(per_s)
}
