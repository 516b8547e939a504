//! npm packaging without a registry: snapshots of the generated package.json files, the
//! launcher and the publish document; byte-identical rebuilds; the tarball layout read back;
//! the real `npm pack --dry-run --json` on the extracted packages; the launcher run by real
//! `node` against an installed-like node_modules tree; and `mode: package_json` compared
//! with what `npm pack` would include.

mod npm_common;

use npm_common::*;
use std::path::Path;
use std::process::Command;
use tagship::guard::Ledger;
use tagship::plan::{ArtifactKind, Target};
use tagship::platforms::npm::manifest::{self, DocOptions, PlatformPkg};
use tagship::platforms::npm::tarball;

fn t(s: &str) -> Target {
    Target::parse(s).unwrap()
}

fn pkgs() -> Vec<PlatformPkg> {
    vec![
        PlatformPkg::new("@acme/demo", "demo", t("linux-amd64"), None),
        PlatformPkg::new("@acme/demo", "demo", t("linux-arm64"), Some("glibc")),
        PlatformPkg::new("@acme/demo", "demo", t("linux-arm64"), Some("musl")),
        PlatformPkg::new("@acme/demo", "demo", t("darwin-arm64"), None),
        PlatformPkg::new("@acme/demo", "demo", t("windows-amd64"), None),
    ]
}

#[test]
fn platform_manifests() {
    let p = project("demo");
    let all: Vec<_> = pkgs()
        .iter()
        .map(|k| manifest::platform_manifest(&p, "1.2.3", "@acme/demo", k))
        .collect();
    insta::assert_json_snapshot!("platform_manifests", all);
    assert_eq!(all[4]["os"], serde_json::json!(["win32"]));
    assert_eq!(all[4]["cpu"], serde_json::json!(["x64"]));
    assert!(
        all[0].get("libc").is_none(),
        "a static binary runs on glibc and musl"
    );
    assert_eq!(all[2]["name"], "@acme/demo-linux-arm64-musl");
}

#[test]
fn root_manifest_and_launcher() {
    let p = project("demo");
    let root = manifest::root_manifest(&p, "1.2.3-rc.1", "@acme/demo", "demo", &pkgs());
    insta::assert_json_snapshot!("root_manifest", root);
    for (_, v) in root["optionalDependencies"].as_object().unwrap() {
        assert_eq!(v, "1.2.3-rc.1", "pinned to the exact version");
    }
    let js = manifest::launcher("@acme/demo", "1.2.3-rc.1", "demo", &pkgs());
    insta::assert_snapshot!("launcher", js);
    assert!(js.starts_with("#!/usr/bin/env node\n"));
    assert!(!js.contains("__TAGSHIP_CONFIG__"));
    // The launcher is valid JavaScript.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.js"), &js).unwrap();
    let st = Command::new("node")
        .arg("--check")
        .arg(dir.path().join("l.js"))
        .status()
        .unwrap();
    assert!(st.success(), "node --check rejected the launcher");
}

#[test]
fn names_and_publish_document() {
    assert_eq!(manifest::override_env("demo-cli"), "DEMO_CLI_BINARY_PATH");
    assert_eq!(manifest::escaped_name("@acme/demo"), "@acme%2fdemo");
    assert_eq!(
        manifest::tarball_file_name("@acme/demo", "1.0.0"),
        "acme-demo-1.0.0.tgz"
    );
    assert_eq!(
        manifest::tarball_url("http://r/", "@acme/demo", "1.0.0"),
        "http://r/@acme/demo/-/demo-1.0.0.tgz"
    );
    let m = serde_json::json!({"name": "@acme/demo", "version": "1.0.0", "description": "d"});
    let tgz = tarball::build(&[tarball::Entry::file("package.json", b"{}\n".to_vec())], 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.tgz");
    std::fs::write(&path, &tgz).unwrap();
    let digests = tarball::digests(&path).unwrap();
    assert_eq!(digests.shasum, tarball::shasum(&tgz));
    assert_eq!(digests.integrity, tarball::integrity(&tgz));
    assert_eq!(digests.size, tgz.len() as u64);
    let mut doc = manifest::publish_document(
        &m,
        &digests,
        &DocOptions {
            registry_base: "http://127.0.0.1:4873/",
            tag: "next",
            access: Some("public"),
        },
    );
    assert_eq!(
        doc["_attachments"]["@acme/demo-1.0.0.tgz"]["data"],
        manifest::ATTACHMENT_DATA
    );
    sent_body_is_the_document_with_the_data(&doc, &path, &tgz);
    doc["_attachments"]["@acme/demo-1.0.0.tgz"]["data"] = "<base64>".into();
    doc["_attachments"]["@acme/demo-1.0.0.tgz"]["length"] = 0.into();
    doc["versions"]["1.0.0"]["dist"]["shasum"] = "<sha1>".into();
    doc["versions"]["1.0.0"]["dist"]["integrity"] = "<sha512>".into();
    insta::assert_json_snapshot!("publish_document", doc);
}

/// The body streams the file's base64 into the placeholder: the whole body, as sent, is
/// the document with the real data.
fn sent_body_is_the_document_with_the_data(doc: &serde_json::Value, path: &Path, tgz: &[u8]) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let sent = match manifest::publish_body(doc, path).unwrap() {
        tagship::http::Body::Base64File {
            head,
            path: p,
            tail,
            ..
        } => {
            assert_eq!(p, path);
            [&head[..], b64.encode(tgz).as_bytes(), &tail[..]].concat()
        }
        other => panic!("not streamed: {other:?}"),
    };
    let sent: serde_json::Value = serde_json::from_slice(&sent).unwrap();
    let att = &sent["_attachments"]["@acme/demo-1.0.0.tgz"];
    let data = b64.decode(att["data"].as_str().unwrap()).unwrap();
    assert_eq!(data, tgz);
    assert_eq!(att["length"], tgz.len());
    let dist = &sent["versions"]["1.0.0"]["dist"];
    assert_eq!(dist["shasum"], tarball::shasum(tgz));
    assert_eq!(dist["integrity"], tarball::integrity(tgz));
}

struct Packed {
    _tmp: tempfile::TempDir,
    dist: std::path::PathBuf,
    artifacts: Vec<tagship::plan::Artifact>,
}

/// Packages a release with a real static Go binary for linux-amd64 and stand-ins for the rest.
async fn pack(dist_name: &str, bin_dir: &Path) -> Packed {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join(dist_name);
    let linux = bin_dir.join("demo");
    let mac = bin_dir.join("mac/demo");
    let win = bin_dir.join("win/demo.exe");
    let r = release(
        &dist,
        project("demo"),
        "1.2.3",
        &[
            (t("linux-amd64"), &linux),
            (t("darwin-arm64"), &mac),
            (t("windows-amd64"), &win),
        ],
    );
    let npm = adapter(serde_json::json!({"scope": "@acme"}), &r.project.clone());
    let cx = cx(r, false, None, &Ledger::default());
    let artifacts = npm.package(&cx).await.unwrap();
    Packed {
        _tmp: tmp,
        dist,
        artifacts,
    }
}

fn bins() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    go_binary(d.path(), "demo", "1.2.3", "");
    for (sub, name) in [("mac", "demo"), ("win", "demo.exe")] {
        std::fs::create_dir_all(d.path().join(sub)).unwrap();
        std::fs::write(d.path().join(sub).join(name), format!("stand-in {sub}")).unwrap();
    }
    d
}

#[tokio::test]
async fn packages_are_deterministic_and_well_formed() {
    let b = bins();
    let one = pack("dist-a", b.path()).await;
    let two = pack("dist-b", b.path()).await;
    let names: Vec<&str> = one.artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "acme-demo-darwin-arm64-1.2.3.tgz",
            "acme-demo-linux-x64-1.2.3.tgz",
            "acme-demo-win32-x64-1.2.3.tgz",
            "acme-demo-1.2.3.tgz",
        ],
        "platform packages first, root last"
    );
    for (a, b) in one.artifacts.iter().zip(&two.artifacts) {
        assert_eq!(
            a.kind,
            ArtifactKind::Package {
                platform: "npm".into()
            }
        );
        assert!(a.path.starts_with("npm"));
        let x = std::fs::read(one.dist.join(&a.path)).unwrap();
        let y = std::fs::read(two.dist.join(&b.path)).unwrap();
        assert!(x == y, "{} differs between two builds", a.name);
        assert_eq!(a.size, x.len() as u64);
    }
    tarballs_have_npms_layout(&one);
    npm_agrees_on_every_package(&one);
}

/// Entries, modes, owners and mtimes of the linux, windows and root tarballs.
fn tarballs_have_npms_layout(one: &Packed) {
    let read = |name: &str| std::fs::read(one.dist.join("npm").join(name)).unwrap();
    let linux = tarball::list(&read("acme-demo-linux-x64-1.2.3.tgz")).unwrap();
    let got: Vec<(&str, u32)> = linux.iter().map(|e| (e.path.as_str(), e.mode)).collect();
    assert_eq!(
        got,
        [("package/bin/demo", 0o755), ("package/package.json", 0o644)]
    );
    assert!(linux
        .iter()
        .all(|e| e.uid == 0 && e.gid == 0 && e.mtime == 315_532_800));
    let pj = tarball::read_manifest(&read("acme-demo-linux-x64-1.2.3.tgz")).unwrap();
    assert!(
        pj.get("libc").is_none(),
        "Go with CGO_ENABLED=0 is static: {pj}"
    );
    let win = tarball::list(&read("acme-demo-win32-x64-1.2.3.tgz")).unwrap();
    assert_eq!(win[0].path, "package/bin/demo.exe");
    let root = tarball::list(&read("acme-demo-1.2.3.tgz")).unwrap();
    let got: Vec<(&str, u32)> = root.iter().map(|e| (e.path.as_str(), e.mode)).collect();
    assert_eq!(
        got,
        [
            ("package/bin/demo.js", 0o755),
            ("package/package.json", 0o644)
        ]
    );
}

/// The real npm agrees on the contents of every extracted package.
fn npm_agrees_on_every_package(one: &Packed) {
    let x = tempfile::tempdir().unwrap();
    for a in &one.artifacts {
        let dir = extract(&one.dist.join(&a.path), &x.path().join(&a.name));
        let ours: Vec<(String, u32)> =
            tarball::list(&std::fs::read(one.dist.join(&a.path)).unwrap())
                .unwrap()
                .into_iter()
                .map(|e| (e.path.trim_start_matches("package/").to_string(), e.mode))
                .collect();
        assert_eq!(
            npm_pack_files(&dir),
            ours,
            "npm pack disagrees for {}",
            a.name
        );
    }
}

#[tokio::test]
async fn launcher_runs_the_binary_and_explains_a_skipped_optional_dependency() {
    let b = bins();
    let p = pack("dist", b.path()).await;
    let nm = tempfile::tempdir().unwrap();
    let modules = nm.path().join("node_modules");
    let place = |file: &str, name: &str| {
        let x = tempfile::tempdir().unwrap();
        let pkg = extract(&p.dist.join("npm").join(file), x.path());
        let dst = modules.join(name);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::rename(pkg, dst).unwrap();
    };
    place("acme-demo-1.2.3.tgz", "@acme/demo");
    let launcher = modules.join("@acme/demo/bin/demo.js");
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = Command::new("node");
        c.arg(&launcher).args(args).env_remove("DEMO_BINARY_PATH");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // Optional dependency skipped: a clear message and exit 1.
    let out = run(&[], &["--version"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("@acme/demo-linux-x64 is not installed"),
        "{err}"
    );
    assert!(err.contains("--omit=optional"), "{err}");
    assert!(
        err.contains("npm install @acme/demo-linux-x64@1.2.3"),
        "{err}"
    );
    assert!(err.contains("DEMO_BINARY_PATH"), "{err}");
    // The override variable wins.
    let out = run(&[("DEMO_BINARY_PATH", "/bin/echo")], &["from", "echo"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from echo\n");
    // Installed: runs the binary with inherited stdio and its exit code.
    place("acme-demo-linux-x64-1.2.3.tgz", "@acme/demo-linux-x64");
    let out = run(&[], &["--version"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "demo 1.2.3\n");
    assert_eq!(out.status.code(), Some(0));
    let out = run(&[], &["fail", "now"]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the binary's exit code is passed on"
    );
}

/// A package.json project with files npm packs and files it leaves out.
fn write_js_package(pkg: &Path) {
    let w = |rel: &str, body: &str| {
        let f = pkg.join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, body).unwrap();
    };
    w(
        "package.json",
        r#"{"name":"@acme/jsdemo","version":"2.0.0","bin":{"jsdemo":"cli.js"},"files":["lib","cli.js","types/**/*.d.ts"]}"#,
    );
    w("cli.js", "#!/usr/bin/env node\nrequire('./lib')\n");
    w("lib/index.js", "module.exports = 1\n");
    w("lib/deep/x.js", "1\n");
    w("types/a/b.d.ts", "export {}\n");
    w("types/a/b.ts", "export {}\n");
    w("README.md", "# jsdemo\n");
    w("LICENSE", "MIT\n");
    w("secret.txt", "not published\n");
    w("node_modules/x/index.js", "no\n");
    w(".npmrc", "//r/:_authToken=no\n");
    w("package-lock.json", "{}\n");
}

#[tokio::test]
async fn package_json_mode_packs_what_npm_packs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    let pkg = root.join("js");
    write_js_package(&pkg);
    let r = release(&root.join("dist"), project("jsdemo"), "2.0.0", &[]);
    let r = tagship::platform::Release {
        root: root.clone(),
        epoch: 315_532_800,
        ..r
    };
    let npm = adapter(
        serde_json::json!({"mode": "package_json", "path": "js"}),
        &r.project.clone(),
    );
    let cx = cx(r, false, None, &Ledger::default());
    let arts = npm.package(&cx).await.unwrap();
    assert_eq!(arts.len(), 1);
    assert_eq!(arts[0].name, "acme-jsdemo-2.0.0.tgz");
    let ours: Vec<String> = tarball::list(&std::fs::read(cx.release.path(&arts[0])).unwrap())
        .unwrap()
        .into_iter()
        .map(|e| e.path.trim_start_matches("package/").to_string())
        .collect();
    let theirs: Vec<String> = npm_pack_files(&pkg).into_iter().map(|(p, _)| p).collect();
    assert_eq!(ours, theirs, "our file list differs from npm pack's");
    assert!(!ours.contains(&"secret.txt".to_string()));

    // A version that does not match the release is refused.
    let r2 = release(&root.join("dist2"), project("jsdemo"), "2.0.1", &[]);
    let r2 = tagship::platform::Release {
        root: root.clone(),
        epoch: 315_532_800,
        ..r2
    };
    let cx2 = npm_common::cx(r2, false, None, &Ledger::default());
    let e = npm.package(&cx2).await.unwrap_err();
    assert!(
        e.message()
            .contains("version is \"2.0.0\" but the release is 2.0.1"),
        "{e:?}"
    );
}
