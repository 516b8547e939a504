//! tagship: one tag in, every platform published, one report out.
//!
//! Layout: `config` parses pipeline.yaml, `version` resolves the tag, `build` produces
//! archives, `engine` fans out over `platforms` through the shared `http`/`exec` layers, and
//! `report` renders the outcome. See ../shared/STYLE.md for the architecture.

pub mod app;
pub mod build;
pub mod cli;
pub mod config;
pub mod creds;
pub mod engine;
pub mod error;
pub mod exec;
pub mod git;
pub mod guard;
pub mod http;
pub mod init;
pub mod kit;
pub mod oidc;
pub mod plan;
pub mod platform;
pub mod progress;
pub mod redact;
pub mod report;
pub mod status;
pub mod version;

#[path = "../platforms/mod.rs"]
pub mod platforms;

pub use error::{Error, ErrorKind, Result};
