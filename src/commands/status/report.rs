//! What `status` concludes from what it observed: a pure function of plain data (the settings and
//! [`Observed`]), so every verdict, hint and exit code is tested without HTTP.

use serde::Serialize;
use serde_json::json;

use super::fetch::{Observed, REQUEST};
use crate::error::Exit;
use crate::http::RateLimitView;
use crate::pacing::budget::{Budget, Instance, Rate};
use crate::pacing::endpoint_limits::EndpointLimit;
use crate::pacing::shared::ProcessInfo;

#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    pub exit_code: i32,
    pub api_url: String,
    pub key: String,
    pub instance: &'static str,
    pub documented_limit: Option<Rate>,
    pub budget: BudgetView,
    /// Clerk's documented endpoint limits (or --endpoint-rate's), paced besides the budget.
    pub endpoint_budgets: Vec<EndpointLimit>,
    pub request: &'static str,
    pub http_status: Option<u16>,
    pub latency_ms: Option<u64>,
    pub attempts: Option<u32>,
    pub rate_limit_headers_provided: bool,
    pub rate_limit: RateLimitView,
    pub trace_id: Option<String>,
    pub error: Option<serde_json::Value>,
    pub hints: Vec<String>,
    /// Why the --min-remaining gate failed: shown on stderr as one line (and among the hints).
    #[serde(skip)]
    pub gate_failure: Option<String>,
    /// With --budget-store: the store and the processes sharing the budget now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_store: Option<StoreView>,
}

#[derive(Debug, Serialize)]
pub struct StoreView {
    pub url: String,
    /// False when Redis was lost and this process paces alone.
    pub shared: bool,
    pub processes: Vec<ProcessInfo>,
    pub sent_last_window: u64,
}

#[derive(Debug, Serialize)]
pub struct BudgetView {
    pub plan: &'static str,
    pub rate: Rate,
    pub burst: Option<u32>,
    pub custom_rate: bool,
}

/// The settings a report describes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_url: String,
    pub key_masked: String,
    pub instance: Instance,
    pub budget: Budget,
    /// The headroom hint, when the budget leaves most of the documented limit unused.
    pub headroom: Option<String>,
    pub min_remaining: Option<u8>,
    /// --allow-unknown: a gate that cannot be checked passes instead of failing closed.
    pub allow_unknown: bool,
    pub endpoint_budgets: Vec<EndpointLimit>,
}

/// The report and the exit code.
pub fn assess(s: &Settings, obs: Observed) -> (Report, Exit) {
    let documented = s.instance.documented_rate();
    let mut report = Report {
        ok: false,
        exit_code: 0,
        api_url: s.api_url.clone(),
        key: s.key_masked.clone(),
        instance: s.instance.name(),
        documented_limit: documented,
        budget: BudgetView {
            plan: s.budget.plan.name(),
            rate: s.budget.rate,
            burst: s.budget.burst,
            custom_rate: s.budget.custom_rate,
        },
        endpoint_budgets: s.endpoint_budgets.clone(),
        request: REQUEST,
        http_status: None,
        latency_ms: None,
        attempts: None,
        rate_limit_headers_provided: false,
        rate_limit: RateLimitView::default(),
        trace_id: None,
        error: None,
        hints: Vec::new(),
        gate_failure: None,
        budget_store: None,
    };
    let mut exit = Exit::Ok;
    match obs.answer {
        Ok(a) => {
            report.ok = true;
            report.http_status = Some(a.status);
            report.latency_ms = Some(a.latency_ms);
            report.attempts = Some(a.attempts);
            report.trace_id = a.trace_id;
            report.rate_limit_headers_provided = !a.view.conventions.is_empty();
            report.rate_limit = a.view;
            if let Some(min) = s.min_remaining {
                // A gate that cannot see the headers fails closed: a CI step guarding a
                // nearly spent key must not pass because the server said nothing.
                let failure = match report.rate_limit.remaining_pct() {
                    Some(pct) if pct < min as f64 => Some(format!(
                        "only {pct:.0}% of the limit remains, under --min-remaining {min}%"
                    )),
                    Some(_) => None,
                    None if s.allow_unknown => {
                        report.hints.push(format!(
                            "the server sent no Remaining and Limit headers, so --min-remaining {min}% could not be checked (passed: --allow-unknown)"
                        ));
                        None
                    }
                    None => Some(format!(
                        "the server sent no Remaining and Limit headers, so --min-remaining {min}% could not be checked; pass --allow-unknown to let the gate pass then"
                    )),
                };
                if let Some(why) = failure {
                    exit = Exit::RateLimited;
                    report.ok = false;
                    report.hints.push(why.clone());
                    report.gate_failure = Some(why);
                }
            }
        }
        Err(f) => {
            exit = f.exit;
            report.http_status = f.status;
            report.trace_id = f.trace_id;
            report.error = Some(json!({"code": f.code, "message": f.message}));
        }
    }
    report.exit_code = exit.code();
    report
        .hints
        .extend(over_documented(&s.budget, s.instance, documented));
    report.hints.extend(s.headroom.clone());
    if let Some(store) = obs.store {
        let processes = match store.processes {
            Ok(p) => p,
            Err(e) => {
                report.hints.push(format!(
                    "could not list the processes sharing the budget: {e}"
                ));
                Vec::new()
            }
        };
        report.budget_store = Some(StoreView {
            url: store.url,
            shared: store.shared,
            sent_last_window: processes.iter().map(|p| p.sent_last_window).sum(),
            processes,
        });
    }
    (report, exit)
}

/// A budget above Clerk's documented limit for the instance is a hint: expect 429s.
fn over_documented(
    budget: &Budget,
    instance: Instance,
    documented: Option<Rate>,
) -> Option<String> {
    let doc = documented?;
    let over_rate = budget.rate.per_second() > doc.per_second() + 1e-9;
    let over_burst = budget.initial_burst() > doc.limit;
    (over_rate || over_burst).then(|| {
        format!(
            "the budget {} exceeds Clerk's documented {} limit of {doc} for {} instances: expect 429s",
            budget.describe(),
            instance.name(),
            instance.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::status::fetch::{Answer, Refusal, StoreSeen};
    use crate::pacing::budget::Plan;

    fn settings(plan: Plan, min_remaining: Option<u8>) -> Settings {
        Settings {
            api_url: "https://api.clerk.com".into(),
            key_masked: "sk_test_…abcd".into(),
            instance: Instance::Development,
            budget: Budget::new(plan, None, None),
            headroom: None,
            min_remaining,
            allow_unknown: false,
            endpoint_budgets: Vec::new(),
        }
    }

    fn answer(remaining: Option<u64>, limit: Option<u64>) -> Observed {
        let mut view = RateLimitView {
            remaining,
            limit,
            ..Default::default()
        };
        if remaining.is_some() {
            view.conventions.push("x-ratelimit");
        }
        Observed {
            answer: Ok(Answer {
                status: 200,
                latency_ms: 12,
                attempts: 1,
                trace_id: Some("t".into()),
                view,
            }),
            store: None,
        }
    }

    #[test]
    fn min_remaining_is_a_gate_on_the_headers() {
        let (r, exit) = assess(&settings(Plan::Dev, Some(20)), answer(Some(10), Some(100)));
        assert_eq!((exit, r.ok, r.exit_code), (Exit::RateLimited, false, 3));
        assert_eq!(
            r.hints,
            ["only 10% of the limit remains, under --min-remaining 20%"]
        );
        let (r, exit) = assess(&settings(Plan::Dev, Some(20)), answer(Some(50), Some(100)));
        assert_eq!((exit, r.ok), (Exit::Ok, true));
        assert!(r.hints.is_empty(), "{:?}", r.hints);
        let (r, exit) = assess(&settings(Plan::Dev, Some(20)), answer(None, None));
        assert_eq!((exit, r.ok), (Exit::RateLimited, false));
        assert!(r.hints[0].contains("could not be checked"), "{:?}", r.hints);
        assert!(r.gate_failure.unwrap().contains("--allow-unknown"));
        assert!(!r.rate_limit_headers_provided);
        let mut s = settings(Plan::Dev, Some(20));
        s.allow_unknown = true;
        let (r, exit) = assess(&s, answer(None, None));
        assert_eq!((exit, r.ok), (Exit::Ok, true));
        assert!(r.hints[0].contains("could not be checked"), "{:?}", r.hints);
        assert!(r.gate_failure.is_none());
    }

    #[test]
    fn a_refusal_keeps_its_exit_code_status_and_clerk_code() {
        let obs = Observed {
            answer: Err(Refusal {
                exit: Exit::Auth,
                status: Some(401),
                code: Some("clerk_key_invalid".into()),
                trace_id: Some("trace-1".into()),
                message: "HTTP 401".into(),
            }),
            store: None,
        };
        let (r, exit) = assess(&settings(Plan::Dev, None), obs);
        assert_eq!((exit, r.exit_code, r.ok), (Exit::Auth, 4, false));
        assert_eq!(r.http_status, Some(401));
        assert_eq!(r.error.as_ref().unwrap()["code"], "clerk_key_invalid");
        assert_eq!(r.trace_id.as_deref(), Some("trace-1"));
        assert_eq!(r.latency_ms, None);
    }

    #[test]
    fn hints_say_when_the_budget_is_above_the_documented_limit_or_far_under_it() {
        let (r, _) = assess(&settings(Plan::Prod, None), answer(None, None));
        assert!(
            r.hints[0].contains("exceeds Clerk's documented development limit"),
            "{:?}",
            r.hints
        );
        let mut s = settings(Plan::Free, None);
        s.headroom = Some("using 20% of ...".into());
        let (r, _) = assess(&s, answer(None, None));
        assert_eq!(r.hints, ["using 20% of ..."]);
    }

    #[test]
    fn the_store_lists_processes_or_says_why_it_cannot() {
        let p = |n: u64| ProcessInfo {
            id: format!("p{n}"),
            pid: n as u32,
            host: "h".into(),
            command: "export-users".into(),
            sent_last_window: n,
            last_seen_ms: 0,
            activity: Default::default(),
        };
        let mut obs = answer(None, None);
        obs.store = Some(StoreSeen {
            url: "redis://127.0.0.1:6379/0".into(),
            shared: true,
            processes: Ok(vec![p(3), p(4)]),
        });
        let (r, _) = assess(&settings(Plan::Dev, None), obs);
        let store = r.budget_store.unwrap();
        assert_eq!((store.processes.len(), store.sent_last_window), (2, 7));
        let mut obs = answer(None, None);
        obs.store = Some(StoreSeen {
            url: "redis://127.0.0.1:6379/0".into(),
            shared: false,
            processes: Err("Redis is gone".into()),
        });
        let (r, _) = assess(&settings(Plan::Dev, None), obs);
        assert!(
            r.hints.iter().any(|h| h.contains("Redis is gone")),
            "{:?}",
            r.hints
        );
        assert!(!r.budget_store.unwrap().shared);
    }
}
