//! The wheel builder: snapshot tests of METADATA / WHEEL / RECORD, the zip layout rules
//! (RECORD last and complete, no directory entries, 0755 scripts, fixed timestamps,
//! byte-for-byte reproducible), and real validators on wheels built from real binaries:
//! `check-wheel-contents`, `twine check`, and `pip install` into a fresh venv, then running
//! the installed program.

#[path = "pypi_support/mod.rs"]
mod pypi_support;

use pypi_support::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use tagship::plan::Target;
use tagship::platforms::wheel::{self, record, tags, WheelMeta};

fn meta() -> WheelMeta {
    WheelMeta {
        name: "Demo-Tool".into(),
        version: "1.2.0rc1".into(),
        summary: "A demo CLI\nshipped as wheels".into(),
        home_page: Some("https://example.invalid/demo".into()),
        project_urls: vec![
            ("Homepage".into(), "https://example.invalid/demo".into()),
            ("Source".into(), "https://example.invalid/demo.git".into()),
        ],
        license: Some("MIT OR Apache-2.0".into()),
        requires_python: Some(">=3.8".into()),
    }
}

fn generic(s: &str) -> String {
    s.replace(wheel::GENERATOR, "tagship [VERSION]")
}

#[test]
fn metadata_snapshot() {
    insta::assert_snapshot!(wheel::render_metadata(&meta()));
}

#[test]
fn wheel_file_snapshot() {
    let t = Target::parse("linux-amd64").unwrap();
    let st = tags::platform_tags(t, tags::Linkage::Static).unwrap();
    insta::assert_snapshot!("wheel_static_linux", generic(&wheel::render_wheel(&st)));
    let mac = tags::platform_tags(
        Target::parse("darwin-arm64").unwrap(),
        tags::Linkage::Dynamic,
    )
    .unwrap();
    insta::assert_snapshot!("wheel_macos_arm64", generic(&wheel::render_wheel(&mac)));
}

/// Every entry of a zip, in order: (name, unix mode, DOS time, content).
fn entries(path: &Path) -> Vec<(String, Option<u32>, zip::DateTime, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (
                f.name().to_string(),
                f.unix_mode(),
                f.last_modified().unwrap(),
                data,
            )
        })
        .collect()
}

#[test]
fn windows_wheel_layout_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("demo.exe");
    std::fs::write(&bin, b"MZ pretend windows executable\n").unwrap();
    let t = Target::parse("windows-amd64").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let w = wheel::write_wheel(&out, &meta(), t, std::slice::from_ref(&bin), 315_532_800).unwrap();
    assert_eq!(w.filename, "demo_tool-1.2.0rc1-py3-none-win_amd64.whl");
    let e = entries(&w.path);
    let names: Vec<&str> = e.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "demo_tool-1.2.0rc1.data/scripts/demo.exe",
            "demo_tool-1.2.0rc1.dist-info/METADATA",
            "demo_tool-1.2.0rc1.dist-info/WHEEL",
            "demo_tool-1.2.0rc1.dist-info/RECORD",
        ]
    );
    assert_eq!(e[0].1.map(|m| m & 0o777), Some(0o755));
    assert_eq!(e[1].1.map(|m| m & 0o777), Some(0o644));
    for x in &e {
        assert_eq!(
            (x.2.year(), x.2.month(), x.2.day()),
            (1980, 1, 1),
            "{}",
            x.0
        );
    }
    record_lists_every_file_but_itself(&e);
    // Reproducible: the same inputs give the same bytes; another epoch does not.
    let again =
        wheel::write_wheel(&out, &meta(), t, std::slice::from_ref(&bin), 315_532_800).unwrap();
    assert_eq!(again.sha256, w.sha256);
    let later = wheel::write_wheel(&out, &meta(), t, &[bin], 1_700_000_000).unwrap();
    assert_ne!(later.sha256, w.sha256);
    // No temp files left behind.
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(left.len(), 1);
}

/// The windows wheel's RECORD (its 4th entry), checked against the entries and snapshotted.
fn record_lists_every_file_but_itself(e: &[(String, Option<u32>, zip::DateTime, Vec<u8>)]) {
    let rec = String::from_utf8(e[3].3.clone()).unwrap();
    // Every file but RECORD is listed with its real hash and size.
    for (name, _, _, data) in &e[..3] {
        assert_eq!(
            rec.lines().find(|l| l.starts_with(name.as_str())).unwrap(),
            format!(
                "{name},{},{}",
                record::RecordEntry::for_bytes(name, data).hash,
                data.len()
            )
        );
    }
    // The WHEEL line's hash and size depend on tagship's version (Generator:); hide them.
    let stable: String = rec
        .lines()
        .map(|l| match l.split_once("dist-info/WHEEL,") {
            Some((head, _)) => format!("{head}dist-info/WHEEL,[HASH],[SIZE]\n"),
            None => format!("{l}\n"),
        })
        .collect();
    insta::assert_snapshot!("record_windows", stable);
}

#[test]
fn non_elf_for_linux_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("demo");
    std::fs::write(&bin, b"#!/bin/sh\necho hi\n").unwrap();
    let e = wheel::write_wheel(
        dir.path(),
        &meta(),
        Target::parse("linux-amd64").unwrap(),
        &[bin],
        0,
    )
    .unwrap_err();
    assert!(e.message().contains("not an ELF"), "{e:?}");
}

fn check_wheel_contents(whl: &Path) {
    let cwc = venv_tool("check-wheel-contents");
    // W007 "library is empty" is the point of a binary-only wheel (maturin `bindings = "bin"`
    // wheels trip it too); every other check applies.
    let out = run(Command::new(cwc).args(["--ignore", "W007"]).arg(whl));
    assert!(out.contains("OK"), "{out}");
}

fn twine_check(whl: &Path) {
    let twine = venv_tool("twine");
    let out = run(Command::new(twine).arg("check").arg(whl));
    assert!(out.contains("PASSED"), "{out}");
}

/// Static Go and dynamic C binaries → wheels through the pypi platform's `package` →
/// validators → pip install into a fresh venv → the installed program prints the version.
#[tokio::test(flavor = "multi_thread")]
async fn server_real_binaries_validate_and_install() {
    let tmp = tempfile::tempdir().unwrap();
    let go = go_binary(tmp.path(), "demo-go", "1.2.0-rc.1", "amd64");
    let c = c_binary(tmp.path(), "democ", "3.0.0");
    assert_eq!(
        tags::elf_linkage(&go).unwrap(),
        tags::Linkage::Static,
        "CGO_ENABLED=0 Go binaries have no PT_INTERP"
    );
    assert_eq!(tags::elf_linkage(&c).unwrap(), tags::Linkage::Dynamic);
    let whl1 = go_wheel_packaged_twice_the_same(tmp.path(), &go).await;
    let whl2 = c_wheel(tmp.path(), &c).await;

    for w in [&whl1, &whl2] {
        check_wheel_contents(w);
        twine_check(w);
    }

    let venv = fresh_venv(tmp.path());
    for (dir, spec) in [
        (whl1.parent().unwrap(), "demo-go==1.2.0rc1"),
        (whl2.parent().unwrap(), "democ==3.0.0"),
    ] {
        let d = dir.display().to_string();
        pip_install(&venv, &["--no-index", "--find-links", &d, spec]);
    }
    let out = run(Command::new(venv.join("bin/demo-go")).arg("--version"));
    assert_eq!(out.trim(), "demo-go 1.2.0-rc.1");
    let out = run(Command::new(venv.join("bin/democ")).arg("--version"));
    assert_eq!(out.trim(), "democ 3.0.0");
}

/// The static Go binary's wheel (static: musllinux too), under the configured package name.
async fn go_wheel_packaged_twice_the_same(tmp: &Path, go: &Path) -> PathBuf {
    let cfg = serde_json::json!({"package": "Demo-Go"});
    let r1 = release(
        &tmp.join("p1"),
        "demo-go",
        "1.2.0-rc.1",
        &[("linux-amd64", go)],
    );
    let (cx1, _) = cx("pypi", r1, false, &[]);
    let p = (tagship::platforms::pypi::FACTORY.build)(&cfg, &cx1.release.project).unwrap();
    let pk1 = p.package(&cx1).await.unwrap();
    assert_eq!(pk1.len(), 1);
    assert_eq!(
        pk1[0].name,
        "demo_go-1.2.0rc1-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_2_x86_64.whl"
    );
    let whl1 = cx1.release.path(&pk1[0]);
    // Packaging again (pypi and pep503 both do) gives the identical file.
    let again = p.package(&cx1).await.unwrap();
    assert_eq!(again[0].sha256, pk1[0].sha256);
    whl1
}

/// The dynamic C binary's wheel: manylinux only.
async fn c_wheel(tmp: &Path, c: &Path) -> PathBuf {
    let r2 = release(&tmp.join("p2"), "democ", "3.0.0", &[("linux-amd64", c)]);
    let (cx2, _) = cx("pypi", r2, false, &[]);
    let p2 =
        (tagship::platforms::pypi::FACTORY.build)(&serde_json::json!({}), &cx2.release.project)
            .unwrap();
    let pk2 = p2.package(&cx2).await.unwrap();
    assert_eq!(
        pk2[0].name,
        "democ-3.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    );
    cx2.release.path(&pk2[0])
}

/// Cross-built Go binaries: each target's wheel passes check-wheel-contents, and for each
/// platform pip (`pip download --platform ...`) picks exactly that target's wheel, so the tags
/// mean what we say (musllinux for the static linux build, macOS 11+ arm64, win_amd64).
#[tokio::test(flavor = "multi_thread")]
async fn server_cross_target_wheels_are_picked_by_pip() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bins = Vec::new();
    for (goos, goarch) in [
        ("linux", "arm64"),
        ("darwin", "arm64"),
        ("darwin", "amd64"),
        ("windows", "amd64"),
    ] {
        let b = go_binary_for(tmp.path(), "xdemo", "0.5.0", goos, goarch);
        bins.push((format!("{goos}-{goarch}"), b));
    }
    let list: Vec<(&str, &Path)> = bins
        .iter()
        .map(|(t, b)| (t.as_str(), b.as_path()))
        .collect();
    let r = release(&tmp.path().join("p"), "xdemo", "0.5.0", &list);
    let (cx, _) = cx("pypi", r, false, &[]);
    let p = (tagship::platforms::pypi::FACTORY.build)(&serde_json::json!({}), &cx.release.project)
        .unwrap();
    let pkgs = p.package(&cx).await.unwrap();
    let mut names: Vec<&str> = pkgs.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "xdemo-0.5.0-py3-none-macosx_10_12_x86_64.whl",
            "xdemo-0.5.0-py3-none-macosx_11_0_arm64.whl",
            "xdemo-0.5.0-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_2_aarch64.whl",
            "xdemo-0.5.0-py3-none-win_amd64.whl",
        ]
    );
    let win = pkgs
        .iter()
        .find(|a| a.name.ends_with("win_amd64.whl"))
        .unwrap();
    let e = entries(&cx.release.path(win));
    assert_eq!(e[0].0, "xdemo-0.5.0.data/scripts/xdemo.exe");
    for a in &pkgs {
        check_wheel_contents(&cx.release.path(a));
    }
    pip_picks_each_targets_wheel(tmp.path(), &cx.release.dist.join("wheels"));
}

/// For each platform pip is told about, `pip download` from the wheels picks exactly the
/// wheel whose tag ends with the suffix.
fn pip_picks_each_targets_wheel(tmp: &Path, links: &Path) {
    let py = venv_tool("python");
    for (platform, suffix) in [
        ("musllinux_1_2_aarch64", "musllinux_1_2_aarch64.whl"),
        ("manylinux2014_aarch64", "musllinux_1_2_aarch64.whl"),
        ("macosx_14_0_arm64", "macosx_11_0_arm64.whl"),
        ("macosx_12_0_x86_64", "macosx_10_12_x86_64.whl"),
        ("win_amd64", "win_amd64.whl"),
    ] {
        let out = tmp.join("dl").join(platform);
        run(Command::new(&py)
            .args([
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "--no-index",
            ])
            .arg("--find-links")
            .arg(links)
            .args([
                "--only-binary=:all:",
                "--python-version",
                "3.11",
                "--platform",
                platform,
            ])
            .arg("-d")
            .arg(&out)
            .arg("xdemo==0.5.0")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS"));
        let got: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(got.len(), 1, "{platform}: {got:?}");
        assert!(got[0].ends_with(suffix), "{platform}: {got:?}");
    }
}
