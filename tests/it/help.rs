//! `clerk-rl COMMAND --help`: the command's own options first, the ~20 global options
//! summarised in one paragraph (not repeated in full), its exit codes, and examples that copy and
//! paste from an 80-column terminal (never wrapped by the help's own wrapping).

use crate::common;

/// Every command that runs (as typed after `clerk-rl`).
const COMMANDS: &[&str] = &[
    "status",
    "probe",
    "export-users",
    "api",
    "batch-get",
    "cache purge",
    "sandbox",
    "webhook serve",
    "config show",
    "completions",
    "man",
];

fn help(command: &str, columns: &str) -> String {
    let mut c = common::cmd();
    c.args(command.split(' ').filter(|w| !w.is_empty()))
        .arg("--help")
        .env("COLUMNS", columns)
        .env("LINES", "50");
    let r = common::bounded_sync(c);
    assert_eq!(r.code, 0, "{command}: {}", r.stderr);
    r.stdout
}

/// The paragraph that starts with `heading` (up to the next blank line).
fn paragraph<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let start = text.find(&format!("\n{heading}"))? + 1;
    let rest = &text[start..];
    Some(rest.split("\n\n").next().unwrap())
}

#[test]
fn each_command_shows_its_own_options_then_the_global_ones_summarised_then_exit_codes() {
    for command in COMMANDS {
        let h = help(command, "100");
        let options = h
            .find("\nOptions:")
            .unwrap_or_else(|| panic!("{command}: {h}"));
        let globals = h
            .find("\nGlobal options (before or after the command")
            .unwrap_or_else(|| panic!("{command}: no global summary\n{h}"));
        let exit = h
            .find("\nExit codes:")
            .unwrap_or_else(|| panic!("{command}: no exit codes\n{h}"));
        assert!(options < globals && globals < exit, "{command}: order\n{h}");
        if let Some(examples) = h.find("\nExamples:") {
            assert!(
                exit < examples,
                "{command}: exit codes after the examples\n{h}"
            );
        }
        // Each global option is named once, in the summary, not described in full.
        for flag in [
            "--api-url URL",
            "--plan",
            "--budget-store URL",
            "-q/--quiet",
            "--profile NAME",
        ] {
            assert!(
                paragraph(&h, "Global options").unwrap().contains(flag),
                "{command}: {flag} not in the summary\n{h}"
            );
        }
        assert!(
            !h.contains("--api-url <URL>"),
            "{command}: globals in full\n{h}"
        );
        assert!(!h.contains("--sandbox-seed <SEED>"), "{command}\n{h}");
        assert!(h.contains("-h, --help"), "{command}");
        // The global options went from ~60 lines to a few.
        let summary = paragraph(&h, "Global options").unwrap();
        assert!(summary.lines().count() <= 7, "{command}: {summary}");
    }
    // The command's own options are there, described.
    assert!(help("export-users", "100").contains("--filter <"));
    assert!(help("webhook serve", "100").contains("--log-format <FORMAT>"));
    assert!(help("sandbox", "100").contains("--ready-file <PATH>"));
    // clerk-rl --help still describes every global option.
    let top = help("", "100");
    assert!(
        top.contains("--api-url <URL>") && top.contains("--sandbox-seed <SEED>"),
        "{top}"
    );
}

/// The global options are hidden from a command's help, not taken away: they still parse after
/// the command, as before it.
#[test]
fn global_options_still_work_after_the_command() {
    let r = common::run_sync(&["status", "--sandbox", "--json", "--plan", "prod"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["budget"]["plan"], "prod", "{}", r.stdout);
}

/// The examples of a command, as shown in an 80-column terminal, are the lines written in the
/// source: none is wrapped (a wrapped path or command does not paste), none is wider than 80.
/// probe's help belongs to probe's own work and is checked there.
#[test]
fn examples_copy_and_paste_from_an_80_column_terminal() {
    for command in COMMANDS.iter().filter(|c| **c != "probe") {
        let narrow = help(command, "80");
        let wide = help(command, "1000");
        let (Some(n), Some(w)) = (
            paragraph(&narrow, "Examples:"),
            paragraph(&wide, "Examples:"),
        ) else {
            panic!("{command}: no examples\n{narrow}");
        };
        assert_eq!(n, w, "{command}: the examples wrap at 80 columns");
        for line in n.lines() {
            assert!(
                line.chars().count() <= 80,
                "{command}: {line:?} is wider than 80"
            );
        }
    }
}
