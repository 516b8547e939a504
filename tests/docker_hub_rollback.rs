//! `tagship rollback` of an image on Docker Hub (issue 7): Docker Hub's registry API refuses
//! every DELETE, so the version tag goes through Docker Hub's own API (a double of it,
//! tests/docker_support/hub.rs: hosted only), while the floating tags still move back through
//! the registry API. The registry side is the REAL Debian docker-registry, the image named
//! `docker.io/acme/hello` and mapped to it by `registry_url`; the double reads and unlinks the
//! same registry's tags, so what the registry serves afterwards is what Hub would.

mod support;

#[path = "docker_support/mod.rs"]
mod oci;

use oci::hub::HubDouble;
use oci::{AuthMode, Registry};
use serde_json::Value;
use support::cli::{assert_never_shows, Project, Run};

const REPO: &str = "acme/hello";

/// 1.0.0 then 1.1.0 of `docker.io/acme/hello` with `latest` and `{{major}}`; the project and
/// both index digests (hex).
fn two_releases(r: &Registry, hub: &HubDouble) -> (Project, String, String) {
    let extra = format!("    hub_api_url: \"{}\"\n", hub.url);
    let released = oci::run::two_releases(r, &format!("docker.io/{REPO}"), REPO, &extra);
    assert!(hub.requests().is_empty(), "a release never calls Hub's API");
    released
}

/// `tagship rollback v1.1.0 --only docker`: the run and its docker row. Neither the PAT nor
/// an access token Hub issued shows anywhere.
fn rollback(p: &Project, r: &Registry, hub: &HubDouble, dry: bool) -> (Run, Value) {
    let mut args = vec!["rollback", "v1.1.0", "--only", "docker"];
    if dry {
        args.push("--dry-run");
    }
    let run = p.run(&args);
    for secret in std::iter::once(r.password.clone()).chain(hub.issued()) {
        assert_never_shows(&run, &p.dist(), &secret);
    }
    let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
    let y: Value = serde_json::from_str(&text).unwrap();
    (run, y)
}

#[test]
fn server_hub_rollback_deletes_the_version_tag_through_the_hub_api() {
    let tmp = tempfile::tempdir().unwrap();
    // Deletes enabled on the registry: had tagship sent the registry's DELETE by digest, the
    // index itself would be gone; through Hub's API only the tag goes.
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Basic, false);
    let hub = HubDouble::start(&r, "repo:admin");
    let (p, old, new) = two_releases(&r, &hub);
    let w = World {
        p: &p,
        r: &r,
        hub: &hub,
    };
    dry_run_withholds_the_moves_and_hubs_delete(&w);
    withdrawn_through_hubs_api(&w, &old, &new);

    // Again: the registry no longer serves 1.1.0, nothing is sent anywhere.
    let (run, y) = rollback(&p, &r, &hub, false);
    run.assert_code(0);
    assert_eq!(y["requests"]["mutating_sent"], 0);
    assert_eq!(hub.requests().len(), 2, "{:?}", hub.requests());
}

/// The project released twice, its registry and the Hub double.
struct World<'a> {
    p: &'a Project,
    r: &'a Registry,
    hub: &'a HubDouble,
}

fn dry_run_withholds_the_moves_and_hubs_delete(w: &World) {
    let (p, r, hub) = (w.p, w.r, w.hub);
    let before = r.files(REPO);
    let (run, y) = rollback(p, r, hub, true);
    run.assert_code(0);
    let row = &y["platforms"][0];
    assert_eq!(row["outcome"], "would-withdraw", "{y:#}");
    assert_eq!(y["requests"]["mutating_sent"], 0);
    let withheld: Vec<(String, String)> = row["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["method"].as_str().unwrap().into(),
                w["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    let hub_delete = format!("{}/v2/repositories/{REPO}/tags/1.1.0/", hub.url);
    let ends = |i: usize, m: &str, tail: &str| withheld[i].0 == m && withheld[i].1.ends_with(tail);
    assert_eq!(withheld.len(), 4, "{withheld:#?}");
    assert!(
        ends(0, "PUT", "/manifests/latest") && ends(1, "PUT", "/manifests/1"),
        "{withheld:#?}"
    );
    assert!(
        ends(2, "POST", &format!("{}/v2/auth/token", hub.url)),
        "{withheld:#?}"
    );
    assert!(ends(3, "DELETE", &hub_delete), "{withheld:#?}");
    assert!(
        hub.requests().is_empty(),
        "a dry run reached Hub: {:?}",
        hub.requests()
    );
    assert_eq!(r.files(REPO), before, "a dry run changed the registry");
}

/// The floating tags move back through the registry; the version tag goes through Hub.
fn withdrawn_through_hubs_api(w: &World, old: &str, new: &str) {
    let (p, r, hub) = (w.p, w.r, w.hub);
    let (run, y) = rollback(p, r, hub, false);
    run.assert_code(0);
    let row = &y["platforms"][0];
    assert_eq!(row["outcome"], "withdrawn", "{y:#}\n{}", run.stderr);
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("deleted docker.io/acme/hello:1.1.0 through Docker Hub's API"),
        "{row:#}"
    );
    let hub_paths = vec![
        "POST /v2/auth/token 200".to_string(),
        format!("DELETE /v2/repositories/{REPO}/tags/1.1.0/ 204"),
    ];
    assert_eq!(hub.requests(), hub_paths);
    assert_eq!(hub.deleted(), vec![format!("{REPO}:1.1.0")]);
    let files = r.files(REPO);
    assert_eq!(
        (files["tag latest"].as_str(), files["tag 1"].as_str()),
        (old, old),
        "moved back via the registry"
    );
    assert!(!files.contains_key("tag 1.1.0"), "{files:#?}");
    assert!(
        files.contains_key(&format!("manifest sha256:{new}")),
        "Hub deletes the tag, not the image"
    );
}

/// Runs a rollback that must fail on Docker Hub's answer; the row's reason and hint.
fn refused(p: &Project, r: &Registry, hub: &HubDouble) -> (String, String) {
    let (run, y) = rollback(p, r, hub, false);
    run.assert_code(1);
    let row = &y["platforms"][0];
    assert_eq!(row["outcome"], "failed", "{y:#}");
    let s = |k: &str| row[k].as_str().unwrap_or_default().to_string();
    (s("reason"), s("hint"))
}

#[test]
fn server_hub_rollback_errors_each_say_what_to_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Basic, false);
    let hub = HubDouble::start(&r, "repo:admin");
    let (p, _, new) = two_releases(&r, &hub);

    // 401: Hub does not take the user name and PAT (here: it knows another PAT).
    hub.set_pat("dckr_pat_another-one");
    let (reason, hint) = refused(&p, &r, &hub);
    assert!(
        reason.contains("Docker Hub refused the login with DOCKER_USERNAME and DOCKER_PASSWORD"),
        "{reason}"
    );
    assert!(
        reason.contains("HTTP 401") && reason.contains("Incorrect authentication credentials"),
        "{reason}"
    );
    assert!(
        hint.contains("DOCKER_USERNAME") && hint.contains("not the e-mail"),
        "{hint}"
    );
    hub.set_pat(&r.password);

    // 403: a Read & Write PAT can push but not delete.
    hub.set_scope("repo:write");
    let (reason, hint) = refused(&p, &r, &hub);
    assert!(
        reason.contains("deleting docker.io/acme/hello:1.1.0: Docker Hub forbids it (HTTP 403"),
        "{reason}"
    );
    assert!(hint.contains("Read, Write & Delete"), "{hint}");
    hub.set_scope("repo:admin");

    // 404 while the registry still serves the tag: not "already deleted".
    hub.hide(REPO, "1.1.0");
    let (reason, hint) = refused(&p, &r, &hub);
    assert!(
        reason.contains("knows no tag 1.1.0 in acme/hello (HTTP 404"),
        "{reason}"
    );
    assert!(reason.contains("the registry still serves"), "{reason}");
    assert!(hint.contains("hub_api_url"), "{hint}");
    hub.unhide_all();

    assert!(hub.deleted().is_empty(), "{:?}", hub.deleted());
    assert_eq!(
        r.files(REPO)["tag 1.1.0"],
        new,
        "every refusal left the tag"
    );
    let (run, y) = rollback(&p, &r, &hub, false);
    run.assert_code(0);
    assert_eq!(y["platforms"][0]["outcome"], "withdrawn", "{y:#}");
    assert_eq!(hub.deleted(), vec![format!("{REPO}:1.1.0")]);
}
