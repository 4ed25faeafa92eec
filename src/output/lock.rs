//! One writer per output: an advisory exclusive lock on `FILE.lock`, held for the whole run by
//! `export-users --output FILE` and `batch-get --output FILE`.
//!
//! The operating system releases it when the process ends however it ends (a SIGKILL leaves no
//! stale lock), so a second run never has to guess whether the first is alive: it asks the lock,
//! and is refused at once, naming the holder's pid, before it touches anything.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Exit, fail};

/// Held until dropped; dropping removes the lock file, then releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    /// Open for as long as the lock is held: closing it releases the lock.
    _file: File,
    path: PathBuf,
}

/// `FILE.lock`, beside the output.
pub fn lock_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl OutputLock {
    /// Take the lock of `output`, or fail at once (exit 1) naming the process that holds it.
    pub fn acquire(output: &Path) -> anyhow::Result<OutputLock> {
        let path = lock_path(output);
        // A holder that ends removes the file it locked; whoever opened that file meanwhile
        // holds a lock nobody else can see, so it must retry on the file now at the path.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    fail(
                        Exit::Usage,
                        format!(
                            "cannot create the lock {} (beside --output): {e}",
                            path.display()
                        ),
                    )
                })?;
            match try_lock(&file) {
                Ok(true) => {}
                Ok(false) => return Err(fail(Exit::Other, busy(output, &path, &mut file))),
                Err(e) => {
                    return Err(fail(
                        Exit::Other,
                        format!("cannot lock {}: {e}", path.display()),
                    ));
                }
            }
            if !same_file(&file, &path) {
                continue;
            }
            // Who holds it, for the next run's message. Best effort: the lock is what counts.
            let _ = file
                .set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
                .and_then(|()| writeln!(file, "{}", std::process::id()))
                .and_then(|()| file.flush());
            return Ok(OutputLock { _file: file, path });
        }
        Err(fail(
            Exit::Other,
            format!("cannot lock {}: it keeps being replaced", path.display()),
        ))
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still held, so no one can lock this file and believe it is the lock.
        // Closing `file` right after this releases the lock.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An exclusive, non-blocking flock: `Ok(false)` when another open file holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor we own, with constant flags; no memory is shared.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

fn busy(output: &Path, path: &Path, file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let holder = match text.trim().parse::<u32>() {
        Ok(pid) => format!("pid {pid}"),
        Err(_) => "another process".to_string(),
    };
    format!(
        "{} is being written by another clerk-rl ({holder}, holding {}); wait for it to end or stop it — --force does not override a live lock",
        output.display(),
        path.display()
    )
}

/// Whether `file` is still the file at `path` (not removed or replaced since it was opened).
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("users.jsonl");
        let first = OutputLock::acquire(&out).unwrap();
        assert_eq!(first.path, lock_path(&out));
        let err = OutputLock::acquire(&out).unwrap_err();
        assert_eq!(crate::error::exit_of(&err), Exit::Other);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(!out.exists(), "a refused run touches nothing");
        drop(first);
        assert!(!lock_path(&out).exists());
        let again = OutputLock::acquire(&out).unwrap();
        drop(again);
    }
}
