//! End-to-end tests of loading and validation: a corpus of bad inputs (each asserting the
//! rendered diagnostic with its line:col), a good file round-trip, profiles and env overrides.
//! Platforms come from a hand-made registry so the tests do not depend on which adapters exist.

mod bad;
mod walk;

use super::diag::finish;
use super::load::{from_str, load_with};
use super::validate::Context;
use super::{load, Pipeline};
use crate::plan::Project;
use crate::platform::{Factory, Platform};
use std::collections::BTreeMap;
use std::path::Path;

fn no_build(_: &serde_json::Value, _: &Project) -> crate::Result<Box<dyn Platform>> {
    Err(crate::Error::config("test factory"))
}

fn github_schema() -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "properties": {
            "owner": {"type": "string", "minLength": 1},
            "repo": {"type": "string"},
            "api_url": {"type": "string"},
            "draft": {"type": "boolean"},
            "assets": {"$ref": "#/$defs/Assets"}
        },
        "required": ["owner", "repo"],
        "additionalProperties": false,
        "$defs": {"Assets": {"type": "array", "items": {"type": "string"}}}
    })
}

static GITHUB: Factory = Factory {
    id: "github",
    about: "GitHub releases",
    schema: github_schema,
    build: no_build,
};

pub(super) static REGISTRY: &[&Factory] = &[&GITHUB];

pub(super) const GOOD: &str = r#"project:
  name: hello
  description: Says hello
  license: MIT
version:
  tag_prefix: v
builds:
  - command: [go, build, -trimpath, -o, "build/{target}/hello{exe}", "."]
    binary: "build/{target}/hello{exe}"
    targets: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64]
    env: { GOOS: "{os}", GOARCH: "{arch}", CGO_ENABLED: 0 }
archives:
  files: [README.md]
platforms:
  github: { owner: acme, repo: hello }
profiles:
  staging:
    platforms:
      github: { api_url: "http://127.0.0.1:9999" }
"#;

pub(super) fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn run(
    yaml: &str,
    profile: Option<&str>,
    vars: &[(&str, &str)],
) -> Result<Pipeline, Vec<String>> {
    let cx = Context {
        profile,
        registry: REGISTRY,
        root: None,
        adapters: false,
    };
    from_str(yaml, &cx, &env(vars)).map_err(|p| {
        let d = finish(Path::new("pipeline.yaml"), p);
        d.iter().map(|d| d.to_string()).collect()
    })
}

/// The diagnostics for `yaml`, which must be invalid.
pub(super) fn errors(yaml: &str) -> Vec<String> {
    run(yaml, None, &[]).expect_err("expected problems")
}

/// A minimal valid file with `extra` appended (top-level keys).
pub(super) fn with(extra: &str) -> String {
    format!("project:\n  name: hello\n{extra}")
}

pub(super) const BUILD: &str =
    "builds:\n  - command: [cargo, build]\n    binary: target/hello\n    targets: [linux-amd64]\n";

#[test]
fn good_file_loads_and_round_trips() {
    let p = run(GOOD, None, &[]).unwrap();
    assert_eq!(p.project.name, "hello");
    assert_eq!(p.builds[0].targets.len(), 5);
    assert_eq!(
        p.builds[0].env["CGO_ENABLED"], "0",
        "plain 0 taken as a string"
    );
    assert_eq!(p.platforms["github"]["owner"], "acme");
    assert!(p.platforms["github"].get("api_url").is_none());
    let again = serde_yaml_ng::to_string(&p).unwrap();
    let p2 = run(&again, None, &[]).unwrap();
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        serde_json::to_value(&p2).unwrap()
    );
}

#[test]
fn profile_deep_merges_platforms() {
    let p = run(GOOD, Some("staging"), &[]).unwrap();
    let gh = &p.platforms["github"];
    assert_eq!(gh["owner"], "acme");
    assert_eq!(gh["repo"], "hello");
    assert_eq!(gh["api_url"], "http://127.0.0.1:9999");
}

#[test]
fn env_overrides_apply_and_ignore_runtime_vars() {
    let vars = [
        ("TAGSHIP__PLATFORMS__GITHUB__OWNER", "other"),
        ("TAGSHIP__PLATFORMS__GITHUB__DRAFT", "true"),
        ("TAGSHIP__PROJECT__NAME", "renamed"),
        ("TAGSHIP_DRY_RUN", "1"),
    ];
    let p = run(GOOD, Some("staging"), &vars).unwrap();
    assert_eq!(p.project.name, "renamed");
    assert_eq!(p.platforms["github"]["owner"], "other");
    assert_eq!(p.platforms["github"]["draft"], true);
    assert_eq!(p.platforms["github"]["api_url"], "http://127.0.0.1:9999");
}

#[test]
fn problems_from_env_overrides_name_the_variable() {
    let vars = [
        ("TAGSHIP__PROJECT__NAME", "' '"),
        ("TAGSHIP__VERSION__PRERELEASE", "maybe"),
        ("TAGSHIP__PROJECT__NMAE", "x"),
    ];
    let e = run(GOOD, None, &vars).unwrap_err();
    assert_eq!(
        e,
        [
            "$TAGSHIP__PROJECT__NAME: `project.name` must not be empty\n  hint: the name is used in archive names and as the default package name",
            "$TAGSHIP__PROJECT__NMAE: unknown key `nmae` in `project`\n  hint: did you mean `name`?",
            "$TAGSHIP__VERSION__PRERELEASE: `version.prerelease`: unknown value `maybe`; expected one of `allow`, `deny`",
        ]
    );
}

#[test]
fn load_reads_files_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipeline.yaml");
    let e = load(&path, None, &BTreeMap::new()).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e.0[0].line, 0);
    assert!(
        e.to_string()
            .contains("the config file does not exist\n  hint: create it"),
        "{e}"
    );
    std::fs::write(&path, GOOD).unwrap();
    let l = load_with(&path, Some("staging"), &BTreeMap::new(), REGISTRY).unwrap();
    assert_eq!(l.path, path);
    assert_eq!(l.root, std::fs::canonicalize(dir.path()).unwrap());
    assert_eq!(
        l.pipeline.platforms["github"]["api_url"],
        "http://127.0.0.1:9999"
    );
    // With the real registry (whatever it holds), a file without platforms loads.
    std::fs::write(&path, with(BUILD)).unwrap();
    assert_eq!(
        load(&path, None, &BTreeMap::new())
            .unwrap()
            .pipeline
            .builds
            .len(),
        1
    );
}

#[test]
fn schema_has_platform_sections() {
    let s = super::validate::schema_with(REGISTRY);
    let p = &s["properties"]["platforms"];
    assert_eq!(p["additionalProperties"], false);
    assert_eq!(
        p["properties"]["github"]["required"],
        serde_json::json!(["owner", "repo"])
    );
    assert_eq!(
        p["properties"]["github"]["properties"]["assets"]["$ref"],
        "#/$defs/github.Assets"
    );
    assert_eq!(s["$defs"]["github.Assets"]["type"], "array");
    assert_eq!(
        s["$defs"]["Profile"]["properties"]["platforms"]["additionalProperties"],
        false
    );
    let real = super::schema();
    let ids = real["properties"]["platforms"]["properties"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(ids, crate::platforms::ALL.len());
}

#[test]
fn env_overrides_can_add_platform_sections() {
    let vars = [
        ("TAGSHIP__PLATFORMS__GITHUB__OWNER", "acme"),
        ("TAGSHIP__PLATFORMS__GITHB__OWNER", "x"),
    ];
    let e = run(&with(""), None, &vars).unwrap_err();
    assert_eq!(
        e,
        [
            "$TAGSHIP__PLATFORMS__GITHB__OWNER: unknown platform `githb`\n  hint: did you mean `github`?",
            "$TAGSHIP__PLATFORMS__GITHUB__OWNER: missing required key `repo` in `platforms.github`\n  hint: add `repo:` (a string)",
        ]
    );
    let vars = [
        ("TAGSHIP__PLATFORMS__GITHUB__OWNER", "acme"),
        ("TAGSHIP__PLATFORMS__GITHUB__REPO", "'007'"),
    ];
    let p = run(&with(""), None, &vars).unwrap();
    assert_eq!(p.platforms["github"]["repo"], "007");
}
