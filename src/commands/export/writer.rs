//! The export's only writer: pages in, JSON Lines out, in created_at order, with checkpoints.
//!
//! It runs on its own thread so blocking writes and fsyncs never stall the fetchers. Pages of the
//! head part go straight to the output; pages of later parts (fetched concurrently) go to spill
//! files on disk and are appended when their turn comes, so memory stays bounded by the channel
//! whatever the instance's size.
//!
//! A spill is appended a slice at a time, between pages: copied whole, the last parts of a large
//! export (tens of MB each, all fetched by then) kept every stream's last page waiting in memory
//! until the copy was done, which made the export's peak memory.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use tokio::sync::mpsc::Receiver;
use tokio::sync::mpsc::error::TryRecvError;

use super::checkpoint::{Checkpoint, PartCheckpoint, sync_dir};
use super::part::{Paging, PartState};

/// Checkpoints are written at most this often (and when the parts are replanned, or the paging
/// changes). Each one fsyncs the output and every spill file written since the last, so it
/// costs CPU in proportion to how often it runs; a kill loses at most this long's pages (a
/// signal saves the checkpoint as the export stops).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// At most this much of a spill is appended to the output before the writer looks for pages
/// again: a few milliseconds of copying, so pages never wait behind a whole part.
const DRAIN_SLICE: u64 = 4 << 20;

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
    /// Part `from` gave the upper part of its range to a new part `id` (the next index), to
    /// be written right after it: `from` goes on as `state`, the new part starts as `new`.
    Split {
        from: usize,
        state: PartState,
        id: usize,
        new: PartState,
    },
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
    /// The head part's spill while it is being appended to the output: its pages go on
    /// spilling behind it until the copy catches up.
    drain: Option<Drain>,
    /// How much of a spill one drain step appends ([`DRAIN_SLICE`]; smaller in tests).
    drain_slice: u64,
    /// The checkpoint being made durable; it hands back the spill files it emptied.
    saving: Option<std::thread::JoinHandle<io::Result<Vec<PathBuf>>>>,
}

/// A spill being appended to the output: the file read from, and how far the copy has come.
/// The checkpoint counts it only once wholly copied (`Writer::drain_step`), so none is saved
/// halfway (`Writer::save` finishes it first).
struct Drain {
    file: File,
    copied: u64,
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
            drain: None,
            drain_slice: DRAIN_SLICE,
            saving: None,
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
        loop {
            // While a spill is being appended, pages are taken as they come and the copy goes
            // on between them; otherwise wait for the next page.
            let msg = if self.drain.is_some() {
                match rx.try_recv() {
                    Ok(msg) => Some(msg),
                    Err(TryRecvError::Empty) => {
                        self.drain_step()?;
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => None,
                }
            } else {
                rx.blocking_recv()
            };
            let Some(msg) = msg else { break };
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
                Msg::Split {
                    from,
                    state,
                    id,
                    new,
                } => {
                    self.split(from, state, id, new)?;
                    false
                }
                Msg::Paging(p) => {
                    self.cp.paging = p;
                    true
                }
            };
            if force || (self.drain.is_none() && self.last_save.elapsed() >= CHECKPOINT_EVERY) {
                self.save(force)?;
            }
        }
        // Every fetcher is gone: what was spilled for parts already done is appended now.
        self.finish_drain()?;
        if self.cp.head < self.cp.order.len() {
            self.save(true)?;
            return Ok(Outcome::Incomplete);
        }
        self.finish()?;
        Ok(Outcome::Complete)
    }

    fn page(&mut self, part: usize, lines: &[u8], users: u64, state: PartState) -> io::Result<()> {
        if part >= self.cp.parts.len() {
            return Err(io::Error::other(format!("page for unknown part {part}")));
        }
        if Some(part) == self.cp.at(self.cp.head) && self.drain.is_none() {
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
                // Nothing spilled yet, so nothing of this file is ours: a killed run may have
                // left one under this name for a part split off after its last checkpoint
                // (which a resume does not know of), and appending to it wrote its users twice.
                if self.cp.parts[part].spill_bytes == 0 {
                    f.set_len(0)?;
                }
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

    /// Move the head past finished parts. A next part with pages spilled becomes the drain:
    /// its spill is appended a slice at a time ([`Self::drain_step`]) and the head moves on
    /// from there once the copy is done.
    fn advance(&mut self) -> io::Result<()> {
        while self.drain.is_none()
            && let Some(i) = self.cp.at(self.cp.head)
            && self.cp.parts[i].state.done
        {
            self.cp.head += 1;
            if let Some(h) = self.cp.at(self.cp.head)
                && self.cp.parts[h].spill_bytes > 0
            {
                let file = File::open(Self::spill_path(&self.spill_dir, h))?;
                self.drain = Some(Drain { file, copied: 0 });
            }
        }
        Ok(())
    }

    /// Append the next slice of the head's spill to the output; once all of it is there, the
    /// output's length counts it, the spill is let go and the head moves on.
    fn drain_step(&mut self) -> io::Result<()> {
        let (Some(drain), Some(h)) = (self.drain.as_mut(), self.cp.at(self.cp.head)) else {
            return Ok(());
        };
        let total = self.cp.parts[h].spill_bytes;
        let n = (total - drain.copied).min(self.drain_slice);
        let copied = match &mut self.out {
            Output::Stdout(w) => {
                let c = io::copy(&mut (&mut drain.file).take(n), w)?;
                w.flush()?;
                c
            }
            Output::File { file, .. } => io::copy(&mut (&mut drain.file).take(n), file)?,
        };
        if copied != n {
            return Err(io::Error::other(format!(
                "spill file {} is shorter than recorded",
                Self::spill_path(&self.spill_dir, h).display()
            )));
        }
        drain.copied += n;
        if drain.copied < total {
            return Ok(());
        }
        self.drain = None;
        self.spills[h] = None;
        self.cp.bytes += total;
        self.cp.parts[h].spill_bytes = 0;
        self.dirty.remove(&h);
        // Emptied (for reuse) only once a checkpoint no longer needs it.
        self.to_delete.push(Self::spill_path(&self.spill_dir, h));
        // Between two parts' spills a checkpoint describes no half copy: save if one is due,
        // so a long run of finished parts does not go unsaved.
        if self.last_save.elapsed() >= CHECKPOINT_EVERY {
            self.save(false)?;
        }
        self.advance()
    }

    /// Append every spill the head can take now (before a checkpoint, and at the end).
    fn finish_drain(&mut self) -> io::Result<()> {
        while self.drain.is_some() {
            self.drain_step()?;
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
        self.cp.order = (0..self.cp.parts.len()).collect();
        self.spills = (0..self.cp.parts.len()).map(|_| None).collect();
    }

    /// Take in a part split off a running one: it is written right after its source.
    fn split(
        &mut self,
        from: usize,
        state: PartState,
        id: usize,
        new: PartState,
    ) -> io::Result<()> {
        let pos = self.cp.order.iter().position(|&p| p == from);
        let (Some(pos), true) = (pos, id == self.cp.parts.len()) else {
            return Err(io::Error::other(format!(
                "part {id} split from part {from} does not follow the {} parts",
                self.cp.parts.len()
            )));
        };
        self.cp.parts[from].state = state;
        self.cp.parts.push(PartCheckpoint {
            state: new,
            spill_bytes: 0,
        });
        self.spills.push(None);
        self.cp.order.insert(pos + 1, id);
        Ok(())
    }

    /// Make what is written durable, then record it, on a thread of its own: the fsyncs of a
    /// large export's output and spills took up to a second, and every page fetched meanwhile
    /// waited in memory. One save runs at a time; a due save finds the last one still running
    /// and waits its turn (`wait`: a replan or the end, which must be saved in order).
    ///
    /// A spill being appended is finished first, so a checkpoint never describes half a copy.
    fn save(&mut self, wait: bool) -> io::Result<()> {
        // Stamped first: the drain's own between-parts save must not run inside this one.
        self.last_save = Instant::now();
        if let Some(job) = &self.saving {
            if !wait && !job.is_finished() {
                return Ok(());
            }
            self.collect_save()?;
        }
        let Output::File {
            file,
            checkpoint_path,
        } = &self.out
        else {
            return Ok(());
        };
        let checkpoint_path = checkpoint_path.clone();
        let mut files = vec![file.try_clone()?];
        self.finish_drain()?;
        for &p in &self.dirty {
            if let Some(f) = &self.spills[p] {
                files.push(f.try_clone()?);
            }
        }
        self.dirty.clear();
        let cp = self.cp.clone();
        let to_delete = std::mem::take(&mut self.to_delete);
        self.saving = Some(std::thread::spawn(move || {
            save_durably(&files, &cp, &checkpoint_path, to_delete)
        }));
        if wait {
            self.collect_save()?;
        }
        Ok(())
    }

    /// Wait for the save under way, and take back the spill files it emptied.
    fn collect_save(&mut self) -> io::Result<()> {
        if let Some(job) = self.saving.take() {
            let freed = job
                .join()
                .map_err(|_| io::Error::other("the checkpoint's thread panicked"))??;
            self.free.extend(freed);
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        match &mut self.out {
            Output::Stdout(w) => w.flush(),
            // Put into place only once the caller has checked it against the count.
            Output::File { .. } => self.save(true),
        }
    }
}

/// fsync what the checkpoint `cp` describes (`files`: the output and the spills written since
/// the last save, all written before `cp` was taken), then replace the checkpoint, then empty
/// the spill files it no longer needs. Returns those emptied, for later parts to reuse.
fn save_durably(
    files: &[File],
    cp: &Checkpoint,
    checkpoint_path: &Path,
    to_delete: Vec<PathBuf>,
) -> io::Result<Vec<PathBuf>> {
    for f in files {
        f.sync_data()?;
    }
    cp.save(checkpoint_path)?;
    let mut freed = Vec::new();
    for p in to_delete {
        match OpenOptions::new()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_len(0))
        {
            Ok(()) => freed.push(p),
            Err(_) => {
                let _ = fs::remove_file(p);
            }
        }
    }
    Ok(freed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::export::checkpoint::VERSION;

    fn part(done: bool) -> PartCheckpoint {
        PartCheckpoint {
            state: PartState {
                done,
                ..PartState::default()
            },
            spill_bytes: 0,
        }
    }

    fn state(done: bool) -> PartState {
        part(done).state
    }

    /// A file export of two parts into `dir`, with a drain slice of 4 bytes.
    fn writer(dir: &Path) -> Writer {
        let partial = dir.join("u.jsonl.partial");
        let cp = Checkpoint {
            version: VERSION,
            instance: "i".into(),
            filters: vec![],
            page_size: 500,
            paging: Paging::Cursor,
            partial: partial.clone(),
            output: dir.join("u.jsonl"),
            bytes: 0,
            users: 0,
            head: 0,
            parts: vec![part(false), part(false)],
            order: vec![0, 1],
            complete: false,
        };
        let out = Output::File {
            file: File::create(&partial).unwrap(),
            checkpoint_path: dir.join("u.jsonl.checkpoint"),
        };
        let mut w = Writer::new(out, dir.join("spill"), None, cp, ProgressBar::hidden());
        w.drain_slice = 4;
        w
    }

    #[test]
    fn pages_are_no_longer_held_behind_a_whole_spill_copy() {
        // The head part ends while the next one has a spill: the spill is appended a slice at
        // a time, and a page of that part taken between two slices goes behind it, in order.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        w.page(0, b"a0\n", 1, state(false)).unwrap();
        w.page(1, b"b0\nb1\n", 2, state(false)).unwrap();
        w.page(0, b"a1\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        assert!(w.drain.is_some(), "part 1's spill is being appended");
        w.drain_step().unwrap();
        assert!(
            w.drain.is_some(),
            "one slice of 4 bytes, not the whole spill"
        );
        // Taken mid-copy: it must not jump ahead of the spill into the output.
        w.page(1, b"b2\n", 1, state(false)).unwrap();
        w.finish_drain().unwrap();
        assert!(w.drain.is_none());
        assert_eq!(w.cp.head, 1);
        // The copy has caught up: part 1's pages now go straight to the output.
        w.page(1, b"b3\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        w.finish().unwrap();
        let text = fs::read_to_string(dir.path().join("u.jsonl.partial")).unwrap();
        assert_eq!(text, "a0\na1\nb0\nb1\nb2\nb3\n");
        assert_eq!(w.cp.bytes, text.len() as u64);
        assert_eq!(w.cp.users, 6);
    }

    #[test]
    fn a_part_split_off_is_written_right_after_the_part_it_came_from() {
        // Part 0 gives the upper half of its range to part 2: the file holds 0, 2, then 1, and
        // the checkpoint keeps that order for a resume.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        w.page(0, b"a0\n", 1, state(false)).unwrap();
        w.page(1, b"c0\n", 1, state(true)).unwrap();
        w.split(0, state(false), 2, state(false)).unwrap();
        assert_eq!(w.cp.order, vec![0, 2, 1]);
        // An index that does not follow the parts is refused, not guessed.
        assert!(w.split(0, state(false), 7, state(false)).is_err());
        w.page(2, b"b0\n", 1, state(true)).unwrap();
        w.save(true).unwrap();
        let saved = Checkpoint::load(&dir.path().join("u.jsonl.checkpoint")).unwrap();
        assert_eq!(saved.order, vec![0, 2, 1]);
        assert_eq!(saved.parts.len(), 3);
        w.page(0, b"a1\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        w.finish_drain().unwrap();
        w.advance().unwrap();
        w.finish_drain().unwrap();
        assert_eq!(w.cp.head, 3, "every part written");
        w.finish().unwrap();
        let text = fs::read_to_string(dir.path().join("u.jsonl.partial")).unwrap();
        assert_eq!(text, "a0\na1\nb0\nc0\n");
    }

    #[test]
    fn a_stale_spill_under_a_new_part_s_name_is_no_longer_appended_to() {
        // A killed run split off part 1 after its last checkpoint and spilled for it; the
        // resume knows nothing of it and splits off its own part 1: its spill starts empty.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        fs::create_dir_all(dir.path().join("spill")).unwrap();
        fs::write(Writer::spill_path(&dir.path().join("spill"), 1), b"stale\n").unwrap();
        w.page(1, b"b0\n", 1, state(true)).unwrap();
        w.page(0, b"a0\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        w.finish().unwrap();
        let text = fs::read_to_string(dir.path().join("u.jsonl.partial")).unwrap();
        assert_eq!(text, "a0\nb0\n");
    }

    #[test]
    fn a_checkpoint_taken_mid_copy_describes_the_whole_copy() {
        // A save while a spill is half appended finishes the copy first: the checkpoint never
        // counts half a spill in the output nor lists a spill for the head part.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        w.page(1, b"b0\nb1\n", 2, state(false)).unwrap();
        w.page(0, b"a0\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        w.drain_step().unwrap();
        w.save(true).unwrap();
        let saved = Checkpoint::load(&dir.path().join("u.jsonl.checkpoint")).unwrap();
        assert_eq!(saved.head, 1);
        assert_eq!(saved.parts[1].spill_bytes, 0);
        let text = fs::read(dir.path().join("u.jsonl.partial")).unwrap();
        assert_eq!(saved.bytes, text.len() as u64);
        assert_eq!(text, b"a0\nb0\nb1\n");
    }

    #[test]
    fn a_save_in_the_background_is_collected_before_the_next() {
        // Saves run on their own thread; a due save waits for the one under way only when it
        // must (`wait`), and the spill files a save emptied come back for reuse.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path());
        w.page(1, b"b0\n", 1, state(false)).unwrap();
        w.page(0, b"a0\n", 1, state(true)).unwrap();
        w.advance().unwrap();
        w.finish_drain().unwrap();
        w.save(false).unwrap();
        w.page(1, b"b1\n", 1, state(true)).unwrap();
        w.save(true).unwrap();
        assert!(w.saving.is_none());
        assert_eq!(
            w.free,
            vec![Writer::spill_path(&dir.path().join("spill"), 1)]
        );
        let saved = Checkpoint::load(&dir.path().join("u.jsonl.checkpoint")).unwrap();
        assert_eq!(
            saved.bytes, 9,
            "a0, b0 from the spill, b1 straight to the output"
        );
        assert!(saved.parts[1].state.done);
    }
}
