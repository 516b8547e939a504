//! The subprocess runner: argv only (no shell, so no interpolation of tag text), the same
//! dry-run guard as HTTP (a side-effecting command is recorded, not run), secrets passed by
//! environment and scrubbed from captured output, and a clear "missing tool" error.

use crate::error::{Error, ErrorKind, Result};
use crate::guard::{Ledger, Withheld};
use crate::redact::{self, Secret};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Whether a command changes anything outside the working directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads or builds locally; runs under `--dry-run`.
    Local,
    /// Publishes or otherwise changes remote state; withheld under `--dry-run`.
    SideEffect,
}

/// A command to run.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub secret_env: Vec<(String, Secret)>,
    pub cwd: Option<PathBuf>,
    pub effect: Effect,
    /// Killed and reported after this long (None: no limit).
    pub timeout: Option<std::time::Duration>,
}

impl Cmd {
    pub fn new(program: impl Into<String>, effect: Effect) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            secret_env: Vec::new(),
            cwd: None,
            effect,
            timeout: None,
        }
    }
    /// From an argv (first element is the program).
    pub fn argv(argv: &[String], effect: Effect) -> Result<Self> {
        let (p, rest) = argv
            .split_first()
            .ok_or_else(|| Error::config("empty command"))?;
        Ok(Cmd::new(p.clone(), effect).args(rest.iter().cloned()))
    }
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn args(mut self, a: impl IntoIterator<Item = String>) -> Self {
        self.args.extend(a);
        self
    }
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn secret_env(mut self, k: impl Into<String>, v: Secret) -> Self {
        self.secret_env.push((k.into(), v));
        self
    }
    pub fn timeout(mut self, t: std::time::Duration) -> Self {
        self.timeout = Some(t);
        self
    }
    pub fn cwd(mut self, d: impl Into<PathBuf>) -> Self {
        self.cwd = Some(d.into());
        self
    }
    /// The command line for messages and the report (secrets never appear: they are in env).
    pub fn display(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            if a.contains(' ') || a.is_empty() {
                s.push_str(&format!("{a:?}"));
            } else {
                s.push_str(a);
            }
        }
        redact::redact(&s)
    }
}

/// What a finished command produced (output redacted).
#[derive(Debug, Clone)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
    /// The last lines of stderr (or stdout), for error messages.
    pub fn tail(&self) -> String {
        let src = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let lines: Vec<&str> = src.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }
}

/// The runner, tagged with the platform it serves. Cheap to clone.
#[derive(Clone)]
pub struct Exec {
    dry_run: bool,
    ledger: Ledger,
    platform: String,
}

impl Exec {
    pub fn new(dry_run: bool, ledger: Ledger) -> Self {
        Exec {
            dry_run,
            ledger,
            platform: String::new(),
        }
    }
    /// Whether this runner withholds side effects (a dry run).
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }
    pub fn for_platform(&self, platform: &str) -> Exec {
        let mut e = self.clone();
        e.platform = platform.to_string();
        e
    }

    /// Runs a command to completion, capturing output. A non-zero exit is not an error here:
    /// callers decide (the exec platform gives exit codes meaning).
    pub async fn run(&self, cmd: &Cmd) -> Result<Output> {
        if self.dry_run && cmd.effect == Effect::SideEffect {
            self.ledger.withhold(Withheld {
                platform: self.platform.clone(),
                method: "exec".into(),
                target: cmd.display(),
                body: None,
            });
            return Err(Error::new(
                ErrorKind::Withheld,
                format!("dry run: withheld `{}`", cmd.display()),
            ));
        }
        crate::progress::trace(|| format!("{} exec {}", self.platform, cmd.display()));
        let program = resolve_program(&cmd.program, cmd.cwd.as_deref())?;
        let mut c = tokio::process::Command::new(program);
        c.args(&cmd.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &cmd.env {
            c.env(k, v);
        }
        for (k, v) in &cmd.secret_env {
            c.env(k, v.expose());
        }
        if let Some(d) = &cmd.cwd {
            c.current_dir(d);
        }
        if cmd.effect == Effect::SideEffect {
            self.ledger.note_sent(&self.platform, true, 0);
        }
        let run = c.output();
        let out = match cmd.timeout {
            // kill_on_drop: the child dies with the dropped future.
            Some(t) => tokio::time::timeout(t, run).await.map_err(|_| {
                Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("`{}` did not finish within {}s and was killed", cmd.display(), t.as_secs()),
                )
                .with_hint("raise the command's timeout, or find why it hangs (a prompt waiting for input?)")
            })?,
            None => run.await,
        }
        .map_err(|e| Error::io(format!("running `{}`", cmd.display()), e))?;
        Ok(Output {
            code: out.status.code(),
            stdout: redact::redact(&String::from_utf8_lossy(&out.stdout)),
            stderr: redact::redact(&String::from_utf8_lossy(&out.stderr)),
        })
    }

    /// Runs and requires exit 0.
    pub async fn run_ok(&self, cmd: &Cmd) -> Result<Output> {
        let out = self.run(cmd).await?;
        if !out.success() {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "`{}` exited with {}: {}",
                    cmd.display(),
                    out.code.map_or("a signal".into(), |c| c.to_string()),
                    out.tail()
                ),
            ));
        }
        Ok(out)
    }
}

/// Finds a program on PATH (or relative to cwd when it contains a slash).
pub fn resolve_program(program: &str, cwd: Option<&Path>) -> Result<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        let full = match (p.is_absolute(), cwd) {
            (false, Some(d)) => d.join(&p),
            _ => p,
        };
        if full.exists() {
            return Ok(full);
        }
    } else if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let c = dir.join(program);
            if c.is_file() {
                return Ok(c);
            }
        }
    }
    Err(missing_tool(program))
}

/// The error for a tool that is not installed.
pub fn missing_tool(program: &str) -> Error {
    Error::new(
        ErrorKind::MissingTool,
        format!("required tool `{program}` was not found on PATH"),
    )
    .with_hint(format!(
        "install `{program}` or fix the command in pipeline.yaml"
    ))
}
