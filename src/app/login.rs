//! `tagship login PLATFORM` / `tagship logout PLATFORM`: a token in the OS keyring (service
//! `tagship`, user = the platform's credential variable), where every run looks after the
//! environment (`crate::creds`). The token is read from stdin, never from the command line,
//! where it would land in shell history and in `ps`.

use super::{env_map, output::Out, select};
use crate::cli::LoginArgs;
use crate::error::Error;
use crate::platform::Requirement;
use std::io::{BufRead, IsTerminal, Read};

/// The longest token `login` reads (tokens are under 1 KiB; PEM keys a few KiB).
const MAX_TOKEN_BYTES: u64 = 64 << 10;

/// The variable the platform's token goes under: `--var`, else the first required
/// credential its pipeline.yaml section declares.
fn variable(a: &LoginArgs) -> Result<String, Error> {
    if let Some(v) = &a.var {
        return Ok(v.clone());
    }
    let hint = format!(
        "configure platforms.{} in {}, or name the variable: `--var NAME`",
        a.platform,
        a.config.display()
    );
    let l = crate::config::load(&a.config, None, &env_map()).map_err(|d| {
        Error::input(format!("{} does not load: {d}", a.config.display())).with_hint(&hint)
    })?;
    // With `packages:`, the first package that publishes to the platform (its sections are
    // the shared ones merged with its own).
    let view = (l.pipeline.packages.iter())
        .map(|cfg| super::packages::view(&l.pipeline, cfg))
        .find(|v| v.platforms.contains_key(&a.platform));
    let pipeline = view.unwrap_or_else(|| crate::config::Pipeline {
        packages: Vec::new(),
        ..l.pipeline.clone()
    });
    let chosen = select::select(&pipeline, std::slice::from_ref(&a.platform), &[])
        .map_err(|mut p| p.remove(0))?;
    let p = chosen
        .first()
        .ok_or_else(|| Error::input("no platform selected"))?;
    p.requirements()
        .into_iter()
        .find_map(|r| match r {
            Requirement::Credential {
                var,
                optional: false,
            } => Some(var),
            _ => None,
        })
        .ok_or_else(|| {
            Error::input(format!(
                "{} needs no token here (it publishes with OIDC, or takes none)",
                a.platform
            ))
            .with_hint(hint)
        })
}

pub fn login(a: &LoginArgs, out: &Out) -> i32 {
    let var = match variable(a) {
        Ok(v) => v,
        Err(e) => return out.fatal(&[e]),
    };
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprintln!("Paste the token for {var} ({}), then Enter:", a.platform);
        echo(false);
    }
    let mut line = String::new();
    // A token is a line; stdin fed from /dev/zero must not be read into memory whole.
    let read = stdin.lock().take(MAX_TOKEN_BYTES + 1).read_line(&mut line);
    if tty {
        echo(true);
        eprintln!();
    }
    if let Err(e) = read {
        return out.fatal(&[Error::io("reading the token from stdin", e)]);
    }
    // The line break that ends the input is not part of the token.
    let token = line.strip_suffix('\n').unwrap_or(&line);
    let token = token.strip_suffix('\r').unwrap_or(token);
    if line.len() as u64 > MAX_TOKEN_BYTES {
        return out.fatal(&[Error::input(format!(
            "the token on stdin is longer than {} KiB",
            MAX_TOKEN_BYTES >> 10
        ))
        .with_hint("give the token alone, on one line")]);
    }
    if token.is_empty() {
        return out.fatal(&[Error::input("no token on stdin")
            .with_hint(format!("e.g. `tagship login {} < token.txt`", a.platform))]);
    }
    match crate::creds::keyring_store(&var, token) {
        Ok(()) => {
            out.message(&format!(
                "stored {var} for {} in the OS keyring (service `tagship`); the environment variable, when set, still wins",
                a.platform
            ));
            0
        }
        Err(e) => out.fatal(&[e]),
    }
}

/// Turns the terminal's echo off (or back on) with `stty`, so a pasted token does not show.
/// Best effort: without `stty` the prompt still works, echoing.
fn echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}

pub fn logout(a: &LoginArgs, out: &Out) -> i32 {
    let var = match variable(a) {
        Ok(v) => v,
        Err(e) => return out.fatal(&[e]),
    };
    match crate::creds::keyring_remove(&var) {
        Ok(true) => {
            out.message(&format!("removed {var} from the OS keyring"));
            0
        }
        Ok(false) => {
            out.message(&format!("{var} was not in the OS keyring"));
            0
        }
        Err(e) => out.fatal(&[e]),
    }
}
