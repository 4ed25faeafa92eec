//! The batch's journal: what each line came to, appended and flushed to disk before the run goes
//! on, so a rerun after a crash, SIGKILL or Ctrl-C knows what not to send again.
//!
//! One JSON object a line: `{"line":N,"h":HASH,"sending":true}` before a line is sent,
//! `{"line":N,"h":HASH,"released":true}` when it was surely not applied (a 429 refusal, a run
//! stopped before sending), `{"line":N,"h":HASH,"result":{…}}` when it is finished. A line
//! marked sending and never finished had its answer lost: sent again only when that is safe.
//! Records are written by one thread that flushes whatever is queued with one fsync (group
//! commit), so the disk's latency is paid once per batch of records, not once per record.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// What an earlier run recorded of one line (the last record wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    Sending,
    Released,
    /// Finished `ok` or `unknown`: final, not sent again.
    Final,
    /// Finished otherwise (`failed`, `skipped`): sent again.
    Failed,
}

/// One line's last record: 24 bytes, whatever the size of its result (which stays on disk, at
/// `at`, read back only when the line's result is written again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    hash: u64,
    at: u64,
    /// A file's line number; a journal naming a line past 2^32 is not this file's.
    line: u32,
    prior: Prior,
}

/// The records of an earlier run, by line number: a sorted array of small entries rather than
/// the records themselves, so a journal of a million lines costs some 24 MB to look up, not
/// its results' size.
#[derive(Debug, Default)]
pub struct Index {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Head {
    line: u64,
    h: String,
    #[serde(default)]
    sending: bool,
    #[serde(default)]
    released: bool,
    result: Option<ResultHead>,
}

#[derive(Deserialize)]
struct ResultHead {
    status: Option<String>,
}

/// A line's hash as stored (16 hex digits); anything else matches no line.
pub fn hash_key(h: &str) -> u64 {
    u64::from_str_radix(h, 16).unwrap_or(u64::MAX)
}

impl Index {
    /// What line `no` with text hash `hash` came to in an earlier run, and where its record is.
    pub fn get(&self, no: usize, hash: &str) -> Option<(Prior, u64)> {
        let i = self
            .entries
            .binary_search_by_key(&u32::try_from(no).ok()?, |e| e.line)
            .ok()?;
        let e = self.entries[i];
        (e.hash == hash_key(hash)).then_some((e.prior, e.at))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The bytes the index holds.
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
    }
}

/// Read the journal into an [`Index`] (none: an empty one).
pub fn load(path: &Path) -> io::Result<Index> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Index::default()),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    let mut folded = 0usize;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut at = 0u64;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        let here = at;
        at += n as u64;
        // A record cut off by a crash mid-write was never acknowledged: skip it.
        let Ok(head) = serde_json::from_slice::<Head>(&buf) else {
            continue;
        };
        let prior = match &head.result {
            Some(r) if matches!(r.status.as_deref(), Some("ok" | "unknown")) => Prior::Final,
            Some(_) => Prior::Failed,
            None if head.sending => Prior::Sending,
            None if head.released => Prior::Released,
            None => continue,
        };
        let Ok(line) = u32::try_from(head.line) else {
            continue;
        };
        entries.push(Entry {
            hash: hash_key(&head.h),
            at: here,
            line,
            prior,
        });
        // A line has two records or more: folded as they come, so the peak stays near twice
        // the index, not every record of the journal.
        if entries.len() >= 2 * folded + 4096 {
            last_of_each_line(&mut entries);
            folded = entries.len();
        }
    }
    last_of_each_line(&mut entries);
    entries.shrink_to_fit();
    Ok(Index { entries })
}

/// Sorted by line, one entry a line: the last of its records in the journal.
fn last_of_each_line(entries: &mut Vec<Entry>) {
    // Stable: of a line's records, the last in the file is the last of its group.
    entries.sort_by_key(|e| e.line);
    let mut w = 0;
    for r in 0..entries.len() {
        if w > 0 && entries[w - 1].line == entries[r].line {
            entries[w - 1] = entries[r];
        } else {
            entries[w] = entries[r];
            w += 1;
        }
    }
    entries.truncate(w);
}

/// The result recorded at `at` (a [`Prior::Final`] line's), read back from the journal.
pub fn result_at(file: &mut BufReader<File>, at: u64) -> io::Result<Value> {
    file.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::new();
    file.read_until(b'\n', &mut buf)?;
    let mut v: Value = serde_json::from_slice(&buf).map_err(io::Error::other)?;
    Ok(v["result"].take())
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
                // A write or sync that failed fails every later record too: a record acknowledged
                // after a lost one would otherwise vouch for it (a chain's next `sending` is
                // what makes its line's `done` durable).
                let mut failed: Option<(io::ErrorKind, String)> = None;
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    while let Ok(more) = rx.try_recv() {
                        jobs.push(more);
                    }
                    if failed.is_none() {
                        let bytes: Vec<u8> =
                            jobs.iter().flat_map(|(b, _)| b.iter().copied()).collect();
                        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_data()) {
                            failed = Some((e.kind(), e.to_string()));
                        }
                    }
                    for (_, ack) in jobs {
                        let _ = ack.send(match &failed {
                            None => Ok(()),
                            Some((kind, msg)) => Err(io::Error::new(*kind, msg.clone())),
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

    /// Queue a record; records reach the disk in the order they were queued.
    fn queue(&self, record: Value) -> io::Result<Ack> {
        let mut bytes = record.to_string().into_bytes();
        bytes.push(b'\n');
        let (ack, done) = oneshot::channel();
        self.tx
            .send((bytes, ack))
            .map_err(|_| io::Error::other("the journal's writer stopped"))?;
        Ok(Ack(done))
    }

    async fn append(&self, record: Value) -> io::Result<()> {
        self.queue(record)?.wait().await
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
        self.queued_done(line, hash, result)?.wait().await
    }

    /// A line's result, queued without waiting for the disk: any record queued after it and
    /// acknowledged (the next line's `sending`) is acknowledged with it.
    pub fn queued_done(&self, line: usize, hash: &str, result: &Value) -> io::Result<Ack> {
        self.queue(json!({"line": line, "h": hash, "result": result}))
    }
}

/// A queued record: resolves once it is on disk.
#[derive(Debug)]
pub struct Ack(oneshot::Receiver<io::Result<()>>);

impl Ack {
    pub async fn wait(self) -> io::Result<()> {
        self.0
            .await
            .map_err(|_| io::Error::other("the journal's writer stopped"))?
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
        let (a, b, c, d, e) = ("0a", "0b", "0c", "0d", "0e");
        j.sending(1, a).await.unwrap();
        j.done(1, a, &json!({"status": "ok", "body": {"n": 1}}))
            .await
            .unwrap();
        j.sending(2, b).await.unwrap();
        j.sending(3, c).await.unwrap();
        j.released(3, c).await.unwrap();
        j.done(5, e, &json!({"status": "failed"})).await.unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"line\":4,\"h\":\"0d\",\"resu").unwrap();
        let got = load(&path).unwrap();
        let (prior, at) = got.get(1, a).unwrap();
        assert_eq!(prior, Prior::Final);
        let mut r = BufReader::new(File::open(&path).unwrap());
        assert_eq!(
            result_at(&mut r, at).unwrap(),
            json!({"status": "ok", "body": {"n": 1}})
        );
        assert_eq!(got.get(2, b).unwrap().0, Prior::Sending);
        assert_eq!(got.get(3, c).unwrap().0, Prior::Released);
        assert_eq!(got.get(5, e).unwrap().0, Prior::Failed);
        assert!(got.get(4, d).is_none());
        // An edited line is a new line.
        assert!(got.get(1, b).is_none());
        assert!(load(&dir.path().join("none")).unwrap().get(1, a).is_none());
    }

    #[test]
    fn an_entry_is_24_bytes_and_records_fold_to_the_last_of_each_line() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        let e = |line, at| Entry {
            hash: 1,
            at,
            line,
            prior: Prior::Sending,
        };
        let mut v = vec![e(3, 0), e(1, 1), e(3, 2), e(2, 3), e(1, 4), e(3, 5)];
        last_of_each_line(&mut v);
        assert_eq!(
            v.iter().map(|x| (x.line, x.at)).collect::<Vec<_>>(),
            [(1, 4), (2, 3), (3, 5)]
        );
    }

    #[tokio::test]
    async fn the_index_of_a_journal_holds_small_entries_not_its_results() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = Journal::open(&path).unwrap();
        let big = json!({"status": "ok", "body": {"pad": "x".repeat(2000)}});
        for no in 1..=500 {
            j.sending(no, "0f").await.unwrap();
            j.done(no, "0f", &big).await.unwrap();
        }
        drop(j);
        let idx = load(&path).unwrap();
        assert_eq!(idx.len(), 500);
        let disk = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(
            idx.heap_bytes() <= 500 * 32 && idx.heap_bytes() * 50 < disk,
            "{} bytes of index for {disk} on disk",
            idx.heap_bytes()
        );
    }
}
