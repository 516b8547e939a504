//! Moderation on the community repository (issue 9, acceptance 3), through the real `tagship`
//! binary against the community-feed double (tests/chocolatey_support/double.rs): a push is
//! `pending` with the state and the package page, never `published`; each moderation state is
//! reported as it is; a rejection fails with the reviewer and the failing check; approval makes
//! the re-run `already-published`; the gallery's 403 for a second version in moderation is
//! explained; unlisting is a DELETE.

mod support;

#[path = "chocolatey_support/mod.rs"]
mod choco;
#[path = "conformance/mod.rs"]
mod common;

use choco::double::CommunityDouble;
use common::{Server, TAG, V};
use serde_json::Value;
use std::collections::BTreeMap;
use support::cli::{platform_row as row, Project, Run};

const KEY: &str = "choco-double-key-3f9a1c77";
const PAGE: &str = "https://community.chocolatey.org/packages/demo/1.0.0";

struct Community(CommunityDouble);

impl Server for Community {
    fn section(&self) -> String {
        // A local feed that moderates: the community repository's behaviour on the double.
        format!(
            "  chocolatey:\n    mode: embed\n    feed_url: \"{}\"\n    moderated: true\n    project_url: https://github.com/acme/demo\n",
            self.0.feed()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("CHOCOLATEY_API_KEY".into(), KEY.into())]
    }
    fn credential(&self) -> &'static str {
        "CHOCOLATEY_API_KEY"
    }
    fn targets(&self) -> &'static [&'static str] {
        &["windows-amd64"]
    }
    fn prepare(&self, project: &std::path::Path) {
        std::fs::write(project.join("LICENSE"), "MIT License\n").unwrap();
    }
    fn mutations(&self) -> Vec<String> {
        self.0.mutations()
    }
    fn files(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    fn delete_one(&self) -> String {
        unimplemented!()
    }
}

fn choco_row(run: &Run, p: &Project) -> Value {
    row(&run.report(&p.dist()), "chocolatey").clone()
}

fn reason(e: &Value) -> String {
    e["reason"].as_str().unwrap_or("").to_string()
}

/// Each submitted sub-state is a pending re-run that sends nothing.
fn each_submitted_state_is_pending(d: &Community, p: &Project) {
    for (sub, says) in [
        ("Pending", "still running"),
        ("Ready", "human moderator"),
        ("Waiting", "asked the maintainer"),
        ("Responded", "maintainer responded"),
    ] {
        d.0.set(V, "Submitted", sub, None);
        let run = p.run(&["publish"]);
        run.assert_code(0);
        let e = choco_row(&run, p);
        assert_eq!(e["outcome"], "pending", "{sub}: {e:#}");
        let r = reason(&e);
        assert!(
            r.contains(&format!("Submitted/{sub}")) && r.contains(says) && r.contains(PAGE),
            "{sub}: {r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_chocolatey_moderation_states_are_reported_as_they_are() {
    let d = Community(CommunityDouble::start("demo", KEY).await);
    let p = common::project(&d);

    // The push is accepted: pending with the page, never published.
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let e = choco_row(&run, &p);
    assert_eq!(e["outcome"], "pending", "{e:#}\n{}", run.stderr);
    assert!(
        reason(&e).contains("submitted for moderation") && reason(&e).contains(PAGE),
        "{e:#}"
    );
    assert_eq!(d.mutations().len(), 1, "{:?}", d.mutations());

    each_submitted_state_is_pending(&d, &p);
    assert_eq!(d.mutations().len(), 1, "nothing pushed while pending");

    // Rejected: failed, with the reviewer, the failing verification and the page.
    d.0.set(V, "Rejected", "Responded", Some("gep13"));
    d.0.fail_tests(V, "https://gist.github.com/choco-bot/1234");
    let run = p.run(&["publish"]);
    run.assert_code(1);
    let e = choco_row(&run, &p);
    assert_eq!(e["outcome"], "failed", "{e:#}");
    let r = reason(&e);
    assert!(
        r.contains("rejected by gep13")
            && r.contains("gist.github.com/choco-bot/1234")
            && r.contains(PAGE),
        "{r}"
    );
    assert_eq!(d.mutations().len(), 1);

    // Approved with our bytes (the feed's SHA512 PackageHash): already published.
    d.0.set(V, "Approved", "Ready", Some("gep13"));
    let run = p.run(&["publish"]);
    run.assert_code(0);
    assert_eq!(choco_row(&run, &p)["outcome"], "already-published");
    assert_eq!(d.mutations().len(), 1);

    // Rollback unlists it on the gallery (one DELETE, listed in rollback/report.json).
    p.run(&["rollback", TAG]).assert_code(0);
    let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
    let done = row(&serde_json::from_str(&text).unwrap(), "chocolatey").clone();
    assert_eq!(done["outcome"], "withdrawn", "{done:#}");
    assert!(d.0.version(V).unwrap().unlisted);
    assert_eq!(
        d.mutations().last().unwrap(),
        "DELETE /api/v2/package/demo/1.0.0 200"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_chocolatey_second_version_in_moderation_is_explained() {
    let d = Community(CommunityDouble::start("demo", KEY).await);
    let p = common::project(&d);
    p.run(&["release", TAG]).assert_code(0);
    // 1.0.0 waits in moderation, nothing stable is approved: the gallery refuses 1.0.1 (403).
    let run = p.run(&["release", "v1.0.1"]);
    run.assert_code(1);
    let e = choco_row(&run, &p);
    assert_eq!(e["outcome"], "failed", "{e:#}");
    let hint = e["hint"].as_str().unwrap_or("");
    assert!(hint.contains("still in moderation"), "{e:#}");
    assert!(d.0.version("1.0.1").is_none());
    // Other bytes under a version in moderation are a conflict, never replaced (the gallery
    // would allow it).
    p.write("variant.txt", "other bytes\n");
    let run = p.run(&["release", TAG, "--verify-content"]);
    run.assert_code(1);
    assert_eq!(choco_row(&run, &p)["error_kind"], "conflict");
    assert_eq!(d.mutations().len(), 2, "{:?}", d.mutations());
}
