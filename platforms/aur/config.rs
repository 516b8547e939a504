//! `platforms.aur` in pipeline.yaml: which AUR package base tagship keeps, where its git
//! remote is, how its host key is pinned, and what goes into the PKGBUILD besides the release.

use schemars::JsonSchema;
use serde::Deserialize;

/// The environment variable holding the ssh private key the AUR account accepts.
pub const KEY_VAR: &str = "AUR_SSH_KEY";

/// `platforms.aur`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AurConfig {
    /// Package base and package name; default `<project>-bin`. Checked as the AUR checks it
    /// (`[a-z0-9][a-z0-9.+_-]*`).
    #[serde(default)]
    pub package: Option<String>,
    /// The package's git remote; default `ssh://aur@aur.archlinux.org/<package>.git`. A test
    /// (or a mirror) may point elsewhere; branch `master` is the only one the AUR accepts.
    #[serde(default)]
    pub remote: Option<String>,
    /// known_hosts file the remote's host key is checked against, strictly (relative to
    /// pipeline.yaml). Default: ssh's own (`~/.ssh/known_hosts`).
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// `Name <email>`: written as the PKGBUILD's `# Maintainer:` line and used as the commit
    /// author. Default: no maintainer line, commits by `tagship <tagship@localhost>`.
    #[serde(default)]
    pub maintainer: Option<String>,
    /// `pkgrel`; bump it for a packaging fix of the same version.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub pkgrel: u32,
    /// `pkgdesc`; default `project.description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `url`; default `project.homepage`, else `project.repository`.
    #[serde(default)]
    pub url: Option<String>,
    /// `license=()` entries (SPDX); default `project.license`.
    #[serde(default)]
    pub license: Option<Vec<String>>,
    /// `depends=()`.
    #[serde(default)]
    pub depends: Vec<String>,
    /// `provides=()`; default the package name without `-bin`.
    #[serde(default)]
    pub provides: Option<Vec<String>>,
    /// `conflicts=()`; default the package name without `-bin`.
    #[serde(default)]
    pub conflicts: Option<Vec<String>>,
    /// A file inside the release archives (e.g. `LICENSE`) installed to
    /// `/usr/share/licenses/<package>/`. Default: none.
    #[serde(default)]
    pub license_file: Option<String>,
    /// Replace a newer version on the AUR with this (older) one. Default: refused with a
    /// hint, so a backport release never moves the package back.
    #[serde(default)]
    pub allow_downgrade: bool,
}

fn one() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let c: AurConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(c.pkgrel, 1);
        assert!(c.package.is_none() && c.remote.is_none() && c.depends.is_empty());
        let bad = serde_json::json!({"pkgname": "x"});
        assert!(serde_json::from_value::<AurConfig>(bad).is_err());
    }
}
