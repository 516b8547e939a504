//! Environment overrides: `TAGSHIP__A__B__C=value` sets the key path `a.b.c` (segments split
//! on the double underscore, lowercased; a single `_` stays inside a key, so
//! `TAGSHIP__PLATFORMS__GITHUB__API_URL` is `platforms.github.api_url`). Values are read as
//! YAML scalars, so `true` and `3` keep their types. Single-underscore `TAGSHIP_*` variables
//! are runtime settings, not config, and are ignored here.
//! Overridden values carry the variable's name as their origin, so a problem they cause is
//! reported against the variable rather than a line of the file.

use super::diag::{Origin, Problem};
use super::tree::{parse, resolve_plain, Entry, Node, Val};
use std::collections::BTreeMap;

/// The prefix that marks a config override.
pub const PREFIX: &str = "TAGSHIP__";

/// Applies every `TAGSHIP__...` override in `env` to `tree`, in name order.
pub(crate) fn apply(tree: &mut Node, env: &BTreeMap<String, String>, out: &mut Vec<Problem>) {
    for (var, value) in env {
        let Some(rest) = var.strip_prefix(PREFIX) else {
            continue;
        };
        let at = Origin::Env(var.clone());
        let segs: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
        if segs.iter().any(String::is_empty) {
            let p = Problem::new(&at, "not a valid config override: empty key segment");
            out.push(p.hint("write TAGSHIP__SECTION__KEY, e.g. TAGSHIP__PROJECT__NAME"));
            continue;
        }
        let node = Node {
            at: at.clone(),
            val: scalar(value),
        };
        if let Err(msg) = set_path(tree, &segs, node) {
            out.push(Problem::new(&at, msg));
        }
    }
}

/// The value as a YAML scalar: `true`, `3`, `~` keep their types, `'3'` is the string "3";
/// anything that is not a scalar in YAML (`{os}`, `[a]`, `a: b`) is taken literally.
fn scalar(value: &str) -> Val {
    let trimmed = value.trim_start();
    if trimmed.starts_with(['\'', '"']) {
        if let Ok(Some(Node {
            val: v @ Val::Scalar { .. },
            ..
        })) = parse(value)
        {
            return v;
        }
    }
    Val::Scalar {
        value: resolve_plain(value),
        plain: Some(value.to_string()),
    }
}

/// Sets `segs` (a key path; numeric segments index lists) to `value`, creating mappings.
fn set_path(tree: &mut Node, segs: &[String], value: Node) -> Result<(), String> {
    let at = value.at.clone();
    let mut cur = tree;
    for (i, seg) in segs.iter().enumerate() {
        let done = &segs[..i];
        if is_null(cur) {
            *cur = Node::map(at.clone());
        }
        let last = i + 1 == segs.len();
        cur = match &mut cur.val {
            Val::Map(entries) => {
                let pos = entries
                    .iter()
                    .position(|e| e.key == *seg)
                    .unwrap_or_else(|| {
                        entries.push(Entry {
                            key: seg.clone(),
                            key_at: at.clone(),
                            value: Node::map(at.clone()),
                        });
                        entries.len() - 1
                    });
                if last {
                    entries[pos].value = value;
                    return Ok(());
                }
                &mut entries[pos].value
            }
            Val::Seq(items) => {
                let n = items.len();
                let idx = seg
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i < n)
                    .ok_or_else(|| {
                        format!(
                            "cannot set `{}`: `{}` is a list of {n}; use an index 0..{n}",
                            segs.join("."),
                            shown(done)
                        )
                    })?;
                if last {
                    items[idx] = value;
                    return Ok(());
                }
                &mut items[idx]
            }
            Val::Scalar { .. } => {
                return Err(format!(
                    "cannot set `{}`: `{}` is a single value, not a mapping",
                    segs.join("."),
                    shown(done)
                ))
            }
        };
    }
    Ok(())
}

fn is_null(n: &Node) -> bool {
    matches!(
        n.val,
        Val::Scalar {
            value: serde_json::Value::Null,
            ..
        }
    )
}

fn shown(path: &[String]) -> String {
    if path.is_empty() {
        "the file".into()
    } else {
        path.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(yaml: &str, vars: &[(&str, &str)]) -> (serde_json::Value, Vec<Problem>) {
        let mut tree = parse(yaml).unwrap().unwrap();
        let env = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut out = Vec::new();
        apply(&mut tree, &env, &mut out);
        (tree.to_json(), out)
    }

    #[test]
    fn sets_nested_keys_with_types() {
        let (j, p) = run(
            "project: {name: a}\nplatforms:\n",
            &[
                ("TAGSHIP__PLATFORMS__GITHUB__OWNER", "acme"),
                ("TAGSHIP__PLATFORMS__GITHUB__DRAFT", "true"),
                ("TAGSHIP__PROJECT__NAME", "x"),
                ("TAGSHIP__VERSION__RETRIES", "3"),
                ("TAGSHIP_TOKEN", "runtime setting, ignored"),
                ("HOME", "/root"),
            ],
        );
        assert!(p.is_empty(), "{p:?}");
        let want = json!({
            "project": {"name": "x"},
            "platforms": {"github": {"owner": "acme", "draft": true}},
            "version": {"retries": 3}
        });
        assert_eq!(j, want);
    }

    #[test]
    fn indexes_lists_and_reports_bad_paths() {
        let yaml = "project: {name: a}\nbuilds:\n  - {binary: b}\n";
        let (j, p) = run(yaml, &[("TAGSHIP__BUILDS__0__BINARY", "c")]);
        assert!(p.is_empty());
        assert_eq!(j["builds"][0]["binary"], "c");
        let (_, p) = run(yaml, &[("TAGSHIP__BUILDS__3__BINARY", "c")]);
        assert_eq!(
            p[0].message,
            "cannot set `builds.3.binary`: `builds` is a list of 1; use an index 0..1"
        );
        assert_eq!(p[0].at, Origin::Env("TAGSHIP__BUILDS__3__BINARY".into()));
        let (_, p) = run(yaml, &[("TAGSHIP__PROJECT__NAME__X", "c")]);
        assert_eq!(
            p[0].message,
            "cannot set `project.name.x`: `project.name` is a single value, not a mapping"
        );
        let (_, p) = run(yaml, &[("TAGSHIP__PROJECT____NAME", "c")]);
        assert!(p[0].message.contains("empty key segment"));
    }
}
