//! The receiver's log on stderr: one line per delivery, and one when it starts and stops, each
//! stamped with the time (RFC 3339, UTC, milliseconds), as plain text or, with
//! `--log-format json`, as one JSON object per line for log collectors. Never the signing
//! secret, the key or a body: the messages are the ones server.rs builds from cleaned fields.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value};

pub use crate::cli::LogFormat;
use crate::ui::Ui;

/// What a log line says about one delivery, besides its message.
#[derive(Debug, Default, Clone, Copy)]
pub struct Delivery<'a> {
    /// The svix-id (as it came, cleaned, when not yet verified).
    pub id: &'a str,
    pub event: Option<&'a str>,
    pub user: Option<&'a str>,
    /// The HTTP status answered.
    pub status: u16,
}

pub struct Log {
    format: LogFormat,
    ui: Arc<Ui>,
    clock: fn() -> SystemTime,
}

impl Log {
    pub fn new(format: LogFormat, ui: Arc<Ui>) -> Self {
        Log {
            format,
            ui,
            clock: SystemTime::now,
        }
    }

    /// The clock the lines are stamped with (the tests give a fixed one).
    #[cfg(test)]
    pub fn with_clock(mut self, clock: fn() -> SystemTime) -> Self {
        self.clock = clock;
        self
    }

    /// A line about the receiver itself (started, stopped).
    pub fn info(&self, message: &str) {
        self.ui.line(&self.render("info", message, None));
    }

    /// A warning: in text, the usual `clerk-rl: warning: …` line; in JSON, a line of level warn.
    pub fn warn(&self, message: &str) {
        match self.format {
            LogFormat::Text => self.ui.warn(message),
            LogFormat::Json => self.ui.line(&self.render("warn", message, None)),
        }
    }

    /// The one line of a delivery.
    pub fn delivery(&self, d: Delivery<'_>, message: &str) {
        self.ui.line(&self.render("info", message, Some(d)));
    }

    /// The line as written, stamped with the clock's time now.
    pub fn render(&self, level: &str, message: &str, d: Option<Delivery<'_>>) -> String {
        let time = humantime::format_rfc3339_millis((self.clock)()).to_string();
        match self.format {
            LogFormat::Text => format!("{time} {message}"),
            LogFormat::Json => {
                let mut m = Map::new();
                m.insert("time".into(), time.into());
                m.insert("level".into(), level.into());
                m.insert("message".into(), message.into());
                if let Some(d) = d {
                    m.insert("delivery".into(), d.id.into());
                    if let Some(e) = d.event {
                        m.insert("event".into(), e.into());
                    }
                    if let Some(u) = d.user.filter(|u| !u.is_empty()) {
                        m.insert("user".into(), u.into());
                    }
                    m.insert("status".into(), d.status.into());
                }
                Value::Object(m).to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn fixed() -> SystemTime {
        // 2026-12-06T03:01:55.123Z
        UNIX_EPOCH + Duration::from_millis(1_796_526_115_123)
    }

    fn log(format: LogFormat) -> Log {
        Log::new(format, Arc::new(Ui::new(0, true))).with_clock(fixed)
    }

    #[test]
    fn text_lines_start_with_the_time() {
        let line =
            log(LogFormat::Text).render("info", "webhook msg_1: user.deleted user_2: x", None);
        assert_eq!(
            line,
            "2026-12-06T03:01:55.123Z webhook msg_1: user.deleted user_2: x"
        );
    }

    #[test]
    fn json_lines_are_one_object_with_the_delivery_fields() {
        let d = Delivery {
            id: "msg_1",
            event: Some("user.updated"),
            user: Some("user_2"),
            status: 204,
        };
        let line = log(LogFormat::Json).render("info", "webhook msg_1: \"quoted\"\nx", Some(d));
        assert!(!line.contains('\n'), "{line}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "time": "2026-12-06T03:01:55.123Z",
                "level": "info",
                "message": "webhook msg_1: \"quoted\"\nx",
                "delivery": "msg_1",
                "event": "user.updated",
                "user": "user_2",
                "status": 204
            })
        );
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "time", "time first, for a reader scanning lines");
        // A refused delivery has no event or user.
        let d = Delivery {
            id: "-",
            status: 400,
            ..Delivery::default()
        };
        let v: Value =
            serde_json::from_str(&log(LogFormat::Json).render("info", "m", Some(d))).unwrap();
        assert_eq!(v["status"], 400);
        assert!(v.get("event").is_none() && v.get("user").is_none(), "{v}");
        let v: Value =
            serde_json::from_str(&log(LogFormat::Json).render("warn", "w", None)).unwrap();
        assert_eq!(
            (v["level"].as_str(), v.get("delivery")),
            (Some("warn"), None)
        );
    }
}
