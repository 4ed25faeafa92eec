//! The report as a table on stdout: the run, what it found, and what the server said.

use std::fmt::Write as _;

use comfy_table::Table;

use crate::commands::probe::infer::{Algorithm, Inference};
use crate::commands::probe::report::{Report, fmt_window};

pub(super) fn table(r: &Report) -> Table {
    let mut t = crate::ui::table(crate::ui::Stream::Stdout);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![k.to_string(), v]);
    };
    what_was_sent(r, &mut row);
    what_was_found(r, &mut row);
    what_the_server_said(r, &mut row);
    t
}

/// The table's first rows: the verdict, then the run itself (what was sent, what came back).
fn what_was_sent(r: &Report, row: &mut dyn FnMut(&str, String)) {
    let i = &r.inference;
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
}

/// The middle rows: the limit and the model found (burst mode) or the rate once limited, the
/// evidence, what is not ruled out, and a ramp's steps.
fn what_was_found(r: &Report, row: &mut dyn FnMut(&str, String)) {
    let i = &r.inference;
    if r.mode == "burst" {
        the_model(i, row);
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
}

/// Burst mode's rows: N, W, a bucket's capacity and rate, the algorithm, and how well each
/// model explains the responses.
fn the_model(i: &Inference, row: &mut dyn FnMut(&str, String)) {
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
