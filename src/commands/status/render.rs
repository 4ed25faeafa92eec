//! How a status report is shown: one JSON object (docs/schema/status.json), or a table for people.

use comfy_table::Table;

use super::report::Report;
use crate::http::client::fmt_ms;

/// `--json`: one line, the whole report.
pub fn json(r: &Report) -> anyhow::Result<String> {
    Ok(serde_json::to_string(r)?)
}

pub fn table(r: &Report) -> Table {
    let mut t = crate::ui::table(crate::ui::Stream::Stdout);
    settings_rows(&mut t, r);
    answer_rows(&mut t, r);
    rate_limit_rows(&mut t, r);
    t.add_row(vec!["trace id".into(), or_dash(r.trace_id.clone())]);
    if let Some(e) = &r.error {
        t.add_row(vec![
            "error".into(),
            e["message"].as_str().unwrap_or("").to_string(),
        ]);
    }
    budget_store_rows(&mut t, r);
    for h in &r.hints {
        t.add_row(vec!["hint".into(), h.clone()]);
    }
    t
}

fn or_dash(o: Option<String>) -> String {
    o.unwrap_or_else(|| "-".into())
}

/// What the run was set to: where, which key, the documented limit, the budget and the
/// endpoint budgets.
fn settings_rows(t: &mut Table, r: &Report) {
    t.add_row(vec!["API URL".to_string(), r.api_url.clone()]);
    t.add_row(vec![
        "instance".into(),
        format!("{} (key {})", r.instance, r.key),
    ]);
    t.add_row(vec![
        "documented limit".into(),
        r.documented_limit
            .map(|d| format!("{d} ({} instances)", r.instance))
            .unwrap_or_else(|| "unknown for this key prefix".into()),
    ]);
    let b = &r.budget;
    let src = if b.custom_rate {
        "--rate".to_string()
    } else {
        format!("plan {}", b.plan)
    };
    t.add_row(vec![
        "budget".into(),
        match b.burst {
            Some(burst) => format!("{} ({src}), token bucket of {burst}", b.rate),
            None => format!(
                "{} ({src}), never more than {} in any {}",
                b.rate,
                b.rate.limit,
                humantime::format_duration(b.rate.window)
            ),
        },
    ]);
    for e in &r.endpoint_budgets {
        t.add_row(vec![
            format!("endpoint budget {}", e.name),
            format!(
                "{} {}: {} per {}",
                e.method,
                e.paths.join(", "),
                e.rate,
                if e.per_user { "user" } else { "instance" }
            ),
        ]);
    }
}

/// The one request and its answer: status and latency.
fn answer_rows(t: &mut Table, r: &Report) {
    t.add_row(vec!["request".into(), r.request.to_string()]);
    t.add_row(vec![
        "HTTP status".into(),
        or_dash(r.http_status.map(|s| {
            let reason = reqwest::StatusCode::from_u16(s)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("");
            format!("{s} {reason}").trim().to_string()
        })),
    ]);
    t.add_row(vec![
        "latency".into(),
        or_dash(r.latency_ms.map(|ms| {
            let tries = r.attempts.unwrap_or(1);
            let s = fmt_ms(std::time::Duration::from_millis(ms));
            if tries > 1 {
                format!("{s} ({tries} tries)")
            } else {
                s
            }
        })),
    ]);
}

/// The rate-limit headers as sent, and what they say once parsed.
fn rate_limit_rows(t: &mut Table, r: &Report) {
    let v = &r.rate_limit;
    if v.headers.is_empty() {
        t.add_row(vec!["rate-limit headers", "not provided"]);
    } else {
        let lines: Vec<String> = v
            .headers
            .iter()
            .map(|(k, val)| format!("{k}: {val}"))
            .collect();
        t.add_row(vec!["rate-limit headers".into(), lines.join("\n")]);
    }
    if r.rate_limit_headers_provided {
        t.add_row(vec![
            "limit".into(),
            or_dash(v.limit.map(|l| l.to_string())),
        ]);
        t.add_row(vec![
            "remaining".into(),
            or_dash(v.remaining.map(|rem| match v.remaining_pct() {
                Some(p) => format!("{rem} ({p:.0}%)"),
                None => rem.to_string(),
            })),
        ]);
        t.add_row(vec![
            "reset in".into(),
            or_dash(v.reset.map(|d| format!("{:.1} s", d.as_secs_f64()))),
        ]);
        if let Some(w) = v.window {
            t.add_row(vec!["window".into(), format!("{:.1} s", w.as_secs_f64())]);
        }
    }
    for m in &v.malformed {
        t.add_row(vec!["ignored header".into(), m.clone()]);
    }
}

/// `--budget-store`: the processes sharing the budget.
fn budget_store_rows(t: &mut Table, r: &Report) {
    if let Some(store) = &r.budget_store {
        t.add_row(vec![
            "budget store".into(),
            format!(
                "{}: {} process(es), {} requests in the last window{}",
                store.url,
                store.processes.len(),
                store.sent_last_window,
                if store.shared {
                    ""
                } else {
                    " (Redis lost: pacing alone)"
                }
            ),
        ]);
        for p in &store.processes {
            t.add_row(vec![
                "  process".into(),
                format!(
                    "{} pid {} on {}: {} requests in the last window",
                    p.command, p.pid, p.host, p.sent_last_window
                ),
            ]);
        }
    }
}
