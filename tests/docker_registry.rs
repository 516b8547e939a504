//! The docker platform against the REAL Debian docker-registry (issue 7), checked by
//! independent clients: `skopeo inspect --raw` shows the index with every platform, `skopeo
//! copy` pulls them, `umoci unpack` opens the linux/amd64 image and its binary runs and prints
//! the version. Once with htpasswd Basic auth (absolute upload `Location`s that carry a query),
//! once with `auth: token` (a token issuer signing JWTs the registry trusts; relative
//! `Location`s through the fault proxy, which injects a 401 mid-push to force a token refresh).
//! The binaries are the bundled Go example, built for linux amd64, arm64 and arm (v7) and
//! darwin-arm64 (left out of the image). Floating tags `latest` and `{{major}}`: a lower version
//! released later never moves `latest`.
//! The refusals that need no server are in tests/docker_bad_input.rs.

mod support;

#[path = "docker_support/mod.rs"]
mod oci;

use oci::run::{go_project, inspect_raw, pipeline, sh, tagship, unpack_amd64};
use oci::{AuthMode, Registry};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use support::cli::Project;
use support::registries::Proxy;

const REPO: &str = "acme/hello";

/// The Go example for linux amd64, arm64, arm (v7) and darwin-arm64 (left out of the image),
/// with `latest` and `{{major}}`, publishing to `r` (through `via` when given).
fn project(r: &Registry, via: Option<&str>) -> Project {
    let yaml = pipeline(
        &format!("{}/{REPO}", r.host()),
        via.unwrap_or(&r.url),
        "[linux-amd64, linux-arm64, linux-arm, darwin-arm64]",
        "    floating_tags: [latest, \"{{major}}\"]\n",
    );
    go_project(&yaml, r)
}

/// What independent clients see: the raw index (every platform), every platform pulled,
/// and the linux/amd64 binary, unpacked by umoci, printing the version. Returns the raw index.
fn verify_with_real_clients(r: &Registry, dir: &Path) -> String {
    let image = format!("docker://{}/{REPO}:1.0.0", r.host());
    let creds = format!("{}:{}", r.user, r.password);
    let raw = inspect_index(&image, &creds);
    std::fs::create_dir_all(dir).unwrap();
    let src_creds = format!("--src-creds={creds}");
    let all = format!("oci:{}:1.0.0", dir.join("all").display());
    sh(
        "skopeo",
        &[
            "copy",
            "--all",
            "--src-tls-verify=false",
            &src_creds,
            &image,
            &all,
        ],
    );
    let blobs = std::fs::read_dir(dir.join("all/blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(
        blobs,
        1 + 3 * 3,
        "index + 3 × (manifest, config, layer) pulled"
    );
    unpack_amd64_and_run(dir, &image, &src_creds);
    raw
}

/// `skopeo inspect --raw`: our OCI index with exactly the linux platforms.
fn inspect_index(image: &str, creds: &str) -> String {
    let raw = inspect_raw(image, creds);
    let index: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        index["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{index:#}"
    );
    let plats: Vec<Value> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"].clone())
        .collect();
    let want = vec![
        json!({"architecture": "amd64", "os": "linux"}),
        json!({"architecture": "arm64", "os": "linux"}),
        json!({"architecture": "arm", "os": "linux", "variant": "v7"}),
    ];
    assert_eq!(
        plats, want,
        "linux targets only (darwin-arm64 was built too)"
    );
    raw
}

/// Pulls linux/amd64 alone, `umoci unpack`s it (as root) and runs the binary.
fn unpack_amd64_and_run(dir: &Path, image: &str, src_creds: &str) {
    let creds = src_creds.trim_start_matches("--src-creds=");
    let rootfs = unpack_amd64(dir, image, creds);
    let bin = rootfs.join("usr/local/bin/hello");
    let meta = std::fs::metadata(&bin).unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let owner = (meta.permissions().mode() & 0o777, meta.uid(), meta.gid());
    assert_eq!(owner, (0o755, 0, 0));
    let out = sh(bin.to_str().unwrap(), &["--version"]);
    assert_eq!(
        out.trim(),
        "1.0.0",
        "the unpacked binary runs and knows its version"
    );
}

/// The index digest tagship built into dist/docker (its OCI layout's index.json).
fn built_index(p: &Project) -> String {
    let v: Value =
        serde_json::from_slice(&std::fs::read(p.dist().join("docker/index.json")).unwrap())
            .unwrap();
    v["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string()
}

#[test]
fn server_basic_auth_release_pull_run_rerun_repair_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Basic, false);
    let p = project(&r, None);
    dry_run_then_release(&p, &r, &tmp.path().join("pulled"));
    let full = r.files(REPO);
    let first = built_index(&p);
    let (run, report, entry) = tagship(&p, &["publish"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "already-published", "{entry:#}");
    assert_eq!(
        report["requests"]["mutating_sent"], 0,
        "a re-run sends nothing"
    );
    assert_eq!(built_index(&p), first, "a rebuild gives the same digests");
    repairs_exactly_what_was_deleted(&p, &r, &full);
    lower_version_never_moves_latest(&p, &r, &first);
    let full = r.files(REPO);

    // Same version, other bytes: a conflict; the version tag never moves.
    let main = p.path().join("main.go");
    let text = std::fs::read_to_string(&main)
        .unwrap()
        .replace("hello %s", "hi %s");
    std::fs::write(&main, text).unwrap();
    let (run, report, entry) = tagship(&p, &["release", "v1.0.0"]);
    run.assert_code(1);
    assert_eq!(entry["error_kind"], "conflict", "{entry:#}");
    assert_eq!(report["requests"]["mutating_sent"], 0);
    assert_eq!(r.files(REPO), full, "nothing moved");
}

/// A dry run pushes nothing; the release pushes every piece once, and real clients agree.
fn dry_run_then_release(p: &Project, r: &Registry, pulled: &Path) {
    let (run, report, entry) = tagship(p, &["release", "v1.0.0", "--dry-run"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "would-publish", "{entry:#}");
    assert_eq!(report["requests"]["mutating_sent"], 0);
    assert!(
        r.files(REPO).is_empty(),
        "a dry run pushed: {:?}",
        r.files(REPO)
    );

    let (run, report, entry) = tagship(p, &["release", "v1.0.0"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
    let first = built_index(p);
    assert_eq!(r.files(REPO)["tag 1.0.0"], first);
    // 3 layers + 3 configs (POST + PUT each), 3 children, the index, `latest` and `1`.
    assert_eq!(
        report["requests"]["mutating_sent"],
        6 * 2 + 3 + 1 + 2,
        "{report:#}"
    );
    let raw = verify_with_real_clients(r, pulled);
    use sha2::Digest;
    let seen = hex::encode(sha2::Sha256::digest(raw.as_bytes()));
    assert_eq!(seen, first, "skopeo sees our bytes");
}

/// 0.9.0 after 1.0.0: its own tag and `0` move, `latest` and `1` stay on 1.0.0.
fn lower_version_never_moves_latest(p: &Project, r: &Registry, first: &str) {
    let (run, _, entry) = tagship(p, &["release", "v0.9.0"]);
    run.assert_code(0);
    let files = r.files(REPO);
    assert_eq!(files["tag latest"], first, "{entry:#}");
    assert_eq!(files["tag 1"], first);
    assert_eq!(files["tag 0"], files["tag 0.9.0"], "{entry:#}");
    let notes = entry["warnings"].to_string();
    assert!(
        notes.contains("floating tag latest held back: 1.0.0 is live"),
        "{entry:#}"
    );
    assert!(notes.contains("floating tag 0 moved to 0.9.0"), "{entry:#}");
}

/// A blob, then a child manifest, unlinked behind tagship's back: each re-sent alone.
fn repairs_exactly_what_was_deleted(p: &Project, r: &Registry, full: &BTreeMap<String, String>) {
    let child = r.child(REPO, "1.0.0", "arm64");
    let layer = r.layer_of(&child);
    for (kind, hex, writes) in [("blob", &layer, 2), ("manifest", &child, 1)] {
        let gone = r.delete(REPO, kind, hex);
        assert!(!r.files(REPO).contains_key(&gone));
        let (run, report, entry) = tagship(p, &["publish"]);
        run.assert_code(0);
        assert_eq!(entry["uploaded"], json!([gone]), "{entry:#}");
        // A blob is POST + PUT; a manifest one PUT.
        assert_eq!(report["requests"]["mutating_sent"], writes, "{gone}");
        assert_eq!(&r.files(REPO), full);
    }
}

#[test]
fn server_token_auth_release_with_refresh_mid_push() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Registry::start(&tmp.path().join("srv"), AuthMode::Token, true);
    let proxy = Proxy::start(&r.url, &tmp.path().join("proxy"));
    let p = project(&r, Some(&proxy.url()));
    // The registry's own challenge, replayed on the first manifest PUT: as if the token
    // had expired mid-push.
    let challenge = format!(
        "Bearer realm=\"{}\",service=\"tagship-registry\",scope=\"repository:{REPO}:pull,push\"",
        r.realm.as_deref().expect("token mode")
    );
    proxy.fault(
        json!({"match": {"method": "PUT", "path_regex": "/manifests/"},
        "responses": [{"status": 401, "headers": {"WWW-Authenticate": challenge}}]}),
    );
    let (run, _, entry) = tagship(&p, &["release", "v1.0.0"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
    let left = support::registries::http("GET", &format!("{}__proxy/faults", proxy.url()), None).1;
    assert_eq!(
        serde_json::from_str::<Value>(&left).unwrap(),
        json!([]),
        "the 401 was answered"
    );
    assert_eq!(
        r.tokens_issued(),
        2,
        "one token for the run, one refresh after the 401"
    );
    verify_with_real_clients(&r, &tmp.path().join("pulled"));
    let m = proxy.mutations().len();
    let (run, report, entry) = tagship(&p, &["publish"]);
    run.assert_code(0);
    assert_eq!(entry["outcome"], "already-published", "{entry:#}");
    assert_eq!(report["requests"]["mutating_sent"], 0);
    assert_eq!(proxy.mutations().len(), m, "the registry saw no write");
}
