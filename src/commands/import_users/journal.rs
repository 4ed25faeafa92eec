//! The import's journal: one JSON line per event, appended and fsynced before the run goes on,
//! so that a crash, SIGKILL or Ctrl-C at any instant leaves it true.
//!
//! A line is marked `sent` before its create goes out, and gets its outcome once the answer is
//! known. On a rerun, a line with an outcome is done (no request), and a line only `sent` may
//! have been created without our hearing of it: it is looked up by its identity before it is
//! sent again. A torn last line (killed mid-write) is ignored: the line it described is still
//! `sent` (looked up) or not yet written (not sent).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Created { id: String },
    Exists { id: String },
    Rejected { code: String, message: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    line: u64,
    identity: String,
    /// Absent: the create was (or is about to be) sent, its answer not yet known.
    #[serde(flatten)]
    outcome: Option<Outcome>,
}

/// A line as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub identity: String,
    pub outcome: Option<Outcome>,
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    known: HashMap<u64, Known>,
}

impl Journal {
    /// Open (or create) the journal at `path` and read what it knows.
    pub fn open(path: &Path) -> anyhow::Result<Journal> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("opening the journal {}: {e}", path.display()))?;
        let mut known: HashMap<u64, Known> = HashMap::new();
        let mut reader = BufReader::new(&mut file);
        let mut buf = Vec::new();
        let mut ends_in_newline = true;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            ends_in_newline = buf.ends_with(b"\n");
            let Ok(r) = serde_json::from_slice::<Record>(&buf) else {
                continue;
            };
            let entry = known.entry(r.line).or_insert(Known {
                identity: r.identity.clone(),
                outcome: None,
            });
            if r.outcome.is_some() {
                entry.outcome = r.outcome;
            }
        }
        drop(reader);
        if !ends_in_newline {
            // A torn tail: the next record starts on a line of its own.
            file.seek(SeekFrom::End(0))?;
            file.write_all(b"\n")?;
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            known,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal knew when it was opened.
    pub fn known(&self, line: u64) -> Option<&Known> {
        self.known.get(&line)
    }

    /// Mark these lines sent (one write, one fsync), before any of them goes out.
    pub fn sent(&self, lines: &[(u64, &str)]) -> anyhow::Result<()> {
        let mut buf = Vec::new();
        for &(line, identity) in lines {
            serde_json::to_writer(
                &mut buf,
                &Record {
                    line,
                    identity: identity.to_string(),
                    outcome: None,
                },
            )?;
            buf.push(b'\n');
        }
        self.append(&buf)
    }

    /// Record one line's outcome, durably, before it is reported.
    pub fn outcome(&self, line: u64, identity: &str, outcome: &Outcome) -> anyhow::Result<()> {
        let mut buf = serde_json::to_vec(&Record {
            line,
            identity: identity.to_string(),
            outcome: Some(outcome.clone()),
        })?;
        buf.push(b'\n');
        self.append(&buf)
    }

    fn append(&self, buf: &[u8]) -> anyhow::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let r = tokio::task::block_in_place(|| {
            (&*f).write_all(buf)?;
            f.sync_data()
        });
        r.map_err(|e| anyhow::anyhow!("writing the journal {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn outcomes_survive_a_reopen_and_a_torn_tail_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j");
        {
            let j = Journal::open(&p).unwrap();
            j.sent(&[(1, "a"), (2, "b"), (3, "c")]).unwrap();
            j.outcome(
                1,
                "a",
                &Outcome::Created {
                    id: "user_1".into(),
                },
            )
            .unwrap();
            j.outcome(
                3,
                "c",
                &Outcome::Rejected {
                    code: "form_identifier_exists".into(),
                    message: "taken".into(),
                },
            )
            .unwrap();
        }
        // Killed mid-write.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"line":2,"identity":"b","sta"#).unwrap();
        drop(f);
        let j = Journal::open(&p).unwrap();
        assert_eq!(
            j.known(1).unwrap().outcome,
            Some(Outcome::Created {
                id: "user_1".into()
            })
        );
        assert_eq!(j.known(2).unwrap().outcome, None);
        assert_eq!(j.known(2).unwrap().identity, "b");
        assert!(matches!(
            j.known(3).unwrap().outcome,
            Some(Outcome::Rejected { .. })
        ));
        assert!(j.known(4).is_none());
        j.outcome(
            2,
            "b",
            &Outcome::Exists {
                id: "user_2".into(),
            },
        )
        .unwrap();
        drop(j);
        let j = Journal::open(&p).unwrap();
        assert_eq!(
            j.known(2).unwrap().outcome,
            Some(Outcome::Exists {
                id: "user_2".into()
            })
        );
    }
}
