//! The batch's file, read as the run needs it: a window of lines at a time, so a file of a
//! million requests costs the memory of one window, not of the file.
//!
//! A file is read twice: once to count its requests (for the progress bar and the summary; a
//! few hundred milliseconds for a million lines) and once as the run goes. Standard input is
//! read once, as it comes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::line::{self, Line};

/// Lines in a window when `CLERK_RL_BATCH_WINDOW` does not say otherwise. A window's lines and
/// the results waiting for an earlier line are what the run holds (some 8 MB at the default);
/// each window's end costs about one round trip while its last lines are answered.
pub const WINDOW: usize = 8192;

/// The window's size: [`WINDOW`], or `CLERK_RL_BATCH_WINDOW` (tests use a small one to cross
/// many window ends).
pub fn window() -> usize {
    std::env::var("CLERK_RL_BATCH_WINDOW")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(WINDOW)
}

/// A line's request text, trimmed; `None` for a blank line or a `#` comment. The count and the
/// run both ask this, so they agree on what a request is.
fn request_text(line: &str) -> Option<&str> {
    let t = line.trim();
    (!t.is_empty() && !t.starts_with('#')).then_some(t)
}

/// Where the requests come from, read line by line.
pub struct Source {
    reader: BufReader<Box<dyn Read + Send>>,
    /// What the messages call it: the file's path, or `stdin`.
    pub name: String,
    /// The next line's number in the file (1-based, blank lines and comments counted).
    next_no: usize,
    done: bool,
}

impl Source {
    /// `-` is standard input.
    pub fn open(file: &Path) -> io::Result<Source> {
        let (reader, name): (Box<dyn Read + Send>, String) = if file.as_os_str() == "-" {
            (Box::new(io::stdin()), "stdin".into())
        } else {
            (Box::new(File::open(file)?), file.display().to_string())
        };
        Ok(Source {
            reader: BufReader::with_capacity(1 << 16, reader),
            name,
            next_no: 1,
            done: false,
        })
    }

    /// The next request line's number and text (blank lines and `#` comments passed over);
    /// `None` at the end.
    pub fn next_text(&mut self) -> io::Result<Option<(usize, String)>> {
        let mut buf = String::new();
        while !self.done {
            buf.clear();
            let n = self
                .reader
                .read_line(&mut buf)
                .map_err(|e| io::Error::new(e.kind(), format!("line {}: {e}", self.next_no)))?;
            if n == 0 {
                self.done = true;
                break;
            }
            let no = self.next_no;
            self.next_no += 1;
            if let Some(t) = request_text(&buf) {
                return Ok(Some((no, t.to_string())));
            }
        }
        Ok(None)
    }

    /// Up to `n` lines, parsed; fewer only at the end.
    pub fn chunk(&mut self, n: usize) -> io::Result<Vec<Line>> {
        let mut out = Vec::with_capacity(n.min(WINDOW));
        while out.len() < n {
            match self.next_text()? {
                Some((no, text)) => out.push(line::parse(no, &text)),
                None => break,
            }
        }
        Ok(out)
    }

    /// The same on a blocking thread, for the run (standard input may be slow to come).
    pub async fn chunk_async(mut self, n: usize) -> (Source, io::Result<Vec<Line>>) {
        let joined = tokio::task::spawn_blocking(move || {
            let chunk = self.chunk(n);
            (self, chunk)
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// The requests in a file (blank lines and comments not counted); `None` for stdin and for
/// anything that is not a regular file (a pipe such as `--batch <(generate)` is read once).
pub fn count(file: &PathBuf) -> io::Result<Option<u64>> {
    if file.as_os_str() == "-" || !std::fs::metadata(file)?.is_file() {
        return Ok(None);
    }
    let mut reader = BufReader::with_capacity(1 << 16, File::open(file)?);
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(Some(n));
        }
        if request_text(&String::from_utf8_lossy(&buf)).is_some() {
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_in_windows_with_their_file_numbers_and_the_count_matches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl");
        let mut text = String::from("# a comment\n\n");
        for i in 0..10 {
            text.push_str(&format!(
                "{{\"method\":\"DELETE\",\"path\":\"/v1/users/u{i}\"}}\n"
            ));
        }
        // A line of Unicode spaces only is blank to the count as to the run.
        text.push_str("  \n\u{a0}\u{2003}\n{\"method\":\"GET\",\"path\":\"/v1/users\"}");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(count(&path).unwrap(), Some(11));
        let mut s = Source::open(&path).unwrap();
        let mut seen = Vec::new();
        loop {
            let c = s.chunk(4).unwrap();
            if c.is_empty() {
                break;
            }
            assert!(c.len() <= 4);
            seen.extend(c.into_iter().map(|l| l.no));
        }
        let mut want: Vec<usize> = (3..=12).collect();
        want.push(15);
        assert_eq!(seen, want);
        assert!(s.chunk(4).unwrap().is_empty(), "the end stays the end");
    }

    #[test]
    fn a_named_pipe_is_not_counted_so_its_lines_are_read_once_by_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                std::fs::write(&fifo, "{\"method\":\"GET\",\"path\":\"/v1/users\"}\n").unwrap();
            })
        };
        assert_eq!(count(&fifo).unwrap(), None);
        let mut s = Source::open(&fifo).unwrap();
        assert_eq!(s.chunk(10).unwrap().len(), 1);
        writer.join().unwrap();
    }
}
