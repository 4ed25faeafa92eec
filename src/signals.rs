//! Stop signals for the long-running servers (`sandbox`, `webhook serve`).

use anyhow::Context;

/// Ctrl-C and SIGTERM, listened for from creation on: a signal that arrives between the env lines
/// and the first poll must still stop the server cleanly rather than kill the process.
pub struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
                int: signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    pub async fn wait(&mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot watch for Ctrl-C")?;
        Ok(())
    }
}
