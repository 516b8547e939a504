//! The aur platform end to end through the real `tagship` binary (issue 8, acceptance 1–3):
//! GitHub is the double, the AUR is a real sshd serving the package's bare repository over
//! git-shell, with the host key pinned. Commits on that repository are the mutations. A
//! backport (an older version than the AUR's) is refused with a hint unless
//! `allow_downgrade`.

mod support;

#[path = "conformance/mod.rs"]
mod common;

#[path = "conformance/aur.rs"]
mod fixture;

use common::{change_bytes, Server, TAG};
use fixture::aur_support::{commits, files, makepkg_srcinfo};
use fixture::{setup, Running};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use support::cli::{platform_row, Project, Run};
use tagship::platforms::aur::pkgbuild::Srcinfo;

fn run(p: &Project, args: &[&str]) -> (Run, Value) {
    let run = p.run(args);
    let report = run.report(&p.dist());
    let row = platform_row(&report, "aur").clone();
    (run, row)
}

/// The files live on the AUR: name → content.
type Live = BTreeMap<String, String>;

fn sha256(b: &[u8]) -> String {
    common::sha256(b)
}

#[test]
fn server_aur_dry_run_publish_rerun_and_conflict() {
    let (s, p) = setup();
    let bare = s.0.bare();
    dry_run_pushes_nothing(&s, &p, &bare);
    let live = published_with_the_archives_sums(&s, &p, &bare);
    rerun_commits_nothing(&p, &bare);
    verify_content_finds_the_same_bytes(&p, &live);

    // Same version, other bytes: the sums differ under the same pkgver → conflict.
    change_bytes(&p, &s);
    let (r, row) = run(&p, &["release", TAG, "--verify-content"]);
    r.assert_code(1);
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert_eq!(row["error_kind"], "conflict", "{row:#}");
    assert_eq!(commits(&bare).len(), 1, "a conflict was overwritten");
    assert_eq!(files(&bare), live);
}

fn dry_run_pushes_nothing(s: &Running, p: &Project, bare: &Path) {
    let (r, row) = run(p, &["release", TAG, "--dry-run"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "would-publish", "{row:#}");
    let withheld = row["withheld"].to_string();
    assert!(
        withheld.contains("push") && withheld.contains(":refs/heads/master"),
        "the report shows the withheld push of the commit: {row:#}"
    );
    assert!(
        commits(bare).is_empty() && s.mutations().is_empty(),
        "a dry run pushed"
    );
}

fn published_with_the_archives_sums(s: &Running, p: &Project, bare: &Path) -> Live {
    let (r, row) = run(p, &["release", TAG]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}\n{}", r.stderr);
    assert_eq!(commits(bare).len(), 1, "one commit of PKGBUILD + .SRCINFO");
    let live = files(bare);
    assert_eq!(live.keys().collect::<Vec<_>>(), [".SRCINFO", "PKGBUILD"]);
    // The live .SRCINFO is what makepkg prints for the live PKGBUILD, byte for byte.
    assert_eq!(live[".SRCINFO"], makepkg_srcinfo(&live["PKGBUILD"]));
    // Its sums are the sha256 of the bytes GitHub serves for the linux archives.
    let info = Srcinfo::parse(&live[".SRCINFO"]);
    assert_eq!(info.pkgver.as_deref(), Some("1.0.0"));
    for (arch, goarch) in [("x86_64", "amd64"), ("aarch64", "arm64")] {
        let rel = s.0.double.release(TAG).unwrap();
        let name = rel["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .find(|n| n.contains(&format!("linux_{goarch}")) && n.ends_with(".tar.gz"))
            .unwrap();
        let bytes = s.0.double.asset_bytes(TAG, &name).unwrap();
        assert_eq!(
            info.sums[&format!("sha256sums_{arch}")],
            [sha256(&bytes)],
            "{arch}"
        );
        assert!(
            live["PKGBUILD"].contains(&format!("/releases/download/{TAG}/{name}")),
            "{}",
            live["PKGBUILD"]
        );
    }
    live
}

fn rerun_commits_nothing(p: &Project, bare: &Path) {
    let (r, row) = run(p, &["publish"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(commits(bare).len(), 1, "a re-run made a commit");
    // A re-run of the release: github and the AUR answer the version-level probe, so
    // nothing is built and nothing is sent.
    let (r, row) = run(p, &["release", TAG]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(r.report(&p.dist())["build"]["state"], "skipped");
    assert_eq!(commits(bare).len(), 1);
}

/// github already live: the packaged files are byte-identical to the live ones.
fn verify_content_finds_the_same_bytes(p: &Project, live: &Live) {
    std::fs::remove_dir_all(p.dist()).unwrap();
    let (r, row) = run(p, &["release", TAG, "--verify-content"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    for name in ["PKGBUILD", ".SRCINFO"] {
        let ours = std::fs::read_to_string(p.dist().join("aur/demo-bin").join(name)).unwrap();
        assert_eq!(ours, live[name], "{name} differs on the re-run");
    }
}

#[test]
fn server_aur_rollback_restores_the_previous_version() {
    let (s, p) = setup();
    let bare = s.0.bare();
    run(&p, &["release", "v1.0.0"]).0.assert_code(0);
    let first = files(&bare);
    let (r, row) = run(&p, &["release", "v1.1.0"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}");
    assert_eq!(commits(&bare).len(), 2);
    assert!(files(&bare)[".SRCINFO"].contains("pkgver = 1.1.0"));

    let rollback = |dry: bool| {
        let mut args = vec!["rollback", "v1.1.0", "--only", "aur"];
        if dry {
            args.push("--dry-run");
        }
        let r = p.run(&args);
        let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
        let report: Value = serde_json::from_str(&text).unwrap();
        (r, platform_row(&report, "aur").clone())
    };
    let (r, row) = rollback(true);
    r.assert_code(0);
    assert_eq!(row["outcome"], "would-withdraw", "{row:#}");
    assert_eq!(commits(&bare).len(), 2, "a dry rollback pushed");

    let (r, row) = rollback(false);
    r.assert_code(0);
    assert_eq!(row["outcome"], "withdrawn", "{row:#}\n{}", r.stdout);
    assert_eq!(
        commits(&bare).len(),
        3,
        "one commit restores the previous files"
    );
    assert_eq!(
        files(&bare),
        first,
        "PKGBUILD and .SRCINFO of 1.0.0 are back"
    );

    let (r, _) = rollback(false);
    r.assert_code(0);
    assert_eq!(
        commits(&bare).len(),
        3,
        "a second rollback changed something"
    );
}

#[test]
fn server_aur_a_backport_never_moves_the_package_back() {
    let (s, p) = setup();
    let bare = s.0.bare();
    run(&p, &["release", "v1.1.0"]).0.assert_code(0);
    let newer = files(&bare);
    // 1.0.5 after 1.1.0: refused with the setting in the hint, nothing pushed.
    let (r, row) = run(&p, &["release", "v1.0.5"]);
    r.assert_code(1);
    assert_eq!(row["error_kind"], "conflict", "{row:#}");
    let reason = row["reason"].as_str().unwrap();
    assert!(reason.contains("1.1.0-1, newer than 1.0.5-1"), "{row:#}");
    assert!(
        row["hint"].as_str().unwrap().contains("allow_downgrade"),
        "{row:#}"
    );
    assert_eq!((commits(&bare).len(), files(&bare)), (1, newer));
    // Allowed on purpose: the package moves to 1.0.5.
    let yaml = std::fs::read_to_string(p.path().join("pipeline.yaml")).unwrap();
    let yaml = yaml.replace("  aur:\n", "  aur:\n    allow_downgrade: true\n");
    p.write("pipeline.yaml", &yaml);
    let (r, row) = run(&p, &["release", "v1.0.5"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}");
    assert_eq!(commits(&bare).len(), 2);
    assert!(files(&bare)[".SRCINFO"].contains("pkgver = 1.0.5"));
}

#[test]
fn server_aur_wrong_host_key_is_refused() {
    let (s, p) = setup();
    // The same host and port pinned to another key: ssh must refuse before any git command.
    let yaml = std::fs::read_to_string(p.path().join("pipeline.yaml")).unwrap();
    let (right, wrong) = (s.0.sshd.known_hosts(), s.0.sshd.wrong_known_hosts());
    let yaml = yaml.replace(&right.display().to_string(), &wrong.display().to_string());
    p.write("pipeline.yaml", &yaml);
    let (r, row) = run(&p, &["release", TAG]);
    r.assert_code(1);
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert_eq!(row["error_kind"], "auth", "{row:#}");
    assert!(
        row.to_string().contains("Host key verification failed"),
        "{row:#}"
    );
    assert!(
        commits(&s.0.bare()).is_empty(),
        "pushed to a host whose key is not pinned"
    );
    assert!(
        !s.0.sshd.log().contains("Accepted publickey"),
        "{}",
        s.0.sshd.log()
    );
}
