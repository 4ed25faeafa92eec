//! The probe's report: a table (or one JSON object) on stdout, a timeline in the terminal, and
//! optionally an SVG chart and a CSV of every request. Built from the samples alone, so an
//! interrupted run reports exactly what it saw.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use comfy_table::Table;
use serde::Serialize;

use super::driver::InFlight;
use super::infer::{self, Algorithm, Inference, Sample, Verdict};
use super::{Mode, Plan};
use crate::error::{Exit, fail};
use crate::pacing::budget::Rate;
use crate::settings::context::Context;

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

/// A window for people and for `--rate`: servers configure round windows (whole seconds, or
/// 100 ms steps under a second), so a measurement within 3% of one is that one; else the next
/// round one up within 10% (a longer window is the safe side); else 10 ms steps, rounded up.
pub fn fmt_window(w: f64) -> String {
    let unit = if w >= 0.95 { 1.0 } else { 0.1 };
    let show = |r: f64| {
        if unit == 1.0 {
            format!("{}s", r.round() as u64)
        } else {
            format!("{}ms", (r * 1000.0).round() as u64)
        }
    };
    let nearest = (w / unit).round() * unit;
    if nearest > 0.0 && (nearest - w).abs() <= w * 0.03 {
        return show(nearest);
    }
    let up = (w / unit).ceil() * unit;
    if up <= w * 1.1 {
        return show(up);
    }
    format!("{}ms", ((w * 100.0).ceil() * 10.0) as u64)
}

/// The window for `--rate`, rounded up (never down): to 100 ms from a second on, else to 10 ms.
/// Whole seconds print as such (`10s`), the rest in milliseconds (`10100ms`).
pub fn window_up(w: f64) -> (String, f64) {
    let unit = if w >= 1.0 { 0.1 } else { 0.01 };
    // A hair above a step is measurement noise in the float, not a longer window.
    let up = ((w / unit) - 1e-6).ceil().max(1.0) * unit;
    let ms = (up * 1000.0).round() as u64;
    let text = if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    };
    (text, ms as f64 / 1000.0)
}

/// How far a token bucket's measured rate and capacity may be off (the accuracy the probe is
/// benchmarked to): its advice is taken this much under both.
const BUCKET_TOLERANCE: f64 = 0.02;

/// How far a measured window may read short: the advice's window is this much longer.
const WINDOW_TOLERANCE: f64 = 0.02;

/// Flags that never ask for more than was measured: the limit (capacity) rounded down to the
/// smallest the responses allow, the window up to the longest, and when the verdict is
/// tentative, the stricter of the two models (no `--burst` unless both are buckets).
pub fn recommend(i: &Inference) -> Option<Recommended> {
    let measured = i.rate_per_s?;
    if measured <= 0.0 {
        return None;
    }
    let (limit, window, burst) = match (i.verdict, i.algorithm) {
        (Verdict::Inferred | Verdict::Partial | Verdict::Tentative, Some(alg)) => {
            let best = i.scores.iter().find(|s| s.algorithm == alg)?;
            let alt = i.alternative.as_ref();
            // (requests, per window) each model allows at most.
            let as_window = |s: &infer::Score| match s.algorithm {
                Algorithm::Bucket => {
                    let rate = 1.0 / s.safe_window_s;
                    (s.safe_limit, s.safe_limit / rate)
                }
                _ => (s.safe_limit, s.safe_window_s),
            };
            if alg == Algorithm::Bucket && alt.is_none_or(|a| a.algorithm == Algorithm::Bucket) {
                // A bucket's rate and capacity are estimates from recovery times (its window's
                // N is a count): both are taken BUCKET_TOLERANCE under what was measured, the
                // error the probe is held to, so the advice stays under the server's.
                let rate = (1.0 - BUCKET_TOLERANCE) / best.safe_window_s;
                let cap = (best.safe_limit * (1.0 - BUCKET_TOLERANCE))
                    .floor()
                    .max(1.0);
                // The bucket's window is not observable: the stated one, else refill from empty.
                let w = i.window_s.unwrap_or(cap / rate);
                (rate * w, w, Some(cap as u64))
            } else {
                let (mut n, mut w) = as_window(best);
                if let Some(a) = alt {
                    let (an, aw) = as_window(a);
                    n = n.min(an);
                    w = w.max(aw);
                }
                (n, w, None)
            }
        }
        (Verdict::Load, _) => (measured * 10.0, 10.0, None),
        _ => return None,
    };
    // Recovery times are stamped at midpoints, so a loaded link can read a window short (1%
    // over loopback on a busy machine): the window is taken WINDOW_TOLERANCE longer first.
    let (wtext, wsecs) = window_up(window * (1.0 + WINDOW_TOLERANCE));
    let n = (limit + 1e-6).floor() as u64;
    if n == 0 {
        return None;
    }
    let rate = format!("{n}/{wtext}");
    let flags = match burst {
        Some(b) => format!("--rate {rate} --burst {b}"),
        None => format!("--rate {rate}"),
    };
    let pct = (1.0 - n as f64 / wsecs / measured) * 100.0;
    let margin = format!(
        "{:.1}% under the measured {measured:.2}/s (limit{} rounded down, window 2% longer and up{})",
        pct.max(0.0),
        if burst.is_some() {
            " and capacity 2% under what was measured and"
        } else {
            ""
        },
        if i.verdict == Verdict::Tentative || i.alternative.is_some() {
            ", and the stricter of the models not ruled out"
        } else {
            ""
        }
    );
    Some(Recommended {
        rate,
        burst,
        flags,
        margin,
    })
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

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The report first, then the files: a measurement cost requests of the instance's limit and is
/// never thrown away because a file could not be written (the paths were checked before the
/// first request, but a disk can fill or a folder go meanwhile).
pub fn emit(ctx: &Context, plan: &Plan, r: &Report, samples: &[Sample]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if ctx.global.json {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
    } else {
        writeln!(out, "{}", table(r))?;
        let columns = crate::ui::columns(crate::ui::Stream::Stdout) as usize;
        write!(out, "{}", terminal_timeline(r, columns))?;
    }
    out.flush()?;
    drop(out);
    let mut failed = Vec::new();
    if let Some(p) = &plan.timeline
        && let Err(e) = write_file(p, &csv(samples))
    {
        failed.push(e);
    }
    if let Some(p) = &plan.plot
        && let Err(e) = write_file(p, &svg(r, samples))
    {
        failed.push(e);
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(fail(
        Exit::Other,
        format!("{}; the report above is complete", failed.join("; ")),
    ))
}

fn write_file(p: &Path, text: &str) -> Result<(), String> {
    std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// Every request: when it was sent and answered (seconds since the probe started), its status,
/// and what the rate-limit headers said.
pub fn csv(samples: &[Sample]) -> String {
    let mut s = String::from("sent_s,received_s,status,phase,remaining,limit,retry_after_s\n");
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|x| x.sent);
    let opt = |v: Option<String>| v.unwrap_or_default();
    for x in sorted {
        let _ = writeln!(
            s,
            "{:.6},{:.6},{},{},{},{},{}",
            x.sent.as_secs_f64(),
            x.received.as_secs_f64(),
            x.status,
            serde_json::to_value(x.phase)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            opt(x.view.remaining.map(|v| v.to_string())),
            opt(x.view.limit.map(|v| v.to_string())),
            opt(x.view.retry_after.map(|d| format!("{}", d.as_secs_f64()))),
        );
    }
    s
}

fn table(r: &Report) -> Table {
    let i = &r.inference;
    let mut t = crate::ui::table(crate::ui::Stream::Stdout);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![k.to_string(), v]);
    };
    row("verdict", r.summary.clone());
    row(
        "probe",
        format!(
            "{} mode, GET {} ({}), key {} ({} instance)",
            r.mode, r.endpoint, r.api_url, r.key, r.instance
        ),
    );
    row(
        "requests",
        format!(
            "{} sent in {:.2} s: {} accepted, {} limited (429){}; stopped: {}",
            i.requests,
            r.elapsed_s,
            i.accepted,
            i.limited,
            if i.failed > 0 {
                format!(", {} failed", i.failed)
            } else {
                String::new()
            },
            r.stopped_by
        ),
    );
    if let Some(c) = &r.in_flight {
        row("in flight", c.describe());
    }
    if let Some(b) = i.burst {
        row("burst", format!("{b} accepted before the first 429"));
    }
    if r.mode == "burst" {
        let or_q = |o: Option<String>| o.unwrap_or_else(|| "not determined".into());
        row("limit (N)", or_q(i.limit.map(|n| n.to_string())));
        row(
            "window (W)",
            or_q(i.window_s.map(|w| format!("{w:.3} s ({})", fmt_window(w)))),
        );
        if let Some(c) = i.capacity {
            row("bucket capacity", c.to_string());
        }
        if let Some(rate) = i.rate_per_s {
            row("sustained rate", format!("{rate:.3} requests/s"));
        }
        row("algorithm", or_q(i.algorithm.map(|a| a.name().to_string())));
        if !i.scores.is_empty() {
            let lines: Vec<String> = i
                .scores
                .iter()
                .map(|s| {
                    format!(
                        "{}: explains {} of {} responses",
                        s.algorithm.name(),
                        s.explained,
                        s.of
                    )
                })
                .collect();
            row("models", lines.join("\n"));
        }
    } else if let Some(rate) = i.rate_per_s {
        row(
            "sustained rate",
            format!("{rate:.3} requests/s once limited"),
        );
    }
    if !i.evidence.is_empty() {
        row("evidence", i.evidence.join("\n"));
    }
    if let Some(alt) = &i.alternative {
        row(
            "not ruled out",
            format!(
                "{} (explains {} of {} responses)",
                match alt.algorithm {
                    Algorithm::Bucket => format!(
                        "token bucket of {} refilled at {:.2}/s",
                        alt.limit.round(),
                        1.0 / alt.window_s
                    ),
                    a => format!(
                        "{} of {} per {:.2} s",
                        a.name(),
                        alt.limit.round(),
                        alt.window_s
                    ),
                },
                alt.explained,
                alt.of
            ),
        );
    }
    if let Some(d) = &i.to_decide {
        row("to decide", d.clone());
    }
    if !i.ramp.is_empty() {
        let lines: Vec<String> = i
            .ramp
            .iter()
            .map(|s| {
                format!(
                    "{:.2}/s: {} sent, {} accepted, {} limited",
                    s.rate_per_s, s.sent, s.accepted, s.limited
                )
            })
            .collect();
        row("steps", lines.join("\n"));
    }
    what_the_server_said(r, &mut row);
    t
}

/// The table's last rows: Retry-After, the rate-limit headers, the documented limit, the advice.
fn what_the_server_said(r: &Report, row: &mut dyn FnMut(&str, String)) {
    let i = &r.inference;
    let ra = &i.retry_after;
    if ra.values.is_empty() {
        row("Retry-After", "not sent".into());
    } else {
        let vals: Vec<String> = ra
            .values
            .iter()
            .map(|(v, n)| format!("{v} s ×{n}"))
            .collect();
        let mut s = vals.join(", ");
        let _ = write!(
            s,
            "\nhonest: {} checked right after the wait, {} early (capacity was back before it ended{}), {} too short",
            ra.honest,
            ra.early,
            ra.most_early_s
                .map(|e| format!(", by up to {e:.2} s"))
                .unwrap_or_default(),
            ra.too_short
        );
        row("Retry-After", s);
    }
    let h = &i.headers;
    if h.conventions.iter().all(|c| *c == "retry-after") {
        row(
            "rate-limit headers",
            "not provided (only Retry-After, if any)".into(),
        );
    } else {
        let mut lines: Vec<String> = h
            .first_response
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        for c in &h.checks {
            lines.push(format!(
                "{} {}: said {}, observed {}",
                if c.agrees { "agrees" } else { "DISAGREES" },
                c.field,
                c.said,
                c.observed
            ));
        }
        row("rate-limit headers", lines.join("\n"));
    }
    row(
        "documented limit",
        r.documented_limit
            .map(|d| format!("{d} ({} instances)", r.instance))
            .unwrap_or_else(|| "unknown for this key prefix".into()),
    );
    match &r.recommended {
        Some(rec) => row("use", format!("clerk-rl {} ...\n{}", rec.flags, rec.margin)),
        None => row("use", "no budget to recommend from this run".into()),
    }
}

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Two rows of bars, accepted over 429s, one column per interval: as many intervals merged
/// into one column as it takes to fit `columns` (issue 26: the probe printed 134-column lines
/// into an 80-column terminal).
fn terminal_timeline(r: &Report, columns: usize) -> String {
    const PREFIX: usize = 10; // "accepted │"
    let room = columns.saturating_sub(PREFIX).max(1);
    let per = r.timeline.len().div_ceil(room).max(1);
    let merged: Vec<(usize, usize)> = r
        .timeline
        .chunks(per)
        .map(|c| {
            (
                c.iter().map(|i| i.accepted).sum(),
                c.iter().map(|i| i.limited + i.other).sum(),
            )
        })
        .collect();
    let peak = merged
        .iter()
        .map(|&(a, l)| a.max(l))
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = |n: usize| {
        if n == 0 {
            ' '
        } else {
            LEVELS[(n * 8).div_ceil(peak).clamp(1, 8)]
        }
    };
    let ok: String = merged.iter().map(|&(a, _)| bar(a)).collect();
    let no: String = merged.iter().map(|&(_, l)| bar(l)).collect();
    let head = format!(
        "timeline: one column per {} s, 0 to {:.2} s, tallest bar {peak} requests",
        round3(r.interval_s * per as f64),
        r.elapsed_s
    );
    format!("{}\naccepted │{ok}\n429      │{no}\n", wrap(&head, columns))
}

/// `text` broken at spaces into lines of at most `width` characters (a word longer than that
/// stays whole); continuation lines are indented by two spaces.
pub fn wrap(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, "  ".to_string()));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    lines.push(line);
    lines.join("\n")
}

/// What the SVG chart draws.
pub struct Chart<'a> {
    pub title: &'a str,
    pub timeline: &'a [Interval],
    pub interval_s: f64,
    pub elapsed_s: f64,
    /// The limit found: N per W seconds (a bucket's sustained N per its window).
    pub limit: Option<(u64, f64)>,
    /// When each accepted request was stamped (seconds since start), for the trailing count.
    pub accepted: Vec<f64>,
}

/// The timeline as a chart for a ticket: accepted and 429s per interval (bars, left axis), and
/// when the limit is known, how many were accepted in the trailing window (line, right axis)
/// against the limit N per W (dashed): the server's rule, visible. Hand-written SVG: a few
/// rectangles and lines need no charting crate.
pub fn svg(r: &Report, samples: &[Sample]) -> String {
    let i = &r.inference;
    let mut accepted: Vec<f64> = samples
        .iter()
        .filter(|s| s.ok())
        .map(|s| s.stamp())
        .collect();
    accepted.sort_by(f64::total_cmp);
    chart(&Chart {
        title: &r.summary,
        timeline: &r.timeline,
        interval_s: r.interval_s,
        elapsed_s: r.elapsed_s,
        limit: i.limit.zip(i.window_s).filter(|(n, w)| *n > 0 && *w > 0.0),
        accepted,
    })
}

pub fn chart(c: &Chart) -> String {
    let (w, h, left, right, bottom, top) = (800.0, 340.0, 60.0, 80.0, 70.0, 40.0);
    let plot_w = w - left - right;
    let plot_h = h - bottom - top;
    let axis_y = top + plot_h;
    let peak = c
        .timeline
        .iter()
        .map(|i| i.accepted + i.limited + i.other)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    // The bars' scale (left): round ticks, the axis ending on the first tick above the peak.
    let (bar_step, bar_top) = nice_axis(peak);
    let n = c.timeline.len().max(1) as f64;
    let bw = plot_w / n;
    let end = (n * c.interval_s).max(c.elapsed_s).max(1e-3);
    let x_of = |t: f64| left + plot_w * (t / end).clamp(0.0, 1.0);
    let bar_y = |v: f64| axis_y - plot_h * v / bar_top;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let title = xml_escape(&format!("clerk-rl probe: {}", c.title));
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="20" font-size="14">{title}</text>"#
    );
    // Grid lines under everything: one per tick of the bars' scale and of the time axis.
    for v in ticks(bar_step, bar_top) {
        let y = bar_y(v);
        let _ = writeln!(
            s,
            r##"<line class="grid" x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + plot_w,
            left - 5.0,
            y + 4.0,
            tick_label(v, bar_step)
        );
    }
    let (t_step, _) = nice_axis(end);
    for t in ticks(t_step, end) {
        let x = x_of(t);
        let _ = writeln!(
            s,
            r##"<line class="grid" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{axis_y}" stroke="#e0e0e0"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            axis_y + 16.0,
            tick_label(t, t_step)
        );
    }
    for (k, iv) in c.timeline.iter().enumerate() {
        let x = left + k as f64 * bw;
        let mut y = axis_y;
        for (count, color) in [
            (iv.accepted, "#2e7d32"),
            (iv.limited, "#c62828"),
            (iv.other, "#757575"),
        ] {
            if count == 0 {
                continue;
            }
            let bh = plot_h * count as f64 / bar_top;
            y -= bh;
            let _ = writeln!(
                s,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{bh:.2}" fill="{color}"/>"#,
                (bw - 1.0).max(0.5)
            );
        }
    }
    // Axes and their titles.
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="black"/><line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="black"/>"#,
        left + plot_w
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">seconds since the probe started</text>"#,
        left + plot_w / 2.0,
        axis_y + 32.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(16 {}) rotate(-90)" text-anchor="middle">responses per {} s (bars)</text>"#,
        top + plot_h / 2.0,
        c.interval_s
    );
    if let Some((limit, window)) = c.limit {
        trailing_window(
            &mut s,
            c,
            (limit, window),
            (left, top, plot_w, plot_h),
            &x_of,
        );
    }
    let ly = h - 14.0;
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{ly}" width="10" height="10" fill="#2e7d32"/><text x="{}" y="{}">accepted</text><rect x="{}" y="{ly}" width="10" height="10" fill="#c62828"/><text x="{}" y="{}">429</text>"##,
        left + 14.0,
        ly + 9.0,
        left + 90.0,
        left + 104.0,
        ly + 9.0
    );
    if c.limit.is_some() {
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1565c0" stroke-width="2"/><text x="{}" y="{}">accepted in the trailing window (right scale)</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ef6c00" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}">limit (right scale)</text>"##,
            left + 150.0,
            ly + 5.0,
            left + 170.0,
            ly + 5.0,
            left + 175.0,
            ly + 9.0,
            left + 450.0,
            ly + 5.0,
            left + 470.0,
            ly + 5.0,
            left + 475.0,
            ly + 9.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A round tick step for an axis from 0 to `max` (1, 2 or 5 times a power of ten, about five
/// ticks), and the axis's end: the first tick at or above `max`.
pub fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&x| x >= raw * (1.0 - 1e-9))
        .unwrap_or(raw);
    let top = (max / step - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

/// 0, step, 2 step, … up to `end` (inclusive, within rounding).
fn ticks(step: f64, end: f64) -> impl Iterator<Item = f64> {
    let n = (end / step + 1e-9).floor() as usize;
    (0..=n).map(move |k| k as f64 * step)
}

/// A tick's number with as many decimals as its step needs: 0, 2, 4; 0.5, 1, 1.5; 0.02.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6
        })
        .unwrap_or(6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The trailing-window count (accepted in the last W, at 400 points) on its own scale on the
/// right, in its colour, with round ticks; the limit N per W is a dashed line on that scale,
/// with N marked on the right axis.
fn trailing_window(
    s: &mut String,
    c: &Chart,
    (limit, window): (u64, f64),
    (left, top, plot_w, plot_h): (f64, f64, f64, f64),
    x_of: &dyn Fn(f64) -> f64,
) {
    let end = c.elapsed_s.max(1e-3);
    let count_at = |t: f64| {
        let hi = c.accepted.partition_point(|&a| a <= t);
        let lo = c.accepted.partition_point(|&a| a <= t - window);
        hi - lo
    };
    let points: Vec<(f64, usize)> = (0..=400)
        .map(|k| end * k as f64 / 400.0)
        .map(|t| (t, count_at(t)))
        .collect();
    let most = points
        .iter()
        .map(|p| p.1)
        .max()
        .unwrap_or(0)
        .max(limit as usize) as f64
        * 1.1;
    let (step, top_count) = nice_axis(most);
    let y_of = |n: f64| top + plot_h - plot_h * n / top_count;
    let path: Vec<String> = points
        .iter()
        .map(|(t, n)| format!("{:.1},{:.1}", x_of(*t), y_of(*n as f64)))
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline class="trailing" fill="none" stroke="#1565c0" stroke-width="2" points="{}"/>"##,
        path.join(" ")
    );
    let ly = y_of(limit as f64);
    let xr = left + plot_w;
    let _ = writeln!(
        s,
        r##"<line class="limit" x1="{left}" y1="{ly:.1}" x2="{xr}" y2="{ly:.1}" stroke="#ef6c00" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" fill="#ef6c00" text-anchor="end">limit {limit} per {} (right scale)</text>"##,
        xr - 4.0,
        ly - 4.0,
        xml_escape(&fmt_window(window))
    );
    let _ = writeln!(
        s,
        r##"<line x1="{xr}" y1="{top}" x2="{xr}" y2="{}" stroke="#1565c0"/>"##,
        top + plot_h
    );
    for v in ticks(step, top_count) {
        let y = y_of(v);
        let _ = writeln!(
            s,
            r##"<line x1="{xr}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#1565c0"/><text x="{}" y="{:.1}" fill="#1565c0">{}</text>"##,
            xr + 4.0,
            xr + 6.0,
            y + 4.0,
            tick_label(v, step)
        );
    }
    // N on the right axis, where the dashed line meets it.
    let _ = writeln!(
        s,
        r##"<line x1="{xr}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="#ef6c00" stroke-width="2"/>"##,
        xr + 6.0
    );
    let _ = writeln!(
        s,
        r##"<text transform="translate({} {}) rotate(90)" text-anchor="middle" fill="#1565c0">accepted in the trailing {} (line)</text>"##,
        xr + 50.0,
        top + plot_h / 2.0,
        xml_escape(&fmt_window(window))
    );
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_the_limit_the_trailing_count_and_labelled_axes() {
        let timeline = vec![
            Interval {
                start_s: 0.0,
                accepted: 10,
                limited: 5,
                other: 0,
            },
            Interval {
                start_s: 1.0,
                accepted: 10,
                limited: 0,
                other: 0,
            },
        ];
        let mut c = Chart {
            title: "fixed window of 10 per 1s",
            timeline: &timeline,
            interval_s: 1.0,
            elapsed_s: 2.0,
            limit: Some((10, 1.0)),
            // 10 at once at 0.1 s, 10 more at 1.1 s: the trailing second never holds more.
            accepted: [0.1; 10].into_iter().chain([1.1; 10]).collect(),
        };
        let svg = chart(&c);
        assert!(svg.contains(r#"class="limit""#), "{svg}");
        assert!(svg.contains("limit 10 per 1s"), "{svg}");
        assert!(svg.contains("seconds since the probe started"));
        assert!(svg.contains("responses per 1 s (bars)"));
        assert!(svg.contains("accepted in the trailing 1s (line)"));
        // The trailing count peaks at 10 (at the limit), not 20: the line's highest point is
        // the limit line's height.
        let limit_y: f64 = svg
            .split(r#"class="limit" x1="60" y1=""#)
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        let points = svg
            .split(r#"points=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let highest = points
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!((highest - limit_y).abs() < 0.11, "{highest} vs {limit_y}");
        // No limit known: bars only.
        c.limit = None;
        let svg = chart(&c);
        assert!(!svg.contains("class=\"limit\"") && !svg.contains("trailing"));
        assert!(svg.contains("seconds since the probe started"));
    }

    /// Issue 26: the SVG's ticks read 0.0/1.0/2.1/3.1 (a quarter of the run each).
    #[test]
    fn svg_ticks_are_round_numbers_not_quarters_of_the_run() {
        assert_eq!(nice_axis(3.1), (1.0, 4.0));
        assert_eq!(nice_axis(10.0), (2.0, 10.0));
        assert_eq!(nice_axis(23.0), (5.0, 25.0));
        assert_eq!(nice_axis(0.7), (0.2, 0.8));
        let labels: Vec<String> = ticks(0.2, 0.8).map(|v| tick_label(v, 0.2)).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8"]);
        let labels: Vec<String> = ticks(0.05, 0.15).map(|v| tick_label(v, 0.05)).collect();
        assert_eq!(labels, ["0", "0.05", "0.1", "0.15"]);
        let timeline: Vec<Interval> = (0..31)
            .map(|k| Interval {
                start_s: k as f64 * 0.1,
                accepted: 3,
                limited: k % 4,
                other: 0,
            })
            .collect();
        let svg = chart(&Chart {
            title: "t",
            timeline: &timeline,
            interval_s: 0.1,
            elapsed_s: 3.1,
            limit: Some((10, 1.0)),
            accepted: (0..93).map(|k| k as f64 / 30.0).collect(),
        });
        for bad in [">2.1<", ">3.1<", ">0.0<", ">1.0<"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        for good in [">1<", ">2<", ">3<"] {
            assert!(svg.contains(good), "{good} missing");
        }
        assert!(svg.matches(r#"class="grid""#).count() >= 6, "{svg}");
        assert!(svg.contains("(right scale)"));
    }

    #[test]
    fn probe_lines_wrap_to_the_terminal_width() {
        let text = "clerk-rl: probe (burst mode) will send at most 300 requests (GET /v1/users?limit=1) within 1m; Ctrl-C (or SIGTERM, SIGHUP) stops it and prints what it found";
        let w = wrap(text, 80);
        assert!(w.lines().count() >= 2, "{w}");
        assert!(w.lines().all(|l| l.chars().count() <= 80), "{w}");
        assert_eq!(
            w.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert_eq!(wrap("short", 80), "short");
    }

    #[test]
    fn windows_snap_to_round_values_or_round_up() {
        assert_eq!(fmt_window(1.0), "1s");
        assert_eq!(fmt_window(0.987), "1s");
        assert_eq!(fmt_window(10.2), "10s");
        assert_eq!(fmt_window(9.4), "10s");
        assert_eq!(fmt_window(0.47), "500ms");
        assert_eq!(fmt_window(0.5), "500ms");
        assert_eq!(fmt_window(2.03), "2s");
        assert_eq!(fmt_window(0.123), "130ms");
        assert_eq!(fmt_window(0.0415), "50ms");
    }

    #[test]
    fn advice_rounds_the_window_up_never_down() {
        assert_eq!(window_up(10.0), ("10s".into(), 10.0));
        assert_eq!(window_up(9.97), ("10s".into(), 10.0));
        assert_eq!(window_up(10.03), ("10100ms".into(), 10.1));
        assert_eq!(window_up(0.987), ("990ms".into(), 0.99));
        assert_eq!(window_up(0.5), ("500ms".into(), 0.5));
    }

    #[test]
    fn csv_has_one_row_per_request_in_send_order() {
        use super::super::infer::Phase;
        let s = |t: u64, status| Sample {
            sent: std::time::Duration::from_millis(t),
            received: std::time::Duration::from_millis(t + 5),
            status,
            phase: Phase::Probe,
            step: 0,
            view: crate::http::RateLimitView {
                remaining: Some(3),
                ..Default::default()
            },
        };
        let text = csv(&[s(10, 429), s(0, 200)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "0.000000,0.005000,200,probe,3,,");
        assert_eq!(lines[2], "0.010000,0.015000,429,probe,3,,");
    }
}
