//! Issue 8, acceptance 1 (WinGet): the manifests tagship renders pass the official 1.10.0
//! JSON schemas (PyYAML + Python's `jsonschema`), for a two-architecture release and for
//! values that YAML would re-type if written plainly (`1.10`, `yes`, `null`).

mod winget_support;

use tagship::platforms::winget::config::Identity;
use tagship::platforms::winget::manifest::{render, Inputs, Installer};

fn identity(description: &str) -> Identity {
    Identity {
        identifier: "Acme.Demo".into(),
        publisher: "Acme Corp.".into(),
        package_name: "demo".into(),
        moniker: Some("demo".into()),
        license: "MIT OR Apache-2.0".into(),
        short_description: description.into(),
        homepage: Some("https://github.com/acme/demo".into()),
    }
}

fn installers() -> Vec<Installer> {
    ["amd64", "arm64"]
        .iter()
        .zip(["x64", "arm64"])
        .map(|(a, arch)| Installer {
            arch,
            url: format!(
                "https://github.com/acme/demo/releases/download/v1.10/demo_1.10_windows_{a}.zip"
            ),
            sha256: "0f".repeat(32),
            binaries: vec!["demo.exe".into(), "tools\\demo-helper.exe".into()],
        })
        .collect()
}

fn files(version: &str, description: &str, notes: Option<&str>) -> Vec<(String, String)> {
    let id = identity(description);
    let inst = installers();
    render(&Inputs {
        id: &id,
        version,
        installers: &inst,
        release_notes_url: notes,
    })
    .into_iter()
    .map(|f| (f.name, f.content))
    .collect()
}

#[test]
fn the_official_schemas_accept_the_rendered_manifests() {
    let out = winget_support::validate(&files(
        "1.10",
        "A demo tool: does: things",
        Some("https://github.com/acme/demo/releases/tag/v1.10"),
    ));
    for kind in ["version", "defaultLocale", "installer"] {
        assert!(out.contains(&format!("valid {kind}")), "{out}");
    }
}

#[test]
fn values_yaml_would_retype_stay_strings() {
    winget_support::validate(&files("2.0.0-rc.1", "yes", None));
    winget_support::validate(&files("1", "null", None));
}

#[test]
#[should_panic(expected = "refuse")]
fn the_validator_refuses_a_broken_manifest() {
    // Proves the check can fail: an installer without its sha256 is not a WinGet manifest.
    let mut f = files("1.0.0", "A demo tool", None);
    let inst = f
        .iter_mut()
        .find(|(n, _)| n.ends_with(".installer.yaml"))
        .unwrap();
    inst.1 = inst
        .1
        .lines()
        .filter(|l| !l.contains("InstallerSha256"))
        .collect::<Vec<_>>()
        .join("\n");
    winget_support::validate(&f);
}
