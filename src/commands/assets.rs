//! Shell completions and man pages, generated from the CLI definition itself.
//!
//! The committed copies under `completions/` and `man/` are checked against these by a test, so
//! they never drift from the binary.

use std::io::Write;
use std::path::Path;

use clap_complete::Shell;

use crate::cli;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The completion script for one shell.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    // Unshaped: the scripts offer the global options after every command too.
    clap_complete::generate(shell, &mut cli::command_unshaped(), BIN, &mut out);
    if shell == Shell::Bash {
        out = bash_labels_fixed(&out);
    }
    out
}

const BIN: &str = "clerk-rl";

/// clap_complete's bash script tracks the command typed so far in `cmd`, built from the bin
/// name with its `-` turned into `__` (`clerk__rl__subcmd__export__subcmd__users`), but it
/// writes the case labels that read `cmd` with the bin name's `-` turned into `__subcmd__`
/// (`clerk__subcmd__rl__subcmd__…`, clap-rs/clap#6421). With a hyphenated bin name no label
/// ever matches, so no subcommand's option or value completes. Renaming the labels to the
/// `cmd` spelling is the smallest fix that keeps the generator's output otherwise untouched;
/// it is a no-op once clap_complete spells both the same way. `tests/assets.rs` drives the
/// script in a real bash to prove it completes.
fn bash_labels_fixed(script: &[u8]) -> Vec<u8> {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", BIN.replace('-', SEP));
    let right = format!("{}{SEP}", BIN.replace('-', "__"));
    String::from_utf8_lossy(script)
        .replace(&wrong, &right)
        .into_bytes()
}

/// The file name clap_complete uses for a shell's script.
pub fn completion_file(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name(BIN)
}

/// Man pages: `clerk-rl.1` and one `clerk-rl-<subcommand>.1` per subcommand, nested ones too
/// (`clerk-rl-webhook-serve.1`), which their parent's page refers to. Each has the generator's
/// NAME, DESCRIPTION, OPTIONS and COMMANDS, and our own SYNOPSIS (with value names), EXIT STATUS,
/// ENVIRONMENT, EXAMPLES and NOTES, cut from the `--help` text so the two never disagree.
pub fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    // The pages are committed and checked for drift: they show the version alone, not
    // --version's commit and build date, which change with every build.
    let cmd = cli::command().long_version(None::<&str>);
    cmd.clone().build();
    let mut pages = Vec::new();
    let general = HelpParts::of(&cmd);
    pages.push((
        "clerk-rl.1".to_string(),
        page(&cmd, "clerk-rl", &cmd, &general)?,
    ));
    sub_pages(&cmd, &cmd, "clerk-rl", "clerk-rl", &general, &mut pages)?;
    Ok(pages)
}

fn sub_pages(
    root: &clap::Command,
    cmd: &clap::Command,
    prefix: &str,
    typed: &str,
    general: &HelpParts,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands() {
        let name = format!("{prefix}-{}", sub.get_name());
        // The page clerk-rl-webhook-serve is for what is typed `clerk-rl webhook serve`.
        let invocation = format!("{typed} {}", sub.get_name());
        let page_cmd = sub
            .clone()
            .name(name.clone().leak() as &str)
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((
            format!("{name}.1"),
            page(root, &invocation, &page_cmd, general)?,
        ));
        sub_pages(root, sub, &name, &invocation, general, pages)?;
    }
    Ok(())
}

/// One page. `invocation` is how it is typed (`clerk-rl webhook serve`).
fn page(
    root: &clap::Command,
    invocation: &str,
    cmd: &clap::Command,
    general: &HelpParts,
) -> anyhow::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let own = HelpParts::of(cmd);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    out.extend(synopsis(invocation, cmd).into_bytes());
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut text = String::new();
    section(&mut text, "EXIT STATUS");
    if let Some(e) = &own.exit_codes
        && !std::ptr::eq(root, cmd)
    {
        paragraph(&mut text, e);
        text.push_str(".PP\nEvery code clerk\\-rl uses:\n");
    }
    if let Some(e) = &general.exit_codes {
        preformatted(&mut text, e);
    }
    section(&mut text, "ENVIRONMENT");
    for (var, what) in environment(root, cmd) {
        text.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(&var), roff(&what)));
    }
    if let Some(ex) = &own.examples {
        section(&mut text, "EXAMPLES");
        preformatted(&mut text, ex);
    }
    if !own.notes.is_empty() {
        section(&mut text, "NOTES");
        for n in &own.notes {
            preformatted(&mut text, n);
        }
    }
    section(&mut text, "SEE ALSO");
    if std::ptr::eq(root, cmd) {
        let subs: Vec<String> = root
            .get_subcommands()
            .map(|s| format!("\\fBclerk\\-rl\\-{}\\fR(1)", roff(s.get_name())))
            .collect();
        text.push_str(&subs.join(", "));
        text.push('\n');
    } else {
        text.push_str(
            "\\fBclerk\\-rl\\fR(1) for the global options (\\-\\-plan, \\-\\-rate, \\-\\-json, \\-q, ...), which every command takes\n",
        );
    }
    out.extend(text.into_bytes());
    man.render_version_section(&mut out)?;
    Ok(once_preamble(&out))
}

/// Each of the generator's section renderers starts with the same two-line preamble (the
/// apostrophe string); a page needs it once, at the top.
fn once_preamble(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    for line in text.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && !seen.insert(line.to_string()) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// SYNOPSIS with every option's value name: `clerk-rl status [--min-remaining PCT]`.
fn synopsis(invocation: &str, cmd: &clap::Command) -> String {
    let mut s = format!(".SH SYNOPSIS\n\\fB{}\\fR", roff(invocation));
    for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let value = a
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        let takes = a.get_action().takes_values();
        if a.is_positional() {
            s.push_str(&format!(" [\\fI{}\\fR]", roff(&value)));
            continue;
        }
        let flag = match (a.get_short(), a.get_long()) {
            (Some(c), Some(l)) => format!("\\fB\\-{c}\\fR|\\fB\\-\\-{}\\fR", roff(l)),
            (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", roff(l)),
            (Some(c), None) => format!("\\fB\\-{c}\\fR"),
            (None, None) => continue,
        };
        if takes {
            s.push_str(&format!(" [{flag} \\fI{}\\fR]", roff(&value)));
        } else {
            s.push_str(&format!(" [{flag}]"));
        }
    }
    if cmd.has_subcommands() {
        s.push_str(" \\fICOMMAND\\fR");
    }
    s.push('\n');
    s
}

/// The variables a command reads: the secret key, every option's `env`, the global ones, the
/// config file's location (read by every command, for --profile), what the command itself reads
/// ([`COMMAND_ENV`]), and the terminal width.
fn environment(root: &clap::Command, cmd: &clap::Command) -> Vec<(String, String)> {
    let mut out = vec![(
        crate::secret::ENV_KEY.to_string(),
        "The Clerk secret key (or --secret-key-file PATH). It is never taken as a flag."
            .to_string(),
    )];
    let args = root.get_arguments().chain(
        if std::ptr::eq(root, cmd) {
            None
        } else {
            Some(cmd.get_arguments())
        }
        .into_iter()
        .flatten(),
    );
    for a in args {
        if let (Some(env), Some(long)) = (a.get_env(), a.get_long()) {
            let var = env.to_string_lossy().into_owned();
            if !out.iter().any(|(v, _)| *v == var) {
                out.push((var, format!("The default of --{long}.")));
            }
        }
    }
    let page = cmd.get_name();
    for (pages, var, what) in COMMAND_ENV {
        let here = std::ptr::eq(root, cmd)
            || pages.is_empty()
            || pages
                .iter()
                .any(|p| page == format!("{BIN}-{}", p.replace(' ', "-")));
        if here && !out.iter().any(|(v, _)| v == var) {
            out.push((var.to_string(), what.to_string()));
        }
    }
    out.push((
        "COLUMNS".into(),
        "The width tables wrap to (else the terminal's, else 80).".into(),
    ));
    out
}

/// The commands of a variable every command reads (the config file's place, for --profile):
/// no list to keep in step with the commands.
const EVERY_COMMAND: &[&str] = &[];

/// Variables read by some commands only (the main page lists them all): (the commands as
/// typed after `clerk-rl`, or [`EVERY_COMMAND`], the variable, what it does). Every command
/// reads the config file (XDG_CONFIG_HOME, HOME) to apply --profile.
const COMMAND_ENV: &[(&[&str], &str, &str)] = &[
    (
        &["webhook serve", "config show"],
        crate::secret::ENV_SIGNING_SECRET,
        "The webhook signing secret (whsec_...), unless --signing-secret-file is given; config show says only whether it is set.",
    ),
    (
        &[
            "status",
            "probe",
            "export-users",
            "api",
            "batch-get",
            "import-users",
            "config show",
        ],
        crate::pacing::state_file::ENV_STATE_DIR,
        "The folder of the state files (the endpoint budgets and the budget without --budget-store kept across processes; finished exports). Else $XDG_STATE_HOME/clerk-rl, else ~/.local/state/clerk-rl.",
    ),
    (
        &[
            "status",
            "probe",
            "export-users",
            "api",
            "batch-get",
            "import-users",
            "config show",
        ],
        "XDG_STATE_HOME",
        "The state folder's parent when CLERK_RL_STATE_DIR is not set.",
    ),
    (
        EVERY_COMMAND,
        "XDG_CONFIG_HOME",
        "Where the config file of --profile is: $XDG_CONFIG_HOME/clerk-rl/config.toml (an absolute path), else ~/.config/clerk-rl/config.toml.",
    ),
    (
        EVERY_COMMAND,
        "HOME",
        "The base of ~/.config/clerk-rl/config.toml and ~/.local/state/clerk-rl, and of a profile's secret_key_file written ~/...",
    ),
];

/// The `--help` text after the options, cut into what a man page shows apart.
#[derive(Debug, Default)]
struct HelpParts {
    exit_codes: Option<String>,
    examples: Option<String>,
    notes: Vec<String>,
}

impl HelpParts {
    fn of(cmd: &clap::Command) -> Self {
        let text = cmd
            .get_after_long_help()
            .or_else(|| cmd.get_after_help())
            .map(|t| t.to_string())
            .unwrap_or_default();
        let mut parts = HelpParts::default();
        // Paragraphs are separated by blank lines; one headed "Examples:" or "Exit codes:"
        // (alone or with text after the colon) goes to its own section.
        for para in text
            .split("\n\n")
            .map(str::trim_end)
            .filter(|p| !p.trim().is_empty())
        {
            if para.starts_with(crate::cli::help::GLOBAL_SUMMARY_HEADING) {
                // The man page's SEE ALSO points to clerk-rl(1) for the global options.
                continue;
            } else if let Some(rest) = para.strip_prefix("Examples:") {
                parts.examples = Some(dedent(rest));
            } else if let Some(rest) = para.strip_prefix("Exit codes:") {
                parts.exit_codes = Some(dedent(rest));
            } else {
                parts.notes.push(para.to_string());
            }
        }
        parts
    }
}

/// Lines without their common indentation (and without leading blank lines).
fn dedent(s: &str) -> String {
    let s = s.trim_start_matches([' ']).trim_start_matches('\n');
    let lines: Vec<&str> = s.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.trim()
            } else {
                l.get(indent..).unwrap_or(l.trim())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn section(out: &mut String, name: &str) {
    out.push_str(&format!(".SH \"{name}\"\n"));
}

fn paragraph(out: &mut String, text: &str) {
    out.push_str(&roff(text));
    out.push('\n');
}

/// Text kept as written (examples, tables): no filling, no adjusting.
fn preformatted(out: &mut String, text: &str) {
    out.push_str(".PP\n.nf\n");
    for line in text.lines() {
        out.push_str(&roff(line));
        out.push('\n');
    }
    out.push_str(".fi\n");
}

/// Escape text for roff: backslashes and dashes, and a leading dot or quote.
fn roff(s: &str) -> String {
    let e = s.replace('\\', "\\e").replace('-', "\\-");
    if e.starts_with('.') || e.starts_with('\'') {
        format!("\\&{e}")
    } else {
        e
    }
}

pub fn print_completion(shell: Shell) -> anyhow::Result<()> {
    std::io::stdout().write_all(&completion(shell))?;
    Ok(())
}

/// One page on stdout: `None` or `clerk-rl` for the main page, else a command (`status`,
/// `webhook-serve`, or `webhook serve`).
pub fn print_man(page: Option<&str>) -> anyhow::Result<()> {
    let want = match page.map(|p| p.trim().replace(' ', "-")) {
        None => "clerk-rl.1".to_string(),
        Some(p) if p == "clerk-rl" => "clerk-rl.1".to_string(),
        Some(p) => format!("clerk-rl-{}.1", p.trim_start_matches("clerk-rl-")),
    };
    let pages = man_pages()?;
    let Some((_, text)) = pages.iter().find(|(name, _)| *name == want) else {
        let names: Vec<&str> = pages
            .iter()
            .filter_map(|(n, _)| n.strip_prefix("clerk-rl-")?.strip_suffix(".1"))
            .collect();
        return Err(crate::error::fail(
            crate::error::Exit::Usage,
            format!(
                "no man page for {:?}; the pages are for {}",
                page.unwrap_or_default(),
                names.join(", ")
            ),
        ));
    };
    std::io::stdout().write_all(text)?;
    Ok(())
}

pub fn write_man(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, page) in man_pages()? {
        std::fs::write(dir.join(name), page)?;
    }
    Ok(())
}

pub fn write_completions(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for shell in SHELLS {
        std::fs::write(dir.join(completion_file(shell)), completion(shell))?;
    }
    Ok(())
}
