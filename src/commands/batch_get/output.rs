//! Where the found users go: stdout, or `FILE.partial` renamed to FILE once complete, so FILE is
//! never half-written. An unfinished partial file is removed when the output is dropped.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Exit, fail};
use crate::output::lock::OutputLock;

/// The output's checks, done before any request.
pub enum Target {
    Stdout,
    /// The file, and its lock: one writer per output, held for the whole run.
    File {
        path: PathBuf,
        _lock: OutputLock,
    },
}

impl Target {
    pub fn check(path: Option<&Path>) -> anyhow::Result<Target> {
        let Some(out) = path else {
            return Ok(Target::Stdout);
        };
        if out == Path::new("-") {
            return Ok(Target::Stdout);
        }
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(fail(
                Exit::Usage,
                format!(
                    "--output {}: the folder {} does not exist",
                    out.display(),
                    dir.display()
                ),
            ));
        }
        if out.is_dir() {
            return Err(fail(
                Exit::Usage,
                format!("--output {} is a folder", out.display()),
            ));
        }
        // Before anything is read or touched: a second run into the same file stops here.
        let lock = OutputLock::acquire(out)?;
        Ok(Target::File {
            path: out.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Stdout => "stdout".into(),
            Target::File { path, .. } => path.display().to_string(),
        }
    }

    pub fn open(&self) -> anyhow::Result<Output> {
        Ok(match self {
            Target::Stdout => Output::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            Target::File { path, .. } => {
                let partial = partial_of(path);
                let file = File::create(&partial).map_err(|e| {
                    fail(
                        Exit::Usage,
                        format!("cannot write {} (beside --output): {e}", partial.display()),
                    )
                })?;
                Output::File {
                    w: BufWriter::with_capacity(1 << 16, file),
                    partial,
                    path: path.clone(),
                    done: false,
                }
            }
        })
    }
}

fn partial_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    File {
        w: BufWriter<File>,
        partial: PathBuf,
        path: PathBuf,
        done: bool,
    },
}

impl Output {
    pub fn write(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(line),
            Output::File { w, .. } => w.write_all(line),
        }
    }

    /// Push what is buffered out, so a reader downstream gets each window as it completes.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { w, .. } => w.flush(),
        }
    }

    /// Flush; a file is synced and renamed into place.
    pub fn finish(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File {
                w,
                partial,
                path,
                done,
            } => {
                w.flush()?;
                w.get_ref().sync_all()?;
                fs::rename(&*partial, &*path)?;
                *done = true;
                Ok(())
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::File {
            partial,
            done: false,
            ..
        } = self
        {
            let _ = fs::remove_file(&*partial);
        }
    }
}
