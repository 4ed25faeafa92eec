//! `clerk-rl probe`: spend a bounded, announced number of requests to measure what the server
//! really enforces for this key (limit, window, burst, algorithm), and say what budget to set.
//!
//! `driver` sends, `infer` reads the answers (pure), `report` shows them. Requests go through
//! the HTTP core's `send_once`: the same client, key handling, timeout and header parsing as
//! every other command, without the pacing and retries that would hide the 429s probe is after.

pub mod driver;
pub mod infer;
pub mod report;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;

use crate::budget::Instance;
use crate::cli::{ProbeArgs, ProbeMode};
use crate::context::Context;
use crate::error::{Exit, fail};
use crate::http::retry::{Class, classify};
use crate::http::{ClerkError, Client, HttpError};
use driver::{Bounds, Driver, Ended, Outcome, Transport};
use infer::Sample;

/// What to do, checked before a key is read or a request is sent.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub endpoint: String,
    pub max_requests: Option<u64>,
    pub max_duration: Duration,
    pub concurrency: usize,
    pub allow_production: bool,
    /// Burst mode: send nothing until each Retry-After has run out.
    pub honor_retry_after: bool,
    pub plot: Option<std::path::PathBuf>,
    pub timeline: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub enum Mode {
    Burst,
    Ramp { rates: Vec<f64>, step: Duration },
    Constant { rate: f64, duration: Duration },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Burst => "burst",
            Mode::Ramp { .. } => "ramp",
            Mode::Constant { .. } => "constant",
        }
    }
}

/// Cross-flag checks (clap checks each flag alone): every problem is one line and exit 2.
pub fn validate(a: &ProbeArgs) -> anyhow::Result<Plan> {
    let usage = |m: String| fail(Exit::Usage, m);
    check_endpoint(&a.endpoint).map_err(usage)?;
    let mode = match a.mode {
        ProbeMode::Burst => {
            if a.from.is_some() || a.to.is_some() || a.probe_rate.is_some() {
                return Err(usage(
                    "--from, --to and --probe-rate need --mode ramp or --mode constant".into(),
                ));
            }
            Mode::Burst
        }
        ProbeMode::Ramp => {
            let (Some(from), Some(to)) = (a.from, a.to) else {
                return Err(usage(
                    "--mode ramp needs --from and --to (for example --from 1 --to 20)".into(),
                ));
            };
            if from > to {
                return Err(usage(format!(
                    "--from {from}/s is above --to {to}/s: the ramp goes up"
                )));
            }
            let n = a.steps as usize;
            let rates = (0..n)
                .map(|i| from + (to - from) * i as f64 / (n - 1) as f64)
                .collect();
            Mode::Ramp {
                rates,
                step: a.step_duration,
            }
        }
        ProbeMode::Constant => {
            let Some(rate) = a.probe_rate else {
                return Err(usage(
                    "--mode constant needs --probe-rate (for example --probe-rate 5 or 100/10s)"
                        .into(),
                ));
            };
            Mode::Constant {
                rate,
                duration: a.duration,
            }
        }
    };
    Ok(Plan {
        mode,
        endpoint: a.endpoint.trim().to_string(),
        max_requests: a.max_requests,
        max_duration: a.max_duration,
        concurrency: a.concurrency as usize,
        allow_production: a.allow_production,
        honor_retry_after: a.honor_retry_after,
        plot: a.plot.clone(),
        timeline: a.timeline.clone(),
    })
}

/// A GET path under /v1/ on the API's own host: nothing that could point elsewhere.
pub fn check_endpoint(e: &str) -> Result<(), String> {
    let e = e.trim();
    let bad = |why: &str| {
        Err(format!(
            "--endpoint {e:?} is not a GET path under /v1/ ({why}; for example /v1/users?limit=1)"
        ))
    };
    if e.contains(char::is_whitespace) {
        return bad("it holds a space: give the path only, probe always sends GET");
    }
    if !e.starts_with("/v1/") || e.len() <= 4 {
        return bad("it must start with /v1/");
    }
    if e.contains("://") || e.contains("..") || e.contains('#') || e.contains('\\') {
        return bad("it must be a plain path and query");
    }
    Ok(())
}

/// The real transport: the HTTP core's single unpaced try.
struct Http {
    client: Client,
    url: Url,
}

impl Transport for Http {
    async fn send(&self) -> anyhow::Result<Outcome> {
        let resp = self
            .client
            .send_once(&self.url)
            .await
            .map_err(|detail| HttpError::Transport { retries: 0, detail })?;
        let status = resp.status.as_u16();
        match classify(status) {
            // 5xx are recorded and the probe goes on: they are not what it measures.
            Class::Success | Class::RateLimited | Class::Transient => Ok(Outcome {
                status,
                view: resp.view,
            }),
            Class::Fatal => {
                Err(HttpError::Clerk(ClerkError::parse(status, &resp.headers, &resp.body)).into())
            }
        }
    }
}

pub async fn run(ctx: &Context, plan: &Plan) -> anyhow::Result<Exit> {
    if ctx.instance == Instance::Production && !plan.allow_production {
        return Err(fail(
            Exit::Usage,
            "refusing to probe with a production key (sk_live_): it spends the real instance's limit and 429s its users; add --allow-production to do it anyway",
        ));
    }
    let documented = ctx.instance.documented_rate();
    let max_requests = plan
        .max_requests
        .unwrap_or_else(|| 3 * documented.map_or(ctx.budget.rate.limit, |d| d.limit) as u64);
    let url = ctx
        .client
        .base()
        .join(plan.endpoint.trim_start_matches('/'))
        .map_err(|e| fail(Exit::Usage, format!("--endpoint {:?}: {e}", plan.endpoint)))?;
    let max_duration = match &plan.mode {
        Mode::Burst => plan.max_duration,
        Mode::Ramp { rates, step } => plan.max_duration.min(*step * rates.len() as u32),
        Mode::Constant { duration, .. } => plan.max_duration.min(*duration),
    };
    ctx.ui.line(&format!(
        "clerk-rl: probe ({} mode) will send at most {max_requests} requests (GET {}) within {}; Ctrl-C stops it and prints what it found",
        plan.mode.name(),
        plan.endpoint,
        humantime::format_duration(max_duration)
    ));
    let bounds = Bounds {
        max_requests,
        max_duration,
        concurrency: plan.concurrency,
        honor_retry_after: plan.honor_retry_after,
    };
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let transport = Http {
        client: ctx.client.clone(),
        url,
    };
    let mut driver = Driver::new(transport, bounds, Arc::clone(&samples));
    let mode = plan.mode.clone();
    let driving = async move {
        match &mode {
            Mode::Burst => driver.burst_mode().await,
            Mode::Ramp { rates, step } => driver.ramp(rates, *step).await,
            Mode::Constant { rate, duration } => driver.constant(*rate, *duration).await,
        }
    };
    let (ended, error) = tokio::select! {
        r = driving => match r {
            Ok(e) => (Some(e), None),
            Err(e) => (Some(Ended::Done), Some(e)),
        },
        _ = tokio::signal::ctrl_c() => (None, None),
    };
    let samples = std::mem::take(&mut *samples.lock().expect("samples lock"));
    if let Some(e) = error {
        // A 401 or a dead connection: what was measured is not worth a report.
        return Err(e);
    }
    let stopped_by = match ended {
        None => "interrupted",
        Some(Ended::Done) => "done",
        Some(Ended::Bounds) if samples.len() as u64 >= max_requests => "max-requests",
        Some(Ended::Bounds) => "max-duration",
    };
    let r = report::build(ctx, plan, &samples, max_requests, max_duration, stopped_by);
    report::emit(ctx, plan, &r, &samples)?;
    if ended.is_none() {
        ctx.ui.line("clerk-rl: interrupted");
        return Ok(Exit::Interrupted);
    }
    Ok(if r.inference.verdict == infer::Verdict::LimitedFromFirst {
        Exit::RateLimited
    } else {
        Exit::Ok
    })
}
#[cfg(test)]
mod sim_tests;
