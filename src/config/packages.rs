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
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One package of a monorepo.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    /// Unique name: the report's rows are `<name>/<platform>`; `--package NAME` selects it.
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
        let bad = name.trim().is_empty() || name.contains(['/', ',']) || name != name.trim();
        if bad {
            let p = Problem::new(
                &n.at,
                format!("`packages[{i}].name` `{name}` is not usable"),
            );
            out.push(p.hint("a package name is not empty and has no `/`, `,` or spaces around it"));
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
        let msg = format!("packages' `needs` form a cycle: {}", cycle.join(" → "));
        out.push(
            Problem::new(&at, msg)
                .hint("a package cannot wait for itself, directly or through others"),
        );
    }
}

/// The first cycle in `edges` (name → needs), as the path that closes it.
pub(crate) fn find_cycle(edges: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == n) {
            let mut c = path[start..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

/// `dir`: relative, inside the project, an existing directory.
fn check_dirs(list: &Node, root: &Path, out: &mut Vec<Problem>) {
    for (i, pkg) in list.items().iter().enumerate() {
        let Some(d) = pkg.get("dir") else { continue };
        let Some(dir) = d.as_str() else { continue };
        let path = Path::new(dir);
        let escapes = path.is_absolute()
            || path
                .components()
                .any(|c| c == std::path::Component::ParentDir);
        if escapes {
            let msg = format!("`packages[{i}].dir` `{dir}` is outside the project");
            out.push(
                Problem::new(&d.at, msg)
                    .hint("give a path relative to pipeline.yaml, without `..`"),
            );
        } else if !root.join(path).is_dir() {
            let msg = format!("`packages[{i}].dir`: the directory `{dir}` does not exist");
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
