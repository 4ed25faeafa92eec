//! The shape of every command's `--help`: the command's own options first, the global options
//! (which every command takes, ~20 of them) summarised in one paragraph instead of repeated in
//! full, and an "Exit codes:" paragraph for each command that does something, before its
//! examples. `clerk-rl --help` (and `man clerk-rl`) still describe every global option.
//!
//! The globals stay parsed below every command: each command gets a hidden copy of each global
//! option (same id, still global), which clap's propagation then finds and leaves alone. The
//! completion scripts are generated from the unshaped command, so they still offer the global
//! options after a command.

use clap::Command;

/// The exit codes of each command that runs (a command path, as typed after `clerk-rl`), shown
/// in its `--help` unless its help already has an "Exit codes:" paragraph (batch-get, probe,
/// webhook serve), and in its man page's EXIT STATUS.
const EXIT_CODES: &[(&str, &str)] = &[
    (
        "status",
        "0 answered (and --min-remaining met), 2 a bad flag, 3 rate limited past --max-retries or \
         --max-wait, or --min-remaining not met or not checkable (no headers; --allow-unknown \
         passes), 4 the key refused (401, 403), 5 quota_exceeded, 6 a server or network error \
         past retries.",
    ),
    (
        "export-users",
        "0 every user exactly once, checked against the count, 1 another run writing the same \
         --output, 2 a bad flag, filter or checkpoint, 3 rate limited past --max-retries or \
         --max-wait (resume with --resume), 4 the key refused, 5 quota_exceeded, 6 a server or \
         network error past retries, or a server that breaks paging (the output not put into \
         place), 129/130/143 SIGHUP/Ctrl-C/SIGTERM (the checkpoint saved).",
    ),
    (
        "api",
        "0 a 2xx answer, 1 a 404 or another 4xx, or a --jq filter error, 2 a bad flag or --jq \
         expression, or a 400/422 answer, 3 rate limited past --max-retries or --max-wait, 4 401 \
         or 403, 5 quota_exceeded, 6 a 5xx or network error past retries, the one answer to a \
         POST/PATCH not safe to repeat, a list that breaks --paginate's checks, or a 2xx answer \
         that is not JSON with --jq.",
    ),
    (
        "top",
        "0 shown (or stopped by Ctrl-C on a terminal: 130, SIGTERM 143), 1 the store \
         unavailable, 2 a bad flag, no --budget-store, or no key.",
    ),
    (
        "cache purge",
        "0 deleted (also when nothing was cached), 1 Redis unavailable, 2 a bad flag or id, or \
         no --cache.",
    ),
    (
        "sandbox",
        "0 stopped by Ctrl-C or SIGTERM, 1 the address taken, 2 a bad flag or a --ready-file \
         that cannot be written.",
    ),
    (
        "config show",
        "0 shown, 2 a bad flag, or a config file that does not parse (its line and column \
         named).",
    ),
    (
        "completions",
        "0 printed or written, 1 a file of --dir that cannot be written, 2 a bad flag or shell.",
    ),
    (
        "man",
        "0 printed or written, 1 a file of --dir that cannot be written, 2 no such page.",
    ),
];

/// The exit codes of the command typed as `path` (`cache purge`), if it has its own line.
pub fn exit_codes(path: &str) -> Option<&'static str> {
    EXIT_CODES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// The heading of the paragraph that stands for the global options below a command.
pub const GLOBAL_SUMMARY_HEADING: &str = "Global options";

/// `cmd` (the whole CLI, unbuilt) with every command's help shaped as this module says.
pub fn shaped(cmd: Command) -> Command {
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let summary = global_summary(&globals);
    shape_children(cmd, &globals, &summary, "")
}

fn shape_children(mut cmd: Command, globals: &[clap::Arg], summary: &str, path: &str) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |mut sub| {
            for g in globals {
                if sub.get_arguments().all(|a| a.get_id() != g.get_id()) {
                    sub = sub.arg(g.clone().hide(true));
                }
            }
            let after = sub
                .get_after_help()
                .map(|t| t.to_string())
                .unwrap_or_default();
            let after = with_exit_codes(&after, exit_codes(&sub_path));
            let text = if after.is_empty() {
                summary.to_string()
            } else {
                format!("{summary}\n\n{after}")
            };
            let sub = sub.after_help(text);
            shape_children(sub, globals, summary, &sub_path)
        });
    }
    cmd
}

/// `after` with an "Exit codes:" paragraph before its examples (or at its end), unless it has
/// one already.
fn with_exit_codes(after: &str, codes: Option<&str>) -> String {
    let Some(codes) = codes else {
        return after.to_string();
    };
    if after.contains("Exit codes:") {
        return after.to_string();
    }
    let para = wrap(&format!("Exit codes: {codes}"), 78, "");
    match after.find("Examples:") {
        Some(i) if i == 0 || after[..i].ends_with("\n\n") => {
            format!("{}{para}\n\n{}", &after[..i], &after[i..])
        }
        _ if after.is_empty() => para,
        _ => format!("{after}\n\n{para}"),
    }
}

/// One paragraph naming every global option with its value name, wrapped to 78 columns (intact in an 80-column terminal).
fn global_summary(globals: &[clap::Arg]) -> String {
    let flags: Vec<String> = globals
        .iter()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let long = a.get_long()?;
            let flag = match a.get_short() {
                Some(s) => format!("-{s}/--{long}"),
                None => format!("--{long}"),
            };
            let takes = a.get_action().takes_values();
            Some(match a.get_value_names().and_then(|v| v.first()) {
                Some(v) if takes => format!("{flag} {v}"),
                None if takes => format!("{flag} {}", a.get_id().as_str().to_uppercase()),
                _ => flag,
            })
        })
        .collect();
    let head = format!(
        "{GLOBAL_SUMMARY_HEADING} (before or after the command; `clerk-rl --help` describes each):"
    );
    format!("{head}\n{}", wrap(&flags.join("  "), 78, "  "))
}

/// Greedy wrap at spaces, never inside a flag and its value: words are joined by two spaces
/// between flags, so the split is on those.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let sep = if text.contains("  ") { "  " } else { " " };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(sep) {
        if !line.is_empty() && indent.len() + line.len() + sep.len() + word.len() > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{indent}{line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_go_before_the_examples_once() {
        let after = "Some notes.\n\nExamples:\n  clerk-rl x";
        let got = with_exit_codes(after, Some("0 ok, 2 bad."));
        assert_eq!(
            got,
            "Some notes.\n\nExit codes: 0 ok, 2 bad.\n\nExamples:\n  clerk-rl x"
        );
        assert_eq!(with_exit_codes(&got, Some("0 ok, 2 bad.")), got);
        assert_eq!(
            with_exit_codes("Examples:\n  a", Some("0 ok.")),
            "Exit codes: 0 ok.\n\nExamples:\n  a"
        );
        assert_eq!(with_exit_codes("", Some("0 ok.")), "Exit codes: 0 ok.");
        assert_eq!(with_exit_codes("x", None), "x");
    }

    #[test]
    fn wrap_keeps_words_whole_and_lines_short() {
        let text = (0..40)
            .map(|i| format!("--flag{i} VALUE"))
            .collect::<Vec<_>>();
        let out = wrap(&text.join("  "), 50, "  ");
        assert!(
            out.lines().all(|l| l.len() <= 50 && l.starts_with("  ")),
            "{out}"
        );
        let back: Vec<&str> = out.lines().flat_map(|l| l.trim().split("  ")).collect();
        assert_eq!(
            back, text,
            "every flag with its value, in order, none split"
        );
    }
}
