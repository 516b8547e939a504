//! The version-level probe (issue 11): before anything is built, each platform may say from
//! names alone — the version, the targets and the file names its config predicts — whether
//! everything it would publish is already live. When every selected platform says so, a
//! re-run of a finished release ends without building (`tagship release` without
//! `--verify-content`). Content is compared later, by `check`, only when something is built.

use super::Handover;
use crate::plan::Target;

/// What the build will produce, known from config before it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    /// Every build target, sorted and without duplicates.
    pub targets: Vec<Target>,
    /// The names of the files a release page carries (archives, then SHA256SUMS), as
    /// `Release::uploadables` will name them after the build.
    pub uploadables: Vec<String>,
}

/// A platform's answer to the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The platform cannot tell without the bytes (the default: platforms opt in).
    Unknown,
    /// Something this platform would publish is not live (or not final): build and check.
    Missing(String),
    /// Everything this platform would publish is live; what its dependents receive.
    Live(Handover),
}
