//! The validation pre-pass: the positioned tree is walked against the schemars schema of
//! `Pipeline`, each `platforms.<id>` section against its factory's schema, the selected profile
//! is merged in, and the semantic checks run — all problems collected, none fatal on its own.

use super::diag::{suggest, Origin, Problem};
use super::model::Pipeline;
use super::tree::{merge, Node, Val};
use super::walk::Walker;
use crate::platform::Factory;
use serde_json::{json, Map, Value};

/// The whole-file schema with one property per registered platform under `platforms`
/// (unknown ids rejected) and the platforms' own `$defs` hoisted as `<id>.<Name>`.
pub(crate) fn schema_with(registry: &[&Factory]) -> Value {
    let mut root = Value::from(schemars::schema_for!(Pipeline));
    let mut sections = Map::new();
    let mut overrides = Map::new();
    for f in registry {
        let mut s = Value::from((f.schema)());
        add_common(&mut s);
        cap_durations(&mut s);
        hoist(&mut root, f.id, &mut s);
        sections.insert(f.id.to_string(), s);
        let about = format!("Overrides for `platforms.{}`: {}", f.id, f.about);
        overrides.insert(
            f.id.to_string(),
            json!({"type": "object", "description": about}),
        );
    }
    if let Some(p) = root.pointer_mut("/properties/platforms") {
        p["properties"] = Value::Object(sections);
        p["additionalProperties"] = Value::Bool(false);
    }
    if let Some(p) = root.pointer_mut("/$defs/PackageConfig/properties/platforms") {
        p["properties"] = Value::Object(package_sections(&overrides));
        p["additionalProperties"] = Value::Bool(false);
    }
    if let Some(p) = root.pointer_mut("/$defs/Profile/properties/platforms") {
        p["properties"] = Value::Object(overrides);
        p["additionalProperties"] = Value::Bool(false);
    }
    root
}

/// `packages[].platforms.<id>`: merged over the top-level section, so any part of it.
fn package_sections(overrides: &Map<String, Value>) -> Map<String, Value> {
    overrides
        .keys()
        .map(|id| {
            let about = format!(
                "This package's `platforms.{id}`, deep-merged over the top-level one (`{{}}`: as it is)"
            );
            (id.clone(), json!({"type": ["object", "null"], "description": about}))
        })
        .collect()
}

/// Settings every platform section takes, read by the app, not by the adapter
/// (`platform::section` removes them before the adapter's own config is deserialized).
pub const COMMON_KEYS: &[&str] = &["timeout"];

/// Adds the common settings to a platform section's schema: `timeout`, the time allowed for
/// one HTTP request to that platform (its retries each get it again).
fn add_common(section: &mut Value) {
    if let Some(props) = section.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "timeout".into(),
            json!({
                "type": "string",
                "format": super::format::DURATION,
                "description": "Time allowed for one HTTP request to this platform, e.g. `30s` \
                    (default 120s; uploads get extra time for their size). The connection \
                    itself must open within 10s."
            }),
        );
    }
}

/// The longest wait a `*_secs` or `*_ms` setting may ask for: a week, as `timeout`. A
/// larger one is no deliberate wait, and near `u64::MAX` it overflows the clock arithmetic
/// (`Instant + Duration` panics) once the release is already under way.
const WEEK_SECS: u64 = 7 * 24 * 3600;

/// The shortest pause a `*poll*_ms` setting may ask for.
const MIN_POLL_MS: u64 = 10;

/// Gives every integer `*_secs` / `*_ms` property of a platform's schema (its `$defs`
/// included, e.g. crates' `pace.*.every_secs`) a `maximum` of a week, so the walker refuses
/// a larger one with its file:line; a poll interval (`index_poll_ms`, `poll_interval_ms`)
/// gets a minimum of 10 ms (0 would be a request loop; tests poll every 20 ms).
fn cap_durations(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                for (k, p) in props.iter_mut() {
                    let max = if k.ends_with("_secs") {
                        WEEK_SECS
                    } else if k.ends_with("_ms") {
                        WEEK_SECS * 1000
                    } else {
                        continue;
                    };
                    let Some(p) = p.as_object_mut() else { continue };
                    p.entry("maximum").or_insert(json!(max));
                    // A poll every 0 ms is a request loop against the registry.
                    if k.contains("poll") {
                        p.insert("minimum".into(), json!(MIN_POLL_MS));
                    }
                }
            }
            o.values_mut().for_each(cap_durations);
        }
        Value::Array(a) => a.iter_mut().for_each(cap_durations),
        _ => {}
    }
}

/// Moves a platform schema's `$defs` into the root under `<id>.<Name>` and rewrites its
/// `$ref`s, so the section can live at `#/properties/platforms/properties/<id>`.
fn hoist(root: &mut Value, id: &str, section: &mut Value) {
    let Some(obj) = section.as_object_mut() else {
        return;
    };
    obj.remove("$schema");
    let defs = obj.remove("$defs").or_else(|| obj.remove("definitions"));
    rewrite_refs(section, id);
    let Some(Value::Object(defs)) = defs else {
        return;
    };
    if !root["$defs"].is_object() {
        root["$defs"] = json!({});
    }
    for (name, mut def) in defs {
        rewrite_refs(&mut def, id);
        root["$defs"][format!("{id}.{name}")] = def;
    }
}

fn rewrite_refs(v: &mut Value, id: &str) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                let name = r
                    .strip_prefix("#/$defs/")
                    .or(r.strip_prefix("#/definitions/"));
                *r = match name {
                    Some(n) => format!("#/$defs/{id}.{n}"),
                    None if r == "#" => format!("#/properties/platforms/properties/{id}"),
                    None => r.clone(),
                };
            }
            o.values_mut().for_each(|x| rewrite_refs(x, id));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, id)),
        _ => {}
    }
}

/// What validation needs besides the tree.
pub(crate) struct Context<'a> {
    pub profile: Option<&'a str>,
    pub registry: &'a [&'a Factory],
    /// The directory of pipeline.yaml, when known: `packages[].dir` must exist there.
    pub root: Option<&'a std::path::Path>,
    /// Build each platform's adapter once the file is valid, so its own checks report with
    /// file:line (`adapters.rs`); off for test registries whose factories build nothing.
    pub adapters: bool,
}

/// Validates `tree` (coercing plain scalars where strings are expected) and returns the
/// effective tree: the file with the selected profile merged in.
pub(crate) fn validate(tree: &mut Node, cx: &Context, problems: &mut Vec<Problem>) -> Node {
    if !matches!(tree.val, Val::Map(_)) {
        let msg = "expected a mapping at the top of the file (`project:`, `builds:`, ...)";
        problems.push(Problem::new(&tree.at, msg));
        return tree.clone();
    }
    let plain = Value::from(schemars::schema_for!(Pipeline));
    let mut w = Walker::new(&plain, false);
    w.walk(&plain, tree, "");
    problems.append(&mut w.problems);

    let full = schema_with(cx.registry);
    let known: Vec<&str> = cx.registry.iter().map(|f| f.id).collect();
    if let Some(p) = tree.get("platforms") {
        check_ids(p, "", &known, problems);
    }
    let selected = select_profile(tree, cx.profile, problems);
    check_profiles(tree, cx.profile, &full, &known, problems);
    let mut effective = tree.clone();
    if let Some(over) = selected {
        apply_profile(&mut effective, &over, &known);
    }
    // With `packages:`, the top-level sections are shared settings, complete only once a
    // package's own section is merged over them (checked whole in `packages::check`).
    let shared_only = effective.get("packages").is_some();
    if let Some(p) = effective.get_mut("platforms") {
        walk_sections(p, "platforms", &full, shared_only, problems);
    }
    super::semantic::check(&effective, problems);
    let mut walk = |n: &mut Node, path: &str, out: &mut Vec<Problem>| {
        walk_sections(n, path, &full, false, out)
    };
    super::packages::check(&mut effective, cx.root, &known, &mut walk, problems);
    once_per_place(problems);
    effective
}

/// A shared section is merged into every package and walked again there, so one mistake in
/// it would be reported once more per package, at the same line and with the same words
/// (only the setting's path differs): keep the first, which names the shared section.
fn once_per_place(problems: &mut Vec<Problem>) {
    let words = |m: &str| -> String {
        match m.strip_prefix('`').and_then(|r| r.split_once("`: ")) {
            Some((_, rest)) => rest.to_string(),
            None => m.to_string(),
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    problems.retain(|p| seen.insert((p.at.clone(), words(&p.message))));
}

/// Reports section keys that name no registered platform.
fn check_ids(section: &Node, context: &str, known: &[&str], problems: &mut Vec<Problem>) {
    for e in section.entries() {
        if known.contains(&e.key.as_str()) {
            continue;
        }
        let msg = format!("unknown platform `{}`{context}", e.key);
        let hint = match known.is_empty() {
            true => Some("no platforms are registered in this build of tagship".to_string()),
            false => suggest(&e.key, known.iter().copied(), "known platforms"),
        };
        problems.push(Problem::new(&e.key_at, msg).hint_opt(hint));
    }
}

/// Walks each known platform's section against its schema.
fn walk_sections(
    section: &mut Node,
    path: &str,
    full: &Value,
    partial: bool,
    out: &mut Vec<Problem>,
) {
    let Val::Map(entries) = &mut section.val else {
        return;
    };
    for e in entries.iter_mut() {
        let pointer = format!("/properties/platforms/properties/{}", escape(&e.key));
        let Some(schema) = full.pointer(&pointer) else {
            continue;
        };
        let mut w = Walker::new(full, partial);
        w.walk(schema, &mut e.value, &format!("{path}.{}", e.key));
        out.append(&mut w.problems);
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Profiles not selected are checked as partial overrides (no `required`); the selected one is
/// checked after merging, as part of the effective file.
fn check_profiles(
    tree: &mut Node,
    selected: Option<&str>,
    full: &Value,
    known: &[&str],
    out: &mut Vec<Problem>,
) {
    let Some(Val::Map(profiles)) = tree.get_mut("profiles").map(|p| &mut p.val) else {
        return;
    };
    for prof in profiles.iter_mut() {
        let Some(section) = prof.value.get_mut("platforms") else {
            continue;
        };
        check_ids(section, &format!(" in profile `{}`", prof.key), known, out);
        if Some(prof.key.as_str()) != selected {
            let path = format!("profiles.{}.platforms", prof.key);
            walk_sections(section, &path, full, true, out);
        }
    }
}

/// The selected profile's `platforms` section, or a problem listing the known profiles.
fn select_profile(tree: &Node, name: Option<&str>, problems: &mut Vec<Problem>) -> Option<Node> {
    let name = name?;
    let profiles = tree.get("profiles");
    if let Some(p) = profiles.and_then(|p| p.get(name)) {
        return p.get("platforms").cloned();
    }
    let names: Vec<&str> = profiles.map_or(Vec::new(), |p| {
        p.entries().iter().map(|e| e.key.as_str()).collect()
    });
    let msg = match names.is_empty() {
        true => format!("unknown profile `{name}`: the file defines no profiles"),
        false => format!(
            "unknown profile `{name}`; known profiles: {}",
            super::diag::quoted_list(names.iter().copied())
        ),
    };
    let hint = match names.is_empty() {
        true => Some(format!(
            "add `profiles: {{ {name}: {{ platforms: {{...}} }} }}` or drop --profile"
        )),
        false => super::diag::closest(name, names.iter().copied())
            .map(|c| format!("did you mean `{c}`?")),
    };
    problems.push(Problem::new(&Origin::Whole, msg).hint_opt(hint));
    None
}

/// Deep-merges the profile's known platform sections over `platforms:`.
fn apply_profile(effective: &mut Node, over: &Node, known: &[&str]) {
    let Val::Map(entries) = &over.val else { return };
    if !matches!(
        effective.get("platforms").map(|p| &p.val),
        Some(Val::Map(_))
    ) {
        effective.set("platforms", over.at.clone(), Node::map(over.at.clone()));
    }
    let Some(base) = effective.get_mut("platforms") else {
        return;
    };
    for e in entries.iter().filter(|e| known.contains(&e.key.as_str())) {
        match base.get_mut(&e.key) {
            Some(b) => merge(b, &e.value),
            None => base.set(&e.key, e.key_at.clone(), e.value.clone()),
        }
    }
}
