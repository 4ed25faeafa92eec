//! The rate-limit algorithms a server may run: the sandbox enforces one, the probe infers one.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Fixed windows aligned to the sandbox's start: at most N per window, the count resets at
    /// each window's end
    Fixed,
    /// Sliding log: at most N in any window of length W ending now
    #[default]
    Sliding,
    /// Token bucket of capacity --burst (or the plan's burst), refilled at N per W
    Bucket,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Fixed => "fixed window",
            Algorithm::Sliding => "sliding window",
            Algorithm::Bucket => "token bucket",
        }
    }
}
