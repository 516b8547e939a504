//! The pure renderer of `meta/snap.yaml`, the one file snapd and the store read from a
//! `.snap` (the fields goreleaser's `Metadata` writes, ../shared/PROTOCOLS.md §9). One per
//! architecture: `architectures` names the one the binary was built for.

use serde::Serialize;
use std::collections::BTreeMap;

/// Everything snap.yaml says, resolved from config and the release.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: String,
    pub version: String,
    pub summary: String,
    pub description: String,
    pub base: &'static str,
    pub grade: &'static str,
    pub confinement: &'static str,
    pub architectures: Vec<String>,
    pub apps: BTreeMap<String, App>,
}

/// `apps.<name>`.
#[derive(Debug, Clone, Serialize)]
pub struct App {
    /// Relative to the snap's root (`bin/<binary>`).
    pub command: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugs: Vec<String>,
}

/// The store's architecture name for a Go-style arch (`arm` → `armhf`, `386` → `i386`).
pub fn snap_arch(arch: crate::plan::Arch) -> &'static str {
    use crate::plan::Arch::*;
    match arch {
        Amd64 => "amd64",
        Arm64 => "arm64",
        Arm => "armhf",
        I386 => "i386",
    }
}

/// `meta/snap.yaml`. Same input → same bytes (field order is fixed, apps sorted).
pub fn render(m: &Meta) -> String {
    serde_yaml_ng::to_string(m).expect("snap.yaml is plain strings and lists")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Meta {
        Meta {
            name: "tagship-demo".into(),
            version: "1.2.3-rc.1+build.5".into(),
            summary: "Demo snap built by tagship".into(),
            description: "A tiny tool.\nIt prints its version.\n".into(),
            base: "core22",
            grade: "stable",
            confinement: "strict",
            architectures: vec!["arm64".into()],
            apps: BTreeMap::from([(
                "tagship-demo".to_string(),
                App {
                    command: "bin/demo".into(),
                    plugs: vec!["home".into(), "network".into()],
                },
            )]),
        }
    }

    #[test]
    fn snap_yaml() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn ambiguous_versions_stay_strings() {
        let mut m = sample();
        m.version = "1.0".into();
        m.apps.get_mut("tagship-demo").unwrap().plugs.clear();
        let text = render(&m);
        let back: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back["version"].as_str(), Some("1.0"), "{text}");
        assert!(!text.contains("plugs"), "{text}");
    }
}
