//! `clerk-rl probe`: spend a bounded, announced number of requests to measure what the server
//! really enforces for this key (limit, window, burst, algorithm), and say what budget to set.
//!
//! `driver` sends, `infer` reads the answers (pure), `report` concludes (and advises), `render`
//! shows it. Requests go through the HTTP core's `send_once`: the same client, key handling,
//! timeout and header parsing as every other command, without the pacing and retries that would
//! hide the 429s probe is after.

pub mod driver;
pub mod infer;
pub mod render;
pub mod report;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;

use crate::cli::{ProbeArgs, ProbeMode};
use crate::error::{Exit, fail};
use crate::http::retry::{Class, classify};
use crate::http::{ClerkError, Client, HttpError};
use crate::pacing::budget::Instance;
use crate::settings::context::Context;
use driver::{Bounds, Driver, Ended, Outcome, Transport};
use infer::Sample;

/// What to do, checked before a key is read or a request is sent.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub endpoint: String,
    pub max_requests: Option<u64>,
    pub max_duration: Duration,
    /// The most requests in flight (burst mode chooses up to this many).
    pub concurrency: usize,
    /// The limit to find, when the key's instance does not say it.
    pub expect: Option<crate::pacing::budget::Rate>,
    pub allow_production: bool,
    /// Burst mode: send nothing until each Retry-After has run out. `None`: yes for a
    /// production key (its budget is the live application's), no otherwise.
    pub honor_retry_after: Option<bool>,
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
    // Every output path is checked now, before the first request: a probe spends 30 to 300
    // requests of the instance's limit, and a path that cannot be written must not waste them.
    if let Some(p) = &a.plot {
        check_output(p, "--plot", "svg").map_err(usage)?;
    }
    if let Some(p) = &a.timeline {
        check_output(p, "--timeline", "csv").map_err(usage)?;
    }
    if let (Some(plot), Some(timeline)) = (&a.plot, &a.timeline)
        && plot == timeline
    {
        return Err(usage(format!(
            "--plot and --timeline both name {}: give each its own file",
            plot.display()
        )));
    }
    Ok(Plan {
        mode,
        endpoint: a.endpoint.trim().to_string(),
        max_requests: a.max_requests,
        max_duration: a.max_duration,
        concurrency: a.concurrency as usize,
        expect: a.expect,
        allow_production: a.allow_production,
        honor_retry_after: if a.honor_retry_after {
            Some(true)
        } else if a.sample_during_waits {
            Some(false)
        } else {
            None
        },
        plot: a.plot.clone(),
        timeline: a.timeline.clone(),
    })
}

/// An output file of the probe can be written: its folder exists, it is not a folder, it may be
/// opened for writing, and its extension is not another format's (`--plot x.png` would be SVG
/// in a .png). A file that did not exist is created to prove it and removed again.
fn check_output(p: &std::path::Path, flag: &str, ext: &str) -> Result<(), String> {
    if let Some(e) = p.extension().and_then(|e| e.to_str())
        && !e.eq_ignore_ascii_case(ext)
    {
        return Err(format!(
            "{flag} {}: the file is written as {}, not .{e}; name it .{ext}",
            p.display(),
            ext.to_uppercase()
        ));
    }
    let folder = match p.parent() {
        Some(f) if !f.as_os_str().is_empty() => f,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        return Err(format!(
            "{flag} {}: the folder {} does not exist; create it first or pick another path",
            p.display(),
            folder.display()
        ));
    }
    if p.is_dir() {
        return Err(format!(
            "{flag} {} is a folder; give a file name",
            p.display()
        ));
    }
    let cannot = |e: std::io::Error| format!("{flag} {}: cannot write it: {e}", p.display());
    if p.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .map_err(cannot)?;
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
            .map_err(cannot)?;
        let _ = std::fs::remove_file(p);
    }
    Ok(())
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
    let mut limits = limits_of(ctx, plan);
    let url = ctx
        .client
        .base()
        .join(plan.endpoint.trim_start_matches('/'))
        .map_err(|e| fail(Exit::Usage, format!("--endpoint {:?}: {e}", plan.endpoint)))?;
    // Installed before the first request: SIGTERM (what `timeout` in CI sends) and SIGHUP stop
    // the probe as Ctrl-C does, with the report of what it found, instead of killing it.
    let mut signals = crate::signals::CommandSignals::install()?;
    announce(ctx, plan, &limits);
    let transport = Http {
        client: ctx.client.clone(),
        url,
    };
    let driven = drive(ctx, plan, transport, &limits, &mut signals).await;
    ctx.ui.finish_progress();
    limits.in_flight = driven.in_flight;
    if driven.ended == Some(Ended::Unreachable)
        && let Some(c) = driven.in_flight
    {
        return Err(fail(Exit::Usage, c.describe()));
    }
    if let Some(e) = driven.error {
        // A 401 or a dead connection: what was measured is not worth a report.
        return Err(e);
    }
    let samples = driven.samples;
    let stopped_by = stopped_by(driven.ended, samples.len() as u64, limits.max_requests);
    let stop = driven.stop;
    let r = report::build(ctx, plan, &samples, &limits, stopped_by, stop);
    render::emit(ctx, plan, &r, &samples)?;
    if let Some(s) = stop {
        ctx.ui
            .always(&format!("clerk-rl: interrupted ({})", s.name()));
        return Ok(s.exit());
    }
    Ok(if r.inference.verdict == infer::Verdict::LimitedFromFirst {
        Exit::RateLimited
    } else {
        Exit::Ok
    })
}

/// What the run may spend and sets out to find: the limit expected (`--expect`, else the
/// documented one, else the budget's), the most requests and time, whether to honor
/// Retry-After. The in-flight count is chosen later, by the driver.
fn limits_of(ctx: &Context, plan: &Plan) -> report::Limits {
    let expected = plan
        .expect
        .or(ctx.instance.documented_rate())
        .unwrap_or(ctx.budget.rate);
    let max_requests = plan
        .max_requests
        .unwrap_or_else(|| 3 * expected.limit as u64);
    let honor_retry_after = plan
        .honor_retry_after
        .unwrap_or(ctx.instance == Instance::Production);
    let max_duration = match &plan.mode {
        Mode::Burst => plan.max_duration,
        Mode::Ramp { rates, step } => plan.max_duration.min(*step * rates.len() as u32),
        Mode::Constant { duration, .. } => plan.max_duration.min(*duration),
    };
    report::Limits {
        max_requests,
        max_duration,
        honor_retry_after,
        expected,
        in_flight: None,
    }
}

/// Say what the probe will spend before it spends it.
fn announce(ctx: &Context, plan: &Plan, limits: &report::Limits) {
    // Every line fits the terminal (issue 26: 134 columns in an 80-column terminal).
    let columns = crate::ui::columns(crate::ui::Stream::Stderr) as usize;
    ctx.ui.line(&render::wrap(
        &format!(
            "clerk-rl: probe ({} mode) will send at most {} requests (GET {}) within {}; Ctrl-C (or SIGTERM, SIGHUP) stops it and prints what it found",
            plan.mode.name(),
            limits.max_requests,
            plan.endpoint,
            humantime::format_duration(limits.max_duration)
        ),
        columns,
    ));
}

/// How a run ended: the samples it took, how many it kept in flight (burst mode), and why it
/// stopped.
struct Driven {
    samples: Vec<Sample>,
    in_flight: Option<driver::InFlight>,
    /// `None`: a signal stopped it.
    ended: Option<Ended>,
    error: Option<anyhow::Error>,
    stop: Option<crate::signals::Stop>,
}

/// Send as the mode says, with the live line ticking, until the mode ends, fails, or a signal
/// stops it.
async fn drive(
    ctx: &Context,
    plan: &Plan,
    transport: Http,
    limits: &report::Limits,
    signals: &mut crate::signals::CommandSignals,
) -> Driven {
    let bounds = Bounds {
        max_requests: limits.max_requests,
        max_duration: limits.max_duration,
        concurrency: plan.concurrency,
        target_per_s: limits.expected.per_second(),
        target_window: limits.expected.window,
        // Without --expect the limit to find is only the documented one: slow start finds a
        // higher one (a key at 3x or 10x) instead of never reaching it.
        grow: plan.expect.is_none(),
        honor_retry_after: limits.honor_retry_after,
    };
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let mut driver = Driver::new(transport, bounds, Arc::clone(&samples));
    let chosen = Arc::clone(&driver.chosen);
    let mode = plan.mode.clone();
    let driving = async move {
        match &mode {
            Mode::Burst => driver.burst_mode().await,
            Mode::Ramp { rates, step } => driver.ramp(rates, *step).await,
            Mode::Constant { rate, duration } => driver.constant(*rate, *duration).await,
        }
    };
    let live = live_line(ctx, &samples, &chosen, limits.max_duration);
    let mut stop = None;
    let (ended, error) = tokio::select! {
        r = driving => match r {
            Ok(e) => (Some(e), None),
            Err(e) => (Some(Ended::Done), Some(e)),
        },
        s = signals.recv() => {
            stop = Some(s);
            (None, None)
        }
        () = live => unreachable!("the live line ticks until the probe ends"),
    };
    let in_flight = *chosen.lock().expect("chosen lock");
    let samples = std::mem::take(&mut *samples.lock().expect("samples lock"));
    Driven {
        samples,
        in_flight,
        ended,
        error,
        stop,
    }
}

/// Why the probe stopped, as the report says it.
fn stopped_by(ended: Option<Ended>, sent: u64, max_requests: u64) -> &'static str {
    match ended {
        None => "interrupted",
        Some(Ended::Done) => "done",
        Some(Ended::Bounds) if sent >= max_requests => "max-requests",
        Some(Ended::Bounds) => "max-duration",
        Some(Ended::Unreachable) => "unreachable",
    }
}

/// While the probe runs: one line on stderr (sent, accepted, 429s, elapsed / most), and once
/// burst mode has chosen how many requests to keep in flight, a line saying so. Never returns.
async fn live_line(
    ctx: &Context,
    samples: &Mutex<Vec<Sample>>,
    chosen: &Mutex<Option<driver::InFlight>>,
    max_duration: Duration,
) {
    let bar = ctx.ui.progress(None, "sent");
    let mut said = false;
    let begin = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        if !said && let Some(c) = *chosen.lock().expect("chosen lock") {
            said = true;
            let columns = crate::ui::columns(crate::ui::Stream::Stderr) as usize;
            if c.short() && !c.hopeless() {
                // `clerk-rl: warning: ` is 19 columns.
                ctx.ui.warn(&render::wrap(
                    &format!("probe: {}", c.describe()),
                    columns - 19,
                ));
            } else if !c.hopeless() {
                ctx.ui.line(&render::wrap(
                    &format!("clerk-rl: probe: {}", c.describe()),
                    columns,
                ));
            }
        }
        let (sent, accepted, limited) = {
            let s = samples.lock().expect("samples lock");
            (
                s.len(),
                s.iter().filter(|x| x.ok()).count(),
                s.iter().filter(|x| x.limited()).count(),
            )
        };
        bar.set_position(sent as u64);
        bar.set_message(format!(
            "· {accepted} accepted · {limited} × 429 · {:.1} s / {} s",
            begin.elapsed().as_secs_f64(),
            max_duration.as_secs()
        ));
    }
}

#[cfg(test)]
mod sim_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_says_which_bound_stopped_the_probe() {
        assert_eq!(stopped_by(None, 10, 300), "interrupted");
        assert_eq!(stopped_by(Some(Ended::Done), 10, 300), "done");
        assert_eq!(stopped_by(Some(Ended::Bounds), 300, 300), "max-requests");
        assert_eq!(stopped_by(Some(Ended::Bounds), 299, 300), "max-duration");
        assert_eq!(stopped_by(Some(Ended::Unreachable), 1, 300), "unreachable");
    }
}
