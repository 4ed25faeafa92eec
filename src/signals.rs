//! Stop signals: for the long-running servers (`sandbox`, `webhook serve`), and for the commands
//! that save their work first (`export-users`, `batch-get`), which treat SIGTERM and SIGHUP as
//! Ctrl-C and exit 128 + the signal's number.

use anyhow::Context;

use crate::exit::Exit;

/// Ctrl-C, SIGTERM and SIGHUP, listened for from creation on: a signal that arrives between the
/// env lines and the first poll must still stop the server cleanly rather than kill the process.
/// SIGHUP (a closed terminal or session) drains like the others: by default it would kill the
/// server with deliveries half-applied.
pub struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
                int: signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?,
                hup: signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?,
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
            _ = self.hup.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot watch for Ctrl-C")?;
        Ok(())
    }
}

/// Which signal asked a command to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
    HangUp,
}

impl Stop {
    /// 128 + the signal's number, as shells report a process the signal ended.
    pub fn exit(self) -> Exit {
        match self {
            Stop::Interrupt => Exit::Interrupted,
            Stop::Terminate => Exit::Terminated,
            Stop::HangUp => Exit::HungUp,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "Ctrl-C",
            Stop::Terminate => "SIGTERM",
            Stop::HangUp => "SIGHUP",
        }
    }
}

/// Ctrl-C, SIGTERM and SIGHUP for a command that finishes its line and saves its work before it
/// stops. Installed before the work starts: a signal that arrives early waits for `recv`.
pub struct CommandSignals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl CommandSignals {
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(CommandSignals {
                int: signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?,
                term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
                hup: signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?,
            })
        }
        #[cfg(not(unix))]
        Ok(CommandSignals {})
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> Stop {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => Stop::Interrupt,
            _ = self.term.recv() => Stop::Terminate,
            _ = self.hup.recv() => Stop::HangUp,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Stop::Interrupt
        }
    }
}

/// For work that does not yield to the runtime (a `--jq` filter computing on one value): while
/// it runs, the command's own wait for a stop signal (`interruptible`) cannot run, so Ctrl-C
/// would go unanswered until the work ends, or never. While armed, a task on another worker
/// ends the process instead, with the same line and exit code. Dropped, it is disarmed.
pub struct HardStop(Option<tokio::task::JoinHandle<()>>);

impl HardStop {
    /// Armed when a runtime is running (not in unit tests) and the signals can be watched.
    pub fn arm() -> HardStop {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let task = runtime
            .zip(CommandSignals::install().ok())
            .map(|(rt, mut signals)| {
                rt.spawn(async move {
                    let stop = signals.recv().await;
                    eprintln!("clerk-rl: interrupted ({})", stop.name());
                    std::process::exit(stop.exit().code());
                })
            });
        HardStop(task)
    }
}

impl Drop for HardStop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}
