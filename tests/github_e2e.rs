//! The GitHub platform through the real binary against the strict double: no `untagged-`
//! (draft) link reaches the report or report.json, and a dry run without a token works on a
//! public repository and says that drafts cannot be seen.

mod support;

use support::cli::{quick_pipeline, Project, CANARY};
use support::github_double::GithubDouble;

fn project(d: &GithubDouble, extra: &str) -> Project {
    Project::new(&quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n{extra}",
        d.api_url()
    )))
}

fn run(p: &Project, args: &[&str]) -> support::cli::Run {
    tokio::task::block_in_place(|| p.run(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn no_draft_link_reaches_the_report() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    // `draft: true` keeps the release a draft: GitHub shows only `untagged-` links for it.
    let p = project(&d, "    draft: true\n");
    let r = run(&p, &["release", "v1.2.3"]);
    r.assert_code(0);
    let served = format!("{:?}", d.served());
    assert!(
        served.contains("/releases/tag/untagged-"),
        "the double is strict"
    );
    let json = std::fs::read_to_string(p.dist().join("report.json")).unwrap();
    let md = std::fs::read_to_string(p.dist().join("report.md")).unwrap();
    for (what, text) in [
        ("report.json", &json),
        ("report.md", &md),
        ("stdout", &r.stdout),
    ] {
        assert!(
            !text.contains("untagged-"),
            "{what} shows a draft link:\n{text}"
        );
    }
    assert!(json.contains("/acme/demo/releases/tag/v1.2.3"), "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_anonymous_dry_run_works_and_says_drafts_are_invisible() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    d.add_release("v1.2.3", true); // a draft an anonymous caller cannot see
    let mut p = project(&d, "");
    p.unset("GITHUB_TOKEN");
    let r = run(&p, &["release", "v1.2.3", "--dry-run", "--only", "github"]);
    r.assert_code(0);
    assert_eq!(d.mutating_count(), 0);
    assert!(
        r.stderr.contains("Drafts cannot be seen without a token"),
        "{}",
        r.stderr
    );
    let rep = r.report(&p.dist());
    let gh = rep["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "github")
        .unwrap();
    assert_eq!(gh["outcome"], "would-publish", "{gh:#}");
}
