//! Validates WinGet manifests with the real validator: PyYAML turns each YAML file into JSON
//! (a real YAML parser, so quoting and typing are what WinGet's parser sees), then Python's
//! `jsonschema` checks it against the official 1.10.0 schema for its `ManifestType`
//! (vendored in tests/fixtures/winget-1.10.0). A missing module fails with the script to run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

const VALIDATE: &str = r#"
import json, sys, pathlib, yaml, jsonschema
schemas = pathlib.Path(sys.argv[1])
for f in sys.argv[2:]:
    doc = yaml.safe_load(pathlib.Path(f).read_text(encoding="utf-8"))
    kind = doc["ManifestType"]
    schema = json.loads((schemas / f"manifest.{kind}.1.10.0.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    for e in errors:
        print(f"{f}: {kind}: {list(e.path)}: {e.message}")
    if errors:
        sys.exit(1)
    print(f"valid {kind}: {pathlib.Path(f).name}")
"#;

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/winget-1.10.0")
}

/// Validates `files` (name, YAML text); panics with the validator's output when one fails.
pub fn validate(files: &[(String, String)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(schemas())
        .args(&paths)
        .output()
        .expect("python3 is needed (scripts/setup.d/40-python-jsonschema.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("No module named"),
        "install the validator: scripts/setup.d/40-python-jsonschema.sh and scripts/setup.d/41-python-yaml.sh\n{text}"
    );
    assert!(
        out.status.success(),
        "the WinGet schemas refuse the manifest:\n{text}"
    );
    assert_eq!(text.matches("valid ").count(), files.len(), "{text}");
    text
}
