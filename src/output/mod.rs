//! Result files and streams: what every command that writes a result shares.
//!
//! Today it holds the watch on stdout's reader and the names and fsync of files written beside
//! a result; the target checks, the one-writer lock and the partial-file-then-rename move here
//! with issue 21.

pub mod lock;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `path` with `suffix` appended to its file name: `u.jsonl` -> `u.jsonl.partial`, the files a
/// command keeps beside its input or output (partial file, checkpoint, journal).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// fsync the folder holding `path`, so a rename in it is durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// How often a pipe is asked whether its reader is still there.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Resolves once the reader of stdout has left (`| head` has what it wanted): the pipe reports
/// an error or a hang-up. Never resolves for a file or a terminal that stays open.
///
/// A command whose later results wait on disk (an export's concurrent parts) would otherwise
/// notice only at its next write to stdout, after spending the budget on pages nobody reads.
pub async fn stdout_reader_gone() {
    #[cfg(unix)]
    loop {
        if reader_gone_now() {
            return;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

#[cfg(unix)]
fn reader_gone_now() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdout = rustix::stdio::stdout();
    let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&zero)) {
        Ok(n) if n > 0 => fds[0]
            .revents()
            .intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL),
        _ => false,
    }
}
