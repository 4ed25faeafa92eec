//! The probe's report: what the samples show, built from them alone, so an interrupted run
//! reports exactly what it saw; [`advice`] turns it into flags. `render/` shows it: a table (or
//! one JSON object) on stdout, a timeline in the terminal, and optionally an SVG chart and a
//! CSV of every request.

mod advice;

use serde::Serialize;

use super::driver::InFlight;
use super::infer::{self, Algorithm, Inference, Sample, Verdict};
use super::{Mode, Plan};
use crate::error::Exit;
use crate::pacing::budget::Rate;
use crate::settings::context::Context;
pub use advice::{fmt_window, recommend};

#[derive(Debug, Serialize)]
pub struct Report {
    pub exit_code: i32,
    pub mode: &'static str,
    pub endpoint: String,
    pub api_url: String,
    pub key: String,
    pub instance: &'static str,
    pub documented_limit: Option<Rate>,
    /// The limit the probe set out to find (documented, `--expect`ed, or the budget's).
    pub expected_limit: Rate,
    /// Burst mode: how many requests it kept in flight, and why.
    pub in_flight: Option<InFlight>,
    /// Burst mode: nothing was sent while a Retry-After wait ran.
    pub honored_retry_after: bool,
    pub max_requests: u64,
    pub max_duration_s: f64,
    pub stopped_by: &'static str,
    pub elapsed_s: f64,
    /// One sentence: what the server enforces, or why that is not known.
    pub summary: String,
    #[serde(flatten)]
    pub inference: Inference,
    pub recommended: Option<Recommended>,
    pub interval_s: f64,
    pub timeline: Vec<Interval>,
}

#[derive(Debug, Serialize)]
pub struct Recommended {
    /// `--rate N/W`, ready to paste.
    pub rate: String,
    pub burst: Option<u64>,
    pub flags: String,
    /// How far under the measured rate these flags pace, and why.
    pub margin: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interval {
    pub start_s: f64,
    pub accepted: usize,
    pub limited: usize,
    pub other: usize,
}

/// What the run was allowed and chose, for the report.
pub struct Limits {
    pub max_requests: u64,
    pub max_duration: std::time::Duration,
    pub honor_retry_after: bool,
    pub expected: Rate,
    pub in_flight: Option<InFlight>,
}

pub fn build(
    ctx: &Context,
    plan: &Plan,
    samples: &[Sample],
    limits: &Limits,
    stopped_by: &'static str,
    stop: Option<crate::signals::Stop>,
) -> Report {
    let mut inference = match &plan.mode {
        Mode::Burst => infer::infer(samples, samples.iter().find_map(|s| s.view.window)),
        Mode::Ramp { rates, .. } => infer::infer_load(samples, rates),
        Mode::Constant { rate, .. } => infer::infer_load(samples, &[*rate]),
    };
    inference.headers = infer::check_headers(samples, &inference);
    let elapsed_s = samples
        .iter()
        .map(|s| s.received.as_secs_f64())
        .fold(0.0, f64::max);
    let documented = ctx.instance.documented_rate();
    let exit = if let Some(s) = stop {
        s.exit()
    } else if inference.verdict == Verdict::LimitedFromFirst {
        Exit::RateLimited
    } else {
        Exit::Ok
    };
    let (interval_s, timeline) = timeline(samples, 60);
    Report {
        exit_code: exit.code(),
        mode: plan.mode.name(),
        endpoint: plan.endpoint.clone(),
        api_url: ctx.client.base().as_str().trim_end_matches('/').to_string(),
        key: ctx.key.masked(),
        instance: ctx.instance.name(),
        documented_limit: documented,
        expected_limit: limits.expected,
        in_flight: limits.in_flight,
        honored_retry_after: limits.honor_retry_after,
        max_requests: limits.max_requests,
        max_duration_s: limits.max_duration.as_secs_f64(),
        stopped_by,
        elapsed_s,
        summary: summary(&inference),
        recommended: recommend(&inference),
        inference,
        interval_s,
        timeline,
    }
}

fn summary(i: &Inference) -> String {
    match i.verdict {
        Verdict::NoLimitReached => format!("no limit reached within {} requests", i.requests),
        Verdict::LimitedFromFirst => {
            "the first request was refused (429): the key is already rate limited, nothing to measure"
                .into()
        }
        Verdict::Load => match (i.first_429_s, i.rate_per_s) {
            (Some(t), Some(r)) => format!(
                "429s from {t:.2} s on; once limited, {r:.2} requests/s got through"
            ),
            (Some(t), None) => format!("429s from {t:.2} s on"),
            (None, _) => format!("no limit reached within {} requests", i.requests),
        },
        Verdict::Inferred | Verdict::Partial | Verdict::Tentative => {
            let head = match (i.algorithm, i.limit, i.window_s) {
                (Some(Algorithm::Bucket), _, _) => format!(
                    "token bucket of {} refilled at {:.2}/s",
                    i.capacity.unwrap_or(0),
                    i.rate_per_s.unwrap_or(0.0)
                ),
                (Some(a), Some(n), Some(w)) => format!("{} of {n} per {}", a.name(), fmt_window(w)),
                _ => format!(
                    "at least {} requests at once; the window is unknown",
                    i.burst.unwrap_or(0)
                ),
            };
            let alt = i
                .alternative
                .as_ref()
                .map(|a| format!("; a {} is not ruled out", a.algorithm.name()))
                .unwrap_or_default();
            match i.verdict {
                Verdict::Partial if i.algorithm.is_some() => format!(
                    "{head} (tentative: the run ended before a second recovery confirmed it{alt})"
                ),
                Verdict::Tentative => format!(
                    "{head} (tentative: another model explains the responses nearly as well{alt})"
                ),
                _ => head,
            }
        }
    }
}

/// Accepted, limited and other responses per interval, about `columns` intervals in all.
fn timeline(samples: &[Sample], columns: usize) -> (f64, Vec<Interval>) {
    let end = samples
        .iter()
        .map(|s| s.stamp())
        .fold(0.0, f64::max)
        .max(1e-3);
    let raw = end / columns as f64;
    // A round interval reads better: 1, 2 or 5 times a power of ten.
    let mag = 10f64.powf(raw.log10().floor());
    let interval = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&x| x >= raw)
        .unwrap_or(raw)
        .max(0.001);
    let n = (end / interval).floor() as usize + 1;
    let mut out: Vec<Interval> = (0..n)
        .map(|k| Interval {
            start_s: round3(k as f64 * interval),
            accepted: 0,
            limited: 0,
            other: 0,
        })
        .collect();
    for s in samples {
        let k = ((s.stamp() / interval).floor() as usize).min(n - 1);
        if s.ok() {
            out[k].accepted += 1;
        } else if s.limited() {
            out[k].limited += 1;
        } else {
            out[k].other += 1;
        }
    }
    (round3(interval), out)
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
