//! `clerk-rl status`: one quick call, and everything it says about the key's rate limit.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use serde_json::json;

use crate::budget::Rate;
use crate::cli::StatusArgs;
use crate::context::Context;
use crate::error::Exit;
use crate::http::client::fmt_ms;
use crate::http::{HttpError, RateLimitView};
use crate::shared_budget::ProcessInfo;

#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    exit_code: i32,
    api_url: String,
    key: String,
    instance: &'static str,
    documented_limit: Option<Rate>,
    budget: BudgetView,
    request: &'static str,
    http_status: Option<u16>,
    latency_ms: Option<u64>,
    attempts: Option<u32>,
    rate_limit_headers_provided: bool,
    rate_limit: RateLimitView,
    trace_id: Option<String>,
    error: Option<serde_json::Value>,
    hints: Vec<String>,
    /// With --budget-store: the store and the processes sharing the budget now.
    #[serde(skip_serializing_if = "Option::is_none")]
    budget_store: Option<StoreView>,
}

#[derive(Debug, Serialize)]
struct StoreView {
    url: String,
    /// False when Redis was lost and this process paces alone.
    shared: bool,
    processes: Vec<ProcessInfo>,
    sent_last_window: u64,
}

#[derive(Debug, Serialize)]
struct BudgetView {
    plan: &'static str,
    rate: Rate,
    burst: Option<u32>,
    custom_rate: bool,
}

const REQUEST: &str = "GET /v1/users?limit=1";

pub async fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<Exit> {
    let url = ctx.client.url("/v1/users", &[("limit", "1")]);
    let result = ctx.client.get(&url).await;
    let documented = ctx.instance.documented_rate();
    let mut report = Report {
        ok: false,
        exit_code: 0,
        api_url: ctx.client.base().as_str().trim_end_matches('/').to_string(),
        key: ctx.key.masked(),
        instance: ctx.instance.name(),
        documented_limit: documented,
        budget: BudgetView {
            plan: ctx.budget.plan.name(),
            rate: ctx.budget.rate,
            burst: ctx.budget.burst,
            custom_rate: ctx.budget.custom_rate,
        },
        request: REQUEST,
        http_status: None,
        latency_ms: None,
        attempts: None,
        rate_limit_headers_provided: false,
        rate_limit: RateLimitView::default(),
        trace_id: None,
        error: None,
        hints: Vec::new(),
        budget_store: None,
    };
    let mut exit = Exit::Ok;
    match result {
        Ok(resp) => {
            report.ok = true;
            report.http_status = Some(resp.status.as_u16());
            report.latency_ms = Some(resp.latency.as_millis() as u64);
            report.attempts = Some(resp.attempts);
            report.trace_id = ["clerk-trace-id", "x-clerk-trace-id", "cf-ray"]
                .iter()
                .find_map(|h| resp.headers.get(*h))
                .and_then(|v| v.to_str().ok())
                .map(crate::ui::clean);
            report.rate_limit_headers_provided = !resp.view.conventions.is_empty();
            report.rate_limit = resp.view;
            if let Some(min) = args.min_remaining {
                match report.rate_limit.remaining_pct() {
                    Some(pct) if pct < min as f64 => {
                        exit = Exit::RateLimited;
                        report.ok = false;
                        report.hints.push(format!(
                            "only {pct:.0}% of the limit remains, under --min-remaining {min}%"
                        ));
                    }
                    Some(_) => {}
                    None => report.hints.push(format!(
                        "the server sent no Remaining and Limit headers, so --min-remaining {min}% could not be checked"
                    )),
                }
            }
        }
        Err(e) => {
            exit = e.exit();
            let (status, code, trace) = match &e {
                HttpError::Clerk(c) | HttpError::RateLimited { last: c, .. } => {
                    (Some(c.status), c.code.clone(), c.trace_id.clone())
                }
                _ => (None, None, None),
            };
            report.http_status = status;
            report.trace_id = trace;
            report.error = Some(json!({"code": code, "message": e.to_string()}));
        }
    }
    report.exit_code = exit.code();
    report.hints.extend(hints(ctx, documented));
    report.hints.extend(ctx.headroom_hint());
    if let Some(sb) = &ctx.shared {
        let processes = match sb.processes().await {
            Ok(p) => p,
            Err(e) => {
                report.hints.push(format!(
                    "could not list the processes sharing the budget: {e}"
                ));
                Vec::new()
            }
        };
        report.budget_store = Some(StoreView {
            url: sb.shown().to_string(),
            shared: !sb.is_local(),
            sent_last_window: processes.iter().map(|p| p.sent_last_window).sum(),
            processes,
        });
    }

    if ctx.global.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", table(&report));
    }
    if let Some(err) = &report.error
        && !ctx.global.json
    {
        ctx.ui.line(&format!(
            "clerk-rl: error: {}",
            err["message"].as_str().unwrap_or("request failed")
        ));
    }
    Ok(exit)
}

fn hints(ctx: &Context, documented: Option<Rate>) -> Vec<String> {
    let mut out = Vec::new();
    let budget = &ctx.budget;
    if let Some(doc) = documented {
        let over_rate = budget.rate.per_second() > doc.per_second() + 1e-9;
        let over_burst = budget.initial_burst() > doc.limit;
        if over_rate || over_burst {
            out.push(format!(
                "the budget {} exceeds Clerk's documented {} limit of {doc} for {} instances: expect 429s",
                budget.describe(),
                ctx.instance.name(),
                ctx.instance.name()
            ));
        }
    }
    out
}

fn table(r: &Report) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let or_dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
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
    t.add_row(vec!["trace id".into(), or_dash(r.trace_id.clone())]);
    if let Some(e) = &r.error {
        t.add_row(vec![
            "error".into(),
            e["message"].as_str().unwrap_or("").to_string(),
        ]);
    }
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
    for h in &r.hints {
        t.add_row(vec!["hint".into(), h.clone()]);
    }
    t
}
