//! `--timeline FILE`: every request as a row of CSV.

use std::fmt::Write as _;

use crate::commands::probe::infer::Sample;

/// Every request: when it was sent and answered (seconds since the probe started), its status,
/// and what the rate-limit headers said.
pub(super) fn csv(samples: &[Sample]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_one_row_per_request_in_send_order() {
        use crate::commands::probe::infer::Phase;
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
