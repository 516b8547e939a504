//! A small base image made in the test (no network, no daemon): one layer holding
//! `etc/base-release`, one config per platform (Env with `BASE=1`, WorkingDir `/srv`, a `Cmd`),
//! written as an OCI layout and pushed with `skopeo copy` into a real registry, so tagship
//! builds on something an independent client produced and serves.

use super::run::{raw_digest, sh};
use super::Registry;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

/// What `etc/base-release` holds.
pub const RELEASE: &str = "tagship test base\n";

fn blob(dir: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = hex::encode(Sha256::digest(bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
    (format!("sha256:{hex}"), bytes.len())
}

fn layer() -> (Vec<u8>, String) {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(RELEASE.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    tar.append_data(&mut h, "etc/base-release", RELEASE.as_bytes())
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let diff = format!("sha256:{}", hex::encode(Sha256::digest(&tar)));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    (gz.finish().unwrap(), diff)
}

/// Writes the base as an OCI layout at `dir` (tag `1`): an index over `platforms`
/// (`("arm", Some("v7"))`…), or with `index: false` the single image of the first one.
pub fn layout(dir: &Path, platforms: &[(&str, Option<&str>)], index: bool) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let (gz, diff) = layer();
    let (layer_digest, layer_size) = blob(dir, &gz);
    let mut manifests = Vec::new();
    for (arch, variant) in platforms {
        let mut plat = json!({"architecture": arch, "os": "linux"});
        if let Some(v) = variant {
            plat["variant"] = json!(v);
        }
        let mut cfg = plat.clone();
        cfg["config"] = json!({"Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "BASE=1"],
                               "WorkingDir": "/srv", "Cmd": ["/bin/sh"]});
        cfg["rootfs"] = json!({"type": "layers", "diff_ids": [diff]});
        cfg["history"] = json!([{"created_by": "tagship test base"}]);
        let (cd, cs) = blob(dir, &serde_json::to_vec(&cfg).unwrap());
        let m = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}]});
        let (md, ms) = blob(dir, &serde_json::to_vec(&m).unwrap());
        manifests.push(
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                              "digest": md, "size": ms, "platform": plat}),
        );
    }
    let top: Value = if index {
        let idx = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        let (d, s) = blob(dir, &serde_json::to_vec(&idx).unwrap());
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": s})
    } else {
        let mut m = manifests[0].clone();
        m.as_object_mut().unwrap().remove("platform");
        m
    };
    let mut top = top;
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "1"});
    let outer = json!({"schemaVersion": 2, "manifests": [top]});
    std::fs::write(dir.join("index.json"), outer.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// Pushes the layout at `dir` to `r` as `repo:1` with skopeo; returns
/// `host/repo@sha256:<digest of what the registry serves>`.
pub fn push(dir: &Path, r: &Registry, repo: &str) -> String {
    let creds = format!("{}:{}", r.user, r.password);
    let dest = format!("docker://{}/{repo}:1", r.host());
    let src = format!("oci:{}:1", dir.display());
    sh(
        "skopeo",
        &[
            "copy",
            "--all",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &src,
            &dest,
        ],
    );
    format!("{}/{repo}@sha256:{}", r.host(), raw_digest(&dest, &creds))
}

/// The digest of the base's layer (the same for every platform).
pub fn layer_digest() -> String {
    let (gz, _) = layer();
    format!("sha256:{}", hex::encode(Sha256::digest(&gz)))
}
