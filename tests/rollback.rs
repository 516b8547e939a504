//! `tagship rollback VERSION` (issue 12) through the real binary: GitHub (the double) is
//! demoted to a prerelease, the PEP 503 index (a bare git repository) delists the version and
//! keeps its files, PyPI (a real pypiserver) is `manual` with the exact page to yank it from,
//! and exec, which cannot roll back, is a `skipped` row. The dry run is the plan and sends
//! nothing; a second rollback finds nothing left to do. crates' yank is in crates_cli.rs.

mod support;

use serde_json::Value;
use support::cli::{exec_section, platform_row as row, quick_pipeline, Project};
use support::world::{git, run, World};

fn rollback_report(p: &Project) -> Value {
    let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn server_rollback_plans_then_takes_back_each_platform_as_it_allows() {
    let w = World::start().await;
    run(&w.p, &["release", "v1.0.0"]).assert_code(0);
    let gh_writes = w.d.mutating_count();
    assert!(manifest(&w).contains("\"1.0.0\""), "{}", manifest(&w));
    the_plan_sends_nothing(&w);
    the_real_rollback(&w, gh_writes);
    nothing_left_to_do(&w);
}

/// The index's packages.json on the gh-pages branch.
fn manifest(w: &World) -> String {
    git(&w.bare, &["show", "gh-pages:packages.json"])
}

/// The plan: every write withheld, every platform says what it would do.
fn the_plan_sends_nothing(w: &World) {
    let p = &w.p;
    let (gh_writes, index_commits) = (w.d.mutating_count(), w.commits());
    let r = run(p, &["rollback", "v1.0.0", "--dry-run"]);
    r.assert_code(1); // PyPI's step is manual: not done until a person does it
    let plan = rollback_report(p);
    assert_eq!(plan["operation"], "rollback");
    assert_eq!(plan["requests"]["mutating_sent"], 0);
    assert_eq!(
        row(&plan, "github")["outcome"],
        "would-withdraw",
        "{plan:#}"
    );
    assert_eq!(row(&plan, "github")["withheld"][0]["method"], "PATCH");
    assert_eq!(
        row(&plan, "pep503")["outcome"],
        "would-withdraw",
        "{plan:#}"
    );
    assert_eq!(row(&plan, "pypi")["outcome"], "manual", "{plan:#}");
    assert_eq!(row(&plan, "exec")["outcome"], "skipped", "{plan:#}");
    assert_eq!(
        (w.d.mutating_count(), w.commits()),
        (gh_writes, index_commits)
    );
}

/// The real rollback.
fn the_real_rollback(w: &World, gh_writes: usize) {
    let p = &w.p;
    let r = run(p, &["rollback", "v1.0.0"]);
    r.assert_code(1);
    let done = rollback_report(p);
    assert_eq!(row(&done, "github")["outcome"], "withdrawn", "{done:#}");
    assert_eq!(w.d.release("v1.0.0").unwrap()["prerelease"], true);
    assert_eq!(w.d.mutating_count(), gh_writes + 1, "one PATCH, no deletes");
    assert_eq!(row(&done, "pep503")["outcome"], "withdrawn", "{done:#}");
    assert!(!manifest(w).contains("\"1.0.0\""), "{}", manifest(w));
    let page = git(&w.bare, &["show", "gh-pages:simple/demo/index.html"]);
    assert!(!page.contains("demo-1.0.0-"), "{page}");
    let files = git(
        &w.bare,
        &["ls-tree", "-r", "--name-only", "gh-pages", "files/"],
    );
    assert!(files.contains("demo-1.0.0-"), "files stay:\n{files}");
    let pypi = row(&done, "pypi");
    assert_eq!(pypi["outcome"], "manual");
    assert!(
        pypi["hint"]
            .as_str()
            .unwrap()
            .ends_with("manage/project/demo/release/1.0.0/"),
        "{pypi:#}"
    );
    assert!(r.stdout.contains("manual"), "{}", r.stdout);
}

/// Nothing left to do: no write anywhere.
fn nothing_left_to_do(w: &World) {
    let p = &w.p;
    let (gh_writes, index_commits) = (w.d.mutating_count(), w.commits());
    run(p, &["rollback", "v1.0.0", "--skip", "pypi"]).assert_code(0);
    let again = rollback_report(p);
    let reason = |id: &str| row(&again, id)["reason"].as_str().unwrap().to_string();
    assert!(reason("github").contains("already"), "{again:#}");
    assert!(
        reason("pep503").contains("nothing to take back"),
        "{again:#}"
    );
    assert_eq!(
        (w.d.mutating_count(), w.commits()),
        (gh_writes, index_commits)
    );
}

#[test]
fn rollback_needs_the_version_and_refuses_a_named_platform_that_cannot() {
    let p = Project::new(&quick_pipeline(&exec_section()));
    let r = p.run(&["rollback"]);
    r.assert_code(2);
    assert!(r.stderr.contains("name it"), "{}", r.stderr);
    let r = p.run(&["rollback", "v1.0.0", "--only", "exec"]);
    r.assert_code(2);
    assert!(r.stderr.contains("exec cannot roll back"), "{}", r.stderr);
    assert!(
        !p.dist().join("rollback/report.json").exists(),
        "nothing ran"
    );
}
