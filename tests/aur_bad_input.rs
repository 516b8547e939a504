//! Bad input for the aur platform (issue 8, "For all three"): a missing ssh key, a package
//! name the AUR rejects, and a release without a linux build are refused with exit 2 before
//! anything is sent — 0 mutating requests at GitHub, 0 commits on the AUR repository. An
//! unreachable AUR remote is `unreachable` in a dry run and a failure with a hint in a real
//! run, with nothing pushed.

mod support;

#[path = "conformance/mod.rs"]
mod common;

#[path = "conformance/aur.rs"]
mod fixture;

use common::{Server, TAG};
use fixture::aur_support::commits;
use fixture::setup;
use support::cli::{platform_row, Project};

fn edit(p: &Project, from: &str, to: &str) {
    let yaml = std::fs::read_to_string(p.path().join("pipeline.yaml")).unwrap();
    assert!(yaml.contains(from), "{from} not in {yaml}");
    p.write("pipeline.yaml", &yaml.replacen(from, to, 1));
}

/// Exit 2, and nothing reached either server.
fn refused(s: &fixture::Running, p: &Project, args: &[&str], says: &str) {
    let r = p.run(args);
    r.assert_code(2);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains(says), "the refusal says `{says}`:\n{all}");
    assert_eq!(s.mutations(), Vec::<String>::new(), "something was sent");
}

#[test]
fn server_aur_missing_key_is_exit_2() {
    let (s, mut p) = setup();
    p.unset("AUR_SSH_KEY");
    refused(&s, &p, &["release", TAG], "AUR_SSH_KEY");
}

#[test]
fn server_aur_bad_package_name_is_exit_2() {
    let (s, p) = setup();
    edit(&p, "  aur:\n", "  aur:\n    package: Demo_Bin\n");
    refused(&s, &p, &["release", TAG], "Demo_Bin");
}

#[test]
fn server_aur_no_linux_build_is_exit_2() {
    let (s, p) = setup();
    edit(
        &p,
        "targets: [linux-amd64, linux-arm64]",
        "targets: [darwin-arm64]",
    );
    refused(&s, &p, &["release", TAG], "no linux archive");
}

#[test]
fn server_aur_unreachable_remote() {
    let (s, p) = setup();
    let url = s.0.sshd.url(fixture::aur_support::world::PKG);
    // Port 9 (discard): nothing listens there.
    let closed = format!("ssh://aurgit@127.0.0.1:9{}", s.0.bare().display());
    edit(&p, &url, &closed);
    let r = p.run(&["release", TAG, "--dry-run"]);
    r.assert_code(0);
    let row = platform_row(&r.report(&p.dist()), "aur").clone();
    assert_eq!(row["outcome"], "unreachable", "{row:#}");

    let r = p.run(&["release", TAG]);
    r.assert_code(1);
    let row = platform_row(&r.report(&p.dist()), "aur").clone();
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert_eq!(row["error_kind"], "unreachable", "{row:#}");
    assert!(
        row["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{row:#}"
    );
    assert!(commits(&s.0.bare()).is_empty());
}
