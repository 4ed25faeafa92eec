//! Result files and streams: what every command that writes a result shares.
//!
//! Today it holds the watch on stdout's reader; the target checks, the one-writer lock and the
//! partial-file-then-rename move here with issue 21.

use std::time::Duration;

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
