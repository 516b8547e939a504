//! One error type for the library: a kind (drives exit codes and report wording), a message,
//! an optional hint for the user, and the source chain. Messages are redacted on construction,
//! so no secret can travel inside an error.

use crate::redact;
use std::fmt;

/// What went wrong, coarse enough to pick an exit code and a report outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// pipeline.yaml is malformed or inconsistent.
    Config,
    /// Bad input: tag, version, file names, paths.
    Input,
    /// A credential is missing.
    Credentials,
    /// A required external tool is not installed.
    MissingTool,
    /// A build command failed or produced the wrong binary.
    Build,
    /// The remote could not be reached (DNS, connect, TLS).
    Unreachable,
    /// The remote rejected our credentials (401/403).
    Auth,
    /// The remote does not know the resource.
    NotFound,
    /// The version exists with different content, or another conflict.
    Conflict,
    /// Rate limited beyond what we are willing to wait.
    RateLimited,
    /// The remote failed (5xx) after retries.
    Server,
    /// A non-idempotent request may or may not have landed; re-check before retrying.
    OutcomeUnknown,
    /// The dry-run guard withheld a mutating request.
    Withheld,
    /// The platform has no such operation (e.g. yank).
    Unsupported,
    /// The remote answered something we do not understand.
    Protocol,
    /// Local I/O.
    Io,
    /// The run's time limit (`--timeout`) passed before this work finished.
    Deadline,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Bad input, config, credentials and missing tools are exit code 2: nothing was published.
    pub fn is_input(self) -> bool {
        matches!(
            self,
            ErrorKind::Config
                | ErrorKind::Input
                | ErrorKind::Credentials
                | ErrorKind::MissingTool
                | ErrorKind::Build
        )
    }
}

/// The library error (thiserror: `Display` is the redacted message, `source` the cause).
#[derive(thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    message: String,
    hint: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: redact::redact(&message.into()),
            hint: None,
            source: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(redact::redact(&hint.into()));
        self
    }
    /// Adds a hint only if none was set by a more specific layer.
    pub fn or_hint(self, hint: impl Into<String>) -> Self {
        if self.hint.is_some() {
            self
        } else {
            self.with_hint(hint)
        }
    }
    pub fn with_source(mut self, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(e));
        self
    }
    /// Prefixes the message with context ("uploading x: ...").
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = redact::redact(&format!("{ctx}: {}", self.message));
        self
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    /// The whole chain as one redacted line.
    pub fn chain(&self) -> String {
        let mut s = self.message.clone();
        let mut cur: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = cur {
            let t = e.to_string();
            if !s.contains(&t) {
                s.push_str(": ");
                s.push_str(&t);
            }
            cur = e.source();
        }
        redact::redact(&s)
    }
    pub fn io(context: impl fmt::Display, e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("{context}: {e}"))
    }
    pub fn config(m: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, m)
    }
    pub fn input(m: impl Into<String>) -> Self {
        Error::new(ErrorKind::Input, m)
    }
    pub fn protocol(m: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Error::new(ErrorKind::Conflict, m)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}, {:?}", self.kind, self.chain())?;
        if let Some(h) = &self.hint {
            write!(f, ", hint: {h:?}")?;
        }
        f.write_str(")")
    }
}
