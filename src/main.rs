fn main() {
    std::process::exit(clerk_rl::run(std::env::args_os()));
}
