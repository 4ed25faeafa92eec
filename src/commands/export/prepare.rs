//! Before any request: check the output and its checkpoint, take the lock, and open the file a
//! fresh or resumed export writes into (or a temporary spill folder for stdout).

use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::checkpoint::{Checkpoint, PartCheckpoint, VERSION, same_path, sibling};
use super::finished;
use super::part::{Paging, PartState};
use super::writer::{Output, Writer, finish_file, open_truncated};
use super::{Job, all_filters};
use crate::cli::ExportArgs;
use crate::error::{Exit, fail};
use crate::output::lock::{OutputLock, lock_path};
use crate::settings::context::Context;

pub(super) struct Prepared {
    /// Held for the whole run: one writer per output.
    pub(super) _lock: Option<OutputLock>,
    pub(super) out: Output,
    pub(super) spill_dir: PathBuf,
    pub(super) temp: Option<tempfile::TempDir>,
    pub(super) cp: Checkpoint,
    pub(super) checkpoint_path: Option<PathBuf>,
}

impl Prepared {
    /// A file export: the `.partial` file, its spill folder and its checkpoint.
    fn file(
        lock: OutputLock,
        file: fs::File,
        spill_dir: PathBuf,
        cp: Checkpoint,
        checkpoint_path: PathBuf,
    ) -> Self {
        Prepared {
            _lock: Some(lock),
            out: Output::File {
                file,
                checkpoint_path: checkpoint_path.clone(),
            },
            spill_dir,
            temp: None,
            cp,
            checkpoint_path: Some(checkpoint_path),
        }
    }
}

fn fresh_checkpoint(ctx: &Context, job: &Job, partial: PathBuf, output: PathBuf) -> Checkpoint {
    Checkpoint {
        version: VERSION,
        instance: ctx.key.fingerprint(),
        filters: all_filters(job),
        page_size: job.page_size,
        paging: Paging::Cursor,
        partial,
        output,
        bytes: 0,
        users: 0,
        head: 0,
        parts: vec![PartCheckpoint {
            state: PartState::default(),
            spill_bytes: 0,
        }],
        order: vec![0],
        complete: false,
    }
}

/// Check the output and checkpoint before spending any request. `None`: nothing left to do.
pub(super) fn prepare(
    ctx: &Context,
    args: &ExportArgs,
    job: &Job,
) -> anyhow::Result<Option<Prepared>> {
    let Some(output) = &args.output else {
        return to_stdout(ctx, job).map(Some);
    };
    let paths = Paths::check(output, args.checkpoint.clone())?;
    // Before anything is read or touched: a second run into the same file stops here.
    let lock = OutputLock::acquire(output)?;

    // --resume is idempotent, as `wget -c` is, so `until clerk-rl export-users -o F --resume`
    // is a valid retry loop: finished → nothing to do, never started → start.
    if args.resume && !paths.checkpoint.exists() {
        if output.exists() {
            already_finished(ctx, job, output)?;
            return Ok(None);
        }
        ctx.ui.line(&format!(
            "clerk-rl: no checkpoint {} to resume from; starting a fresh export into {}",
            paths.checkpoint.display(),
            output.display()
        ));
    } else if args.resume {
        return resume(ctx, job, paths, lock);
    }
    if !args.force && !args.resume {
        refuse_overwrite(&paths)?;
    }
    start_fresh(ctx, job, paths, lock).map(Some)
}

fn usage(m: String) -> anyhow::Error {
    fail(Exit::Usage, m)
}

/// An export to stdout: no lock, no checkpoint; parts spill into a temporary folder.
fn to_stdout(ctx: &Context, job: &Job) -> anyhow::Result<Prepared> {
    let temp = tempfile::Builder::new()
        .prefix("clerk-rl-export-")
        .tempdir()
        .map_err(|e| usage(format!("cannot create a temporary folder: {e}")))?;
    Ok(Prepared {
        _lock: None,
        out: Output::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
        spill_dir: temp.path().to_path_buf(),
        temp: Some(temp),
        cp: fresh_checkpoint(ctx, job, PathBuf::new(), PathBuf::new()),
        checkpoint_path: None,
    })
}

/// The files of a file export: `--output`, its `.partial`, its spill folder, its checkpoint.
struct Paths {
    output: PathBuf,
    partial: PathBuf,
    spill_dir: PathBuf,
    checkpoint: PathBuf,
}

impl Paths {
    /// The export's files, once `--output` is a file in a folder that exists and the
    /// checkpoint is none of the others.
    fn check(output: &Path, checkpoint: Option<PathBuf>) -> anyhow::Result<Paths> {
        let dir = match output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(usage(format!(
                "--output {}: the folder {} does not exist",
                output.display(),
                dir.display()
            )));
        }
        if output.is_dir() {
            return Err(usage(format!("--output {} is a folder", output.display())));
        }
        let paths = Paths {
            output: output.to_path_buf(),
            partial: sibling(output, ".partial"),
            spill_dir: spill_dir_of(output),
            checkpoint: checkpoint.unwrap_or_else(|| sibling(output, ".checkpoint")),
        };
        // A checkpoint on one of the export's own files would be renamed into place, overwritten
        // by the export or taken for a lock: refused before the lock is taken or anything touched.
        for (theirs, what) in [
            (paths.output.clone(), "--output itself"),
            (paths.partial.clone(), "the partial export (OUTPUT.partial)"),
            (lock_path(output), "the lock (OUTPUT.lock)"),
            (paths.spill_dir.clone(), "the spill folder (OUTPUT.parts)"),
        ] {
            if same_path(&paths.checkpoint, &theirs) {
                return Err(usage(format!(
                    "--checkpoint {} is {what}; give the checkpoint a file of its own, e.g. {}",
                    paths.checkpoint.display(),
                    sibling(output, ".checkpoint").display()
                )));
            }
        }
        Ok(paths)
    }
}

/// `--resume` with no checkpoint but the output in place: the export finished. Finished, but
/// with these filters, key and page size? Else it holds other users.
fn already_finished(ctx: &Context, job: &Job, output: &Path) -> anyhow::Result<()> {
    if let Some(done) = finished::load(output) {
        done.check_matches(
            &ctx.key.fingerprint(),
            &all_filters(job),
            job.page_size,
            output,
        )?;
    }
    ctx.ui.line(&format!(
        "clerk-rl: the export into {} is already complete (no checkpoint beside it); nothing to do",
        output.display()
    ));
    Ok(())
}

/// `--resume` from a checkpoint: the partial file and the spill files cut back to what the
/// checkpoint counts, or, when it was complete, the file put into place. `None`: nothing left.
fn resume(
    ctx: &Context,
    job: &Job,
    paths: Paths,
    lock: OutputLock,
) -> anyhow::Result<Option<Prepared>> {
    let Paths {
        output,
        partial,
        spill_dir,
        checkpoint: checkpoint_path,
    } = paths;
    let cp = Checkpoint::load(&checkpoint_path)?;
    cp.check_matches(
        &ctx.key.fingerprint(),
        &all_filters(job),
        job.page_size,
        &output,
    )?;
    if cp.complete {
        finish_file(&cp, &checkpoint_path, &spill_dir)?;
        finished::save(&cp);
        ctx.ui.line(&format!(
            "clerk-rl: the export into {} was already complete ({} users)",
            output.display(),
            cp.users
        ));
        return Ok(None);
    }
    let file = open_truncated(&partial, cp.bytes, "the partial export")
        .map_err(|e| usage(e.to_string()))?;
    for &i in cp.order.iter().skip(cp.head + 1) {
        let p = &cp.parts[i];
        let path = Writer::spill_path(&spill_dir, i);
        if p.spill_bytes > 0 {
            open_truncated(&path, p.spill_bytes, "the spill file")
                .map_err(|e| usage(e.to_string()))?;
        } else {
            let _ = fs::remove_file(&path);
        }
    }
    ctx.ui.line(&format!(
        "clerk-rl: resuming the export into {} after {} users",
        output.display(),
        cp.users
    ));
    Ok(Some(Prepared::file(
        lock,
        file,
        spill_dir,
        cp,
        checkpoint_path,
    )))
}

/// Without --force, an unfinished export or a finished file is not replaced.
fn refuse_overwrite(paths: &Paths) -> anyhow::Result<()> {
    if paths.checkpoint.exists() {
        return Err(usage(format!(
            "an unfinished export into {} exists (checkpoint {}); continue it with --resume, or start over with --force",
            paths.output.display(),
            paths.checkpoint.display()
        )));
    }
    if paths.output.exists() {
        return Err(usage(format!(
            "{} already exists; pass --force to replace it",
            paths.output.display()
        )));
    }
    Ok(())
}

/// A fresh export: what an earlier one left is removed, the `.partial` file created and the
/// first checkpoint saved.
fn start_fresh(
    ctx: &Context,
    job: &Job,
    paths: Paths,
    lock: OutputLock,
) -> anyhow::Result<Prepared> {
    let _ = fs::remove_file(&paths.checkpoint);
    let _ = fs::remove_dir_all(&paths.spill_dir);
    let file = fs::File::create(&paths.partial).map_err(|e| {
        usage(format!(
            "cannot write {} (beside --output): {e}",
            paths.partial.display()
        ))
    })?;
    let cp = fresh_checkpoint(ctx, job, paths.partial, paths.output);
    cp.save(&paths.checkpoint).map_err(|e| {
        usage(format!(
            "cannot write the checkpoint {}: {e}",
            paths.checkpoint.display()
        ))
    })?;
    Ok(Prepared::file(
        lock,
        file,
        paths.spill_dir,
        cp,
        paths.checkpoint,
    ))
}

pub(super) fn spill_dir_of(output: &Path) -> PathBuf {
    sibling(output, ".parts")
}
