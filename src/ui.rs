//! Everything written for people: log lines, warnings, errors and progress bars on stderr, and
//! the tables every command prints ([`table`]), fitted to the terminal.
//!
//! Progress bars show only when stderr is a terminal and `--no-progress` is not given; log lines
//! are printed above an active bar so the two never tangle. Every warning and error has one
//! prefix, `clerk-rl: warning:` / `clerk-rl: error:`. `-q` keeps errors only.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The prefix of every warning line.
pub const WARNING: &str = "clerk-rl: warning:";
/// The prefix of every error line.
pub const ERROR: &str = "clerk-rl: error:";

#[derive(Debug)]
pub struct Ui {
    verbose: u8,
    progress: bool,
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Ui {
    pub fn new(verbose: u8, no_progress: bool) -> Self {
        Ui {
            verbose,
            progress: !no_progress && std::io::stderr().is_terminal(),
            quiet: false,
            bar: Mutex::new(None),
        }
    }

    /// `-q`: errors only (no warnings, log lines, progress or summary).
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        if quiet {
            self.progress = false;
            self.verbose = 0;
        }
        self
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    /// A line on stderr for people, above the progress bar if one is drawn; none with `-q`.
    pub fn line(&self, msg: &str) {
        if !self.quiet {
            self.print(msg);
        }
    }

    fn print(&self, msg: &str) {
        let bar = self.bar.lock().expect("ui lock").clone();
        match bar {
            Some(b) if !b.is_hidden() => b.suspend(|| eprintln!("{msg}")),
            _ => eprintln!("{msg}"),
        }
    }

    /// `clerk-rl: warning: …` (none with `-q`).
    pub fn warn(&self, msg: &str) {
        self.line(&format!("{WARNING} {msg}"));
    }

    /// A line that explains a non-zero exit (interrupted, ids not found, how to resume): printed
    /// even with `-q`, since the exit code alone does not say it.
    pub fn always(&self, msg: &str) {
        self.print(msg);
    }

    /// `clerk-rl: error: …`, printed even with `-q`.
    pub fn error(&self, msg: &str) {
        self.print(&format!("{ERROR} {msg}"));
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

    /// A bar of `len` items whose ETA is `eta(items done, total, elapsed)` instead of indicatif's
    /// guess from recent throughput (a paced run's speed is set by its budget).
    pub fn progress_with_eta(
        &self,
        len: Option<u64>,
        unit: &str,
        eta: impl Fn(u64, u64, Duration) -> Duration + Send + Sync + Clone + 'static,
    ) -> ProgressBar {
        let bar = self.progress(len, unit);
        if len.is_some() {
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec:1}}, ETA {{budget_eta}}) {{msg}}"
            ))
            .expect("progress template")
            .with_key(
                "budget_eta",
                move |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let left = eta(s.pos(), s.len().unwrap_or(0), s.elapsed());
                    let _ = write!(w, "{}", humantime::format_duration(Duration::from_secs(left.as_secs())));
                },
            );
            bar.set_style(style);
        }
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

/// A table in the house style that wraps its cells to fit the width [`columns`] gives.
pub fn table(to: Stream) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(columns(to));
    t
}

/// Where a table goes: its width comes from that stream's terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// The fallback width when the output is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_COLUMNS: u16 = 80;

/// The width tables fit into: `COLUMNS` when set (as shells export it), else the terminal's width
/// when `to` is one, else 80.
pub fn columns(to: Stream) -> u16 {
    columns_from(
        std::env::var("COLUMNS").ok().as_deref(),
        match to {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        },
    )
}

fn columns_from(env: Option<&str>, is_terminal: bool) -> u16 {
    // Narrower than this, a two-column table cannot show a label and a value.
    const NARROWEST: u16 = 20;
    if let Some(c) = env.and_then(|c| c.trim().parse::<u16>().ok())
        && c >= NARROWEST
    {
        return c;
    }
    if is_terminal && let Some(w) = Table::new().width() {
        return w.max(NARROWEST);
    }
    DEFAULT_COLUMNS
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_is_columns_else_the_terminal_else_80() {
        assert_eq!(columns_from(Some("120"), false), 120);
        assert_eq!(columns_from(Some(" 60 "), true), 60);
        assert_eq!(columns_from(Some("5"), false), DEFAULT_COLUMNS);
        assert_eq!(columns_from(Some("wide"), false), DEFAULT_COLUMNS);
        assert_eq!(columns_from(None, false), DEFAULT_COLUMNS);
    }

    #[test]
    fn tables_wrap_to_the_width() {
        let mut t = table(Stream::Stdout);
        t.set_width(40);
        t.add_row(vec!["verdict", &"a long sentence ".repeat(10)]);
        let text = t.to_string();
        assert!(text.lines().count() > 3, "{text}");
        for l in text.lines() {
            assert!(l.chars().count() <= 40, "{l:?}");
        }
    }
}
