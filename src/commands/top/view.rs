//! What `top` shows, as a pure function of the records read: the processes (stale ones
//! dropped), the key's total in the window against the budget, as JSON or a table.

use serde::Serialize;

use crate::pacing::budget::Budget;
use crate::pacing::shared::{HEARTBEAT_TTL, ProcessInfo};

/// One process as `top` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub command: String,
    pub host: String,
    pub pid: u32,
    pub started_ms: u64,
    pub uptime_s: f64,
    /// Requests it sent in the last window.
    pub sent_last_window: u64,
    pub requests: u64,
    pub rate_limited: u64,
    pub budget_wait_s: f64,
    pub server_wait_s: f64,
    pub in_flight: u64,
    pub last_seen_ms: u64,
    /// How old its record is.
    pub age_ms: u64,
}

/// The budget `top` measures the total against.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BudgetShown {
    pub limit: u32,
    pub window_s: f64,
    /// `processes` (the lowest budget a process reports) or `flags` (this command's
    /// --plan/--rate, when no process reports one).
    pub source: &'static str,
}

/// The whole view: `top --json` prints this.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct View {
    pub processes: Vec<Row>,
    /// The window the counts cover, seconds.
    pub window: f64,
    pub budget: BudgetShown,
    /// Requests every process sent in the last window.
    pub total_in_window: u64,
    /// `total_in_window` over the budget's limit, in percent.
    pub used_pct: f64,
    pub in_flight: u64,
    pub rate_limited: u64,
    /// The store read (without credentials).
    pub store: String,
    pub at_ms: u64,
}

/// Records whose last heartbeat is older than this are gone (the process died or left).
pub fn is_stale(p: &ProcessInfo, now_ms: u64) -> bool {
    now_ms.saturating_sub(p.last_seen_ms) > HEARTBEAT_TTL.as_millis() as u64
}

/// The view of the fresh records among `records` at `now_ms`. Ordered busiest first, then by
/// host and pid, so rows do not jump between refreshes when nothing changes.
pub fn build(records: &[ProcessInfo], now_ms: u64, flags: &Budget, store: &str) -> View {
    let mut rows: Vec<Row> = records
        .iter()
        .filter(|p| !is_stale(p, now_ms))
        .map(|p| Row {
            command: crate::ui::clean(&p.command),
            host: crate::ui::clean(&p.host),
            pid: p.pid,
            started_ms: p.activity.started_ms,
            uptime_s: if p.activity.started_ms == 0 {
                0.0
            } else {
                now_ms.saturating_sub(p.activity.started_ms) as f64 / 1000.0
            },
            sent_last_window: p.sent_last_window,
            requests: p.activity.requests,
            rate_limited: p.activity.rate_limited,
            budget_wait_s: p.activity.budget_wait_s,
            server_wait_s: p.activity.server_wait_s,
            in_flight: p.activity.in_flight,
            last_seen_ms: p.last_seen_ms,
            age_ms: now_ms.saturating_sub(p.last_seen_ms),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.sent_last_window
            .cmp(&a.sent_last_window)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.pid.cmp(&b.pid))
    });
    let reported = records
        .iter()
        .filter(|p| {
            !is_stale(p, now_ms) && p.activity.budget_limit > 0 && p.activity.window_s > 0.0
        })
        .min_by_key(|p| p.activity.budget_limit);
    let budget = match reported {
        Some(p) => BudgetShown {
            limit: p.activity.budget_limit,
            window_s: p.activity.window_s,
            source: "processes",
        },
        None => BudgetShown {
            limit: flags.rate.limit,
            window_s: flags.rate.window.as_secs_f64(),
            source: "flags",
        },
    };
    let total: u64 = rows.iter().map(|r| r.sent_last_window).sum();
    View {
        window: budget.window_s,
        used_pct: (total as f64 * 1000.0 / budget.limit.max(1) as f64).round() / 10.0,
        total_in_window: total,
        in_flight: rows.iter().map(|r| r.in_flight).sum(),
        rate_limited: rows.iter().map(|r| r.rate_limited).sum(),
        processes: rows,
        budget,
        store: store.to_string(),
        at_ms: now_ms,
    }
}

fn secs(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// The view for people: a header line, then one row per process.
pub fn render(v: &View, width: u16) -> String {
    let window = secs(v.window);
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(v.at_ms);
    let mut out = format!(
        "clerk-rl top: {} process(es) on the key through {}, at {}\nin the last {window}: {} of {} requests ({}%), {} in flight, {} 429(s) since they started; budget {}/{window} ({})\n",
        v.processes.len(),
        v.store,
        humantime::format_rfc3339_seconds(at),
        v.total_in_window,
        v.budget.limit,
        v.used_pct,
        v.in_flight,
        v.rate_limited,
        v.budget.limit,
        if v.budget.source == "processes" {
            "as the processes report it"
        } else {
            "from --plan/--rate: no process reports one"
        },
    );
    if v.processes.is_empty() {
        out.push_str("no process is spending the key through this store now\n");
        return out;
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_width(width);
    t.set_header(vec![
        "pid",
        "host",
        "command",
        "up",
        "in window",
        "requests",
        "429s",
        "waited (budget/server)",
        "in flight",
        "seen",
    ]);
    for r in &v.processes {
        t.add_row(vec![
            r.pid.to_string(),
            r.host.clone(),
            r.command.clone(),
            secs(r.uptime_s),
            r.sent_last_window.to_string(),
            r.requests.to_string(),
            r.rate_limited.to_string(),
            format!("{}/{}", secs(r.budget_wait_s), secs(r.server_wait_s)),
            r.in_flight.to_string(),
            format!("{:.1}s ago", r.age_ms as f64 / 1000.0),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::activity::Activity;
    use crate::pacing::budget::Plan;

    fn p(pid: u32, sent: u64, seen: u64, limit: u32) -> ProcessInfo {
        ProcessInfo {
            id: format!("p{pid}"),
            pid,
            host: "h".into(),
            command: "export-users".into(),
            sent_last_window: sent,
            last_seen_ms: seen,
            activity: Activity {
                budget_limit: limit,
                window_s: 10.0,
                in_flight: 1,
                ..Activity::default()
            },
        }
    }

    #[test]
    fn stale_records_are_dropped_and_the_total_is_against_the_lowest_budget() {
        let now = 100_000;
        let records = [
            p(1, 30, now - 500, 100),
            p(2, 10, now - 10_000, 100), // stale: gone
            p(3, 40, now, 80),
        ];
        let v = build(
            &records,
            now,
            &Budget::new(Plan::Free, None, None),
            "redis://x:1/0",
        );
        let pids: Vec<u32> = v.processes.iter().map(|r| r.pid).collect();
        assert_eq!(pids, [3, 1]);
        assert_eq!(
            (v.total_in_window, v.budget.limit, v.in_flight),
            (70, 80, 2)
        );
        assert_eq!(v.used_pct, 87.5);
        assert_eq!(v.budget.source, "processes");
        let text = render(&v, 120);
        assert!(text.contains("70 of 80 requests (87.5%)"), "{text}");
    }

    #[test]
    fn without_reports_the_flags_budget_counts() {
        let v = build(&[], 5, &Budget::new(Plan::Dev, None, None), "redis://x:1/0");
        assert_eq!((v.budget.limit, v.budget.source), (100, "flags"));
        assert!(render(&v, 80).contains("no process is spending the key"));
    }
}
