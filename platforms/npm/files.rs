//! `mode: package_json`: exactly the files `npm pack` puts in the tarball, by npm-packlist's
//! rules (npm 11, on top of ignore-walk): per directory, in order, the default ignores, the
//! root's `files` field (`*` then one `!entry` per listed path), `.npmignore` (or, without
//! one, `.gitignore`; neither when `files` is set at the root), and the strict rules that
//! always win (package.json, README*/LICENSE*/LICENCE*/COPYING*, `main`, `browser`, `bin`
//! targets and listed files in; `.git`, `node_modules`, `.npmrc` and lockfiles out at the
//! root). Later rules override earlier ones, `!` negates, and a path excluded by a parent
//! directory stays excluded unless that directory was itself matched. Symlinks are skipped
//! (npm does not follow them). The glob dialect is in `glob.rs`.

use super::glob::Rule;
use super::tarball::Entry;
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// npm-packlist's `defaults`, applied in every directory.
const DEFAULTS: &[&str] = &[
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
];

/// The root's strict rules besides the manifest-derived ones.
const ROOT_STRICT: &[&str] = &[
    "/.git",
    "!/package.json",
    "!/readme{,.*[^~$]}",
    "!/copying{,.*[^~$]}",
    "!/license{,.*[^~$]}",
    "!/licence{,.*[^~$]}",
    "/.git",
    "/node_modules",
    ".npmrc",
    "/package-lock.json",
    "/yarn.lock",
    "/pnpm-lock.yaml",
    "/bun.lockb",
];

/// One directory of the walk: its name, its rule lists in order, and whether it was matched
/// itself (then its own rules may re-include what a parent excluded).
struct Level {
    basename: String,
    rules: Vec<Vec<Rule>>,
    exact: bool,
    /// Files listed in `files` that sit directly in this directory (npm-packlist's
    /// `requiredFiles`).
    required: Vec<String>,
}

fn rules(lines: &[String]) -> Vec<Rule> {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(Rule::new)
        .collect()
}

fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

fn read_ignore(dir: &Path, name: &str) -> Result<Option<Vec<String>>> {
    let p = dir.join(name);
    if !p.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p)
        .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
    Ok(Some(text.lines().map(String::from).collect()))
}

/// ignore-walk's `filterEntry`: is `entry` (relative to the last level) included?
fn filter(levels: &[Level], entry: &str, partial: bool, base: Option<&str>) -> bool {
    let (me, parents) = levels.split_last().expect("at least the root level");
    let mut included = true;
    if !parents.is_empty() {
        let up = format!("{}/{entry}", me.basename);
        included = filter(parents, &up, partial, Some(base.unwrap_or(entry)));
        if !included && !me.exact {
            return false;
        }
    }
    for list in &me.rules {
        for r in list {
            if r.negate == included {
                continue;
            }
            let m = |p: String, part: bool| r.matches(&p, part);
            let relative = base.is_some() && r.is_relative();
            let b = base.unwrap_or_default();
            let hit = m(format!("/{entry}"), false)
                || m(entry.to_string(), false)
                || (partial
                    && (m(format!("/{entry}/"), false)
                        || m(format!("{entry}/"), false)
                        || (r.negate && (m(format!("/{entry}"), true) || m(entry.to_string(), true)))
                        || (relative
                            && (m(format!("/{b}/"), false)
                                || m(format!("{b}/"), false)
                                || (r.negate && (m(format!("/{b}"), true) || m(b.to_string(), true)))))));
            if hit {
                included = r.negate;
            }
        }
    }
    included
}

/// The root level's rules from package.json (`files`, `main`, `browser`, `bin`).
fn root_level(dir: &Path, pj: &Value) -> Result<Level> {
    let mut strict = owned(ROOT_STRICT);
    let mut required = Vec::new();
    let mut lists = vec![rules(&owned(DEFAULTS))];
    let files = pj.get("files").and_then(Value::as_array);
    if let Some(files) = files {
        let mut ignores = vec!["*".to_string()];
        for f in files.iter().filter_map(Value::as_str) {
            let mut f = f.strip_prefix('.').filter(|r| r.starts_with('/')).unwrap_or(f).to_string();
            if f.ends_with("/*") {
                f.push('*');
            }
            let on_disk = dir.join(f.trim_start_matches('!').trim_start_matches('/'));
            match std::fs::symlink_metadata(&on_disk) {
                Ok(m) if m.is_file() => {
                    strict.insert(0, format!("!{f}"));
                    required.push(f.trim_start_matches('/').to_string());
                }
                Ok(m) if m.is_dir() => {
                    ignores.push(format!("!{f}"));
                    ignores.push(format!("!{f}/**"));
                }
                _ => ignores.push(format!("!{f}")),
            }
        }
        lists.push(rules(&ignores));
    } else {
        // Without `files`, .npmignore (else .gitignore) decides.
        let ig = match read_ignore(dir, ".npmignore")? {
            Some(l) => Some(l),
            None => read_ignore(dir, ".gitignore")?,
        };
        lists.extend(ig.map(|l| rules(&l)));
    }
    let path = |v: &str| format!("!/{}", v.trim_start_matches("./"));
    for key in ["browser", "main"] {
        if let Some(v) = pj.get(key).and_then(Value::as_str) {
            strict.push(path(v));
        }
    }
    match pj.get("bin") {
        Some(Value::String(s)) => strict.push(path(s)),
        Some(Value::Object(m)) => strict.extend(m.values().filter_map(Value::as_str).map(path)),
        _ => {}
    }
    lists.push(rules(&strict));
    Ok(Level {
        basename: String::new(),
        rules: lists,
        exact: true,
        required,
    })
}

/// A subdirectory's level: defaults, its .npmignore (else .gitignore), strict rules.
fn sub_level(dir: &Path, name: &str, exact: bool, parent_required: &[String]) -> Result<Level> {
    let required: Vec<String> = parent_required
        .iter()
        .filter_map(|f| f.strip_prefix(&format!("{name}/")))
        .filter(|rest| !rest.contains('/'))
        .map(String::from)
        .collect();
    let mut lists = vec![rules(&owned(DEFAULTS))];
    let ig = match read_ignore(dir, ".npmignore")? {
        Some(l) => Some(l),
        None => read_ignore(dir, ".gitignore")?,
    };
    lists.extend(ig.map(|l| rules(&l)));
    let mut strict = vec!["/.git".to_string()];
    strict.extend(required.iter().map(|f| format!("!{f}")));
    lists.push(rules(&strict));
    Ok(Level {
        basename: name.to_string(),
        rules: lists,
        exact,
        required,
    })
}

/// Walks `dir` (whose level is the last of `levels`), adding included files as `rel/…`.
fn walk(dir: &Path, rel: &str, levels: &mut Vec<Level>, skip: &Path, out: &mut Vec<String>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let mut names: Vec<String> = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        names.push(ent.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in names.into_iter().filter(|n| !n.contains('*')) {
        let (as_file, as_dir) = (filter(levels, &name, false, None), filter(levels, &name, true, None));
        if !as_file && !as_dir {
            continue;
        }
        let path = dir.join(&name);
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| Error::io(format!("stat {}", path.display()), e))?;
        let child = format!("{rel}{name}");
        if meta.is_file() && as_file {
            out.push(child);
        } else if meta.is_dir() && as_dir && path != skip {
            let exact = as_file || filter(levels, &format!("{name}/"), false, None);
            let parent_required = levels.last().map(|l| l.required.clone()).unwrap_or_default();
            levels.push(sub_level(&path, &name, exact, &parent_required)?);
            walk(&path, &format!("{child}/"), levels, skip, out)?;
            levels.pop();
        }
    }
    Ok(())
}

/// The tarball entries of the package in `dir` (parsed package.json `pj`), leaving out the
/// directory `dist` (tagship's own output, absolute) if it lies inside.
pub fn collect(dir: &Path, pj: &Value, dist: &Path) -> Result<Vec<Entry>> {
    let dir = &dir
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", dir.display()), e))?;
    let skip = dist.canonicalize().unwrap_or_else(|_| dist.to_path_buf());
    let mut levels = vec![root_level(dir, pj)?];
    let mut files = Vec::new();
    walk(dir, "", &mut levels, &skip, &mut files)?;
    let bins: Vec<String> = match pj.get("bin") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(m)) => m.values().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    };
    let bins: Vec<&str> = bins.iter().map(|b| b.trim_start_matches("./")).collect();
    let mut out = Vec::new();
    for rel in files {
        use std::os::unix::fs::PermissionsExt;
        let source = dir.join(&rel);
        let mode = std::fs::metadata(&source)
            .map_err(|e| Error::io(format!("stat {}", source.display()), e))?
            .permissions()
            .mode();
        let exec = mode & 0o111 != 0 || bins.contains(&rel.as_str());
        // Streamed from disk when the tarball is written, never held here.
        out.push(Entry::disk(rel, source).with_mode(if exec { 0o755 } else { 0o644 }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
