//! The documented exit codes: the lowest room, so every layer can name one.

/// The documented exit codes (README, `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Other = 1,
    Usage = 2,
    RateLimited = 3,
    Auth = 4,
    Quota = 5,
    Server = 6,
    Partial = 7,
    /// SIGHUP (128 + 1): the terminal or the session went away.
    HungUp = 129,
    /// Ctrl-C, SIGINT (128 + 2).
    Interrupted = 130,
    /// SIGTERM (128 + 15): what systemd, Docker and Kubernetes send.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
