//! `tagship rollback` on docker against the REAL Debian docker-registry (issue 7): the floating
//! tags go back to the previous version's exact index, the version's index is deleted by
//! digest where the registry allows deletes, a dry run sends nothing and lists every write,
//! and a registry that refuses deletes (405, as Docker Hub's registry API does) ends `manual`
//! with what to do, the floating tags moved back all the same.

mod support;

#[path = "docker_support/mod.rs"]
mod oci;

use oci::{AuthMode, Registry};
use serde_json::Value;
use support::cli::Project;

const REPO: &str = "acme/hello";

/// 1.0.0 then 1.1.0 released with `latest` and `{{major}}`; returns the project and both
/// index digests (hex).
fn two_releases(r: &Registry) -> (Project, String, String) {
    oci::run::two_releases(r, &format!("{}/{REPO}", r.host()), REPO, "")
}

fn rollback_report(p: &Project) -> Value {
    let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn server_rollback_moves_floating_tags_back_and_deletes_the_version() {
    let tmp = tempfile::tempdir().unwrap();
    // Token auth: the DELETE needs a token with `delete` on the repository (the registry's
    // challenge asks for it; tagship asks the issuer for every scope named).
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Token, false);
    let (p, old, _) = two_releases(&r);
    let before = r.files(REPO);

    let run = p.run(&["rollback", "v1.1.0", "--dry-run", "--only", "docker"]);
    run.assert_code(0);
    let y = rollback_report(&p);
    let row = &y["platforms"][0];
    assert_eq!(row["outcome"], "would-withdraw", "{y:#}");
    assert_eq!(y["requests"]["mutating_sent"], 0);
    let withheld = row["withheld"].as_array().unwrap();
    assert_eq!(withheld.len(), 3, "{withheld:#?}");
    let sent = |i: usize| {
        let w = &withheld[i];
        (w["method"].as_str().unwrap(), w["target"].as_str().unwrap())
    };
    assert!(sent(0).0 == "PUT" && sent(0).1.ends_with("/manifests/latest"));
    assert!(sent(1).0 == "PUT" && sent(1).1.ends_with("/manifests/1"));
    assert!(sent(2).0 == "DELETE" && sent(2).1.contains("/manifests/sha256:"));
    assert_eq!(r.files(REPO), before, "a dry run changed the registry");

    let run = p.run(&["rollback", "v1.1.0", "--only", "docker"]);
    run.assert_code(0);
    let y = rollback_report(&p);
    assert_eq!(y["platforms"][0]["outcome"], "withdrawn", "{y:#}");
    let files = r.files(REPO);
    assert_eq!(
        files["tag latest"], old,
        "latest back on 1.0.0's exact index"
    );
    assert_eq!(files["tag 1"], old);
    assert!(!files.contains_key("tag 1.1.0"), "{files:#?}");
    assert_eq!(files["tag 1.0.0"], old);

    // Again: nothing left to take back, nothing sent.
    let run = p.run(&["rollback", "v1.1.0", "--only", "docker"]);
    run.assert_code(0);
    let y = rollback_report(&p);
    assert_eq!(y["requests"]["mutating_sent"], 0);
    assert!(y["platforms"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("nothing to take back"));
}

#[test]
fn server_rollback_on_a_registry_without_deletes_is_manual() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Registry::start_without_deletes(&tmp.path().join("srv"));
    let (p, old, new) = two_releases(&r);
    let run = p.run(&["rollback", "v1.1.0", "--only", "docker"]);
    run.assert_code(1);
    let y = rollback_report(&p);
    let row = &y["platforms"][0];
    assert_eq!(row["outcome"], "manual", "{y:#}");
    let reason = row["reason"].as_str().unwrap();
    assert!(
        reason.contains("HTTP 405") && reason.contains("skopeo delete"),
        "{reason}"
    );
    assert!(reason.contains("moved latest back to 1.0.0"), "{reason}");
    let files = r.files(REPO);
    assert_eq!(
        files["tag latest"], old,
        "the floating tags moved back anyway"
    );
    assert_eq!(
        files["tag 1.1.0"], new,
        "the version tag stays: the registry refused"
    );
}
