//! The `tagship` binary: parse, run, exit (0 ok, 1 a platform failed, 2 bad input).

use clap::Parser;

fn main() -> std::process::ExitCode {
    // `tagship status | head`: when the reader goes away, end quietly as other Unix tools
    // do, instead of a panic on the next print (Rust ignores SIGPIPE by default). A release
    // ended this way is finished by its re-run, as after any kill.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tagship::redact::install_panic_hook();
    let cli = tagship::cli::Cli::parse();
    let code = tagship::app::main(cli);
    std::process::ExitCode::from(code as u8)
}
