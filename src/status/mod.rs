//! `tagship status`: what every configured platform has live, side by side, and where they
//! drifted apart. This module is the pure part: from what each platform answered (its newest
//! live version, whether the version asked about is there) it decides drift, staleness and the
//! exit code, and renders the table, Markdown, JSON, SVG badges and the HTML dashboard. The
//! asking goes through the engine's platforms (`app::status`).

mod badge;
mod dashboard;
mod metrics;
mod render;

pub use badge::{badge, overall_badge};
pub use dashboard::dashboard;
pub use metrics::prometheus;
pub use render::{markdown, terminal_table};

use serde::{Deserialize, Serialize};

/// Bumped when report fields change meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// Whether the version asked about is on a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    /// Everything the platform would publish for it is live.
    Complete,
    /// Some of it is live (e.g. 3 of 5 wheels).
    Partial,
    /// Accepted and awaiting review: not live yet.
    Pending,
    Absent,
    /// The platform could not tell (no version-level probe), or could not be asked.
    Unknown,
}

/// What one platform answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub id: String,
    /// `Err(reason)`: unreachable, rate limited, refused…: the row says why.
    pub answer: Result<Answer, String>,
}

/// A platform's answer, when it could be asked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// Its newest live (non-prerelease unless only prereleases exist) version.
    pub newest: Option<semver::Version>,
    /// When the platform says the asked version was published (RFC 3339).
    pub published_at: Option<String>,
    pub presence: Option<Presence>,
    /// Where a person sees it (release page, package page).
    pub url: Option<String>,
}

/// One platform's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Row {
    pub id: String,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// `Some` when the platform is behind the version asked about, saying by how much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// The version is still missing here longer than the configured staleness window.
    pub stale: bool,
    /// The platform could not be asked (its reason is in `reason`).
    pub unreachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// In a `packages:` pipeline: the package this row is for (its id is
    /// `<package>/<platform>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// In a `packages:` pipeline: the version asked about for this row's package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Row {
    /// In sync: the version is there (or awaiting review, and not stale).
    pub fn ok(&self) -> bool {
        !self.unreachable && !self.stale && self.drift.is_none()
    }
}

/// `tagship status --json`, also written to dist/status/status.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Status {
    pub schema_version: u32,
    pub project: String,
    /// The version asked about.
    pub version: String,
    /// The newest version any platform has live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    pub checked_at: String,
    pub stale_after_hours: u64,
    /// 0 in sync; 1 drift, staleness or an unreachable platform.
    pub exit_code: i32,
    pub platforms: Vec<Row>,
}

/// The context the rows are judged in.
pub struct Judge {
    pub project: String,
    /// The version asked about (`None`: the newest any platform has).
    pub version: Option<semver::Version>,
    /// Seconds since the tag was made, when known: staleness needs it.
    pub tag_age_secs: Option<u64>,
    pub stale_after_hours: u64,
    pub checked_at: String,
}

/// Decides drift, staleness and the exit code from what the platforms answered.
pub fn assess(j: &Judge, observed: &[Observed]) -> Status {
    let newest = observed
        .iter()
        .filter_map(|o| o.answer.as_ref().ok()?.newest.clone())
        .max();
    let version = j.version.clone().or_else(|| newest.clone());
    let stale_window = j.stale_after_hours * 3600;
    let late = j.tag_age_secs.is_some_and(|age| age >= stale_window);
    let platforms: Vec<Row> = observed
        .iter()
        .map(|o| row(o, version.as_ref(), late))
        .collect();
    let exit_code = i32::from(!platforms.iter().all(Row::ok));
    Status {
        schema_version: SCHEMA_VERSION,
        project: j.project.clone(),
        version: version.map(|v| v.to_string()).unwrap_or_default(),
        newest: newest.map(|v| v.to_string()),
        checked_at: j.checked_at.clone(),
        stale_after_hours: j.stale_after_hours,
        exit_code,
        platforms,
    }
}

/// One status of a `packages:` pipeline from each package's own (judged on its own, so
/// drift means a package's platforms disagree with each other): rows become
/// `<package>/<platform>` and carry the package and its version; the version is the one
/// every package was asked about, or all of them (`1.0.0, 2.1.0`) when they differ; the
/// exit code is the worst.
pub fn combine(project: &str, parts: Vec<(String, Status)>) -> Status {
    let mut versions: Vec<String> = Vec::new();
    let mut newest: Option<semver::Version> = None;
    let mut platforms = Vec::new();
    for (package, st) in &parts {
        if !versions.contains(&st.version) {
            versions.push(st.version.clone());
        }
        let n = st
            .newest
            .as_deref()
            .and_then(|n| semver::Version::parse(n).ok());
        newest = newest.max(n);
        platforms.extend(st.platforms.iter().cloned().map(|mut r| {
            r.id = format!("{package}/{}", r.id);
            r.package = Some(package.clone());
            r.version = Some(st.version.clone());
            r
        }));
    }
    let first = parts.first().map(|(_, st)| st);
    Status {
        schema_version: SCHEMA_VERSION,
        project: project.to_string(),
        version: versions.join(", "),
        newest: newest.map(|v| v.to_string()),
        checked_at: first.map(|s| s.checked_at.clone()).unwrap_or_default(),
        stale_after_hours: first.map_or(0, |s| s.stale_after_hours),
        exit_code: parts.iter().map(|(_, s)| s.exit_code).max().unwrap_or(0),
        platforms,
    }
}

fn row(o: &Observed, version: Option<&semver::Version>, late: bool) -> Row {
    let mut r = Row {
        id: o.id.clone(),
        presence: Presence::Unknown,
        newest: None,
        published_at: None,
        drift: None,
        stale: false,
        unreachable: false,
        reason: None,
        url: None,
        package: None,
        version: None,
    };
    let a = match &o.answer {
        Ok(a) => a,
        Err(reason) => {
            r.unreachable = true;
            r.reason = Some(reason.clone());
            return r;
        }
    };
    r.newest = a.newest.as_ref().map(|v| v.to_string());
    r.published_at = a.published_at.clone();
    r.url = a.url.clone();
    r.presence = a.presence.unwrap_or(match (&a.newest, version) {
        (Some(n), Some(v)) if n >= v => Presence::Complete,
        (_, Some(_)) => Presence::Absent,
        _ => Presence::Unknown,
    });
    if let Some(v) = version {
        r.drift = behind(r.presence, a.newest.as_ref(), v);
        let missing = !matches!(r.presence, Presence::Complete);
        r.stale = late && missing;
    }
    r
}

/// How far behind `v` a platform is, or `None` when it has it (or it is awaiting review).
fn behind(p: Presence, newest: Option<&semver::Version>, v: &semver::Version) -> Option<String> {
    match p {
        Presence::Complete | Presence::Pending => None,
        Presence::Partial => Some(format!("{v} is only partly live")),
        Presence::Absent | Presence::Unknown => Some(match newest {
            None => format!("has no version; {v} is missing"),
            Some(n) if n > v => return None, // ahead: the asked version is old
            Some(n) => format!("{} behind: {n} < {v}", distance(n, v)),
        }),
    }
}

/// "2 major", "1 minor", "3 patch" or "a prerelease": the biggest part that differs.
fn distance(n: &semver::Version, v: &semver::Version) -> String {
    if v.major != n.major {
        format!("{} major", v.major.abs_diff(n.major))
    } else if v.minor != n.minor {
        format!("{} minor", v.minor.abs_diff(n.minor))
    } else if v.patch != n.patch {
        format!("{} patch", v.patch.abs_diff(n.patch))
    } else {
        "a prerelease".into()
    }
}

#[cfg(test)]
mod tests;
