//! The ids batch-get reads: one per line from a file or stdin, checked, streamed in chunks.
//!
//! Reading runs on its own thread and hands ids over in small chunks through a bounded channel,
//! so the input is never held whole: a million-line file costs the batch window, not the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::api::check_id;
use crate::error::{Exit, fail};
use crate::ui::Ui;

/// A line longer than this cannot be an id; it is reported and skipped without reading it whole
/// (a file with no newline at all must not be loaded into memory).
pub const MAX_LINE: usize = 1024;
/// A line that starts with `{` is a user of JSON Lines (an export-users file): a user with its
/// metadata runs to kilobytes, so such a line may be this long before it is cut.
pub const MAX_JSON_LINE: usize = 1 << 20;
/// Ids per chunk sent from the reader thread.
const CHUNK: usize = 1024;
/// Invalid lines reported one by one; past this only their number is given.
pub const MAX_REPORTED: u64 = 20;

/// What one line of input holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Id(String),
    /// Blank, or a comment.
    Skip,
    Invalid(String),
}

/// Classify the raw bytes of line `no` (1-based), newline excluded. `too_long`: it was cut at
/// [`MAX_LINE`].
pub fn classify(raw: &[u8], no: u64, too_long: bool) -> Line {
    let mut raw = raw.trim_ascii();
    if no == 1 {
        // A byte-order mark, as some Windows editors write.
        raw = raw
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(raw)
            .trim_ascii();
    }
    if raw.is_empty() || raw.starts_with(b"#") {
        return Line::Skip;
    }
    let json = raw.starts_with(b"{");
    if too_long {
        let max = if json { MAX_JSON_LINE } else { MAX_LINE };
        return Line::Invalid(format!("is longer than {max} bytes"));
    }
    if json {
        return json_user_id(raw);
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return Line::Invalid("is not valid UTF-8".into());
    };
    // "user_x  # note": an id never holds '#', so the rest is a comment.
    let text = text.split('#').next().unwrap_or("").trim();
    match check_id(text) {
        Ok(()) => Line::Id(text.to_string()),
        Err(why) => Line::Invalid(why),
    }
}

/// The `id` of a JSON object line: a user as export-users, batch-get or `api --paginate` write.
fn json_user_id(raw: &[u8]) -> Line {
    /// Only the id is read; the other fields are skipped without being kept.
    #[derive(serde::Deserialize)]
    struct WithId {
        id: Option<String>,
    }
    match serde_json::from_slice::<WithId>(raw) {
        Ok(WithId { id: Some(id) }) => match check_id(&id) {
            Ok(()) => Line::Id(id),
            Err(why) => Line::Invalid(format!("has an \"id\" that {why}")),
        },
        Ok(WithId { id: None }) => Line::Invalid("is a JSON object without an \"id\"".into()),
        Err(e) => Line::Invalid(format!("starts with {{ but is not a JSON object ({e})")),
    }
}

/// Lines of a reader, each cut at [`MAX_LINE`] bytes ([`MAX_JSON_LINE`] for a JSON line).
pub struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    no: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R) -> Self {
        Lines {
            inner,
            buf: Vec::with_capacity(128),
            no: 0,
        }
    }

    /// The next line's number and what it holds; `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line)>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let newline = avail.iter().position(|&b| b == b'\n');
            let chunk = &avail[..newline.unwrap_or(avail.len())];
            let max = {
                let head = if self.buf.is_empty() {
                    chunk
                } else {
                    &self.buf
                };
                let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
                if head.trim_ascii_start().starts_with(b"{") {
                    MAX_JSON_LINE
                } else {
                    MAX_LINE
                }
            };
            let room = max - self.buf.len().min(max);
            if chunk.len() > room {
                too_long = true;
            }
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let used = newline.map_or(avail.len(), |i| i + 1);
            self.inner.consume(used);
            if newline.is_some() {
                break;
            }
        }
        self.no += 1;
        Ok(Some((self.no, classify(&self.buf, self.no, too_long))))
    }
}

/// Where the ids come from, checked before anything is sent.
pub struct Input {
    /// `None`: stdin. A path may be a pipe, read once as it streams.
    path: Option<PathBuf>,
    /// How the source is named in messages.
    pub name: String,
    /// Valid id lines (duplicates included), when a first pass could count them.
    pub total: Option<u64>,
    /// Keeps stdin's copy (made for --strict) alive until the run ends.
    _spool: Option<tempfile::NamedTempFile>,
}

/// Check the input: a missing file or a folder is exit 2. A regular file gets a counting pass
/// (for the progress bar's total); with `strict`, a stream (stdin, a pipe) is first copied to a
/// temporary file, so that a bad line anywhere is found before any request.
pub fn prepare(file: Option<&Path>, strict: bool) -> anyhow::Result<Input> {
    let usage = |m: String| fail(Exit::Usage, m);
    let file = file.filter(|p| *p != Path::new("-"));
    let (source, name, regular): (Option<PathBuf>, String, bool) = match file {
        Some(p) => {
            let meta = std::fs::metadata(p)
                .map_err(|e| usage(format!("cannot read the ids file {}: {e}", p.display())))?;
            if meta.is_dir() {
                return Err(usage(format!(
                    "{} is a folder, not a file of ids",
                    p.display()
                )));
            }
            // Opened now so an unreadable file fails here, not later on the reader thread.
            File::open(p)
                .map_err(|e| usage(format!("cannot read the ids file {}: {e}", p.display())))?;
            (
                Some(p.to_path_buf()),
                p.display().to_string(),
                meta.is_file(),
            )
        }
        None => (None, "stdin".to_string(), false),
    };
    if regular {
        let total = first_pass(source.as_deref().unwrap_or(Path::new("")), &name, strict)?;
        return Ok(Input {
            path: source,
            name,
            total: Some(total),
            _spool: None,
        });
    }
    if !strict {
        // A pipe can be read only once: stream it, with no total.
        return Ok(Input {
            path: source,
            name,
            total: None,
            _spool: None,
        });
    }
    let mut spool = tempfile::Builder::new()
        .prefix("clerk-rl-ids-")
        .tempfile()
        .map_err(|e| fail(Exit::Other, format!("cannot create a temporary file: {e}")))?;
    let copied = match &source {
        Some(p) => File::open(p).and_then(|mut f| io::copy(&mut f, spool.as_file_mut())),
        None => io::copy(&mut io::stdin().lock(), spool.as_file_mut()),
    };
    copied.map_err(|e| fail(Exit::Other, format!("cannot read the ids from {name}: {e}")))?;
    let total = first_pass(spool.path(), &name, strict)?;
    Ok(Input {
        path: Some(spool.path().to_path_buf()),
        name,
        total: Some(total),
        _spool: Some(spool),
    })
}

/// Count the valid id lines; with `strict`, the first defect is exit 2.
fn first_pass(path: &Path, name: &str, strict: bool) -> anyhow::Result<u64> {
    let file = File::open(path)
        .map_err(|e| fail(Exit::Usage, format!("cannot read the ids file {name}: {e}")))?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, file));
    let mut ids = 0;
    let mut first_bad: Option<(u64, String)> = None;
    let mut bad = 0u64;
    while let Some((no, line)) = lines
        .next_line()
        .map_err(|e| fail(Exit::Other, format!("cannot read the ids from {name}: {e}")))?
    {
        match line {
            Line::Id(_) => ids += 1,
            Line::Skip => {}
            Line::Invalid(why) => {
                bad += 1;
                first_bad.get_or_insert((no, why));
            }
        }
    }
    if ids == 0
        && let Some((no, why)) = &first_bad
    {
        // Lines, but not one id (a binary file, the wrong file): fetching nothing with exit 0
        // would let a script believe it got every user.
        return Err(fail(
            Exit::Usage,
            format!(
                "none of the {bad} lines of {name} holds a user id (line {no}: {why}); give one id per line, or JSON Lines of users with an \"id\" field as export-users writes; nothing was fetched"
            ),
        ));
    }
    if strict && let Some((no, why)) = first_bad {
        let more = match bad {
            1 => String::new(),
            n => format!(" (and {} more bad lines)", n - 1),
        };
        return Err(fail(
            Exit::Usage,
            format!("{name} line {no}: {why}{more}; --strict refuses it, nothing was fetched"),
        ));
    }
    Ok(ids)
}

/// What the reader thread saw.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    pub lines: u64,
    pub ids: u64,
    pub invalid: u64,
}

/// Chunks of ids in input order; an `Err` is a read failure (the last item).
pub type Chunk = Result<Vec<String>, String>;

/// Start reading on a thread of its own. Invalid lines are reported on stderr (the first
/// [`MAX_REPORTED`]) as they are met. The thread ends at the end of the input, on a read error,
/// or when the receiver is dropped.
pub fn spawn_reader(
    input: &Input,
    ui: Arc<Ui>,
) -> (mpsc::Receiver<Chunk>, std::thread::JoinHandle<ReadStats>) {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    let path = input.path.clone();
    let name = input.name.clone();
    if path.is_none() && io::stdin().is_terminal() {
        ui.line("clerk-rl: reading user ids from the terminal, one per line (Ctrl-D ends)");
    }
    let handle = std::thread::spawn(move || {
        let reader: Box<dyn Read + Send> = match &path {
            Some(p) => match File::open(p) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = tx.blocking_send(Err(format!("cannot read the ids file {name}: {e}")));
                    return ReadStats::default();
                }
            },
            None => Box::new(io::stdin()),
        };
        read_all(BufReader::with_capacity(1 << 16, reader), &name, &ui, &tx)
    });
    (rx, handle)
}

fn read_all<R: BufRead>(reader: R, name: &str, ui: &Ui, tx: &mpsc::Sender<Chunk>) -> ReadStats {
    let mut lines = Lines::new(reader);
    let mut stats = ReadStats::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        match lines.next_line() {
            Ok(Some((no, line))) => {
                stats.lines = no;
                match line {
                    Line::Id(id) => {
                        stats.ids += 1;
                        chunk.push(id);
                        if chunk.len() == CHUNK
                            && tx
                                .blocking_send(Ok(std::mem::replace(
                                    &mut chunk,
                                    Vec::with_capacity(CHUNK),
                                )))
                                .is_err()
                        {
                            return stats;
                        }
                    }
                    Line::Skip => {}
                    Line::Invalid(why) => {
                        stats.invalid += 1;
                        if stats.invalid <= MAX_REPORTED {
                            ui.warn(&format!("{name} line {no}: {why}; skipped"));
                        }
                    }
                }
            }
            Ok(None) => {
                if !chunk.is_empty() {
                    let _ = tx.blocking_send(Ok(chunk));
                }
                return stats;
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(format!("cannot read the ids from {name}: {e}")));
                return stats;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8]) -> Vec<(u64, Line)> {
        let mut l = Lines::new(text);
        let mut out = Vec::new();
        while let Some(x) = l.next_line().unwrap() {
            out.push(x);
        }
        out
    }

    #[test]
    fn ids_comments_blanks_and_defects_by_line_number() {
        let text = b"\xEF\xBB\xBFuser_abc\n  user_DEF123 \r\n\n# a comment\n   # indented\nuser_x # trailing note\nuser_\nuser_a-b\nusr_abc\n\xff\xfe\nuser_last";
        let got = all(text);
        assert_eq!(got[0], (1, Line::Id("user_abc".into())));
        assert_eq!(got[1], (2, Line::Id("user_DEF123".into())));
        assert_eq!(got[2], (3, Line::Skip));
        assert_eq!(got[3], (4, Line::Skip));
        assert_eq!(got[4], (5, Line::Skip));
        assert_eq!(got[5], (6, Line::Id("user_x".into())));
        for bad in &got[6..9] {
            assert!(matches!(bad.1, Line::Invalid(_)), "{bad:?}");
        }
        assert_eq!(got[9], (10, Line::Invalid("is not valid UTF-8".into())));
        assert_eq!(got[10], (11, Line::Id("user_last".into())));
        assert_eq!(got.len(), 11);
    }

    #[test]
    fn a_huge_line_is_cut_reported_and_the_next_line_still_read() {
        let mut text = b"user_".to_vec();
        text.extend(std::iter::repeat_n(b'a', 100_000));
        text.extend_from_slice(b"\nuser_ok\n");
        let got = all(&text);
        assert_eq!(
            got[0],
            (1, Line::Invalid(format!("is longer than {MAX_LINE} bytes")))
        );
        assert_eq!(got[1], (2, Line::Id("user_ok".into())));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn json_lines_of_users_give_their_ids() {
        let long = "x".repeat(5000);
        let text = format!(
            "{{\"id\":\"user_a\",\"bio\":\"{long}\"}}\n {{\"object\":\"user\",\"id\":\"user_b\"}}\n{{\"email\":\"a@b\"}}\n{{\"id\":\"org_1\"}}\n{{not json\nuser_c\n"
        );
        let got = all(text.as_bytes());
        assert_eq!(got[0], (1, Line::Id("user_a".into())));
        assert_eq!(got[1], (2, Line::Id("user_b".into())));
        assert_eq!(
            got[2],
            (
                3,
                Line::Invalid("is a JSON object without an \"id\"".into())
            )
        );
        assert!(matches!(&got[3].1, Line::Invalid(w) if w.starts_with("has an \"id\"")));
        assert!(matches!(&got[4].1, Line::Invalid(w) if w.contains("not a JSON object")));
        assert_eq!(got[5], (6, Line::Id("user_c".into())));
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn id_shapes() {
        assert!(check_id("user_2abcDEF0123456789xyzXYZ01").is_ok());
        for bad in [
            "user_",
            "user",
            "User_abc",
            "user_ab c",
            "user_é",
            "org_abc",
            "",
        ] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert!(check_id(&format!("user_{}", "a".repeat(65))).is_err());
        let e = check_id("user_\u{1b}[31m").unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e}");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes as the id file: every id read is a valid id, every line is accounted for
        /// once, and nothing panics.
        #[test]
        fn any_input_reads_into_valid_ids_or_reported_lines(data in prop::collection::vec(any::<u8>(), 0..3000)) {
            let mut lines = Lines::new(&data[..]);
            let mut last = 0;
            while let Some((no, line)) = lines.next_line().unwrap() {
                prop_assert!(no > last, "line numbers go up");
                last = no;
                if let Line::Id(id) = line {
                    prop_assert!(check_id(&id).is_ok());
                    prop_assert!(!id.contains(char::is_whitespace));
                }
            }
            let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
            prop_assert!(last <= newlines + 1);
        }

        /// Well-formed ids, with spaces, comments and blank lines around them, all come back.
        #[test]
        fn ids_survive_the_noise_around_them(ids in prop::collection::vec("user_[A-Za-z0-9]{1,27}", 1..50), noise in any::<bool>()) {
            let mut text = String::new();
            for id in &ids {
                if noise {
                    text.push_str("  # a comment\n\n");
                    text.push_str(&format!("  {id}\t# note\r\n"));
                } else {
                    text.push_str(&format!("{id}\n"));
                }
            }
            let mut lines = Lines::new(text.as_bytes());
            let mut got = Vec::new();
            while let Some((_, line)) = lines.next_line().unwrap() {
                if let Line::Id(id) = line {
                    got.push(id);
                }
            }
            prop_assert_eq!(got, ids);
        }
    }
}
