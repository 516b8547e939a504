//! The `.snap` files tagship builds, read back by the real tools: `unsquashfs -s` (squashfs 4,
//! xz, no fragments, no xattrs), `unsquashfs -lls` (the layout, every file root-owned),
//! `snap pack --check-skeleton` on the unpacked tree (snapd's own validation of snap.yaml and
//! the command's permissions), the unpacked binary is the release's and prints its version;
//! and two builds of the same release are byte-identical. Also the bad input that must stop a
//! run with exit 2 before the store hears anything.

#[path = "snap_support/mod.rs"]
mod snap_support;
mod support;

use snap_support::project::{hello, require_tools, section, snap_tool, start_store, with_login};
use std::path::Path;
use std::process::Command;
use support::cli::Project;

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?}: {text}");
    text
}

fn sha256(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

#[test]
fn server_snap_package_passes_snapd_and_unsquashfs() {
    require_tools();
    let store = start_store("hello");
    let p = with_login(
        hello(&section(&store.url(), ""), "linux-amd64, linux-arm64"),
        &store,
    );
    p.run(&["release", "v1.2.3", "--dry-run"]).assert_code(0);
    for arch in ["amd64", "arm64"] {
        the_tools_accept_the_snap(&p, arch);
    }
    // Same release, same bytes: rebuild after touching every input.
    let file = p.dist().join("snap/amd64/hello_1.2.3_amd64.snap");
    let first = sha256(&file);
    // Removed, so the run cannot reuse it and packs again from the rebuilt binary.
    std::fs::remove_dir_all(p.dist().join("snap")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    p.run(&["release", "v1.2.3", "--dry-run", "--verify-content"])
        .assert_code(0);
    assert_eq!(sha256(&file), first, "the .snap is reproducible");
}

/// unsquashfs reads the arch's .snap (format, layout, owners), snapd validates the unpacked
/// tree, and the binary in it is the release's.
fn the_tools_accept_the_snap(p: &Project, arch: &str) {
    let file = p
        .dist()
        .join(format!("snap/{arch}/hello_1.2.3_{arch}.snap"));
    let f = file.to_str().unwrap();
    let s = tool("unsquashfs", &["-s", f]);
    for want in [
        "SQUASHFS 4:0",
        "Compression xz",
        "Fragments are not stored",
        "Xattrs are not stored",
    ] {
        assert!(s.contains(want), "{want} in:\n{s}");
    }
    let l = tool("unsquashfs", &["-lls", f]);
    for want in ["squashfs-root/bin/hello", "squashfs-root/meta/snap.yaml"] {
        assert!(l.contains(want), "{want} in:\n{l}");
    }
    assert!(
        l.lines()
            .filter(|x| x.contains("squashfs-root/"))
            .all(|x| x.contains("root/root")),
        "{l}"
    );
    let out = tempfile::tempdir().unwrap();
    let root = out.path().join("root");
    tool("unsquashfs", &["-q", "-d", root.to_str().unwrap(), f]);
    // snapd's validation of the tree: name, version, confinement, apps, permissions.
    tool(
        snap_tool().to_str().unwrap(),
        &["pack", "--check-skeleton", root.to_str().unwrap()],
    );
    let yaml = std::fs::read_to_string(root.join("meta/snap.yaml")).unwrap();
    assert!(
        yaml.contains(&format!("architectures:\n- {arch}")),
        "{yaml}"
    );
    let built = p.path().join(format!("build/linux-{arch}/hello"));
    assert_eq!(
        sha256(&root.join("bin/hello")),
        sha256(&built),
        "the release's {arch} binary"
    );
    if arch == "amd64" {
        let v = tool(root.join("bin/hello").to_str().unwrap(), &["--version"]);
        assert_eq!(v.trim(), "1.2.3");
    }
}

/// Runs `p` and checks exit 2 with `needle` in the output and no request at the store.
fn refused(p: &Project, store: &snap_support::StoreDouble, args: &[&str], needle: &str) {
    let r = p.run(args);
    r.assert_code(2);
    let text = format!("{}{}", r.stdout, r.stderr);
    assert!(text.contains(needle), "{needle} in:\n{text}");
    assert_eq!(
        store.requests(),
        Vec::<(String, String)>::new(),
        "{needle}: the store heard nothing"
    );
}

#[test]
fn server_snap_bad_input_is_refused_before_anything_is_sent() {
    require_tools();
    let store = start_store("hello");
    let url = store.url();
    let bad_name = with_login(
        hello(&section(&url, "    name: Hello_App\n"), "linux-amd64"),
        &store,
    );
    refused(
        &bad_name,
        &store,
        &["release", "v1.0.0"],
        "not a valid snap name",
    );
    let p = with_login(hello(&section(&url, ""), "linux-amd64"), &store);
    let long = format!("v1.0.0-{}", "a".repeat(30));
    refused(&p, &store, &["release", &long], "cannot be a snap version");
    let darwin = with_login(hello(&section(&url, ""), "darwin-arm64"), &store);
    refused(&darwin, &store, &["release", "v1.0.0"], "no linux target");
    let mut nocred = hello(&section(&url, ""), "linux-amd64");
    nocred.unset("SNAPCRAFT_STORE_CREDENTIALS");
    refused(
        &nocred,
        &store,
        &["release", "v1.0.0"],
        "SNAPCRAFT_STORE_CREDENTIALS",
    );
    // A PATH with go but no mksquashfs.
    let bin = tempfile::tempdir().unwrap();
    let go = tool("sh", &["-c", "command -v go"]);
    std::os::unix::fs::symlink(
        std::fs::canonicalize(go.trim()).unwrap(),
        bin.path().join("go"),
    )
    .unwrap();
    let mut nosquash = with_login(hello(&section(&url, ""), "linux-amd64"), &store);
    nosquash.env("PATH", bin.path().to_str().unwrap());
    refused(&nosquash, &store, &["release", "v1.0.0"], "mksquashfs");
}
