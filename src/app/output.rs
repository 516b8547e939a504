//! What the CLI prints: problems (every one, with hints), the final table or JSON, GitHub
//! annotations. Everything passes the redactor.

use crate::error::Error;
use crate::progress::{self, Reporter};
use crate::redact::redact;
use crate::report::Report;
use std::sync::Arc;

pub struct Out {
    quiet: bool,
    reporter: Arc<dyn Reporter>,
}

impl Out {
    pub fn new(quiet: bool, verbose: u8) -> Self {
        progress::set_verbosity(if quiet { 0 } else { verbose });
        let reporter: Arc<dyn Reporter> = Arc::from(progress::for_env(quiet));
        progress::install(reporter.clone());
        Out { quiet, reporter }
    }
    pub fn reporter(&self) -> Arc<dyn Reporter> {
        self.reporter.clone()
    }
    pub fn message(&self, m: &str) {
        self.reporter.message(m);
    }
    /// Prints every problem and returns exit code 2 (or 1 when a problem is not an input problem).
    pub fn fatal(&self, problems: &[Error]) -> i32 {
        for e in problems {
            eprintln!("error: {}", redact(&e.chain()));
            if let Some(h) = e.hint() {
                eprintln!("  hint: {}", redact(h));
            }
        }
        if problems.len() > 1 {
            eprintln!("{} problems; nothing was published", problems.len());
        } else {
            eprintln!("nothing was published");
        }
        if problems
            .iter()
            .all(|e| e.kind.is_input() || e.kind == crate::error::ErrorKind::Credentials)
        {
            2
        } else {
            1
        }
    }
    pub fn diagnostics(&self, d: &crate::config::Diagnostics) {
        eprintln!("{}", redact(&d.to_string()));
        eprintln!(
            "error: {} is invalid ({} problem(s)); nothing was published",
            d.0.first()
                .map(|x| x.file.display().to_string())
                .unwrap_or_default(),
            d.0.len()
        );
    }
    pub fn report(&self, r: &Report, json: bool) {
        let gha = std::env::var_os("GITHUB_ACTIONS").is_some();
        if json {
            println!(
                "{}",
                redact(&serde_json::to_string_pretty(r).unwrap_or_default())
            );
            if gha {
                eprint!("{}", redact(&crate::report::annotations(r)));
            }
            return;
        }
        if gha {
            print!("{}", redact(&crate::report::annotations(r)));
        }
        if !self.quiet {
            print!("{}", redact(&crate::report::terminal_table(r)));
            return;
        }
        // -q drops the table, not the errors: a failed platform is one.
        for p in r
            .platforms
            .iter()
            .filter(|p| p.outcome == crate::report::OutcomeKind::Failed)
        {
            let why = p.reason.as_deref().unwrap_or("failed");
            eprintln!("error: {}: {}", p.id, redact(why));
            if let Some(h) = &p.hint {
                eprintln!("  hint: {}", redact(h));
            }
        }
    }
}
