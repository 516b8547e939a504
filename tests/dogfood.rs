//! tagship's own pipeline.yaml stays valid, and the auxiliary commands work: `check` on the
//! repository's own release config, `schema` (every registered platform has a section),
//! `completions`, and its GitHub workflows are the ones `tagship init` writes.

mod support;

use std::path::Path;
use support::cli::Project;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn own_pipeline_passes_check() {
    let p = Project::new("unused: true\n");
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let r = p.run_in(repo(), &["check", &tag]);
    r.assert_code(0);
    assert!(
        r.stderr.contains("platforms: github, crates"),
        "{}",
        r.stderr
    );
    // A tag that disagrees with Cargo.toml is refused.
    let r = p.run_in(repo(), &["check", "v99.0.0"]);
    r.assert_code(2);
    assert!(r.stderr.contains("Cargo.toml"), "{}", r.stderr);
}

#[test]
fn schema_lists_every_platform() {
    let p = Project::new("unused: true\n");
    let r = p.run(&["schema"]);
    r.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let platforms = &v["properties"]["platforms"]["properties"];
    for id in tagship::platforms::ALL.iter().map(|f| f.id) {
        assert!(
            platforms.get(id).is_some(),
            "schema lacks platforms.{id}: {platforms:#}"
        );
    }
}

#[test]
fn completions_are_generated() {
    let p = Project::new("unused: true\n");
    let r = p.run(&["completions", "bash"]);
    r.assert_code(0);
    assert!(r.stdout.contains("release") && r.stdout.contains("--dry-run"));
}

/// Issue 13, acceptance 6: tagship's own workflows (.github/workflows) are what `tagship init`
/// writes for this repository; a change to init's templates or to the project files that
/// would change them fails here until `tagship init --force`-style regeneration is committed.
#[test]
fn own_workflows_are_what_init_writes() {
    let p = Project::new("unused: true\n");
    for f in ["release.yml", "tagship-status.yml"] {
        assert!(
            repo().join(".github/workflows").join(f).is_file(),
            "{f} is missing"
        );
    }
    let r = p.run_in(repo(), &["init", "--check"]);
    r.assert_code(0);
}
