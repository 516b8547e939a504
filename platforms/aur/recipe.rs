//! From settings, release and GitHub's hand-over to a `Recipe`, refusing what the AUR or
//! makepkg would refuse (exit 2 before anything is pushed): a package name aurweb rejects,
//! no linux archive, an archive GitHub does not hand over, values that would not survive
//! the `.SRCINFO` format. `pkgver` comes from semver (`pkgver`), since `-` is not allowed.

use super::config::AurConfig;
use super::pkgbuild::{Base, Recipe, Source};
use crate::error::{Error, Result};
use crate::plan::{Arch, ArtifactKind, Os, Project, Target};
use crate::platform::{Handover, Release};

/// aurweb's rule for package names (`aurweb/git/update.py`): `[a-z0-9][a-z0-9.+_-]*`.
pub fn check_name(name: &str) -> Result<()> {
    let ok_first = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_rest = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".+_-".contains(c));
    if ok_first && ok_rest && name.len() <= 255 {
        return Ok(());
    }
    Err(Error::config(format!(
        "platforms.aur.package `{name}` is not a name the AUR accepts"
    ))
    .with_hint("use lowercase letters, digits and . + _ - only, starting with a letter or digit (e.g. `mytool-bin`); set platforms.aur.package"))
}

/// `pkgver` for a semver version: `-` is not allowed, so a prerelease is appended directly
/// (`1.2.3-rc.1` → `1.2.3rc.1`), which pacman's `vercmp` orders before `1.2.3` as semver
/// does; a prerelease starting with a digit gets `A` first (`1.2.3-0.1` → `1.2.3A0.1`) so
/// it cannot run into the patch number, and sorts before lettered prereleases as semver's
/// numeric identifiers do (`vercmp` compares letters by byte: `A` < `RC` < `alpha`). `-` inside the prerelease becomes `_`; build
/// metadata (`+…`) is dropped, as semver ignores it for ordering.
pub fn pkgver(v: &semver::Version) -> String {
    let core = format!("{}.{}.{}", v.major, v.minor, v.patch);
    if v.pre.is_empty() {
        return core;
    }
    let pre = v.pre.as_str().replace('-', "_");
    if pre.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{core}A{pre}")
    } else {
        format!("{core}{pre}")
    }
}

/// The semver version a `pkgver` was mapped from (`pkgver`'s inverse); `None` for a pkgver
/// that no semver version maps to (a package maintained by other means).
pub fn semver_of(text: &str) -> Option<semver::Version> {
    let mut parts = text.splitn(3, '.');
    let (major, minor, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let cut = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let (patch, pre) = rest.split_at(cut);
    let pre = match pre.strip_prefix('A') {
        Some(p) if p.starts_with(|c: char| c.is_ascii_digit()) => p,
        _ => pre,
    };
    let semver = match pre.is_empty() {
        true => format!("{major}.{minor}.{patch}"),
        false => format!("{major}.{minor}.{patch}-{}", pre.replace('_', "-")),
    };
    semver::Version::parse(&semver).ok().filter(|v| pkgver(v) == text)
}

/// Arch Linux's name for a target's CPU.
pub fn arch_of(t: Target) -> Option<&'static str> {
    if t.os != Os::Linux {
        return None;
    }
    Some(match t.arch {
        Arch::Amd64 => "x86_64",
        Arch::Arm64 => "aarch64",
        Arch::Arm => "armv7h",
        Arch::I386 => "i686",
    })
}

/// makepkg collapses runs of whitespace and trims every value it prints; doing it here keeps
/// the PKGBUILD and the `.SRCINFO` saying the same thing. Control characters cannot be kept.
fn norm(setting: &str, v: &str) -> Result<String> {
    if v.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(Error::config(format!(
            "platforms.aur.{setting}: `{v}` contains a control character"
        )));
    }
    Ok(v.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Array entries: non-empty, and without spaces where pacman reads them as names.
fn list(setting: &str, vs: &[String], spaces: bool) -> Result<Vec<String>> {
    vs.iter()
        .map(|v| {
            let n = norm(setting, v)?;
            if n.is_empty() || (!spaces && n.contains(' ')) {
                return Err(Error::config(format!(
                    "platforms.aur.{setting}: `{v}` is not a valid entry"
                ))
                .with_hint("entries are package names, optionally with a version (`foo>=1.2`)"));
            }
            Ok(n)
        })
        .collect()
}

/// A plain file name (for binaries and the license file at the archive root).
fn plain(setting: &str, name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if ok {
        return Ok(name.to_string());
    }
    Err(Error::config(format!(
        "{setting} `{name}` is not a plain file name the PKGBUILD can install"
    )))
}

impl Base {
    pub fn new(cfg: &AurConfig, project: &Project) -> Result<Base> {
        let pkgname = cfg
            .package
            .clone()
            .unwrap_or_else(|| format!("{}-bin", project.name));
        check_name(&pkgname)?;
        let pkgdesc = norm("description", cfg.description.as_ref().unwrap_or(&project.description))?;
        if pkgdesc.chars().count() > 255 {
            return Err(Error::config(
                "platforms.aur.description is longer than the 255 characters the AUR accepts",
            ));
        }
        let url = cfg.url.clone().or(project.homepage.clone()).or(project.repository.clone());
        let url = url.map(|u| norm("url", &u)).transpose()?.filter(|u| !u.is_empty());
        if url.as_deref().is_some_and(|u| u.contains(' ')) {
            return Err(Error::config("platforms.aur.url must not contain spaces"));
        }
        let bare = pkgname.strip_suffix("-bin").unwrap_or(&pkgname).to_string();
        let same = || vec![bare.clone()];
        let license = cfg.license.clone().unwrap_or_else(|| project.license.iter().cloned().collect());
        let maintainer = cfg.maintainer.as_deref().map(|m| norm("maintainer", m)).transpose()?;
        let license_file = cfg.license_file.as_deref().map(|f| plain("platforms.aur.license_file", f));
        Ok(Base {
            maintainer: maintainer.filter(|m| !m.is_empty()),
            pkgrel: cfg.pkgrel.max(1),
            pkgdesc,
            url,
            license: list("license", &license, true)?,
            depends: list("depends", &cfg.depends, false)?,
            provides: list("provides", &cfg.provides.clone().unwrap_or_else(same), false)?,
            conflicts: list("conflicts", &cfg.conflicts.clone().unwrap_or_else(same), false)?,
            license_file: license_file.transpose()?,
            pkgname,
        })
    }

    /// The recipe for this release: one source per linux archive, from GitHub's hand-over.
    pub fn recipe(&self, release: &Release, github: &Handover) -> Result<Recipe> {
        let pkgver = pkgver(&release.version);
        let mut sources = Vec::new();
        let mut binaries: Vec<String> = Vec::new();
        for a in &release.artifacts {
            let Some(arch) = a.target.and_then(arch_of) else {
                continue;
            };
            match a.kind {
                ArtifactKind::Binary => {
                    let name = plain("the binary", &a.name)?;
                    if !binaries.contains(&name) {
                        binaries.push(name);
                    }
                }
                ArtifactKind::Archive => {
                    let asset = github.asset(&a.name).ok_or_else(|| {
                        Error::input(format!(
                            "aur: GitHub hands over no asset named {} (the {arch} archive)",
                            a.name
                        ))
                        .with_hint("aur points at the GitHub release's assets: keep `github` in platforms (and in --only)")
                    })?;
                    let ext = if a.name.ends_with(".tar.gz") { ".tar.gz".to_string() } else {
                        a.name.rsplit_once('.').map(|(_, e)| format!(".{e}")).unwrap_or_default()
                    };
                    sources.push(Source {
                        arch: arch.to_string(),
                        file: format!("{}-{pkgver}-{arch}{ext}", self.pkgname),
                        url: asset.url.clone(),
                        sha256: asset.sha256.to_ascii_lowercase(),
                    });
                }
                _ => {}
            }
        }
        if sources.is_empty() {
            return Err(Error::input("aur: the release built no linux archive for a PKGBUILD")
                .with_hint("add linux-amd64 and/or linux-arm64 to builds.targets, or remove platforms.aur"));
        }
        Ok(Recipe {
            base: self.clone(),
            pkgver,
            sources,
            binaries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn semver_of_inverts_pkgver() {
        for v in ["1.2.3", "1.2.3-rc.1", "1.2.3-0.1", "10.0.0-beta-2.x", "0.0.1-alpha"] {
            let v = semver::Version::parse(v).unwrap();
            assert_eq!(semver_of(&pkgver(&v)), Some(v.clone()), "{v}");
        }
        for other in ["2.0", "1.2.3.r5.gabc", "1.2.x", "", "v1.2.3"] {
            assert_eq!(semver_of(other), None, "{other}");
        }
    }

    #[test]
    fn pkgver_has_no_hyphen() {
        for (semver, want) in [
            ("1.2.3", "1.2.3"),
            ("1.2.3-rc.1", "1.2.3rc.1"),
            ("1.2.3-alpha-2", "1.2.3alpha_2"),
            ("1.2.3-0.3.7", "1.2.3A0.3.7"),
            ("1.2.3+build.5", "1.2.3"),
        ] {
            assert_eq!(pkgver(&v(semver)), want, "{semver}");
        }
    }

    #[test]
    fn names_as_the_aur_checks_them() {
        for ok in ["demo-bin", "0ad", "python-foo.bar+baz_x"] {
            check_name(ok).unwrap();
        }
        for bad in ["", "Demo-bin", "-demo", ".demo", "demo bin", "dé-bin", "demo/bin"] {
            let e = check_name(bad).unwrap_err();
            assert!(e.hint().unwrap().contains("platforms.aur.package"), "{bad}");
        }
    }

    #[test]
    fn defaults_come_from_the_project() {
        let project = Project {
            name: "demo".into(),
            description: "A  demo\ttool ".into(),
            license: Some("MIT".into()),
            repository: Some("https://github.com/acme/demo".into()),
            ..Default::default()
        };
        let cfg: AurConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        let b = Base::new(&cfg, &project).unwrap();
        assert_eq!(b.pkgname, "demo-bin");
        assert_eq!(b.pkgdesc, "A demo tool");
        assert_eq!(b.provides, ["demo"]);
        assert_eq!(b.conflicts, ["demo"]);
        assert_eq!(b.license, ["MIT"]);
        assert_eq!(b.url.as_deref(), Some("https://github.com/acme/demo"));
        let upper = Project { name: "Demo".into(), ..project.clone() };
        assert!(Base::new(&cfg, &upper).is_err(), "Demo-bin is not an AUR name");
        let spaced: AurConfig = serde_json::from_value(serde_json::json!({"depends": ["a b"]})).unwrap();
        assert!(Base::new(&spaced, &project).is_err());
        let file: AurConfig = serde_json::from_value(serde_json::json!({"license_file": "../x"})).unwrap();
        assert!(Base::new(&file, &project).is_err());
    }
}
