//! Loading pipeline.yaml: read → positioned tree (yaml-rust2 events) → `TAGSHIP__*` env
//! overrides → validation pre-pass (schema walk, platform sections, profile merge, semantic
//! checks; every problem collected) → typed `Pipeline`.
//!
//! The final typed deserialization uses serde_yaml_ng, a maintained, API-compatible fork of
//! serde_yaml (which was archived upstream in 2024 and no longer receives fixes). serde stops at
//! the first error and loses positions, hence the pre-pass; by the time serde runs, the
//! pre-pass has found nothing, so its error path is a last resort.

use super::diag::{finish, Diagnostics, Origin, Problem};
use super::model::Pipeline;
use super::tree::{self, Node, Val};
use super::validate::{self, Context};
use crate::platform::Factory;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A loaded, validated config.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Typed, after profile and env overrides.
    pub pipeline: Pipeline,
    /// The config file as given.
    pub path: PathBuf,
    /// Its directory (absolute); relative paths in the config resolve against it.
    pub root: PathBuf,
}

/// Loads and validates `path`, merging `profile` and the `TAGSHIP__*` variables of `env`
/// (the process environment, passed in so tests control it). Every problem is reported at once.
pub fn load(
    path: &Path,
    profile: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Loaded, Diagnostics> {
    let real = Registry {
        factories: crate::platforms::ALL,
        adapters: true,
    };
    load_in(path, profile, env, real)
}

/// JSON Schema of the whole file, with `platforms.<id>` filled from every registered platform.
pub fn schema() -> serde_json::Value {
    validate::schema_with(crate::platforms::ALL)
}

/// [`load`] against a given platform registry (tests use hand-made factories, which build
/// no adapter).
#[cfg(test)]
pub(crate) fn load_with(
    path: &Path,
    profile: Option<&str>,
    env: &BTreeMap<String, String>,
    registry: &[&Factory],
) -> Result<Loaded, Diagnostics> {
    let r = Registry {
        factories: registry,
        adapters: false,
    };
    load_in(path, profile, env, r)
}

/// The factories, and whether their adapters are built at load (`Context::adapters`).
struct Registry<'a> {
    factories: &'a [&'a Factory],
    adapters: bool,
}

fn load_in(
    path: &Path,
    profile: Option<&str>,
    env: &BTreeMap<String, String>,
    registry: Registry,
) -> Result<Loaded, Diagnostics> {
    let text = read(path).map_err(|p| finish(path, vec![p]))?;
    let dir = path.parent().map(|d| match d.as_os_str().is_empty() {
        true => Path::new("."),
        false => d,
    });
    let cx = Context {
        profile,
        registry: registry.factories,
        root: dir,
        adapters: registry.adapters,
    };
    let pipeline = from_str(&text, &cx, env).map_err(|p| finish(path, p))?;
    let absolute = std::fs::canonicalize(path).or_else(|_| std::path::absolute(path));
    let root = absolute
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    Ok(Loaded {
        pipeline,
        path: path.to_path_buf(),
        root,
    })
}

/// Refused above this size: pipeline.yaml is a few kilobytes; this bounds memory and time for
/// a hostile file (a 250k-key mapping still fits).
pub(crate) const MAX_BYTES: u64 = 16 * 1024 * 1024;

fn read(path: &Path) -> Result<String, Problem> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let opened =
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = opened {
        return Err(if e.kind() == std::io::ErrorKind::NotFound {
            let msg = "the config file does not exist";
            let hint =
                "create it with at least `project: { name: my-tool }` plus a `builds:` list \
                        (`tagship schema` prints every key), or pass the right path with --config";
            Problem::new(&Origin::Whole, msg).hint(hint)
        } else {
            Problem::new(&Origin::Whole, format!("cannot read the config file: {e}"))
        });
    }
    if bytes.len() as u64 > MAX_BYTES {
        let msg = format!(
            "the config file is larger than the limit of {} MiB",
            MAX_BYTES >> 20
        );
        return Err(
            Problem::new(&Origin::Whole, msg).hint("pipeline.yaml should be a few kilobytes")
        );
    }
    decode(bytes)
}

/// The file as UTF-8 text; invalid bytes are reported at their line.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<String, Problem> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let bytes = e.as_bytes();
            let good = &bytes[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
            let byte = bytes[good.len()];
            let msg = format!("the config file is not valid UTF-8 (byte 0x{byte:02X})");
            let at = Origin::File { line, col };
            Err(Problem::new(&at, msg).hint("save pipeline.yaml as UTF-8"))
        }
    }
}

/// Parses, overrides, validates and deserializes config text.
pub(crate) fn from_str(
    text: &str,
    cx: &Context,
    env: &BTreeMap<String, String>,
) -> Result<Pipeline, Vec<Problem>> {
    // A byte-order mark (Windows editors write one) is not part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(mut tree) = tree::parse(text)? else {
        let p = Problem::new(&Origin::Whole, "the config file is empty");
        return Err(vec![p.hint("start with `project: { name: my-tool }`")]);
    };
    let mut problems = Vec::new();
    super::env::apply(&mut tree, env, &mut problems);
    // Before any problem is reported: a password written into a URL must never print.
    register_url_secrets(&tree);
    let effective = validate::validate(&mut tree, cx, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let pipeline = typed(&effective)?;
    if cx.adapters {
        let problems = super::adapters::check(&effective, &pipeline, cx.registry);
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    Ok(pipeline)
}

/// The typed model via serde_yaml_ng, from the validated (and coerced) tree.
fn typed(effective: &Node) -> Result<Pipeline, Vec<Problem>> {
    let fail = |e: serde_yaml_ng::Error| vec![Problem::new(&Origin::Whole, e.to_string())];
    let value = serde_yaml_ng::to_value(effective.to_json()).map_err(fail)?;
    serde_yaml_ng::from_value(value).map_err(fail)
}

/// Registers, for redaction, the password of every `scheme://user:password@host` value in the
/// tree (file and `TAGSHIP__*` overrides alike).
fn register_url_secrets(node: &Node) {
    match &node.val {
        Val::Scalar { value, .. } => {
            if let Some(s) = value.as_str().filter(|s| s.contains("://")) {
                crate::redact::register_url_credentials(s);
            }
        }
        Val::Seq(items) => items.iter().for_each(register_url_secrets),
        Val::Map(entries) => entries.iter().for_each(|e| register_url_secrets(&e.value)),
    }
}
