//! Floating tags (`latest`, `{{major}}`, `{{major}}.{{minor}}`): they follow the highest stable
//! version live, so they move to this release only when no higher stable version in their
//! range is live, and never to a prerelease. The decision is a pure function of the version
//! tags the registry lists (`GET /v2/<repo>/tags/list`); the version tag itself never moves.

use schemars::JsonSchema;
use semver::Version;
use serde::Deserialize;

/// One floating tag, as written in `platforms.docker.floating_tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Floating {
    #[serde(rename = "latest")]
    Latest,
    #[serde(rename = "{{major}}")]
    Major,
    #[serde(rename = "{{major}}.{{minor}}")]
    MajorMinor,
}

impl Floating {
    /// The tag's name for `v` (`latest`, `1`, `1.4`).
    pub fn name(self, v: &Version) -> String {
        match self {
            Floating::Latest => "latest".into(),
            Floating::Major => v.major.to_string(),
            Floating::MajorMinor => format!("{}.{}", v.major, v.minor),
        }
    }
    fn covers(self, ours: &Version, other: &Version) -> bool {
        match self {
            Floating::Latest => true,
            Floating::Major => other.major == ours.major,
            Floating::MajorMinor => other.major == ours.major && other.minor == ours.minor,
        }
    }
}

/// Whether a floating tag may point at this release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This release is the highest stable one in the tag's range.
    Move,
    /// Held back, with the reason.
    Hold(String),
}

/// The decision for `f`, given the version tags live (`_` read back as `+`).
pub fn decide(f: Floating, ours: &Version, live_tags: &[String]) -> Decision {
    if !ours.pre.is_empty() {
        return Decision::Hold(format!("{ours} is a prerelease"));
    }
    let higher = live_tags
        .iter()
        .filter_map(|t| Version::parse(&t.replace('_', "+")).ok())
        .filter(|v| v.pre.is_empty() && f.covers(ours, v) && v.cmp_precedence(ours).is_gt())
        .max_by(|a, b| a.cmp_precedence(b));
    match higher {
        Some(h) => Decision::Hold(format!("{h} is live")),
        None => Decision::Move,
    }
}

/// Where `f` goes back to when `ours` is withdrawn: the highest other stable version live in
/// its range, if any.
pub fn previous(f: Floating, ours: &Version, live_tags: &[String]) -> Option<Version> {
    live_tags
        .iter()
        .filter_map(|t| Version::parse(&t.replace('_', "+")).ok())
        .filter(|v| v.pre.is_empty() && f.covers(ours, v) && v.cmp_precedence(ours).is_ne())
        .max_by(|a, b| a.cmp_precedence(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }
    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names() {
        let x = v("1.4.2");
        assert_eq!(Floating::Latest.name(&x), "latest");
        assert_eq!(Floating::Major.name(&x), "1");
        assert_eq!(Floating::MajorMinor.name(&x), "1.4");
    }

    #[test]
    fn moves_only_for_the_highest_stable_in_range() {
        let live = tags(&["1.4.2", "2.0.0", "2.1.0-rc.1", "latest", "1", "1.5.0_build.7"]);
        let d = |f, s| decide(f, &v(s), &live);
        assert_eq!(d(Floating::Latest, "1.4.3"), Decision::Hold("2.0.0 is live".into()));
        assert_eq!(d(Floating::Major, "1.4.3"), Decision::Hold("1.5.0+build.7 is live".into()));
        assert_eq!(d(Floating::MajorMinor, "1.4.3"), Decision::Move);
        assert_eq!(d(Floating::Latest, "2.0.1"), Decision::Move, "an rc is not stable");
        assert_eq!(d(Floating::Latest, "2.0.0"), Decision::Move, "equal: ours");
        let rc = d(Floating::Latest, "3.0.0-rc.1");
        assert_eq!(rc, Decision::Hold("3.0.0-rc.1 is a prerelease".into()));
        assert_eq!(decide(Floating::Latest, &v("0.1.0"), &[]), Decision::Move);
    }

    #[test]
    fn previous_is_the_highest_other_stable_in_range() {
        let live = tags(&["0.9.0", "1.3.0", "1.4.2", "1.4.3", "1.5.0-rc.1", "latest", "2.0.0"]);
        let p = |f, s| previous(f, &v(s), &live).map(|x| x.to_string());
        assert_eq!(p(Floating::Latest, "2.0.0").as_deref(), Some("1.4.3"));
        assert_eq!(p(Floating::Major, "1.4.3").as_deref(), Some("1.4.2"));
        assert_eq!(p(Floating::MajorMinor, "1.3.0"), None, "nothing else in 1.3");
        assert_eq!(p(Floating::Major, "0.9.0"), None);
    }
}
