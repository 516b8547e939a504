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
    /// Nothing is missing, but some of it awaits a person (npm's staged publishing): not
    /// live, and nothing to send. A release builds and checks as for `Missing`; `status`
    /// shows it as pending.
    Pending(String),
}

/// The newest version a platform has live (`tagship status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub version: semver::Version,
    /// When the platform says it was published (RFC 3339), where it says.
    pub published_at: Option<String>,
    /// Where a person sees it.
    pub url: Option<String>,
}

/// The newest of `versions` (strings as the platform lists them; those that are not semver
/// are ignored): the newest stable one, else the newest prerelease.
pub fn newest<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<semver::Version> {
    let parsed: Vec<semver::Version> = versions
        .into_iter()
        .filter_map(|v| semver::Version::parse(v.trim_start_matches('v')).ok())
        .collect();
    let stable = parsed.iter().filter(|v| v.pre.is_empty()).max();
    stable.or_else(|| parsed.iter().max()).cloned()
}
