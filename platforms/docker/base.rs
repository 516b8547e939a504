//! Base images pinned by digest (`base: <image>@sha256:…`). While packaging, before anything
//! is pushed anywhere, the base's index (or single manifest) and, per platform we build, its
//! manifest and config are read **by digest** through the shared HTTP layer (reads only, so a
//! dry run reads them too) and checked against their digests. A base that is not there, or
//! lacks a platform we build, refuses the run (exit 2, nothing pushed). Our config is then
//! the base's with our layer appended (`image::config`), our manifest lists the base's layers
//! and ours; at push time the base's layers are mounted from its repository when it is on
//! the same registry, else copied (`mod.rs`, `Docker::push_foreign`).

use super::config::BaseRef;
use super::image::{self, Descriptor, ImagePlatform};
use super::registry::Session;
use crate::error::{Error, Result};
use serde_json::Value;

/// The base of one image platform.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseImage {
    /// `host/repository@sha256:…`, for the `org.opencontainers.image.base.*` annotations.
    pub name: String,
    pub digest: String,
    /// The base's layers, in order (Docker's gzip layer type read as OCI's: same bytes).
    pub layers: Vec<Descriptor>,
    /// The base's image config, which ours extends.
    pub config: Value,
}

/// Reads the base for each of `platforms`, in that order.
pub async fn fetch(
    s: &Session<'_>,
    base: &BaseRef,
    platforms: &[ImagePlatform],
) -> Result<Vec<BaseImage>> {
    let name = format!("{}@{}", base.reference.display(), base.digest);
    let top = s
        .manifest_bytes(&base.digest)
        .await?
        .ok_or_else(|| refused(&format!("base image {name} was not found")))?;
    let doc = json(&top, &name)?;
    let mut out = Vec::new();
    for p in platforms {
        let manifest = match doc["manifests"].as_array() {
            Some(list) => {
                let entry = list
                    .iter()
                    .find(|m| same_platform(&m["platform"], p))
                    .ok_or_else(|| lacks(&name, p))?;
                let d = entry["digest"].as_str().unwrap_or_default();
                let bytes = s.manifest_bytes(d).await?.ok_or_else(|| {
                    refused(&format!("base image {name}: its {} manifest {d} was not found", p.display()))
                })?;
                json(&bytes, &name)?
            }
            None => doc.clone(),
        };
        let img = image_of(s, &name, &manifest).await?;
        if !same_platform(&img.config, p) {
            return Err(lacks(&name, p));
        }
        out.push(BaseImage {
            digest: base.digest.clone(),
            ..img
        });
    }
    Ok(out)
}

/// One image manifest's config and layers.
async fn image_of(s: &Session<'_>, name: &str, manifest: &Value) -> Result<BaseImage> {
    let cfg_digest = manifest["config"]["digest"].as_str().unwrap_or_default();
    let cfg = s.blob_bytes(cfg_digest).await?.ok_or_else(|| {
        refused(&format!("base image {name}: its config {cfg_digest} was not found"))
    })?;
    let layers = manifest["layers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| layer(name, l))
        .collect::<Result<Vec<_>>>()?;
    Ok(BaseImage {
        name: name.split('@').next().unwrap_or(name).to_string(),
        digest: String::new(),
        layers,
        config: json(&cfg, name)?,
    })
}

/// A base layer's descriptor, its media type mapped to the OCI one for the same bytes.
fn layer(name: &str, l: &Value) -> Result<Descriptor> {
    let ty = l["mediaType"].as_str().unwrap_or_default();
    let media_type = match ty {
        image::LAYER_TYPE | "application/vnd.docker.image.rootfs.diff.tar.gzip" => image::LAYER_TYPE,
        image::LAYER_TAR_TYPE => image::LAYER_TAR_TYPE,
        image::LAYER_ZSTD_TYPE => image::LAYER_ZSTD_TYPE,
        other => {
            return Err(refused(&format!(
                "base image {name}: layer type `{other}` is not supported"
            )))
        }
    };
    let digest = l["digest"].as_str().unwrap_or_default();
    if !digest.starts_with("sha256:") {
        return Err(refused(&format!("base image {name}: layer digest `{digest}` is not sha256")));
    }
    Ok(Descriptor {
        media_type,
        digest: digest.to_string(),
        size: l["size"].as_u64().unwrap_or_default(),
    })
}

/// Whether an index entry's `platform` (or a config) is `p`; arm64's `v8` variant is the
/// same as none.
fn same_platform(v: &Value, p: &ImagePlatform) -> bool {
    let norm = |arch: &str, variant: Option<&str>| match (arch, variant) {
        ("arm64", Some("v8")) => None,
        (_, v) => v.map(str::to_string),
    };
    v["os"] == p.os
        && v["architecture"] == p.architecture
        && norm(p.architecture, v["variant"].as_str()) == norm(p.architecture, p.variant)
}

fn json(bytes: &[u8], name: &str) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| refused(&format!("base image {name}: not a JSON document: {e}")))
}

fn lacks(name: &str, p: &ImagePlatform) -> Error {
    refused(&format!("base image {name} has no {} image", p.display()))
}

fn refused(what: &str) -> Error {
    Error::input(what.to_string()).with_hint(
        "pin `platforms.docker.base` to the digest of an image (or index) that exists and has every linux platform the release builds; `skopeo inspect --raw docker://<base>` lists them",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;

    #[test]
    fn platforms_match_with_arm64_v8_as_none() {
        let p = |t: &str| ImagePlatform::of(Target::parse(t).unwrap()).unwrap();
        let v = |j: Value| j;
        let arm64 = p("linux-arm64");
        assert!(same_platform(&v(serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"})), &arm64));
        assert!(same_platform(&v(serde_json::json!({"os": "linux", "architecture": "arm64"})), &arm64));
        let arm = p("linux-arm");
        assert!(!same_platform(&v(serde_json::json!({"os": "linux", "architecture": "arm", "variant": "v6"})), &arm));
        assert!(same_platform(&v(serde_json::json!({"os": "linux", "architecture": "arm", "variant": "v7"})), &arm));
        assert!(!same_platform(&v(serde_json::json!({"os": "windows", "architecture": "amd64"})), &p("linux-amd64")));
    }

    #[test]
    fn docker_layer_types_read_as_oci_and_foreign_ones_are_refused() {
        let l = |t: &str| layer("b", &serde_json::json!({"mediaType": t, "digest": "sha256:aa", "size": 3}));
        assert_eq!(l("application/vnd.docker.image.rootfs.diff.tar.gzip").unwrap().media_type, image::LAYER_TYPE);
        let e = l("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip").unwrap_err();
        assert!(e.message().contains("not supported"), "{e}");
    }
}
