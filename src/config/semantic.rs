//! Checks the schema cannot express: empty names and commands, duplicate build ids and targets,
//! target spellings, paths that escape the project, and unknown `{placeholder}`s. They run on
//! the positioned tree (after profile merging) and skip anything of the wrong shape, which the
//! schema walk has already reported.

use super::diag::{closest, quoted_list, Origin, Problem};
use super::tree::Node;
use crate::plan::Target;
use std::collections::BTreeMap;

/// Placeholders usable in `command`, `binary`, `env` values and `archives.name`.
pub const PLACEHOLDERS: [&str; 7] = ["name", "version", "tag", "target", "os", "arch", "exe"];

const COMMON_TARGETS: [&str; 10] = [
    "linux-amd64",
    "linux-arm64",
    "linux-arm",
    "linux-386",
    "darwin-amd64",
    "darwin-arm64",
    "windows-amd64",
    "windows-arm64",
    "windows-386",
    "freebsd-amd64",
];

pub(crate) fn check(tree: &Node, out: &mut Vec<Problem>) {
    let name = tree.get("project").and_then(|p| p.get("name"));
    if let Some(n) = name.filter(|n| n.as_str().is_some_and(|s| s.trim().is_empty())) {
        let p = Problem::new(&n.at, "`project.name` must not be empty");
        out.push(p.hint("the name is used in archive names and as the default package name"));
    }
    let default_id = name.and_then(Node::as_str).unwrap_or_default();
    let mut ids: BTreeMap<String, Origin> = BTreeMap::new();
    for (i, b) in tree
        .get("builds")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_build(b, &format!("builds[{i}]"), out);
        check_build_id(b, default_id, &mut ids, out);
    }
    if let Some(a) = tree.get("archives") {
        check_archives(a, out);
    }
    if let Some(d) = tree.get("dist") {
        check_dist(d, out);
    }
}

fn check_build(b: &Node, path: &str, out: &mut Vec<Problem>) {
    if let Some(cmd) = b.get("command") {
        let first = cmd.items().first();
        if cmd.items().is_empty() && matches!(cmd.val, super::tree::Val::Seq(_)) {
            let p = Problem::new(&cmd.at, format!("`{path}.command` is empty"));
            out.push(p.hint(
                "give the program and its arguments as a list, e.g. `[cargo, build, --release]`",
            ));
        } else if let Some(f) = first.filter(|f| f.as_str().is_some_and(|s| s.trim().is_empty())) {
            out.push(Problem::new(
                &f.at,
                format!("`{path}.command[0]`: the program name is empty"),
            ));
        }
        for (i, arg) in cmd.items().iter().enumerate() {
            placeholders(arg, &format!("{path}.command[{i}]"), out);
        }
    }
    if let Some(bin) = b.get("binary") {
        placeholders(bin, &format!("{path}.binary"), out);
    }
    for e in b.get("env").map(Node::entries).unwrap_or_default() {
        placeholders(&e.value, &format!("{path}.env.{}", e.key), out);
    }
    if let Some(t) = b.get("targets") {
        check_targets(t, &format!("{path}.targets"), out);
    }
}

fn check_build_id(
    b: &Node,
    default: &str,
    ids: &mut BTreeMap<String, Origin>,
    out: &mut Vec<Problem>,
) {
    let (id, at) = match b.get("id") {
        Some(n) => match n.as_str() {
            Some(s) => (s.to_string(), n.at.clone()),
            None => return,
        },
        None => (default.to_string(), b.at.clone()),
    };
    if let Some(first) = ids.get(&id) {
        let line = match first {
            Origin::File { line, .. } => format!(" (first used on line {line})"),
            _ => String::new(),
        };
        let p = Problem::new(&at, format!("duplicate build id `{id}`{line}"));
        out.push(
            p.hint("give each build a distinct `id:` (a build without one uses the project name)"),
        );
    } else {
        ids.insert(id, at);
    }
}

fn check_targets(list: &Node, path: &str, out: &mut Vec<Problem>) {
    let mut seen: BTreeMap<Target, (String, Origin)> = BTreeMap::new();
    for (i, item) in list.items().iter().enumerate() {
        let Some(s) = item.as_str() else { continue };
        match Target::parse(s) {
            Ok(t) => {
                if let Some((first, at)) = seen.get(&t) {
                    let line = match at {
                        Origin::File { line, .. } => format!(" on line {line}"),
                        _ => String::new(),
                    };
                    let msg = format!("`{path}[{i}]`: target `{s}` is listed twice in this build (as `{first}`{line})");
                    out.push(Problem::new(&item.at, msg).hint("remove one of them"));
                } else {
                    seen.insert(t, (s.to_string(), item.at.clone()));
                }
            }
            Err(e) => {
                let hint = closest(s, COMMON_TARGETS).map(|c| format!("did you mean `{c}`?"));
                out.push(Problem::new(&item.at, format!("`{path}[{i}]`: {e}")).hint_opt(hint));
            }
        }
    }
}

/// Reports every `{word}` that is not a known placeholder.
fn placeholders(node: &Node, path: &str, out: &mut Vec<Problem>) {
    let Some(s) = node.as_str() else { return };
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('}') else { break };
        let word = &rest[..end];
        let is_word =
            !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_word && !PLACEHOLDERS.contains(&word) {
            let msg = format!("`{path}`: unknown placeholder `{{{word}}}`");
            let hint = match closest(word, PLACEHOLDERS) {
                Some(c) => format!("did you mean `{{{c}}}`?"),
                None => format!("available placeholders: {}", braced_list()),
            };
            out.push(Problem::new(&node.at, msg).hint(hint));
        }
        if is_word {
            rest = &rest[end + 1..];
        }
    }
}

fn braced_list() -> String {
    let v: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect();
    quoted_list(v.iter().map(String::as_str))
}

fn check_archives(a: &Node, out: &mut Vec<Problem>) {
    for (i, f) in a
        .get("files")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(s) = f.as_str() else { continue };
        let path = format!("archives.files[{i}]");
        let problem = if is_absolute(s) {
            Some(format!("`{path}`: `{s}` is an absolute path"))
        } else if components(s).any(|c| c == "..") {
            Some(format!(
                "`{path}`: `{s}` contains `..`, which would reach outside the project"
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            out.push(
                Problem::new(&f.at, msg)
                    .hint("archive files are paths relative to the directory of pipeline.yaml"),
            );
        }
    }
    let Some(name) = a.get("name") else { return };
    if let Some(s) = name.as_str() {
        let msg = if s.trim().is_empty() {
            Some("`archives.name` must not be empty")
        } else if s.contains(['/', '\\']) {
            Some("`archives.name` must be a file name, not a path (it contains a slash)")
        } else if s.contains("..") {
            Some("`archives.name` must not contain `..`")
        } else {
            None
        };
        if let Some(m) = msg {
            out.push(
                Problem::new(&name.at, m).hint("the default is `{name}_{version}_{os}_{arch}`"),
            );
        }
        placeholders(name, "archives.name", out);
    }
}

fn check_dist(d: &Node, out: &mut Vec<Problem>) {
    let Some(s) = d.as_str() else { return };
    let hint = "use a directory inside the project, e.g. `dist` (the default)";
    let msg = if is_absolute(s) {
        format!("`dist`: `{s}` is an absolute path")
    } else {
        let mut depth: i64 = 0;
        for c in components(s) {
            depth += match c {
                ".." => -1,
                "." => 0,
                _ => 1,
            };
            if depth < 0 {
                break;
            }
        }
        match depth {
            d if d < 0 => format!("`dist`: `{s}` points outside the project directory"),
            0 => format!("`dist`: `{s}` is the project directory itself"),
            _ => return,
        }
    };
    out.push(Problem::new(&d.at, msg).hint(hint));
}

fn components(s: &str) -> impl Iterator<Item = &str> {
    s.split(['/', '\\']).filter(|c| !c.is_empty())
}

/// Absolute on any platform: `/x`, `\x`, `C:...`.
fn is_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    s.starts_with(['/', '\\']) || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}
