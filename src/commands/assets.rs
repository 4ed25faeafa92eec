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
    clap_complete::generate(shell, &mut cli::command(), "clerk-rl", &mut out);
    out
}

/// The file name clap_complete uses for a shell's script.
pub fn completion_file(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name("clerk-rl")
}

/// Man pages: `clerk-rl.1` and one `clerk-rl-<subcommand>.1` per subcommand, nested ones too
/// (`clerk-rl-webhook-serve.1`), which their parent's page refers to.
pub fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let cmd = cli::command();
    let mut pages = Vec::new();
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    pages.push(("clerk-rl.1".to_string(), top));
    sub_pages(&cmd, "clerk-rl", &mut pages)?;
    Ok(pages)
}

fn sub_pages(
    cmd: &clap::Command,
    prefix: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands() {
        let name = format!("{prefix}-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone().leak() as &str)
            .version(env!("CARGO_PKG_VERSION"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(page).render(&mut buf)?;
        pages.push((format!("{name}.1"), buf));
        sub_pages(sub, &name, pages)?;
    }
    Ok(())
}

pub fn print_completion(shell: Shell) -> anyhow::Result<()> {
    std::io::stdout().write_all(&completion(shell))?;
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
