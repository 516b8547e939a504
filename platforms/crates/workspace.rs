//! Which crates a release publishes, and in what order (issue 14). One crate by default; with
//! `workspace: true` (or `members: [...]`) every publishable member of the workspace, as
//! `cargo publish --workspace` (cargo 1.90) and release-plz choose them: members with
//! `publish = false`, or whose `publish` list does not name this registry, are left out.
//! The members come from `cargo metadata --no-deps` (cargo resolves globs, `exclude` and
//! inheritance; we do not re-implement that), run through the exec layer as a local command.
//! The order puts every crate after the members it depends on (normal and build
//! dependencies; dev-dependencies do not order, as they are not needed to build a dependent).
//! Everything a registry would trip over is found here, all at once, before anything is
//! packaged: a member whose version is not the release's, a path dependency on a member
//! without a version requirement (cargo refuses to package it) or one the member's version
//! does not meet (the registry would resolve another version), a dependency on a member that
//! is never published, and a dependency cycle.

use super::config::CratesConfig;
use crate::error::{Error, Result};
use crate::exec::{Cmd, Effect};
use crate::kit::rules::{self, Violation};
use crate::platform::Cx;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate this release publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub name: String,
    /// Its Cargo.toml (absolute).
    pub manifest: PathBuf,
    /// The published members it depends on (normal and build): they must be in the index
    /// before it is published.
    pub needs: Vec<String>,
}

/// `cargo metadata --format-version 1` (the fields read here).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub packages: Vec<Package>,
    pub workspace_root: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub manifest_path: PathBuf,
    /// None: any registry; `[]`: `publish = false`; else the registries it may go to.
    #[serde(default)]
    pub publish: Option<Vec<String>>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dependency {
    /// The package name (a renamed dependency's key is `rename`).
    pub name: String,
    pub req: String,
    /// None (normal), `dev` or `build`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Set for path dependencies.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

/// Runs `cargo metadata --no-deps` on the workspace whose root manifest is `manifest`.
pub async fn metadata(cx: &Cx, cfg: &CratesConfig, manifest: &Path) -> Result<Metadata> {
    let mut cmd = Cmd::new("cargo", Effect::Local)
        .arg("metadata")
        .arg("--no-deps")
        .arg("--format-version")
        .arg("1")
        .arg("--manifest-path")
        .arg(manifest.display().to_string())
        .cwd(cx.release.root.clone());
    // Dependencies with `registry = "<name>"` need that registry's index to be known.
    if let Some((k, v)) = cfg.registry_env() {
        cmd = cmd.env(k, v);
    }
    let out = cx.exec.run_ok(&cmd).await.map_err(|e| {
        e.or_hint("platforms.crates.manifest must be the workspace's root Cargo.toml")
    })?;
    serde_json::from_str(&out.stdout)
        .map_err(|e| Error::input(format!("reading `cargo metadata` output: {e}")))
}

/// Why a member is not published, or None when it is.
fn unpublished(p: &Package, registry: &str) -> Option<String> {
    match &p.publish {
        None => None,
        Some(list) if list.is_empty() => Some("publish = false".into()),
        Some(list) if list.iter().any(|r| r == registry) => None,
        Some(list) => Some(format!("publish = {list:?} does not name `{registry}`")),
    }
}

/// The members to publish, in dependency order, or one input error listing every problem.
pub fn select(cfg: &CratesConfig, m: &Metadata, version: &semver::Version) -> Result<Vec<Unit>> {
    let registry = cfg.registry_name();
    let by_name: BTreeMap<&str, &Package> =
        m.packages.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut problems = Vec::new();
    let chosen: Vec<&Package> = match &cfg.members {
        None => m
            .packages
            .iter()
            .filter(|p| unpublished(p, registry).is_none())
            .collect(),
        Some(names) => names
            .iter()
            .filter_map(|n| match by_name.get(n.as_str()) {
                None => {
                    problems.push(not_a_member(n, &by_name));
                    None
                }
                Some(p) => match unpublished(p, registry) {
                    Some(why) => {
                        problems.push(member_unpublished(n, &why));
                        None
                    }
                    None => Some(*p),
                },
            })
            .collect(),
    };
    if chosen.is_empty() && problems.is_empty() {
        return Err(Error::input(format!(
            "the workspace at {} has no member that may be published to `{registry}`",
            m.workspace_root.display()
        ))
        .with_hint("remove `publish = false` from the crates to release, or name the registry in their `publish` list"));
    }
    let names: BTreeSet<&str> = chosen.iter().map(|p| p.name.as_str()).collect();
    let mut units = Vec::new();
    for p in &chosen {
        problems.extend(outside(p, &m.workspace_root));
        problems.extend(problems_of(p, &by_name, &names, registry, version, &m.workspace_root));
        let needs = p
            .dependencies
            .iter()
            .filter(|d| d.path.is_some() && d.kind.as_deref() != Some("dev"))
            .filter(|d| names.contains(d.name.as_str()))
            .map(|d| d.name.clone())
            .collect::<BTreeSet<_>>();
        units.push(Unit {
            name: p.name.clone(),
            manifest: p.manifest_path.clone(),
            needs: needs.into_iter().collect(),
        });
    }
    rules::refuse(&problems, "the workspace cannot be published as it is", Error::input)?;
    order(units)
}

/// A member whose Cargo.toml resolves outside the workspace root (`crates/x` a symlink to
/// elsewhere): cargo takes it, but its sources are not the workspace's.
fn outside(p: &Package, root: &Path) -> Option<Violation> {
    let rel = p.manifest_path.strip_prefix(root).unwrap_or(&p.manifest_path);
    // Unreadable is cargo's to report (it read the manifest a moment ago).
    let why = crate::kit::confine::inside(root, rel)
        .err()
        .filter(|w| !matches!(w, crate::kit::confine::Escape::Unreadable(_)))?;
    Some(Violation::new(
        rel.display().to_string(),
        "package",
        format!("`{}` {why}", p.name),
        "keep every published member's directory inside the workspace (no symlink out)",
    ))
}

fn not_a_member(n: &str, by_name: &BTreeMap<&str, &Package>) -> Violation {
    let known: Vec<&str> = by_name.keys().copied().collect();
    Violation::new(
        "pipeline.yaml",
        "platforms.crates.members",
        format!("`{n}` is not a member of the workspace (members: {})", known.join(", ")),
        "list member crates by their package name",
    )
}

fn member_unpublished(n: &str, why: &str) -> Violation {
    Violation::new(
        "pipeline.yaml",
        "platforms.crates.members",
        format!("`{n}` is not published to this registry ({why})"),
        "take it out of `members`, or change its `publish` field",
    )
}

/// A member's version and its path dependencies on other members.
fn problems_of(
    p: &Package,
    by_name: &BTreeMap<&str, &Package>,
    chosen: &BTreeSet<&str>,
    registry: &str,
    version: &semver::Version,
    root: &Path,
) -> Vec<Violation> {
    let file = p
        .manifest_path
        .strip_prefix(root)
        .unwrap_or(&p.manifest_path)
        .display()
        .to_string();
    let mut out = Vec::new();
    if semver::Version::parse(&p.version).ok().as_ref() != Some(version) {
        out.push(Violation::new(&file, "package.version", format!("is {}, but this release is {version}", p.version),
            "give every published member the release's version (e.g. `version.workspace = true` and [workspace.package] version)"));
    }
    for d in p.dependencies.iter().filter(|d| d.path.is_some() && d.kind.as_deref() != Some("dev")) {
        let Some(dep) = by_name.get(d.name.as_str()) else {
            if d.req == "*" {
                let at = d.path.as_deref().unwrap_or(Path::new("?")).display();
                out.push(Violation::new(&file, format!("dependencies.{}", d.name), format!("a path dependency on `{}` ({at}) that is not a member of the workspace and has no version: the registry could not resolve it", d.name),
                    "add `version = \"…\"` (the version published on the registry) next to `path`, or make the crate a member"));
            }
            continue;
        };
        let field = format!("dependencies.{}", d.name);
        if let Some(why) = unpublished(dep, registry) {
            out.push(Violation::new(&file, &field, format!("`{}` is never published here ({why}), so the registry could not resolve it", d.name),
                "publish that member too, or make the dependency optional/dev-only"));
            continue;
        }
        if d.req == "*" {
            out.push(Violation::new(&file, &field, "a path dependency without a version: cargo cannot package it",
                format!("add `version = \"{}\"` next to `path` (or in [workspace.dependencies])", dep.version)));
            continue;
        }
        let meets = semver::VersionReq::parse(&d.req).ok().zip(semver::Version::parse(&dep.version).ok());
        if chosen.contains(d.name.as_str()) && !meets.is_some_and(|(r, v)| r.matches(&v)) {
            out.push(Violation::new(&file, &field, format!("requires `{}`, but the member it points at is {}: the registry would resolve another version", d.req, dep.version),
                format!("require `{}` (the version this release publishes)", dep.version)));
        }
    }
    out
}

/// Every unit after the units it needs; ties in name order, so the order is stable.
pub fn order(units: Vec<Unit>) -> Result<Vec<Unit>> {
    let mut left: BTreeMap<String, Unit> = units.into_iter().map(|u| (u.name.clone(), u)).collect();
    let mut out: Vec<Unit> = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .values()
            .filter(|u| u.needs.iter().all(|n| !left.contains_key(n)))
            .map(|u| u.name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = left.keys().map(String::as_str).collect();
            return Err(Error::input(format!(
                "the workspace members {} depend on each other in a cycle (normal or build dependencies)",
                stuck.join(", ")
            ))
            .with_hint("a registry needs each crate's dependencies published first: break the cycle"));
        }
        out.extend(ready.iter().filter_map(|n| left.remove(n)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, publish: Option<Vec<&str>>, deps: &[(&str, &str, Option<&str>)]) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            manifest_path: PathBuf::from(format!("/ws/crates/{name}/Cargo.toml")),
            publish: publish.map(|l| l.into_iter().map(String::from).collect()),
            dependencies: deps
                .iter()
                .map(|(n, req, kind)| Dependency {
                    name: n.to_string(),
                    req: req.to_string(),
                    kind: kind.map(String::from),
                    path: Some(PathBuf::from(format!("/ws/crates/{n}"))),
                })
                .collect(),
        }
    }

    fn meta(packages: Vec<Package>) -> Metadata {
        Metadata {
            packages,
            workspace_root: PathBuf::from("/ws"),
        }
    }

    fn cfg(v: serde_json::Value) -> CratesConfig {
        serde_json::from_value(v).unwrap()
    }

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    fn names(u: &[Unit]) -> Vec<&str> {
        u.iter().map(|u| u.name.as_str()).collect()
    }

    /// The example's shape: a bin on two libs, one lib on the other, an unpublished tool.
    fn example() -> Metadata {
        meta(vec![
            pkg("app", "1.0.0", None, &[("greet", "^1.0.0", None), ("core", "^1.0.0", None)]),
            pkg("core", "1.0.0", None, &[("app", "^1.0.0", Some("dev"))]),
            pkg("greet", "1.0.0", None, &[("core", "^1.0.0", Some("build"))]),
            pkg("xtask", "1.0.0", Some(vec![]), &[("core", "^1.0.0", None)]),
        ])
    }

    #[test]
    fn dependency_order_without_unpublished_members_and_dev_edges() {
        let u = select(&cfg(serde_json::json!({"workspace": true})), &example(), &v("1.0.0")).unwrap();
        assert_eq!(names(&u), ["core", "greet", "app"]);
        assert_eq!(u[2].needs, ["core", "greet"]);
        let only = cfg(serde_json::json!({"members": ["greet", "core"]}));
        assert_eq!(names(&select(&only, &example(), &v("1.0.0")).unwrap()), ["core", "greet"]);
    }

    #[test]
    fn publish_lists_name_the_registry() {
        let m = meta(vec![
            pkg("a", "1.0.0", Some(vec!["company"]), &[]),
            pkg("b", "1.0.0", Some(vec!["crates-io"]), &[]),
        ]);
        let io = select(&cfg(serde_json::json!({"workspace": true})), &m, &v("1.0.0")).unwrap();
        assert_eq!(names(&io), ["b"]);
        let company = cfg(serde_json::json!({"workspace": true, "registry": "company", "index": "http://h/i/"}));
        assert_eq!(names(&select(&company, &m, &v("1.0.0")).unwrap()), ["a"]);
    }

    #[test]
    fn every_problem_at_once() {
        let m = meta(vec![
            pkg("a", "0.9.0", None, &[("b", "*", None), ("c", "^0.1", None), ("x", "^1", None)]),
            pkg("b", "1.0.0", None, &[]),
            pkg("c", "1.0.0", None, &[]),
            pkg("x", "1.0.0", Some(vec![]), &[]),
        ]);
        let e = select(&cfg(serde_json::json!({"workspace": true})), &m, &v("1.0.0")).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Input);
        let msg = e.message();
        for part in [
            "crates/a/Cargo.toml: `package.version`: is 0.9.0",
            "`dependencies.b`: a path dependency without a version",
            "`dependencies.c`: requires `^0.1`, but the member it points at is 1.0.0",
            "`dependencies.x`: `x` is never published here (publish = false)",
        ] {
            assert!(msg.contains(part), "{part} in {msg}");
        }
        let bad = cfg(serde_json::json!({"members": ["nope", "x"]}));
        let e = select(&bad, &m, &v("1.0.0")).unwrap_err();
        assert!(e.message().contains("`nope` is not a member"), "{e:?}");
        assert!(e.message().contains("`x` is not published to this registry"), "{e:?}");
    }

    #[test]
    fn a_cycle_is_refused() {
        let u = |n: &str, needs: &[&str]| Unit {
            name: n.into(),
            manifest: PathBuf::new(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
        };
        let e = order(vec![u("a", &["b"]), u("b", &["a"]), u("c", &[])]).unwrap_err();
        assert!(e.message().contains("a, b depend on each other"), "{e:?}");
    }
}
