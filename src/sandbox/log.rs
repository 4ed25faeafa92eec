//! The request log: in memory for in-process tests, and optionally one JSON line per request in a
//! file (`--request-log`) for tests and benchmarks that run the binary.
//!
//! Secret keys never appear: an entry carries at most a short hash of the key, enough to tell
//! keys apart when counting per key.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The in-memory log keeps the newest entries only, so a long-running sandbox does not grow
/// without bound.
pub const MEMORY_LOG_CAP: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Seconds since the sandbox started (the limiter's clock).
    pub t: f64,
    /// Unix time in milliseconds.
    pub unix_ms: u64,
    pub method: String,
    pub path: String,
    /// The raw query string, "" when there is none.
    pub query: String,
    /// The status sent; 0 when the connection was dropped without a response (`reset`).
    pub status: u16,
    /// The injected fault, if any (`500`, `reset`, `truncate`, `slow=2s`).
    pub fault: Option<String>,
    /// The first 8 hex digits of the SHA-256 of the key presented, if any.
    pub key: Option<String>,
}

/// The short, one-way tag of a key that logs may carry.
pub fn key_tag(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

#[derive(Debug)]
pub struct RequestLog {
    memory: Mutex<VecDeque<LogEntry>>,
    file: Option<Mutex<File>>,
}

impl RequestLog {
    pub fn new(path: Option<&Path>) -> std::io::Result<Self> {
        let file = match path {
            Some(p) => Some(Mutex::new(
                File::options().create(true).append(true).open(p)?,
            )),
            None => None,
        };
        Ok(RequestLog {
            memory: Mutex::new(VecDeque::new()),
            file,
        })
    }

    pub fn record(&self, entry: LogEntry) {
        if let Some(f) = &self.file {
            let mut line = serde_json::to_vec(&entry).expect("log entries serialize");
            line.push(b'\n');
            let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
            // One write per line so a reader never sees half a line; a full disk must not take
            // the server down, so a failed write is dropped.
            let _ = f.write_all(&line).and_then(|_| f.flush());
        }
        let mut m = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() == MEMORY_LOG_CAP {
            m.pop_front();
        }
        m.push_back(entry);
    }

    pub fn entries(&self) -> Vec<LogEntry> {
        let m = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_gets_one_json_line_per_request_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = RequestLog::new(Some(&path)).unwrap();
        let key = "sk_test_secret";
        for status in [200, 429] {
            log.record(LogEntry {
                t: 0.5,
                unix_ms: 1,
                method: "GET".into(),
                path: "/v1/users".into(),
                query: "limit=1".into(),
                status,
                fault: None,
                key: Some(key_tag(key)),
            });
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains(key));
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["status"], 200);
        assert_eq!(first["key"].as_str().unwrap().len(), 8);
        assert_eq!(log.entries().len(), 2);
    }
}
