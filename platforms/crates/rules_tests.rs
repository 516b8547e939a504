//! One test per crates.io rule: a valid crate passes, each single change is refused
//! naming the field.

use super::super::meta::NewDep;
use super::*;
use std::collections::BTreeMap;

fn good() -> NewCrate {
    NewCrate {
        name: "demo".into(),
        vers: "1.0.0".into(),
        deps: vec![dep("serde", "^1", None)],
        features: BTreeMap::new(),
        authors: vec![],
        description: Some("A demo".into()),
        documentation: Some("https://docs.rs/demo".into()),
        homepage: None,
        readme: None,
        readme_file: None,
        keywords: vec!["cli".into(), "c++".into()],
        categories: vec!["command-line-utilities".into()],
        license: Some("MIT OR Apache-2.0".into()),
        license_file: None,
        repository: Some("https://example.invalid/demo".into()),
        badges: BTreeMap::new(),
        links: None,
        rust_version: Some("1.70".into()),
    }
}

fn dep(name: &str, req: &str, registry: Option<&str>) -> NewDep {
    NewDep {
        optional: false,
        default_features: true,
        name: name.into(),
        features: vec![],
        version_req: req.into(),
        target: None,
        kind: "normal".into(),
        registry: registry.map(str::to_string),
        explicit_name_in_toml: None,
    }
}

/// The fields refused after `change`.
fn refused(change: impl FnOnce(&mut NewCrate)) -> Vec<String> {
    let mut m = good();
    change(&mut m);
    violations(&m, 1000).into_iter().map(|v| v.field).collect()
}

#[test]
fn a_good_crate_passes() {
    assert_eq!(violations(&good(), MAX_UPLOAD), vec![]);
    let mut m = good();
    m.license = None;
    m.license_file = Some("LICENSE.txt".into());
    assert_eq!(violations(&m, 1), vec![]);
}

#[test]
fn each_rule_names_its_field() {
    let cases: Vec<Case> = metadata_cases().into_iter().chain(limit_cases()).collect();
    for (change, field) in cases {
        assert_eq!(refused(change), vec![field.to_string()]);
    }
}

/// A change to a good crate, and the one field it must be refused on.
type Case = (Box<dyn FnOnce(&mut NewCrate)>, &'static str);

/// description, license, the URLs and rust-version.
fn metadata_cases() -> Vec<Case> {
    vec![
        (
            Box::new(|m: &mut NewCrate| m.description = None),
            "package.description",
        ),
        (
            Box::new(|m: &mut NewCrate| m.description = Some("x".repeat(1001))),
            "package.description",
        ),
        (
            Box::new(|m: &mut NewCrate| m.license = None),
            "package.license",
        ),
        (
            Box::new(|m: &mut NewCrate| m.license = Some("MIT or Apache".into())),
            "package.license",
        ),
        (
            Box::new(|m: &mut NewCrate| m.homepage = Some("github.com/x".into())),
            "package.homepage",
        ),
        (
            Box::new(|m: &mut NewCrate| m.documentation = Some("ftp://x/y".into())),
            "package.documentation",
        ),
        (
            Box::new(|m: &mut NewCrate| m.repository = Some("git@github.com:a/b".into())),
            "package.repository",
        ),
        (
            Box::new(|m: &mut NewCrate| m.rust_version = Some("1.70-nightly".into())),
            "package.rust-version",
        ),
    ]
}

/// keywords, categories, features and dependencies.
fn limit_cases() -> Vec<Case> {
    vec![
        (
            Box::new(|m: &mut NewCrate| m.keywords = (0..6).map(|i| format!("k{i}")).collect()),
            "package.keywords",
        ),
        (
            Box::new(|m: &mut NewCrate| m.keywords = vec!["a".repeat(21)]),
            "package.keywords",
        ),
        (
            Box::new(|m: &mut NewCrate| m.keywords = vec!["-dash".into()]),
            "package.keywords",
        ),
        (
            Box::new(|m: &mut NewCrate| m.keywords = vec!["naïve".into()]),
            "package.keywords",
        ),
        (
            Box::new(|m: &mut NewCrate| m.categories = vec!["cli".into()]),
            "package.categories",
        ),
        (
            Box::new(|m: &mut NewCrate| m.categories = vec!["algorithms".into(); 6]),
            "package.categories",
        ),
        (
            Box::new(|m: &mut NewCrate| {
                m.features = (0..301).map(|i| (format!("f{i}"), vec![])).collect()
            }),
            "features",
        ),
        (
            Box::new(|m: &mut NewCrate| {
                m.deps = (0..501)
                    .map(|i| dep(&format!("d{i}"), "^1", None))
                    .collect()
            }),
            "dependencies",
        ),
        (
            Box::new(|m: &mut NewCrate| m.deps = vec![dep("serde", "*", None)]),
            "dependencies.serde",
        ),
        (
            Box::new(|m: &mut NewCrate| {
                m.deps = vec![dep("inhouse", "^1", Some("sparse+https://other/index/"))]
            }),
            "dependencies.inhouse",
        ),
    ]
}

#[test]
fn too_large_and_message_shape() {
    let found = violations(&good(), MAX_UPLOAD + 1);
    assert_eq!(found.len(), 1);
    assert!(found[0].rule.contains("10 MiB"), "{found:?}");
    let e = refuse("rust/Cargo.toml", &found).unwrap_err();
    assert_eq!(e.kind, crate::error::ErrorKind::Input);
    assert!(
        e.message()
            .contains("rust/Cargo.toml: `package (the .crate file)`"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("exclude"), "{e:?}");
}
