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
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
