//! Everything written to stderr for people: log lines, warnings and progress bars.
//!
//! Progress bars show only when stderr is a terminal and `--no-progress` is not given; log lines
//! are printed above an active bar so the two never tangle.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug)]
pub struct Ui {
    verbose: u8,
    progress: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Ui {
    pub fn new(verbose: u8, no_progress: bool) -> Self {
        Ui {
            verbose,
            progress: !no_progress && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    /// A line on stderr, above the progress bar if one is drawn.
    pub fn line(&self, msg: &str) {
        let bar = self.bar.lock().expect("ui lock").clone();
        match bar {
            Some(b) if !b.is_hidden() => b.suspend(|| eprintln!("{msg}")),
            _ => eprintln!("{msg}"),
        }
    }

    pub fn warn(&self, msg: &str) {
        self.line(&format!("warning: {msg}"));
    }

    /// Shown with `-v`.
    pub fn info(&self, msg: &str) {
        if self.verbose >= 1 {
            self.line(msg);
        }
    }

    /// Shown with `-vv`.
    pub fn debug(&self, msg: &str) {
        if self.verbose >= 2 {
            self.line(msg);
        }
    }

    /// Start a progress bar of `len` items (a spinner when the total is unknown).
    pub fn progress(&self, len: Option<u64>, unit: &str) -> ProgressBar {
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(Some(n), self.target()).with_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec:1}}, ETA {{eta}}) {{msg}}"
                ))
                .expect("progress template"),
            ),
            None => ProgressBar::with_draw_target(None, self.target()).with_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} [{{elapsed_precise}}] {{human_pos}} {unit} ({{per_sec:1}}) {{msg}}"
                ))
                .expect("progress template"),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.bar.lock().expect("ui lock") = Some(bar.clone());
        bar
    }

    /// Remove the bar (before the summary is printed).
    pub fn finish_progress(&self) {
        if let Some(b) = self.bar.lock().expect("ui lock").take() {
            b.finish_and_clear();
        }
    }

    fn target(&self) -> ProgressDrawTarget {
        if self.progress {
            ProgressDrawTarget::stderr_with_hz(8)
        } else {
            ProgressDrawTarget::hidden()
        }
    }
}

/// Longest text taken from a server for one error line.
pub const MAX_SHOWN: usize = 200;

/// Printable, single-line, bounded: a hostile server cannot smuggle escapes or pages of text.
pub fn clean(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SHOWN)
        .collect();
    if s.chars().count() > MAX_SHOWN {
        out.push('…');
    }
    out.trim().to_string()
}
