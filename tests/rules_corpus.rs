//! The bad-input corpus of issue #16 for crates.io and PyPI: each case breaks ONE registry
//! rule, and the real binary's `release --dry-run` refuses it in packaging (the validation
//! phase) naming the file, the field and the rule, with a hint, and with 0 requests sent to
//! any server (report.json's request counts; a dry run would otherwise probe the registry).
//! `tagship check` does not package, so the dry run is the command that proves it.
//! Runs offline: cargo packages with CARGO_NET_OFFLINE (serde comes from the local cache
//! that building tagship filled).

mod support;

use support::cli::Project;

const BUILD: &str = r#"builds:
  - command: [install, -D, -m, "0755", /bin/true, "build/{target}/demo{exe}"]
    binary: "build/{target}/demo{exe}"
    targets: [linux-amd64]
archives:
  files: [README.md]
"#;

const CARGO: &str = r#"[package]
name = "corpus-demo"
version = "1.0.0"
edition = "2021"
description = "A crate that follows crates.io's rules"
license = "MIT"
homepage = "https://example.invalid/home"
documentation = "https://docs.rs/corpus-demo"
repository = "https://example.invalid/repo"
keywords = ["cli"]
categories = ["command-line-utilities"]
exclude = ["/dist", "/build", "/target"]

[dependencies]

[workspace]
"#;

/// One corpus entry: what it breaks, how, and what the refusal must name.
struct Case {
    rule: &'static str,
    /// pipeline.yaml with this project section and platforms section.
    project: String,
    platforms: &'static str,
    /// Cargo.toml (crates cases).
    cargo: Option<String>,
    /// Extra file (path, size in bytes of random data).
    blob: Option<(&'static str, usize)>,
    /// Files to write (path, content).
    files: Vec<(&'static str, &'static str)>,
    /// Every string the refusal must contain: file, field, rule.
    says: Vec<&'static str>,
}

const GOOD_PROJECT: &str = "  name: corpus-demo\n  description: A demo tool\n  license: MIT\n  homepage: https://example.invalid/home\n  repository: https://example.invalid/repo\n";

fn crate_case(
    rule: &'static str,
    from: &str,
    to: &str,
    field: &'static str,
    says: &'static str,
) -> Case {
    let cargo = CARGO.replacen(from, to, 1);
    assert_ne!(cargo, CARGO, "{rule}: the change must apply");
    Case {
        rule,
        project: GOOD_PROJECT.into(),
        platforms: "  crates: {}\n",
        cargo: Some(cargo),
        blob: None,
        files: vec![],
        says: vec!["Cargo.toml", field, says],
    }
}

fn pypi_case(
    rule: &'static str,
    project: String,
    platforms: &'static str,
    says: Vec<&'static str>,
) -> Case {
    Case {
        rule,
        project,
        platforms,
        cargo: None,
        blob: None,
        files: vec![],
        says,
    }
}

fn crates_cases() -> Vec<Case> {
    [
        crate_metadata_cases(),
        crate_listing_cases(),
        crate_limit_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn crate_metadata_cases() -> Vec<Case> {
    vec![
        crate_case(
            "description missing",
            "description = \"A crate that follows crates.io's rules\"\n",
            "",
            "package.description",
            "is missing",
        ),
        crate_case(
            "description over 1000 characters",
            "A crate that follows crates.io's rules",
            &"x".repeat(1001),
            "package.description",
            "at most 1000",
        ),
        crate_case(
            "license missing",
            "license = \"MIT\"\n",
            "",
            "package.license",
            "is missing",
        ),
        crate_case(
            "license not SPDX",
            "license = \"MIT\"",
            "license = \"MIT or Apache 2\"",
            "package.license",
            "not a valid SPDX license expression",
        ),
        crate_case(
            "homepage not http(s)",
            "https://example.invalid/home",
            "example.invalid/home",
            "package.homepage",
            "http:// or https://",
        ),
        crate_case(
            "documentation not http(s)",
            "https://docs.rs/corpus-demo",
            "ftp://docs.invalid/x",
            "package.documentation",
            "http:// or https://",
        ),
        crate_case(
            "repository not http(s)",
            "https://example.invalid/repo",
            "git@example.invalid:repo",
            "package.repository",
            "http:// or https://",
        ),
    ]
}

fn crate_listing_cases() -> Vec<Case> {
    vec![
        crate_case(
            "more than 5 keywords",
            "[\"cli\"]",
            "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]",
            "package.keywords",
            "at most 5",
        ),
        crate_case(
            "keyword over 20 characters",
            "[\"cli\"]",
            "[\"abcdefghijklmnopqrstu\"]",
            "package.keywords",
            "longer than 20",
        ),
        crate_case(
            "keyword with bad characters",
            "[\"cli\"]",
            "[\"-cli\"]",
            "package.keywords",
            "must start with a letter or digit",
        ),
        crate_case(
            "more than 5 categories",
            "[\"command-line-utilities\"]",
            "[\"algorithms\", \"caching\", \"config\", \"email\", \"games\", \"gui\"]",
            "package.categories",
            "at most 5",
        ),
        crate_case(
            "unknown category slug",
            "[\"command-line-utilities\"]",
            "[\"cli\"]",
            "package.categories",
            "unknown category slug(s): cli",
        ),
    ]
}

fn crate_limit_cases() -> Vec<Case> {
    let features: String = (0..301).map(|i| format!("f{i} = []\n")).collect();
    let mut big = crate_case(
        "a .crate over 10 MiB",
        "[workspace]\n",
        "[workspace]\n# blob.bin is packed\n",
        "package (the .crate file)",
        "at most 10485760",
    );
    big.blob = Some(("blob.bin", 10 * 1024 * 1024 + 4096));
    vec![
        crate_case(
            "more than 300 features",
            "[dependencies]\n",
            &format!("[features]\n{features}\n[dependencies]\n"),
            "features",
            "at most 300",
        ),
        crate_case(
            "a `*` requirement",
            "[dependencies]\n",
            "[dependencies]\nserde = \"*\"\n",
            "dependencies.serde",
            "wildcard requirement `*`",
        ),
        big,
    ]
}

fn pypi_cases() -> Vec<Case> {
    [pypi_summary_url_cases(), pypi_file_cases()]
        .into_iter()
        .flatten()
        .collect()
}

fn pypi_summary_url_cases() -> Vec<Case> {
    let p = |desc: &str, rest: &str| {
        format!("  name: corpus-demo\n  description: {desc}\n  license: MIT\n{rest}")
    };
    let urls =
        "  homepage: https://example.invalid/home\n  repository: https://example.invalid/repo\n";
    vec![
        pypi_case(
            "summary not one line (YAML `>`)",
            p(">\n    A demo tool\n    folded by YAML", urls),
            "  pypi: {}\n",
            vec!["pipeline.yaml", "project.description", "must be one line"],
        ),
        pypi_case(
            "summary over 512 characters",
            p(&"x".repeat(513), urls),
            "  pypi: {}\n",
            vec!["pipeline.yaml", "project.description", "512 characters"],
        ),
        pypi_case(
            "home_page not http(s)",
            p("A demo tool", "  homepage: example.invalid/home\n"),
            "  pypi: {}\n",
            vec![
                "pipeline.yaml",
                "project.homepage",
                "must be an http(s) URL",
            ],
        ),
        pypi_case(
            "project_urls not http(s)",
            p("A demo tool", "  repository: git@example.invalid:repo\n"),
            "  pypi: {}\n",
            vec![
                "pipeline.yaml",
                "project.repository",
                "project_urls `Source`",
            ],
        ),
    ]
}

fn pypi_file_cases() -> Vec<Case> {
    let mut missing = pypi_case(
        "readme configured but missing",
        GOOD_PROJECT.into(),
        "  pypi:\n    readme: docs/README.rst\n",
        vec!["pipeline.yaml", "platforms.pypi.readme", "cannot read"],
    );
    missing.files = vec![];
    let mut empty = pypi_case(
        "readme empty",
        GOOD_PROJECT.into(),
        "  pypi:\n    readme: EMPTY.md\n",
        vec!["EMPTY.md", "platforms.pypi.readme", "is empty"],
    );
    empty.files = vec![("EMPTY.md", "\n")];
    vec![
        pypi_case(
            "wheel over max_file_size",
            GOOD_PROJECT.into(),
            "  pypi:\n    max_file_size: 100\n",
            vec![
                "corpus_demo-1.0.0-py3",
                "platforms.pypi.max_file_size",
                "at most 100 per file",
            ],
        ),
        missing,
        empty,
    ]
}

fn run_case(c: &Case) {
    let pipeline = format!("project:\n{}{BUILD}platforms:\n{}", c.project, c.platforms);
    let mut p = Project::new(&pipeline);
    if let Some(cargo) = &c.cargo {
        p.write("Cargo.toml", cargo);
        p.write("src/lib.rs", "");
    }
    if let Some((path, size)) = c.blob {
        let data: Vec<u8> = (0..size).map(|_| fastrand::u8(..)).collect();
        std::fs::write(p.path().join(path), data).unwrap();
    }
    for (path, content) in &c.files {
        p.write(path, content);
    }
    let target = p.path().join("target").display().to_string();
    p.env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", &target);
    let run = p.run(&["release", "v1.0.0", "--dry-run"]);
    let out = format!("{}\n{}", run.stdout, run.stderr);
    // Packaging is the validation phase: a refusal there is exit 2 with nothing sent.
    assert!(run.code == 2, "{}: exit {}\n{out}", c.rule, run.code);
    let report = run.report(&p.dist());
    let plat = &report["platforms"][0];
    assert_eq!(plat["outcome"], "failed", "{}: {plat:#}", c.rule);
    let kind = plat["error_kind"].as_str().unwrap_or("");
    assert!(
        kind == "input" || kind == "config",
        "{}: error kind {kind}: {plat:#}",
        c.rule
    );
    let reason = plat["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("packaging"),
        "{}: refused in packaging: {reason}",
        c.rule
    );
    for s in &c.says {
        assert!(
            reason.contains(s),
            "{}: the refusal must name `{s}`:\n{reason}",
            c.rule
        );
    }
    assert!(
        plat["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{}: {plat:#}",
        c.rule
    );
    // The version-level probe may read before the build; nothing is ever written.
    assert_eq!(
        report["requests"]["mutating_sent"], 0,
        "{}: nothing may be written: {report:#}",
        c.rule
    );
    assert_eq!(report["requests"]["withheld"], 0, "{}: {report:#}", c.rule);
}

#[test]
fn every_rule_is_refused_in_packaging_with_no_request() {
    let cases: Vec<Case> = crates_cases().into_iter().chain(pypi_cases()).collect();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    for c in &cases {
        run_case(c);
    }
}
