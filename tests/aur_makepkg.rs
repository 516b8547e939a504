//! The AUR renderers against the real tools (issue 8, acceptance 1): the `.SRCINFO` tagship
//! writes is byte-equal to what `makepkg --printsrcinfo` (pacman 6, Debian's build, run as a
//! non-root user) prints for the `PKGBUILD` tagship writes, for a full and a minimal recipe
//! and values that need quoting; and the pkgver mapping orders versions as semver does,
//! according to pacman's own `vercmp`.

mod support;

#[path = "aur_support/mod.rs"]
mod aur_support;

use aur_support::{makepkg_srcinfo, vercmp};
use tagship::platforms::aur::pkgbuild::{render_pkgbuild, render_srcinfo, Base, Recipe, Source};
use tagship::platforms::aur::recipe::pkgver;

fn source(arch: &str, sha: char) -> Source {
    Source {
        arch: arch.into(),
        file: format!("demo-bin-1.2.3-{arch}.tar.gz"),
        url: format!(
            "https://github.com/acme/demo/releases/download/v1.2.3/demo_1.2.3_linux_{arch}.tar.gz"
        ),
        sha256: sha.to_string().repeat(64),
    }
}

fn full() -> Recipe {
    Recipe {
        base: Base {
            maintainer: Some("Ada Lovelace <ada@example.com>".into()),
            pkgname: "demo-bin".into(),
            pkgrel: 3,
            pkgdesc: "It's a \"demo\" tool: $HOME `date` \\ stays literal".into(),
            url: Some("https://github.com/acme/demo?x=1&y='2'".into()),
            license: vec!["MIT OR Apache-2.0".into(), "custom".into()],
            depends: vec!["glibc".into(), "gcc-libs>=13".into()],
            provides: vec!["demo=1.2.3".into()],
            conflicts: vec!["demo".into(), "demo-git".into()],
            license_file: Some("LICENSE".into()),
        },
        pkgver: "1.2.3rc.1".into(),
        sources: vec![source("x86_64", 'a'), source("aarch64", 'b')],
        binaries: vec!["demo".into(), "demo-helper".into()],
    }
}

fn minimal() -> Recipe {
    Recipe {
        base: Base {
            maintainer: None,
            pkgname: "x".into(),
            pkgrel: 1,
            pkgdesc: String::new(),
            url: None,
            license: vec![],
            depends: vec![],
            provides: vec![],
            conflicts: vec![],
            license_file: None,
        },
        pkgver: "0.1.0".into(),
        sources: vec![source("aarch64", 'c')],
        binaries: vec!["x".into()],
    }
}

#[test]
fn srcinfo_is_byte_equal_to_makepkg_printsrcinfo() {
    for (what, r) in [("full", full()), ("minimal", minimal())] {
        let pkgbuild = render_pkgbuild(&r);
        let ours = render_srcinfo(&r);
        let theirs = makepkg_srcinfo(&pkgbuild);
        assert_eq!(
            ours, theirs,
            "{what}: tagship's .SRCINFO differs from makepkg's\n--- PKGBUILD\n{pkgbuild}"
        );
    }
}

#[test]
fn srcinfo_of_the_published_package_matches_makepkg() {
    // The rendering the platform does for a real release goes through the same functions;
    // this one also proves the quoting of a description with every shell metacharacter.
    let mut r = full();
    r.base.pkgdesc =
        "a  b\tc | d ; e & f > g < h ( i ) ! j # k ~ l * m ? n [ o ] { p } ' q \"".into();
    r.base.pkgdesc = r
        .base
        .pkgdesc
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(render_srcinfo(&r), makepkg_srcinfo(&render_pkgbuild(&r)));
}

#[test]
fn pkgver_orders_as_semver_under_vercmp() {
    let ordered = [
        "0.9.9",
        "1.0.0-0.3.7",
        "1.0.0-RC.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
    ];
    for pair in ordered.windows(2) {
        let (a, b) = (
            semver::Version::parse(pair[0]).unwrap(),
            semver::Version::parse(pair[1]).unwrap(),
        );
        assert!(a < b);
        let (pa, pb) = (pkgver(&a), pkgver(&b));
        assert!(!pa.contains('-') && !pb.contains('-'));
        assert_eq!(
            vercmp(&pa, &pb),
            -1,
            "{a} < {b} but vercmp({pa}, {pb}) disagrees"
        );
    }
}

/// A real archive as the release makes it (binary and LICENSE at the root), its PKGBUILD
/// pointing at it by `file://`, and `makepkg` building the package as a non-root user.
/// Returns makepkg's exit code, its stderr, and the package's file listing.
fn build_package(sha256: Option<&str>) -> (i32, String, String) {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src-files");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("demo"), "#!/bin/sh\necho demo 1.2.3\n").unwrap();
    std::fs::write(src.join("LICENSE"), "MIT License\n").unwrap();
    let archive = dir.path().join("demo_1.2.3_linux_amd64.tar.gz");
    let st = Command::new("tar")
        .args([
            "-czf",
            archive.to_str().unwrap(),
            "-C",
            src.to_str().unwrap(),
            "demo",
            "LICENSE",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&archive).unwrap();
    let real = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let mut r = minimal();
    r.base.pkgname = "demo-bin".into();
    r.base.license_file = Some("LICENSE".into());
    r.binaries = vec!["demo".into()];
    r.sources = vec![Source {
        arch: "x86_64".into(),
        file: "demo-bin-0.1.0-x86_64.tar.gz".into(),
        url: format!("file://{}", archive.display()),
        sha256: sha256.unwrap_or(&real).to_string(),
    }];
    // One directory the build user owns whole: makepkg reads everything by absolute path.
    let build = dir.path().to_path_buf();
    std::fs::write(build.join("PKGBUILD"), render_pkgbuild(&r)).unwrap();
    let (code, _, stderr) = aur_support::as_user(
        &build,
        "makepkg",
        &["--nodeps", "--noconfirm", "--noprogressbar", "--nocolor"],
    );
    let pkg = std::fs::read_dir(&build)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".pkg.tar"));
    let listing = pkg.map_or(String::new(), |p| {
        let out = Command::new("bsdtar").arg("-tvf").arg(&p).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    });
    (code, stderr, listing)
}

#[test]
fn makepkg_builds_the_package_and_installs_the_binary() {
    aur_support::require_makepkg();
    let (code, stderr, listing) = build_package(None);
    assert_eq!(code, 0, "makepkg failed: {stderr}");
    let line = |path: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {path}")))
            .unwrap_or_else(|| panic!("no {path} in the package:\n{listing}"))
            .to_string()
    };
    assert!(line("usr/bin/demo").starts_with("-rwxr-xr-x"), "{listing}");
    assert!(
        line("usr/share/licenses/demo-bin/LICENSE").starts_with("-rw-r--r--"),
        "{listing}"
    );
}

#[test]
fn makepkg_refuses_an_archive_whose_sha256_differs() {
    aur_support::require_makepkg();
    let (code, stderr, listing) = build_package(Some(&"0".repeat(64)));
    assert_ne!(code, 0, "makepkg built with a wrong checksum:\n{listing}");
    assert!(stderr.contains("validity check"), "{stderr}");
}
