//! `packages:` (issue 14): several packages released by one pipeline, each with its own
//! directory, version source, builds and platforms, and `needs` between them.
//!
//! The shape follows what monorepo tools converged on: GoReleaser Pro's `monorepo.dir` (each
//! package is a directory), release-plz's per-package settings with workspace defaults
//! (top-level `platforms:` are shared settings, a package's own section is deep-merged over
//! them), and changesets' `fixed` groups (`version: shared`, the default: one tag gives every
//! package that version, and every package's own files must agree).
//!
//! Checked here, on the positioned tree, so every problem has its file:line: names (non-empty,
//! unique), `needs` (known, no cycle), `dir` (exists, inside the project), platform ids, and
//! each package's merged platform sections against their schemas. The merged sections replace
//! the package's own in the effective tree, so the typed model holds complete sections.

use super::diag::{suggest, Origin, Problem};
use super::model::BuildConfig;
use super::tree::{merge, Node, Val};
use crate::kit::confine::Escape;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One package of a monorepo.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    /// Unique name: the report's rows are `<name>/<platform>`; `--package NAME` selects it.
    /// Letters, digits, `.`, `_`, `-`, `@`, `+`, starting with a letter or digit, no `..`
    /// (it names dist/<name> and the tag `<name>-v<version>`).
    pub name: String,
    /// The package's directory, relative to pipeline.yaml. Its build commands run there and
    /// its project files (pyproject.toml, package.json, Cargo.toml) are checked there.
    pub dir: String,
    /// `shared` (default): the run's tag gives this package its version (a coordinated
    /// release; its project files must agree). `own`: the version its own project file
    /// states, tagged `<name>-v<version>`.
    #[serde(default)]
    pub version: PackageVersion,
    /// Builds of binaries for this package (as the top-level `builds:`, relative to `dir`).
    #[serde(default)]
    pub builds: Vec<BuildConfig>,
    /// The platforms this package publishes to. Each section is deep-merged over the
    /// top-level `platforms.<id>` (the settings every package shares); `{}` takes them as
    /// they are. Absent: every top-level platform.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub platforms: Option<BTreeMap<String, serde_json::Value>>,
    /// Packages that must be live first: every platform of this package waits for every
    /// platform of each of them.
    #[serde(default)]
    pub needs: Vec<String>,
}

/// Where a package's version comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PackageVersion {
    /// The run's tag (a coordinated release).
    #[default]
    Shared,
    /// The version the package's own project file states.
    Own,
}

/// Checks `packages:` and writes each package's merged platform sections into `tree`.
/// `known` are the registered platform ids; `walk` checks one merged section at a path.
pub(crate) fn check(
    tree: &mut Node,
    root: Option<&Path>,
    known: &[&str],
    walk: &mut dyn FnMut(&mut Node, &str, &mut Vec<Problem>),
    out: &mut Vec<Problem>,
) {
    let Some(list) = tree.get("packages") else {
        return;
    };
    let names = check_names(list, out);
    if let Some(b) = tree.get("builds").filter(|b| !b.items().is_empty()) {
        let p = Problem::new(&b.at, "top-level `builds:` cannot be used with `packages:`");
        out.push(p.hint("move each build under the package it belongs to (`packages[].builds`)"));
    }
    check_needs(list, &names, out);
    if let Some(root) = root {
        check_dirs(list, root, out);
    }
    let shared = tree.get("platforms").cloned();
    let Some(Val::Seq(items)) = tree.get_mut("packages").map(|p| &mut p.val) else {
        return;
    };
    for (i, pkg) in items.iter_mut().enumerate() {
        merge_platforms(
            pkg,
            shared.as_ref(),
            &format!("packages[{i}]"),
            known,
            walk,
            out,
        );
    }
}

/// Names: non-empty, usable in a unit id, unique. Returns the names with their origins.
fn check_names(list: &Node, out: &mut Vec<Problem>) -> BTreeMap<String, Origin> {
    let mut names = BTreeMap::new();
    for (i, pkg) in list.items().iter().enumerate() {
        let Some(n) = pkg.get("name") else { continue };
        let Some(name) = n.as_str() else { continue };
        if !usable_name(name) {
            let p = Problem::new(
                &n.at,
                format!(
                    "`packages[{i}].name` `{}` is not usable",
                    name.escape_debug()
                ),
            );
            out.push(p.hint("a package name is letters, digits, `.`, `_`, `-`, `@` or `+`, starts with a letter or digit and has no `..` (it names dist/<name> and the tag <name>-v<version>)"));
        } else if let Some(first) = names.get(name) {
            let msg = format!("duplicate package name `{name}`");
            let hint = match first {
                Origin::File { line, .. } => {
                    format!("line {line} already names a package `{name}`")
                }
                _ => format!("another package is already named `{name}`"),
            };
            out.push(Problem::new(&n.at, msg).hint(hint));
        } else {
            names.insert(name.to_string(), n.at.clone());
        }
    }
    names
}

/// A name that is safe as a directory under dist/, in a git tag and in a unit id.
fn usable_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-@+".contains(c);
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(allowed)
        && !name.contains("..")
}

/// `needs`: every name is a package; no package needs itself, directly or through others.
fn check_needs(list: &Node, names: &BTreeMap<String, Origin>, out: &mut Vec<Problem>) {
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, pkg) in list.items().iter().enumerate() {
        let name = pkg.get("name").and_then(Node::as_str).unwrap_or_default();
        for n in pkg.get("needs").map(Node::items).unwrap_or_default() {
            let Some(need) = n.as_str() else { continue };
            if names.contains_key(need) {
                edges.entry(name.to_string()).or_default().push(need.into());
                continue;
            }
            let msg = format!("`packages[{i}].needs`: unknown package `{need}`");
            let hint = suggest(need, names.keys().map(String::as_str), "packages");
            out.push(Problem::new(&n.at, msg).hint_opt(hint));
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let at = names.get(&cycle[0]).cloned().unwrap_or(Origin::Whole);
        let shown = match cycle.len() {
            n if n > 20 => format!("{} → … ({} packages)", cycle[..20].join(" → "), n - 1),
            _ => cycle.join(" → "),
        };
        let msg = format!("packages' `needs` form a cycle: {shown}");
        out.push(
            Problem::new(&at, msg)
                .hint("a package cannot wait for itself, directly or through others"),
        );
    }
}

/// The first cycle in `edges` (name → needs), as the path that closes it. Depth-first with
/// an explicit stack (a chain of 20k packages would overflow the thread's stack as
/// recursion) and each name's place on the path in a map (no scan of the path per step).
pub(crate) fn find_cycle(edges: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in edges.keys() {
        // The path, each entry with how many of its needs were visited.
        let mut path: Vec<(&str, usize)> = Vec::new();
        let mut on_path: BTreeMap<&str, usize> = BTreeMap::new();
        let mut next = Some(start.as_str());
        loop {
            if let Some(n) = next.take() {
                if let Some(&at) = on_path.get(n) {
                    let mut c: Vec<String> =
                        path[at..].iter().map(|(p, _)| p.to_string()).collect();
                    c.push(n.to_string());
                    return Some(c);
                }
                if !done.contains(n) {
                    on_path.insert(n, path.len());
                    path.push((n, 0));
                }
            }
            let Some((n, i)) = path.last_mut() else { break };
            match edges.get(*n).and_then(|m| m.get(*i)) {
                Some(m) => {
                    *i += 1;
                    next = Some(m.as_str());
                }
                None => {
                    on_path.remove(*n);
                    done.insert(n);
                    path.pop();
                }
            }
        }
    }
    None
}

/// `dir`: relative, inside the project, an existing directory.
fn check_dirs(list: &Node, root: &Path, out: &mut Vec<Problem>) {
    for (i, pkg) in list.items().iter().enumerate() {
        let Some(d) = pkg.get("dir") else { continue };
        let Some(dir) = d.as_str() else { continue };
        let shown = dir.escape_debug();
        let found = crate::kit::confine::inside(root, Path::new(dir));
        if let Err(why @ (Escape::NotRelative | Escape::ThroughSymlink)) = &found {
            let msg = format!("`packages[{i}].dir` `{shown}` is outside the project: it {why}");
            out.push(
                Problem::new(&d.at, msg)
                    .hint("give a path relative to pipeline.yaml, without `..` or a symlink out"),
            );
        } else if !found.is_ok_and(|p| p.is_dir()) {
            let msg = format!("`packages[{i}].dir`: the directory `{shown}` does not exist");
            out.push(
                Problem::new(&d.at, msg)
                    .hint("give the package's directory, relative to pipeline.yaml"),
            );
        }
    }
}

/// Replaces `pkg.platforms` by its sections merged over the shared ones (all shared ones
/// when the package names none), each checked against its platform's schema.
fn merge_platforms(
    pkg: &mut Node,
    shared: Option<&Node>,
    path: &str,
    known: &[&str],
    walk: &mut dyn FnMut(&mut Node, &str, &mut Vec<Problem>),
    out: &mut Vec<Problem>,
) {
    let at = pkg.at.clone();
    let own = pkg.get("platforms").cloned();
    let mut merged = Node::map(at.clone());
    let chosen: Vec<(String, Origin, Option<Node>)> = match &own {
        Some(o) => o
            .entries()
            .iter()
            .map(|e| (e.key.clone(), e.key_at.clone(), Some(e.value.clone())))
            .collect(),
        None => shared
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .map(|e| (e.key.clone(), e.key_at.clone(), None))
            .collect(),
    };
    for (id, key_at, over) in chosen {
        if !known.contains(&id.as_str()) {
            let msg = format!("unknown platform `{id}` in `{path}.platforms`");
            out.push(Problem::new(&key_at, msg).hint_opt(suggest(
                &id,
                known.iter().copied(),
                "known platforms",
            )));
            continue;
        }
        let mut section = shared
            .and_then(|s| s.get(&id))
            .cloned()
            .unwrap_or_else(|| Node::map(key_at.clone()));
        if let Some(o) = over.filter(|o| matches!(o.val, Val::Map(_))) {
            merge(&mut section, &o);
        }
        merged.set(&id, key_at, section);
    }
    walk(&mut merged, &format!("{path}.platforms"), out);
    pkg.set("platforms", at, merged);
}
