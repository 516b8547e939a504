//! The chocolatey platform through the real `tagship` binary against the real NuGet v2 feed
//! (minchoc), with the real `nuget` client installing what was pushed (issue 9, acceptance 1,
//! 2 and 4): the embedded binary is the release's; in download mode (with github on the
//! GitHub double) the install script's checksum64 is the sha256 of the zip GitHub serves; a
//! refused push (409) is settled by a re-check; rollback unlists (the version stays installable
//! by exact version, hidden from Search()) and is in report.json; a prerelease (semver
//! `1.2.3-rc.1` → `1.2.3-rc0001`) installs with the real client.

mod support;

#[path = "conformance/mod.rs"]
mod common;
#[path = "conformance/chocolatey.rs"]
mod fixture;
#[path = "conformance/github.rs"]
mod github;

use common::{Fixture, NAME, TAG, V};
use serde_json::{json, Value};
use support::cli::platform_row as row;

fn entry(run: &support::cli::Run, p: &support::cli::Project) -> Value {
    row(&run.report(&p.dist()), "chocolatey").clone()
}

/// The windows binary the release built.
fn windows_binary(p: &support::cli::Project) -> Vec<u8> {
    std::fs::read(p.dist().join("bin/windows-amd64/demo.exe"))
        .or_else(|_| std::fs::read(p.path().join("build/windows-amd64/demo.exe")))
        .unwrap()
}

#[test]
fn server_chocolatey_embed_installs_with_nuget_then_unlists() {
    let dir = tempfile::tempdir().unwrap();
    let server = fixture::Chocolatey.start(dir.path());
    let p = common::project(&*server);

    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    assert_eq!(entry(&run, &p)["outcome"], "published", "{}", run.stderr);
    let nupkg = std::fs::read(p.dist().join(format!("chocolatey/{NAME}.{V}.nupkg"))).unwrap();
    assert_eq!(server.files().len(), 1);

    // The real client installs it from the real feed; the unpacked binary is the release's.
    let feed = format!("{}api/v2/", server.proxy().unwrap().url());
    let out = dir.path().join("installed");
    let pkg = fixture::nuget_install(&feed, NAME, V, &out);
    let exe = std::fs::read(pkg.join("tools/demo.exe")).unwrap();
    assert_eq!(
        exe,
        windows_binary(&p),
        "the embedded binary is the release's"
    );
    let verification = std::fs::read_to_string(pkg.join("tools/VERIFICATION.txt")).unwrap();
    assert!(
        verification.contains(&common::sha256(&exe).to_uppercase()),
        "{verification}"
    );
    assert!(pkg.join("tools/LICENSE.txt").is_file());
    let entries = fixture::unzip(&nupkg);
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "demo.nuspec",
        "tools/chocolateyinstall.ps1",
    ] {
        assert!(
            entries.contains_key(part),
            "{part} missing: {:?}",
            entries.keys()
        );
    }

    // Rebuilding the same release gives the same bytes.
    std::fs::remove_dir_all(p.dist().join("chocolatey")).unwrap();
    p.run(&["release", TAG, "--dry-run", "--verify-content"])
        .assert_code(0);
    let again = std::fs::read(p.dist().join(format!("chocolatey/{NAME}.{V}.nupkg"))).unwrap();
    assert_eq!(again, nupkg, "a rebuild gives identical bytes");

    rollback_unlists(&p, &*server, dir.path());
}

/// Rollback: planned (withheld), done (unlisted, in report.json), then nothing left. As on
/// the gallery, unlisted is not deleted: the exact version still installs with the real
/// client, the feed marks it (`Listed` false, `Published` 1900) and Search() hides it.
fn rollback_unlists(p: &support::cli::Project, server: &dyn common::Server, dir: &std::path::Path) {
    let feed = format!("{}api/v2/", server.proxy().unwrap().url());
    let live = server.files();
    assert_eq!(fixture::feed_search(&feed, NAME, false), [V]);
    let before = server.mutations().len();
    p.run(&["rollback", TAG, "--dry-run"]).assert_code(0);
    let plan = rollback_row(p);
    assert_eq!(plan["outcome"], "would-withdraw", "{plan:#}");
    assert_eq!(plan["withheld"][0]["method"], "DELETE", "{plan:#}");
    assert_eq!(server.mutations().len(), before, "the dry run sent nothing");
    p.run(&["rollback", TAG]).assert_code(0);
    let done = rollback_row(p);
    assert_eq!(done["outcome"], "withdrawn", "{done:#}");
    assert_eq!(server.mutations().len(), before + 1, "one DELETE");
    assert_eq!(
        server.files(),
        live,
        "unlisted, not deleted: the same bytes are served"
    );
    let atom = fixture::feed_entry(&feed, NAME, V).expect("the version is still on the feed");
    assert!(
        atom.contains(r#"<d:Listed m:type="Edm.Boolean">false</d:Listed>"#),
        "{atom}"
    );
    assert!(
        atom.contains(">1900-01-01T00:00:00</d:Published>"),
        "{atom}"
    );
    assert_eq!(
        fixture::feed_search(&feed, NAME, false),
        Vec::<String>::new(),
        "hidden from search"
    );
    let pkg = fixture::nuget_install(&feed, NAME, V, &dir.join("after-unlist"));
    assert!(
        pkg.join("tools/demo.exe").is_file(),
        "still installable by exact version"
    );
    p.run(&["rollback", TAG]).assert_code(0);
    assert!(
        rollback_row(p)["reason"]
            .to_string()
            .contains("already unlisted"),
        "{:#}",
        rollback_row(p)
    );
    assert_eq!(
        server.mutations().len(),
        before + 1,
        "nothing left to unlist"
    );
}

fn rollback_row(p: &support::cli::Project) -> Value {
    let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
    row(&serde_json::from_str(&text).unwrap(), "chocolatey").clone()
}

#[test]
fn server_chocolatey_refused_push_is_settled_by_a_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let server = fixture::Chocolatey.start(dir.path());
    let p = common::project(&*server);
    let proxy = server.proxy().unwrap();

    // Absent and the feed answers 409 (as for an invalid nuspec): failed, nothing listed.
    proxy.fault(json!({"match": {"method": "PUT"}, "responses": [409]}));
    let run = p.run(&["release", TAG]);
    run.assert_code(1);
    let e = entry(&run, &p);
    assert_eq!(e["outcome"], "failed", "{e:#}");
    assert!(
        e["hint"].as_str().unwrap().contains("refused the package"),
        "{e:#}"
    );
    assert!(server.files().is_empty());

    p.run(&["publish"]).assert_code(0);
    let live = server.files();
    // Live, but the check misses it (404 once) and the push gets 409 "exists": the re-check
    // finds our exact bytes, so it is published, with a note, and nothing is sent twice.
    let m = server.mutations().len();
    proxy.fault(json!([
        {"match": {"method": "GET", "path_prefix": "/api/v2/Packages("}, "responses": [404]},
        {"match": {"method": "PUT"}, "responses": [409]}
    ]));
    let run = p.run(&["publish"]);
    run.assert_code(0);
    let e = entry(&run, &p);
    assert_eq!(e["outcome"], "published", "{e:#}");
    assert!(e["warnings"].to_string().contains("HTTP 409"), "{e:#}");
    assert_eq!(
        server.mutations().len(),
        m,
        "the 409 came from the proxy: nothing reached the feed"
    );
    assert_eq!(server.files(), live);
}

#[test]
fn server_chocolatey_download_mode_script_checks_the_github_zip() {
    let dir = tempfile::tempdir().unwrap();
    let gh = github::Github.start(&dir.path().join("gh"));
    let choco = fixture::ChocolateyDownload.start(&dir.path().join("choco"));
    let p = common::project_for(&[&*gh, &*choco]);

    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let report = run.report(&p.dist());
    assert_eq!(row(&report, "github")["outcome"], "published", "{report:#}");
    assert_eq!(
        row(&report, "chocolatey")["outcome"],
        "published",
        "{report:#}"
    );

    let feed = format!("{}api/v2/", choco.proxy().unwrap().url());
    let pkg = fixture::nuget_install(&feed, NAME, V, &dir.path().join("installed"));
    let script = std::fs::read_to_string(pkg.join("tools/chocolateyinstall.ps1")).unwrap();
    let zip = format!("{NAME}_{V}_windows_amd64.zip");
    let served = gh.files();
    let sha = served
        .get(&zip)
        .unwrap_or_else(|| panic!("{zip} not on the double: {served:?}"));
    assert!(
        script.contains(&format!("checksum64     = '{sha}'")),
        "{script}"
    );
    assert!(script.contains("checksumType64 = 'sha256'"), "{script}");
    assert!(
        script.contains(&format!("/releases/download/{TAG}/{zip}'")),
        "the final, tag-based URL: {script}"
    );
    assert!(
        !pkg.join("tools/demo.exe").exists(),
        "nothing embedded in download mode"
    );

    // A re-run sends nothing to either.
    let (gm, cm) = (gh.mutations().len(), choco.mutations().len());
    let run = p.run(&["publish"]);
    run.assert_code(0);
    assert_eq!(
        row(&run.report(&p.dist()), "chocolatey")["outcome"],
        "already-published"
    );
    assert_eq!((gh.mutations().len(), choco.mutations().len()), (gm, cm));
    // A re-run of the release: github and the feed answer the version-level probe, so
    // nothing is built and nothing is sent.
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let report = run.report(&p.dist());
    assert_eq!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(row(&report, "chocolatey")["outcome"], "already-published");
    assert_eq!((gh.mutations().len(), choco.mutations().len()), (gm, cm));
}

#[test]
fn server_chocolatey_prerelease_installs_with_nuget() {
    // semver 1.2.3-rc.1 → Chocolatey's SemVer 1 label 1.2.3-rc0001, end to end on the feed.
    let (tag, choco) = ("v1.2.3-rc.1", "1.2.3-rc0001");
    let dir = tempfile::tempdir().unwrap();
    let server = fixture::Chocolatey.start(dir.path());
    let p = common::project(&*server);
    let run = p.run(&["release", tag]);
    run.assert_code(0);
    assert_eq!(entry(&run, &p)["outcome"], "published", "{}", run.stderr);
    assert!(p
        .dist()
        .join(format!("chocolatey/{NAME}.{choco}.nupkg"))
        .is_file());

    let feed = format!("{}api/v2/", server.proxy().unwrap().url());
    let pkg = fixture::nuget_install(&feed, NAME, choco, &dir.path().join("installed"));
    let exe = std::fs::read(pkg.join("tools/demo.exe")).unwrap();
    assert_eq!(
        exe,
        windows_binary(&p),
        "the embedded binary is the release's"
    );
    let atom = fixture::feed_entry(&feed, NAME, choco).unwrap();
    assert!(
        atom.contains(r#"<d:IsPrerelease m:type="Edm.Boolean">true</d:IsPrerelease>"#),
        "{atom}"
    );
    assert_eq!(
        fixture::feed_search(&feed, NAME, false),
        Vec::<String>::new(),
        "a prerelease"
    );
    assert_eq!(fixture::feed_search(&feed, NAME, true), [choco]);

    // A re-run finds it (by its Chocolatey version) and sends nothing.
    let m = server.mutations().len();
    let run = p.run(&["publish"]);
    run.assert_code(0);
    assert_eq!(entry(&run, &p)["outcome"], "already-published");
    assert_eq!(server.mutations().len(), m);
}
