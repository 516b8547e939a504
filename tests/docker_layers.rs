//! The docker platform's image contents against the REAL Debian docker-registry (issue 7):
//! a base image pinned by digest (made here, pushed by skopeo), mounted cross-repository on
//! the same registry or copied from another one; extra files in our layer; chunked uploads.
//! What was pushed is pulled by skopeo and opened by umoci; the unpacked binary runs.

mod support;

#[path = "docker_support/mod.rs"]
mod oci;

use oci::run::{go_project, pipeline, tagship, unpack_amd64};
use oci::{base_image, AuthMode, Registry};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const REPO: &str = "acme/hello";

/// The image layout's index digest in dist/docker.
fn built_index(dist: &Path) -> String {
    let v: Value =
        serde_json::from_slice(&std::fs::read(dist.join("docker/index.json")).unwrap()).unwrap();
    v["manifests"][0]["digest"].as_str().unwrap().to_string()
}

/// What umoci unpacked: the base's file, our extra file (0640), our binary running, and the
/// runtime config from the merged image config (base env and working dir, our entrypoint).
fn assert_unpacked(dir: &Path, r: &Registry, extra_file: bool) {
    let creds = format!("{}:{}", r.user, r.password);
    let rootfs = unpack_amd64(dir, &format!("docker://{}/{REPO}:1.0.0", r.host()), &creds);
    let base = std::fs::read_to_string(rootfs.join("etc/base-release")).unwrap();
    assert_eq!(base, base_image::RELEASE, "the base's layer is under ours");
    let out = oci::run::sh(
        rootfs.join("usr/local/bin/hello").to_str().unwrap(),
        &["--version"],
    );
    assert_eq!(out.trim(), "1.0.0", "our binary runs on the base");
    if extra_file {
        let f = rootfs.join("etc/hello/hello.toml");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "greeting = 'hi'\n");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    let rt: Value =
        serde_json::from_slice(&std::fs::read(dir.join("bundle/config.json")).unwrap()).unwrap();
    assert_eq!(
        rt["process"]["cwd"], "/srv",
        "the base's WorkingDir is kept"
    );
    assert_eq!(
        rt["process"]["args"],
        json!(["/usr/local/bin/hello"]),
        "our entrypoint, the base's Cmd dropped"
    );
    let env = rt["process"]["env"].to_string();
    assert!(
        env.contains("BASE=1") && env.contains("LANG=C.UTF-8"),
        "{env}"
    );
}

#[test]
fn server_base_on_the_same_registry_is_mounted_with_extra_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Token auth: the mount needs `pull` on lib/base too, which the registry's challenge
    // names next to ours; tagship asks the issuer for both and sends the mount again.
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Token, false);
    base_image::layout(
        &tmp.path().join("base"),
        &[("amd64", None), ("arm64", Some("v8"))],
        true,
    );
    let base = base_image::push(&tmp.path().join("base"), &r, "lib/base");
    let extra = format!(
        "    base: \"{base}\"\n    env: {{LANG: C.UTF-8}}\n    files:\n      - {{src: conf/hello.toml, dst: /etc/hello/hello.toml, mode: \"0640\"}}\n"
    );
    let yaml = pipeline(
        &format!("{}/{REPO}", r.host()),
        &r.url,
        "[linux-amd64, linux-arm64]",
        &extra,
    );
    let p = go_project(&yaml, &r);
    p.write("conf/hello.toml", "greeting = 'hi'\n");
    let (run, report, entry) = tagship(&p, &["release", "v1.0.0"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
    let layer = base_image::layer_digest();
    assert!(entry["uploaded"].to_string().contains(&layer), "{entry:#}");
    // 2 layers + 2 configs (POST + PUT each), ONE mount POST (sent twice: refused with the
    // first token, accepted with the one that may pull lib/base), 2 children, the index.
    assert_eq!(
        report["requests"]["mutating_sent"],
        4 * 2 + 2 + 2 + 1,
        "{report:#}"
    );
    assert!(
        r.files(REPO).contains_key(&format!("blob {layer}")),
        "mounted into {REPO}"
    );
    assert_unpacked(&tmp.path().join("pulled"), &r, true);

    let (run, report, entry) = tagship(&p, &["publish"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "already-published", "{entry:#}");
    assert_eq!(report["requests"]["mutating_sent"], 0);

    rebuild_elsewhere_gives_the_same_digests(&yaml, &r, &built_index(&p.dist()));
}

/// The same release rebuilt in another checkout, where the extra file has another mtime and
/// mode on disk: the same digests (the layer's modes and mtimes come from the settings and
/// the release epoch), so nothing is pushed.
fn rebuild_elsewhere_gives_the_same_digests(yaml: &str, r: &Registry, first: &str) {
    let again = go_project(yaml, r);
    again.write("conf/hello.toml", "greeting = 'hi'\n");
    let f = again.path().join("conf/hello.toml");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    oci::run::sh("touch", &["-d", "2001-02-03 04:05:06", f.to_str().unwrap()]);
    let (run, report, entry) = tagship(&again, &["release", "v1.0.0"]);
    run.assert_code(0);
    let outcome = &entry["outcome"];
    assert_eq!(outcome, "already-published", "{entry:#}\n{}", run.stderr);
    assert_eq!(report["requests"]["mutating_sent"], 0);
    assert_eq!(
        built_index(&again.dist()),
        first,
        "a rebuild gives the same digests"
    );
}

#[test]
fn server_base_on_another_registry_is_copied_and_bad_bases_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Registry::start(&tmp.path().join("ours"), AuthMode::Basic, false);
    // The base's registry hands out anonymous pull tokens, as Docker Hub does.
    let other = Registry::start(&tmp.path().join("theirs"), AuthMode::Token, false);
    base_image::layout(&tmp.path().join("base"), &[("amd64", None)], true);
    let base = base_image::push(&tmp.path().join("base"), &other, "lib/base");
    let section = |base: &str| {
        format!(
            "    base: \"{base}\"\n    base_registry_url: \"{}\"\n    env: {{LANG: C.UTF-8}}\n",
            other.url
        )
    };
    let image = format!("{}/{REPO}", r.host());
    let p = go_project(
        &pipeline(&image, &r.url, "[linux-amd64]", &section(&base)),
        &r,
    );
    let (run, report, entry) = tagship(&p, &["release", "v1.0.0"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
    // 1 layer + 1 config, and the base's layer copied: POST + PUT each; 1 child, the index.
    assert_eq!(
        report["requests"]["mutating_sent"],
        3 * 2 + 1 + 1,
        "{report:#}"
    );
    assert!(r
        .files(REPO)
        .contains_key(&format!("blob {}", base_image::layer_digest())));
    assert_unpacked(&tmp.path().join("pulled"), &r, false);

    // Refused before anything is pushed (exit 2): a digest the registry does not have…
    let refused = |base: &str, targets: &str, needle: &str| {
        let image = format!("{}/acme/refused", r.host());
        let p = go_project(&pipeline(&image, &r.url, targets, &section(base)), &r);
        let run = p.run(&["release", "v1.0.0"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(needle),
            "expected `{needle}`:\n{}",
            run.stderr
        );
        assert!(r.files("acme/refused").is_empty(), "nothing pushed");
    };
    let missing = format!("{}/lib/base@sha256:{}", other.host(), "0".repeat(64));
    refused(&missing, "[linux-amd64]", "was not found");
    // …and a base that lacks a platform we build (a single amd64 image, not an index).
    base_image::layout(&tmp.path().join("single"), &[("amd64", None)], false);
    let single = base_image::push(&tmp.path().join("single"), &other, "lib/single");
    refused(
        &single,
        "[linux-amd64, linux-arm64]",
        "has no linux/arm64 image",
    );
}

#[test]
fn server_large_blobs_go_up_in_chunks_through_relative_locations() {
    let tmp = tempfile::tempdir().unwrap();
    // Relative `Location`s that carry `?_state=…`, through a proxy that logs every request.
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Basic, true);
    let proxy = support::registries::Proxy::start(&r.url, &tmp.path().join("proxy"));
    let extra = "    chunk_above: 64KiB\n    chunk_size: 100000\n";
    let yaml = pipeline(
        &format!("{}/{REPO}", r.host()),
        &proxy.url(),
        "[linux-amd64]",
        extra,
    );
    let p = go_project(&yaml, &r);
    let (run, _, entry) = tagship(&p, &["release", "v1.0.0"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
    let sizes: Vec<u64> = entry["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"].as_str().unwrap().starts_with("blob "))
        .map(|a| a["size"].as_u64().unwrap())
        .collect();
    let layer = *sizes.iter().max().unwrap();
    assert!(
        layer > 3 * 100_000,
        "a layer of {layer} bytes: several chunks"
    );
    let log = proxy.mutations();
    let patches = log.iter().filter(|l| l.method == "PATCH").count() as u64;
    assert_eq!(patches, layer.div_ceil(100_000), "{log:#?}");
    assert!(
        log.iter()
            .all(|l| l.status == Some(201) || l.status == Some(202)),
        "{log:#?}"
    );
    // The small config went up in one PUT: 2 POSTs, 2 closing PUTs, the chunks, 1 child, the index.
    assert_eq!(log.len() as u64, 2 + 2 + patches + 1 + 1, "{log:#?}");
    // What a real client pulls runs.
    let creds = format!("{}:{}", r.user, r.password);
    let rootfs = unpack_amd64(
        &tmp.path().join("pulled"),
        &format!("docker://{}/{REPO}:1.0.0", r.host()),
        &creds,
    );
    let out = oci::run::sh(
        rootfs.join("usr/local/bin/hello").to_str().unwrap(),
        &["--version"],
    );
    assert_eq!(out.trim(), "1.0.0");
}
