//! The timeline in the terminal: accepted over 429s, as two rows of bars.

use super::wrap;
use crate::commands::probe::report::{Report, round3};

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Two rows of bars, accepted over 429s, one column per interval: as many intervals merged
/// into one column as it takes to fit `columns` (issue 26: the probe printed 134-column lines
/// into an 80-column terminal).
pub(super) fn terminal_timeline(r: &Report, columns: usize) -> String {
    const PREFIX: usize = 10; // "accepted │"
    let room = columns.saturating_sub(PREFIX).max(1);
    let per = r.timeline.len().div_ceil(room).max(1);
    let merged: Vec<(usize, usize)> = r
        .timeline
        .chunks(per)
        .map(|c| {
            (
                c.iter().map(|i| i.accepted).sum(),
                c.iter().map(|i| i.limited + i.other).sum(),
            )
        })
        .collect();
    let peak = merged
        .iter()
        .map(|&(a, l)| a.max(l))
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = |n: usize| {
        if n == 0 {
            ' '
        } else {
            LEVELS[(n * 8).div_ceil(peak).clamp(1, 8)]
        }
    };
    let ok: String = merged.iter().map(|&(a, _)| bar(a)).collect();
    let no: String = merged.iter().map(|&(_, l)| bar(l)).collect();
    let head = format!(
        "timeline: one column per {} s, 0 to {:.2} s, tallest bar {peak} requests",
        round3(r.interval_s * per as f64),
        r.elapsed_s
    );
    format!("{}\naccepted │{ok}\n429      │{no}\n", wrap(&head, columns))
}
