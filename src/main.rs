//! The `tagship` binary: parse, run, exit (0 ok, 1 a platform failed, 2 bad input).

use clap::Parser;

fn main() -> std::process::ExitCode {
    tagship::redact::install_panic_hook();
    let cli = tagship::cli::Cli::parse();
    let code = tagship::app::main(cli);
    std::process::ExitCode::from(code as u8)
}
