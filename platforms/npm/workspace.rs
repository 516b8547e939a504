//! `mode: package_json` with `workspace: true` (issue 14): the members of an npm or pnpm
//! workspace and the order they are published in, as `pnpm publish -r` and `changeset
//! publish` find them. Members come from `pnpm-workspace.yaml`'s `packages:` when that file
//! exists, else from the root package.json's `workspaces` (npm's array, or Yarn's
//! `{packages: [...]}`): globs of directories (`packages/*`, `apps/**`, `!**/test/**`), each
//! holding a package.json. The root package itself is not a member (it is the workspace's
//! `private` shell in every layout we know). `private: true` members are never published.
//! A public member's in-workspace `dependencies`, `peerDependencies` and
//! `optionalDependencies` (any range, not only `workspace:`) are published before it;
//! `devDependencies` do not order (they are not installed with the package). Reading only:
//! no network, no writes.

use super::glob::Rule;
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The dependency fields that order the publish (installed with the package).
pub const RUNTIME_FIELDS: [&str; 3] = ["dependencies", "peerDependencies", "optionalDependencies"];

/// Directories never searched for members.
const NEVER: [&str; 2] = ["node_modules", ".git"];

/// How deep `**` looks for members below the workspace root.
const MAX_DEPTH: usize = 8;

/// The largest package.json or pnpm-workspace.yaml read.
const MAX_FILE_BYTES: u64 = 8 << 20;

/// One workspace member.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub version: String,
    pub private: bool,
    /// Its directory, absolute.
    pub dir: PathBuf,
    /// Its package.json path, for messages.
    pub file: String,
    pub manifest: Value,
}

impl Member {
    /// Names of the in-workspace packages it needs at install time.
    pub fn runtime_deps<'a>(&'a self, members: &'a BTreeSet<&str>) -> BTreeSet<&'a str> {
        RUNTIME_FIELDS
            .iter()
            .filter_map(|f| self.manifest[*f].as_object())
            .flat_map(|m| m.keys())
            .map(String::as_str)
            .filter(|n| members.contains(n) && *n != self.name)
            .collect()
    }
}

/// Every member of the workspace rooted at `root`, sorted by name; `skip` (tagship's dist
/// directory) is never searched.
pub fn members(root: &Path, skip: &Path) -> Result<Vec<Member>> {
    let patterns = patterns(root)?;
    let (exclude, include): (Vec<Rule>, Vec<Rule>) =
        patterns.iter().map(|p| anchored(p)).partition(|r| r.negate);
    let mut dirs = Vec::new();
    walk(root, "", 0, skip, &mut dirs)?;
    let mut out: BTreeMap<String, Member> = BTreeMap::new();
    for rel in dirs {
        let path = format!("/{rel}");
        if !include.iter().any(|r| r.matches(&path, false))
            || exclude.iter().any(|r| r.matches(&path, false))
        {
            continue;
        }
        let m = read_member(root, &rel)?;
        if let Some(other) = out.get(&m.name) {
            return Err(Error::input(format!(
                "{} and {} are both named `{}`",
                other.file, m.file, m.name
            ))
            .with_hint("every package of a workspace needs its own name"));
        }
        out.insert(m.name.clone(), m);
    }
    if out.is_empty() {
        return Err(Error::input(format!(
            "npm workspace in {}: the patterns {patterns:?} match no directory with a package.json",
            root.display()
        )));
    }
    Ok(out.into_values().collect())
}

/// A workspace pattern as an anchored rule (`packages/*` → `/packages/*`, `!x` → `!/x`).
fn anchored(p: &str) -> Rule {
    let (neg, body) = match p.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", p),
    };
    let body = body.trim_start_matches("./").trim_end_matches('/');
    Rule::new(&format!("{neg}/{}", body.trim_start_matches('/')))
}

/// The member patterns: pnpm-workspace.yaml's `packages`, else package.json's `workspaces`.
fn patterns(root: &Path) -> Result<Vec<String>> {
    let pnpm = root.join("pnpm-workspace.yaml");
    let strings = |v: Option<&Vec<Value>>| -> Vec<String> {
        v.map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
    };
    let (file, found) = if pnpm.is_file() {
        let bytes = read_capped(&pnpm)?;
        let v: Value = serde_yaml_ng::from_slice(&bytes)
            .map_err(|e| Error::input(format!("{}: {e}", pnpm.display())))?;
        (pnpm, strings(v["packages"].as_array()))
    } else {
        let pj = root.join("package.json");
        let v = read_json(&pj)?;
        let list = match &v["workspaces"] {
            Value::Array(a) => Some(a),
            w => w["packages"].as_array(),
        };
        (pj, strings(list))
    };
    if found.is_empty() {
        return Err(Error::input(format!(
            "{}: platforms.npm.workspace is true but no workspace packages are listed",
            file.display()
        ))
        .with_hint("list them in package.json `workspaces` (npm) or pnpm-workspace.yaml `packages:` (pnpm)"));
    }
    Ok(found)
}

/// Every directory below `dir` (relative, `/`-separated) holding a package.json, not
/// following symlinks and never entering `node_modules`, `.git` or `skip`.
fn walk(dir: &Path, rel: &str, depth: usize, skip: &Path, out: &mut Vec<String>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let rd =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let mut names = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        if ent.file_type().is_ok_and(|t| t.is_dir()) {
            names.push(ent.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    for name in names.into_iter().filter(|n| !NEVER.contains(&n.as_str())) {
        let path = dir.join(&name);
        if path == skip {
            continue;
        }
        let child = format!("{rel}{name}");
        if path.join("package.json").is_file() {
            out.push(child.clone());
        }
        walk(&path, &format!("{child}/"), depth + 1, skip, out)?;
    }
    Ok(())
}

pub fn read_json(path: &Path) -> Result<Value> {
    let bytes = read_capped(path)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::input(format!("{}: {e}", path.display())))
}

/// A workspace file's bytes: package.json and pnpm-workspace.yaml are kilobytes, so one
/// over [`MAX_FILE_BYTES`] is refused unread.
fn read_capped(path: &Path) -> Result<Vec<u8>> {
    crate::kit::confine::read_capped(path, MAX_FILE_BYTES)
        .map_err(|e| Error::input(format!("{}: {e}", path.display())))
}

/// A member's package.json, which must resolve inside the workspace (a symlink to a file
/// elsewhere would publish what the workspace does not hold).
fn read_member(root: &Path, rel: &str) -> Result<Member> {
    let dir = root.join(rel);
    let pj = dir.join("package.json");
    crate::kit::confine::inside(root, &Path::new(rel).join("package.json")).map_err(|why| {
        Error::input(format!("{}: {why}", pj.display()))
            .with_hint("a workspace member's package.json must be a file inside the workspace")
    })?;
    let manifest = read_json(&pj)?;
    let file = pj.display().to_string();
    let name = manifest["name"].as_str().unwrap_or_default().to_string();
    if !super::config::valid_name(&name) {
        return Err(Error::input(format!(
            "{file}: `name` {:?} is not a valid npm package name",
            manifest["name"]
        )));
    }
    Ok(Member {
        name,
        version: manifest["version"].as_str().unwrap_or_default().to_string(),
        private: manifest["private"] == Value::Bool(true),
        dir,
        file,
        manifest,
    })
}

/// The public members in publish order: Kahn's algorithm over the runtime dependencies
/// between public members, ties broken by name so the order is stable. A cycle is refused,
/// naming its members: no order would let each be installed right after its publish.
pub fn publish_order(members: &[Member]) -> Result<Vec<&Member>> {
    let public: Vec<&Member> = members.iter().filter(|m| !m.private).collect();
    let names: BTreeSet<&str> = public.iter().map(|m| m.name.as_str()).collect();
    let by_name: BTreeMap<&str, &Member> = public.iter().map(|m| (m.name.as_str(), *m)).collect();
    // Each member's count of unpublished dependencies, and who waits for it: every step
    // costs its own edges, so 10k members in a chain are no quadratic scan.
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in &public {
        let deps = m.runtime_deps(&names);
        waiting.insert(m.name.as_str(), deps.len());
        for d in deps {
            dependents.entry(d).or_default().push(m.name.as_str());
        }
    }
    let mut ready: BTreeSet<&str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(m, _)| *m)
        .collect();
    let mut out = Vec::new();
    while let Some(next) = ready.pop_first() {
        waiting.remove(next);
        for d in dependents.get(next).into_iter().flatten() {
            let n = waiting.get_mut(d).expect("a dependent is waiting");
            *n -= 1;
            if *n == 0 {
                ready.insert(d);
            }
        }
        out.push(by_name[next]);
    }
    if waiting.is_empty() {
        return Ok(out);
    }
    let stuck: Vec<&str> = waiting.keys().copied().collect();
    let shown = |list: Vec<&str>| match list.len() {
        n if n > 20 => format!("{} and {} more", list[..20].join(", "), n - 20),
        _ => list.join(", "),
    };
    let files: Vec<&str> = stuck.iter().map(|n| by_name[n].file.as_str()).collect();
    Err(Error::input(format!(
        "npm workspace: a dependency cycle involves (or blocks) {} ({}) through dependencies, peerDependencies or optionalDependencies",
        shown(stuck),
        shown(files)
    ))
    .with_hint("break the cycle (a devDependency does not order the publish)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(name: &str, private: bool, manifest: Value) -> Member {
        Member {
            name: name.into(),
            version: "1.0.0".into(),
            private,
            dir: PathBuf::new(),
            file: format!("{name}/package.json"),
            manifest,
        }
    }

    #[test]
    fn dependencies_peers_and_optionals_come_first_devs_do_not_order() {
        let ms = vec![
            m(
                "a-cli",
                false,
                json!({"dependencies": {"z-core": "workspace:^", "left-pad": "1"}}),
            ),
            m(
                "b-plugin",
                false,
                json!({"peerDependencies": {"a-cli": "workspace:*"}}),
            ),
            m(
                "c-extra",
                false,
                json!({"optionalDependencies": {"b-plugin": "1.0.0"}}),
            ),
            m(
                "z-core",
                false,
                json!({"devDependencies": {"c-extra": "workspace:*"}}),
            ),
            m(
                "tools",
                true,
                json!({"dependencies": {"a-cli": "workspace:*"}}),
            ),
        ];
        let order: Vec<&str> = publish_order(&ms)
            .unwrap()
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(order, ["z-core", "a-cli", "b-plugin", "c-extra"]);
    }

    #[test]
    fn a_cycle_is_refused_naming_its_members() {
        let ms = vec![
            m("a", false, json!({"dependencies": {"b": "workspace:*"}})),
            m(
                "b",
                false,
                json!({"peerDependencies": {"a": "workspace:*"}}),
            ),
            m("c", false, json!({})),
        ];
        let e = publish_order(&ms).unwrap_err();
        assert!(
            e.message().contains("cycle involves (or blocks) a, b ("),
            "{e:?}"
        );
    }

    #[test]
    fn members_from_npm_and_pnpm_patterns() {
        let t = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = t.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w(
            "package.json",
            r#"{"private": true, "workspaces": ["packages/*", "!packages/skip"]}"#,
        );
        w(
            "packages/a/package.json",
            r#"{"name": "a", "version": "1.0.0"}"#,
        );
        w(
            "packages/skip/package.json",
            r#"{"name": "skip", "version": "1.0.0"}"#,
        );
        w("packages/a/node_modules/x/package.json", r#"{"name": "x"}"#);
        w(
            "other/b/package.json",
            r#"{"name": "b", "version": "1.0.0"}"#,
        );
        let names = |t: &Path| -> Vec<String> {
            members(t, &t.join("dist"))
                .unwrap()
                .into_iter()
                .map(|m| m.name)
                .collect()
        };
        assert_eq!(names(t.path()), ["a"]);
        w(
            "pnpm-workspace.yaml",
            "packages:\n  - 'packages/**'\n  - other/b\n",
        );
        assert_eq!(names(t.path()), ["a", "b", "skip"]);
        w("pnpm-workspace.yaml", "packages: []\n");
        let e = members(t.path(), &t.path().join("dist")).unwrap_err();
        assert!(e.message().contains("no workspace packages"), "{e:?}");
    }
}
