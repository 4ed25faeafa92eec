// Temporary dispatch so the sandbox branch can run `clerk-rl sandbox`; the main branch's
// main.rs/lib.rs dispatch replaces it on merge.
use clerk_rl::cli::{self, Command};

#[tokio::main]
async fn main() {
    let cli = match cli::parse_from(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Command::Sandbox(args) => clerk_rl::commands::sandbox::run(&cli.global, args).await,
        _ => Err(anyhow::anyhow!("only `sandbox` is wired in this branch")),
    };
    if let Err(e) = result {
        eprintln!("clerk-rl: {e:#}");
        std::process::exit(1);
    }
}
