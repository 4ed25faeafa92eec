//! The batch's journal: what each line came to, appended and flushed to disk before the run goes
//! on, so a rerun after a crash, SIGKILL or Ctrl-C knows what not to send again.
//!
//! One JSON object a line: `{"line":N,"h":HASH,"sending":true}` before a line is sent,
//! `{"line":N,"h":HASH,"released":true}` when it was surely not applied (a 429 refusal, a run
//! stopped before sending), `{"line":N,"h":HASH,"result":{…}}` when it is finished. A line
//! marked sending and never finished had its answer lost: sent again only when that is safe.
//! Records are written by one thread that flushes whatever is queued with one fsync (group
//! commit), so the disk's latency is paid once per batch of records, not once per record.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// What an earlier run recorded of one line (the last record wins).
#[derive(Debug, Clone, PartialEq)]
pub enum Prior {
    Sending,
    Released,
    Done(Value),
}

/// The records of an earlier run: line number -> (hash of the line's text, what happened).
pub fn load(path: &Path) -> io::Result<HashMap<usize, (String, Prior)>> {
    let mut out = HashMap::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(file).lines() {
        let line = line?;
        // A record cut off by a crash mid-write was never acknowledged: skip it.
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let (Some(no), Some(h)) = (v["line"].as_u64(), v["h"].as_str()) else {
            continue;
        };
        let prior = if let Some(r) = v.get("result") {
            Prior::Done(r.clone())
        } else if v["sending"] == json!(true) {
            Prior::Sending
        } else if v["released"] == json!(true) {
            Prior::Released
        } else {
            continue;
        };
        out.insert(no as usize, (h.to_string(), prior));
    }
    Ok(out)
}

type Job = (Vec<u8>, oneshot::Sender<io::Result<()>>);

/// Appends records; each `append` returns once its record is on disk.
#[derive(Debug, Clone)]
pub struct Journal {
    tx: mpsc::UnboundedSender<Job>,
    path: PathBuf,
}

impl Journal {
    pub fn open(path: &Path) -> io::Result<Journal> {
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name("batch-journal".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    while let Ok(more) = rx.try_recv() {
                        jobs.push(more);
                    }
                    let bytes: Vec<u8> = jobs.iter().flat_map(|(b, _)| b.iter().copied()).collect();
                    let done = file.write_all(&bytes).and_then(|()| file.sync_data());
                    for (_, ack) in jobs {
                        let _ = ack.send(match &done {
                            Ok(()) => Ok(()),
                            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                        });
                    }
                }
            })?;
        Ok(Journal {
            tx,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn append(&self, record: Value) -> io::Result<()> {
        let mut bytes = record.to_string().into_bytes();
        bytes.push(b'\n');
        let (ack, done) = oneshot::channel();
        self.tx
            .send((bytes, ack))
            .map_err(|_| io::Error::other("the journal's writer stopped"))?;
        done.await
            .map_err(|_| io::Error::other("the journal's writer stopped"))?
    }

    pub async fn sending(&self, line: usize, hash: &str) -> io::Result<()> {
        self.append(json!({"line": line, "h": hash, "sending": true}))
            .await
    }

    pub async fn released(&self, line: usize, hash: &str) -> io::Result<()> {
        self.append(json!({"line": line, "h": hash, "released": true}))
            .await
    }

    pub async fn done(&self, line: usize, hash: &str, result: &Value) -> io::Result<()> {
        self.append(json!({"line": line, "h": hash, "result": result}))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_read_back_last_one_wins_and_a_torn_tail_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = Journal::open(&path).unwrap();
        j.sending(1, "a").await.unwrap();
        j.done(1, "a", &json!({"status": "ok"})).await.unwrap();
        j.sending(2, "b").await.unwrap();
        j.sending(3, "c").await.unwrap();
        j.released(3, "c").await.unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"line\":4,\"h\":\"d\",\"resu").unwrap();
        let got = load(&path).unwrap();
        assert_eq!(got[&1], ("a".into(), Prior::Done(json!({"status": "ok"}))));
        assert_eq!(got[&2], ("b".into(), Prior::Sending));
        assert_eq!(got[&3], ("c".into(), Prior::Released));
        assert!(!got.contains_key(&4));
        assert!(load(&dir.path().join("none")).unwrap().is_empty());
    }
}
