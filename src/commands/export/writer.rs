//! The export's only writer: pages in, JSON Lines out, in created_at order, with checkpoints.
//!
//! It runs on its own thread so blocking writes and fsyncs never stall the fetchers. Pages of the
//! head part go straight to the output; pages of later parts (fetched concurrently) go to spill
//! files on disk and are appended when their turn comes, so memory stays bounded by the channel
//! whatever the instance's size.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tokio::sync::mpsc::Receiver;

use super::checkpoint::{Checkpoint, PartCheckpoint, sync_dir};
use super::part::{Paging, PartState};

/// Checkpoints are written at most this often (and when the parts are replanned, or the paging
/// changes). Each one fsyncs the output and every spill file written since the last, so it
/// costs CPU in proportion to how often it runs; a kill loses at most this long's pages (a
/// signal saves the checkpoint as the export stops).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub enum Msg {
    /// A page of `part`, already de-duplicated: its lines and the part's state after it.
    Page {
        part: usize,
        lines: Vec<u8>,
        users: u64,
        state: PartState,
    },
    /// The single running part is replaced by these (the rest of the range, split up).
    Replan(Vec<PartState>),
    /// The server did not take the cursor: every part pages by offset from now on.
    Paging(Paging),
}

pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    /// The `.partial` file, with the checkpoint that describes it.
    File {
        file: File,
        checkpoint_path: PathBuf,
    },
}

pub struct Writer {
    out: Output,
    spill_dir: PathBuf,
    /// Keeps a temporary spill folder alive (stdout exports) until the writer ends.
    _temp: Option<tempfile::TempDir>,
    cp: Checkpoint,
    spills: Vec<Option<File>>,
    dirty: BTreeSet<usize>,
    to_delete: Vec<PathBuf>,
    /// Spill files emptied once a checkpoint no longer needed them, for later parts to take
    /// over by a rename: creating a file after deleting others makes ext4 search its inode
    /// table, which cost more than the writes of a large export's spills.
    free: Vec<PathBuf>,
    last_save: Instant,
    bar: ProgressBar,
}

/// How the writer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every part is written and, for a file, saved with its checkpoint: the caller checks it
    /// against the count, then puts it into place (`finish_file`).
    Complete,
    /// The fetchers stopped early; a file export's checkpoint is saved.
    Incomplete,
}

impl Writer {
    /// `cp` describes the state to continue from (fresh or resumed); for a file its `partial`
    /// is already truncated to `cp.bytes` and spill files to theirs.
    pub fn new(
        out: Output,
        spill_dir: PathBuf,
        temp: Option<tempfile::TempDir>,
        cp: Checkpoint,
        bar: ProgressBar,
    ) -> Self {
        let n = cp.parts.len();
        Writer {
            out,
            spill_dir,
            _temp: temp,
            cp,
            spills: (0..n).map(|_| None).collect(),
            dirty: BTreeSet::new(),
            to_delete: Vec::new(),
            free: Vec::new(),
            last_save: Instant::now(),
            bar,
        }
    }

    pub fn spill_path(dir: &Path, part: usize) -> PathBuf {
        dir.join(format!("part-{part:05}.jsonl"))
    }

    pub fn run(mut self, mut rx: Receiver<Msg>) -> (io::Result<Outcome>, Checkpoint) {
        let r = self.run_inner(&mut rx);
        (r, self.cp)
    }

    fn run_inner(&mut self, rx: &mut Receiver<Msg>) -> io::Result<Outcome> {
        // A resumed export may already have finished parts after the head.
        self.advance()?;
        while let Some(msg) = rx.blocking_recv() {
            let force = match msg {
                Msg::Page {
                    part,
                    lines,
                    users,
                    state,
                } => {
                    // A part's end is saved with the next checkpoint, as any page: saving at
                    // each of a large export's hundreds of part ends cost more than all else.
                    self.page(part, &lines, users, state)?;
                    self.advance()?;
                    false
                }
                Msg::Replan(parts) => {
                    self.replan(parts);
                    true
                }
                Msg::Paging(p) => {
                    self.cp.paging = p;
                    true
                }
            };
            if force || self.last_save.elapsed() >= CHECKPOINT_EVERY {
                self.save()?;
            }
        }
        if self.cp.head < self.cp.parts.len() {
            self.save()?;
            return Ok(Outcome::Incomplete);
        }
        self.finish()?;
        Ok(Outcome::Complete)
    }

    fn page(&mut self, part: usize, lines: &[u8], users: u64, state: PartState) -> io::Result<()> {
        if part >= self.cp.parts.len() {
            return Err(io::Error::other(format!("page for unknown part {part}")));
        }
        if part == self.cp.head {
            self.write_out(lines)?;
        } else {
            let path = Self::spill_path(&self.spill_dir, part);
            if self.spills[part].is_none() {
                fs::create_dir_all(&self.spill_dir)?;
                // A part with nothing spilled yet has no file of its own (a resume removes
                // any), so an emptied one can take its name.
                if self.cp.parts[part].spill_bytes == 0
                    && let Some(empty) = self.free.pop()
                {
                    fs::rename(empty, &path)?;
                }
                let f = OpenOptions::new().create(true).append(true).open(&path)?;
                self.spills[part] = Some(f);
            }
            if let Some(f) = self.spills[part].as_mut() {
                f.write_all(lines)?;
            }
            self.cp.parts[part].spill_bytes += lines.len() as u64;
            self.dirty.insert(part);
        }
        self.cp.parts[part].state = state;
        self.cp.users += users;
        self.bar.inc(users);
        Ok(())
    }

    fn write_out(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Output::Stdout(w) => {
                w.write_all(bytes)?;
                // Flushed per page: a reader sees users as they come, and a closed pipe is
                // noticed at once instead of after a buffer's worth of fetching.
                w.flush()?;
            }
            Output::File { file, .. } => file.write_all(bytes)?,
        }
        self.cp.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Move the head past finished parts, appending each next part's spill to the output.
    fn advance(&mut self) -> io::Result<()> {
        while self.cp.head < self.cp.parts.len() && self.cp.parts[self.cp.head].state.done {
            self.cp.head += 1;
            let h = self.cp.head;
            if h < self.cp.parts.len() && self.cp.parts[h].spill_bytes > 0 {
                self.spills[h] = None;
                let path = Self::spill_path(&self.spill_dir, h);
                let mut f = File::open(&path)?;
                let n = self.cp.parts[h].spill_bytes;
                let copied = match &mut self.out {
                    Output::Stdout(w) => {
                        let c = io::copy(&mut (&mut f).take(n), w)?;
                        w.flush()?;
                        c
                    }
                    Output::File { file, .. } => io::copy(&mut (&mut f).take(n), file)?,
                };
                if copied != n {
                    return Err(io::Error::other(format!(
                        "spill file {} is shorter than recorded",
                        path.display()
                    )));
                }
                self.cp.bytes += n;
                self.cp.parts[h].spill_bytes = 0;
                self.dirty.remove(&h);
                // Emptied (for reuse) only once a checkpoint no longer needs it.
                self.to_delete.push(path);
            }
        }
        Ok(())
    }

    fn replan(&mut self, parts: Vec<PartState>) {
        debug_assert_eq!(self.cp.head, 0);
        self.cp.parts = parts
            .into_iter()
            .map(|state| PartCheckpoint {
                state,
                spill_bytes: 0,
            })
            .collect();
        self.cp.head = 0;
        self.spills = (0..self.cp.parts.len()).map(|_| None).collect();
    }

    /// Make what is written durable, then record it.
    fn save(&mut self) -> io::Result<()> {
        self.last_save = Instant::now();
        let Output::File {
            file,
            checkpoint_path,
        } = &mut self.out
        else {
            return Ok(());
        };
        file.sync_data()?;
        for &p in &self.dirty {
            if let Some(f) = &self.spills[p] {
                f.sync_data()?;
            }
        }
        self.dirty.clear();
        self.cp.save(checkpoint_path)?;
        for p in self.to_delete.drain(..) {
            match OpenOptions::new()
                .write(true)
                .open(&p)
                .and_then(|f| f.set_len(0))
            {
                Ok(()) => self.free.push(p),
                Err(_) => {
                    let _ = fs::remove_file(p);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        match &mut self.out {
            Output::Stdout(w) => w.flush(),
            // Put into place only once the caller has checked it against the count.
            Output::File { .. } => self.save(),
        }
    }
}

/// The last steps of a complete file export, safe to repeat after a kill: rename the partial
/// file into place, then remove the checkpoint and the spill folder.
pub fn finish_file(cp: &Checkpoint, checkpoint_path: &Path, spill_dir: &Path) -> io::Result<()> {
    if cp.partial.exists() {
        fs::rename(&cp.partial, &cp.output)?;
        sync_dir(&cp.output)?;
    }
    let _ = fs::remove_dir_all(spill_dir);
    match fs::remove_file(checkpoint_path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Open `path` for appending at exactly `len` bytes (dropping anything after a checkpoint).
pub fn open_truncated(path: &Path, len: u64, what: &str) -> io::Result<File> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(len == 0)
        .truncate(false)
        .open(path)?;
    let have = f.metadata()?.len();
    if have < len {
        return Err(io::Error::other(format!(
            "{what} {} holds {have} bytes but the checkpoint records {len}: it was changed since; start over with --force",
            path.display()
        )));
    }
    f.set_len(len)?;
    f.seek(SeekFrom::Start(len))?;
    Ok(f)
}
