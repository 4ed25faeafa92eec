//! Showing the report: a table (or one JSON object) on stdout and a timeline in the terminal
//! ([`table`], [`timeline`]), and the files asked for: an SVG chart ([`svg`]) and a CSV of
//! every request ([`csv`]).

mod csv;
mod svg;
mod table;
mod timeline;

use std::io::Write as _;
use std::path::Path;

use super::Plan;
use super::infer::Sample;
use super::report::Report;
use crate::error::{Exit, fail};
use crate::settings::context::Context;

/// The report first, then the files: a measurement cost requests of the instance's limit and is
/// never thrown away because a file could not be written (the paths were checked before the
/// first request, but a disk can fill or a folder go meanwhile).
pub fn emit(ctx: &Context, plan: &Plan, r: &Report, samples: &[Sample]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if ctx.global.json {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
    } else {
        writeln!(out, "{}", table::table(r))?;
        let columns = crate::ui::columns(crate::ui::Stream::Stdout) as usize;
        write!(out, "{}", timeline::terminal_timeline(r, columns))?;
    }
    out.flush()?;
    drop(out);
    let mut failed = Vec::new();
    if let Some(p) = &plan.timeline
        && let Err(e) = write_file(p, &csv::csv(samples))
    {
        failed.push(e);
    }
    if let Some(p) = &plan.plot
        && let Err(e) = write_file(p, &svg::svg(r, samples))
    {
        failed.push(e);
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(fail(
        Exit::Other,
        format!("{}; the report above is complete", failed.join("; ")),
    ))
}

fn write_file(p: &Path, text: &str) -> Result<(), String> {
    std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// `text` broken at spaces into lines of at most `width` characters (a word longer than that
/// stays whole); continuation lines are indented by two spaces.
pub fn wrap(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, "  ".to_string()));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    lines.push(line);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_lines_wrap_to_the_terminal_width() {
        let text = "clerk-rl: probe (burst mode) will send at most 300 requests (GET /v1/users?limit=1) within 1m; Ctrl-C (or SIGTERM, SIGHUP) stops it and prints what it found";
        let w = wrap(text, 80);
        assert!(w.lines().count() >= 2, "{w}");
        assert!(w.lines().all(|l| l.chars().count() <= 80), "{w}");
        assert_eq!(
            w.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert_eq!(wrap("short", 80), "short");
    }
}
