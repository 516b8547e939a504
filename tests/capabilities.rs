//! Issue 6, point 4: capabilities are declared once, printed by `tagship check`, and enforced:
//! an operation a platform lacks is refused with exit 2 before anything runs.

mod support;

use support::cli::{quick_pipeline, Project};

fn project() -> Project {
    let p = Project::new(&quick_pipeline(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"http://127.0.0.1:9\"\n  crates:\n    registry: local\n    index: \"sparse+http://127.0.0.1:9/index/\"\n  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n",
    ));
    p.write("README.md", "demo\n");
    p
}

#[test]
fn check_prints_what_each_platform_can_do() {
    let p = project();
    let r = p.run(&["check", "v1.0.0"]);
    r.assert_code(0);
    let row = |id: &str| -> Vec<String> {
        r.stderr
            .lines()
            .chain(r.stdout.lines())
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row for {id}:\n{}{}", r.stdout, r.stderr))
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    assert!(r.stdout.contains("withdraw") || r.stderr.contains("withdraw"));
    assert_eq!(row("crates")[1], "yank");
    assert_eq!(row("github")[1], "demote");
    assert_eq!(row("exec")[1], "-");
    assert_eq!(
        row("crates")[2],
        "≤60s",
        "crates re-checks the index after publishing"
    );
}

#[test]
fn withdrawing_where_a_platform_cannot_is_refused_before_anything_runs() {
    let p = project();
    // `yank` is the old name of `rollback`, kept as an alias.
    let r = p.run(&["yank", "v1.0.0", "--only", "exec,crates"]);
    r.assert_code(2);
    assert!(r.stderr.contains("exec cannot roll back"), "{}", r.stderr);
    assert!(!r.stderr.contains("crates cannot"), "{}", r.stderr);
    assert!(
        !p.dist().join("rollback/report.json").exists(),
        "nothing ran"
    );
}
