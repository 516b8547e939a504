//! The `workspace:` protocol, rewritten in the packed package.json the way `pnpm publish`
//! does (pnpm's docs, "Workspace protocol: publishing workspace packages"), with `V` the
//! version in the named member's package.json:
//!
//! | in the working tree        | published            |
//! |----------------------------|----------------------|
//! | `workspace:*`              | `V`                  |
//! | `workspace:^`              | `^V`                 |
//! | `workspace:~`              | `~V`                 |
//! | `workspace:<range>`        | `<range>` (e.g. `workspace:^1.2.0` → `^1.2.0`) |
//! | `workspace:<alias>@*`/`^`/`~`/`<range>` | `npm:<alias>@` + the same mapping |
//!
//! in `dependencies`, `devDependencies`, `peerDependencies` and `optionalDependencies`.
//! Refused (exit 2, before anything is published): a `workspace:` range naming a package
//! the workspace does not have, a path form (`workspace:../x`, which pnpm resolves but a
//! registry reader could not), and a runtime dependency (not a devDependency) on a
//! `private` member, which would make the published package uninstallable. Pure functions.

use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every dependency field pnpm rewrites.
pub const FIELDS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// What the rewrite needs to know of each member: its version and whether it is published.
#[derive(Debug, Clone)]
pub struct Known {
    pub version: String,
    pub private: bool,
}

/// `manifest` with every `workspace:` range replaced, or `None` when it has none (then the
/// file is packed byte for byte as it is). `file` names package.json in messages.
pub fn rewrite(
    file: &str,
    manifest: &Value,
    known: &BTreeMap<String, Known>,
) -> Result<Option<Value>> {
    let mut out = manifest.clone();
    let mut changed = false;
    for field in FIELDS {
        let Some(deps) = out.get_mut(field).and_then(Value::as_object_mut) else {
            continue;
        };
        for (name, range) in deps.iter_mut() {
            let Some(spec) = range.as_str().and_then(|r| r.strip_prefix("workspace:")) else {
                continue;
            };
            *range = Value::String(resolve(file, field, name, spec, known)?);
            changed = true;
        }
    }
    Ok(changed.then_some(out))
}

/// One `workspace:<spec>` of dependency `name` in `field`.
fn resolve(
    file: &str,
    field: &str,
    name: &str,
    spec: &str,
    known: &BTreeMap<String, Known>,
) -> Result<String> {
    let at = |m: String| format!("{file}: {field}.{name} is `workspace:{spec}`: {m}");
    if spec.starts_with('.') || spec.starts_with('/') {
        return Err(
            Error::input(at("a path form cannot be rewritten for the registry".into())).with_hint(
                "use `workspace:*`, `workspace:^` or `workspace:~` with the package's name",
            ),
        );
    }
    // `workspace:alias@range` publishes as the npm alias `npm:alias@range`.
    let (target, range, alias) = match spec.rsplit_once('@').filter(|(n, _)| !n.is_empty()) {
        Some((target, range)) => (target, range, true),
        None => (name, spec, false),
    };
    let Some(k) = known.get(target) else {
        return Err(
            Error::input(at(format!("the workspace has no package named `{target}`"))).with_hint(
                "add it to the workspace, or depend on a published version range instead",
            ),
        );
    };
    if k.private && field != "devDependencies" {
        return Err(Error::input(at(format!(
            "`{target}` is private, so the published package could not be installed"
        )))
        .with_hint(format!(
            "publish `{target}` too (remove `private: true`), or make it a devDependency"
        )));
    }
    let v = &k.version;
    let mapped = match range {
        "*" | "" => v.clone(),
        "^" => format!("^{v}"),
        "~" => format!("~{v}"),
        other if is_range(other) => other.to_string(),
        other => {
            return Err(Error::input(at(format!("`{}` is not a version range", other.escape_debug())))
                .with_hint("use `workspace:*`, `workspace:^`, `workspace:~` or a semver range such as `workspace:^1.2.0`"));
        }
    };
    Ok(if alias {
        format!("npm:{target}@{mapped}")
    } else {
        mapped
    })
}

/// npm's range grammar (node-semver's `range-set`): `||`-separated sets of comparators
/// (`>=1.2.0 <2`, `^1.2`, `~1.2.3-beta.1`, `1.x`) or hyphen ranges (`1.0.0 - 2.0.0`). What
/// goes into the published package.json must be one, or installs of it fail.
fn is_range(r: &str) -> bool {
    r.split("||").all(|set| {
        let parts: Vec<&str> = set.split_whitespace().collect();
        match parts.as_slice() {
            [] => true,
            [a, "-", b] => is_partial(a) && is_partial(b),
            cs => {
                // `>= 1.2.3`: an operator may stand apart from its version.
                let mut op = String::new();
                let ok = cs.iter().all(|c| {
                    let v = c.trim_start_matches(['<', '>', '=', '^', '~']);
                    op.push_str(&c[..c.len() - v.len()]);
                    let fine = v.is_empty() || (op.len() <= 2 && is_partial(v));
                    if !v.is_empty() {
                        op.clear();
                    }
                    fine
                });
                ok && op.is_empty()
            }
        }
    })
}

/// `1`, `1.2`, `1.2.3`, with `x`/`X`/`*` for any part, an optional `v`, and on a full
/// version a prerelease and build (`1.2.3-rc.1+abc`).
fn is_partial(v: &str) -> bool {
    let v = v.strip_prefix(['v', '=']).unwrap_or(v);
    let (core, extra) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    let num = |n: &&str| {
        matches!(*n, "x" | "X" | "*") || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let ids = |e: &str| {
        e.split(['.', '-', '+'])
            .all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    (1..=3).contains(&nums.len())
        && nums.iter().all(num)
        && extra.map_or(true, |e| nums.len() == 3 && ids(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn known() -> BTreeMap<String, Known> {
        let k = |v: &str, p| Known {
            version: v.into(),
            private: p,
        };
        BTreeMap::from([
            ("@w/core".to_string(), k("1.2.3", false)),
            ("util".to_string(), k("1.2.3", false)),
            ("internal".to_string(), k("0.0.0", true)),
        ])
    }

    #[test]
    fn every_form_maps_as_pnpm_does_and_other_ranges_stay() {
        let pj = json!({
            "name": "top",
            "dependencies": {"@w/core": "workspace:^", "util": "workspace:*", "left-pad": "^1.3.0"},
            "peerDependencies": {"util": "workspace:~"},
            "optionalDependencies": {"@w/core": "workspace:^1.2.0"},
            "devDependencies": {"internal": "workspace:*", "core2": "workspace:@w/core@^", "u": "workspace:util@1.2.3"}
        });
        let out = rewrite("top/package.json", &pj, &known()).unwrap().unwrap();
        assert_eq!(
            out,
            json!({
                "name": "top",
                "dependencies": {"@w/core": "^1.2.3", "util": "1.2.3", "left-pad": "^1.3.0"},
                "peerDependencies": {"util": "~1.2.3"},
                "optionalDependencies": {"@w/core": "^1.2.0"},
                "devDependencies": {"internal": "0.0.0", "core2": "npm:@w/core@^1.2.3", "u": "npm:util@1.2.3"}
            })
        );
        // Key order is kept (serde_json's preserve_order), so the file reads as it did.
        let keys: Vec<&String> = out["dependencies"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["@w/core", "util", "left-pad"]);
        assert!(rewrite("f", &json!({"dependencies": {"x": "1"}}), &known())
            .unwrap()
            .is_none());
    }

    #[test]
    fn npm_ranges_pass_and_garbage_does_not() {
        for ok in [
            "^1.2.0", "~1.2", "1.x", ">=1.0.0 <2", ">= 1.2.3", "1.0.0 - 2.0.0", "1 || 2.x",
            "=1.2.3-rc.1+b5", "v1.2.3", "*", "1.2.*",
        ] {
            assert!(is_range(ok), "{ok}");
        }
        for bad in ["garbage", "^", "1.2.3.4", ">>>1", "1.2-rc", "^1.2.3 >=", "1 -", "1.2.3-", "a.b.c"] {
            assert!(!is_range(bad), "{bad}");
        }
        let e = rewrite("p/package.json", &json!({"dependencies": {"util": "workspace:garbage"}}), &known())
            .unwrap_err();
        assert!(e.message().contains("`garbage` is not a version range"), "{e:?}");
    }

    #[test]
    fn unknown_path_and_private_runtime_targets_are_refused() {
        let bad = |deps: Value, want: &str| {
            let e = rewrite("p/package.json", &deps, &known()).unwrap_err();
            assert!(e.message().contains(want), "{want}: {e:?}");
            assert!(e.message().starts_with("p/package.json: "), "{e:?}");
        };
        bad(
            json!({"dependencies": {"nope": "workspace:*"}}),
            "no package named `nope`",
        );
        bad(
            json!({"dependencies": {"util": "workspace:../util"}}),
            "path form",
        );
        bad(
            json!({"peerDependencies": {"internal": "workspace:^"}}),
            "`internal` is private",
        );
    }
}
