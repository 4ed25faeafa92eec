//! The probe's report: a table (or one JSON object) on stdout, a timeline in the terminal, and
//! optionally an SVG chart and a CSV of every request. Built from the samples alone, so an
//! interrupted run reports exactly what it saw.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use comfy_table::Table;
use serde::Serialize;

use super::infer::{self, Algorithm, Inference, Sample, Verdict};
use super::{Mode, Plan};
use crate::budget::Rate;
use crate::context::Context;
use crate::error::{Exit, fail};

#[derive(Debug, Serialize)]
pub struct Report {
    pub exit_code: i32,
    pub mode: &'static str,
    pub endpoint: String,
    pub api_url: String,
    pub key: String,
    pub instance: &'static str,
    pub documented_limit: Option<Rate>,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Interval {
    pub start_s: f64,
    pub accepted: usize,
    pub limited: usize,
    pub other: usize,
}

pub fn build(
    ctx: &Context,
    plan: &Plan,
    samples: &[Sample],
    max_requests: u64,
    max_duration: std::time::Duration,
    stopped_by: &'static str,
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
    let exit = if stopped_by == "interrupted" {
        Exit::Interrupted
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
        max_requests,
        max_duration_s: max_duration.as_secs_f64(),
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
        Verdict::Inferred | Verdict::Partial => {
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
            if i.verdict == Verdict::Partial && i.algorithm.is_some() {
                format!("{head} (tentative: the run ended before a second recovery confirmed it)")
            } else {
                head
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

fn recommend(i: &Inference) -> Option<Recommended> {
    let rate = match (i.verdict, i.algorithm, i.limit, i.window_s) {
        (Verdict::Inferred | Verdict::Partial, Some(_), Some(n), Some(w)) if n > 0 => {
            format!("{n}/{}", fmt_window(w))
        }
        (Verdict::Load, _, _, _) => {
            let r = i.rate_per_s?;
            let n = (r * 10.0).floor() as u64;
            if n == 0 {
                return None;
            }
            format!("{n}/10s")
        }
        _ => return None,
    };
    let burst = if i.algorithm == Some(Algorithm::Bucket) {
        i.capacity
    } else {
        None
    };
    let flags = match burst {
        Some(b) => format!("--rate {rate} --burst {b}"),
        None => format!("--rate {rate}"),
    };
    Some(Recommended { rate, burst, flags })
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

pub fn emit(ctx: &Context, plan: &Plan, r: &Report, samples: &[Sample]) -> anyhow::Result<()> {
    if let Some(p) = &plan.timeline {
        write_file(p, &csv(samples))?;
    }
    if let Some(p) = &plan.plot {
        write_file(p, &svg(r))?;
    }
    let mut out = std::io::stdout().lock();
    if ctx.global.json {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
    } else {
        writeln!(out, "{}", table(r))?;
        write!(out, "{}", terminal_timeline(r))?;
    }
    out.flush()?;
    Ok(())
}

fn write_file(p: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(p, text)
        .map_err(|e| fail(Exit::Other, format!("cannot write {}: {e}", p.display())))
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
        Some(rec) => row("use", format!("clerk-rl {} ...", rec.flags)),
        None => row("use", "no budget to recommend from this run".into()),
    }
    t
}

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Two rows of bars, accepted over 429s, one column per interval.
fn terminal_timeline(r: &Report) -> String {
    let peak = r
        .timeline
        .iter()
        .map(|i| i.accepted.max(i.limited + i.other))
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
    let ok: String = r.timeline.iter().map(|i| bar(i.accepted)).collect();
    let no: String = r
        .timeline
        .iter()
        .map(|i| bar(i.limited + i.other))
        .collect();
    format!(
        "timeline: one column per {} s, 0 to {:.2} s, tallest bar {peak} requests\naccepted │{ok}\n429      │{no}\n",
        r.interval_s, r.elapsed_s
    )
}

/// The timeline as a stacked bar chart, hand-written: a few rectangles need no charting crate.
pub fn svg(r: &Report) -> String {
    let (w, h, left, bottom, top) = (760.0, 300.0, 50.0, 40.0, 40.0);
    let plot_w = w - left - 20.0;
    let plot_h = h - bottom - top;
    let peak = r
        .timeline
        .iter()
        .map(|i| i.accepted + i.limited + i.other)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = r.timeline.len().max(1) as f64;
    let bw = plot_w / n;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let title = xml_escape(&format!("clerk-rl probe: {}", r.summary));
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="20" font-size="14">{title}</text>"#
    );
    for (k, iv) in r.timeline.iter().enumerate() {
        let x = left + k as f64 * bw;
        let mut y = top + plot_h;
        for (count, color) in [
            (iv.accepted, "#2e7d32"),
            (iv.limited, "#c62828"),
            (iv.other, "#757575"),
        ] {
            if count == 0 {
                continue;
            }
            let bh = plot_h * count as f64 / peak;
            y -= bh;
            let _ = writeln!(
                s,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{bh:.2}" fill="{color}"/>"#,
                (bw - 1.0).max(0.5)
            );
        }
    }
    let axis_y = top + plot_h;
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="black"/>"#,
        left + plot_w
    );
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end">{peak}</text>"#,
        left - 5.0,
        top + 10.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{axis_y}" text-anchor="end">0</text>"#,
        left - 5.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}">0 s</text><text x="{}" y="{}" text-anchor="end">{:.2} s (bars of {} s)</text>"#,
        axis_y + 16.0,
        left + plot_w,
        axis_y + 16.0,
        r.elapsed_s,
        r.interval_s
    );
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{}" width="10" height="10" fill="#2e7d32"/><text x="{}" y="{}">accepted</text><rect x="{}" y="{}" width="10" height="10" fill="#c62828"/><text x="{}" y="{}">429</text>"##,
        h - 14.0,
        left + 14.0,
        h - 5.0,
        left + 90.0,
        h - 14.0,
        left + 104.0,
        h - 5.0
    );
    s.push_str("</svg>\n");
    s
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
