//! The image documents, rendered by pure functions: the config (`architecture`, `os`,
//! `variant`, `rootfs.diff_ids`, entrypoint, `created` from the release epoch, the
//! `org.opencontainers.image.*` labels), the image manifest and the image index. Keys are
//! written in a fixed order and nothing reads the clock, so the same release renders the
//! same bytes, hence the same digests. Media types are the OCI ones throughout.

use crate::plan::{Arch, Os, Target};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const LAYER_TAR_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
pub const LAYER_ZSTD_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Every manifest type a check accepts: Debian's registry answers 404 for an OCI manifest
/// when the `Accept` header lacks the OCI types, and Docker Hub may hold Docker v2 lists.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Where the binaries go inside the image.
pub const BIN_DIR: &str = "/usr/local/bin";
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An image platform as the index and config spell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePlatform {
    pub architecture: &'static str,
    pub os: &'static str,
    pub variant: Option<&'static str>,
}

impl ImagePlatform {
    /// The image platform of a linux target; `None` for any other OS.
    pub fn of(t: Target) -> Option<ImagePlatform> {
        if t.os != Os::Linux {
            return None;
        }
        let (architecture, variant) = match t.arch {
            Arch::Amd64 => ("amd64", None),
            Arch::Arm64 => ("arm64", None),
            // Our `arm` builds are ARMv7 (armv7-unknown-linux-*, GOARM=7).
            Arch::Arm => ("arm", Some("v7")),
            Arch::I386 => ("386", None),
        };
        Some(ImagePlatform {
            architecture,
            os: "linux",
            variant,
        })
    }
    /// `linux/arm/v7`, as `docker --platform` takes it.
    pub fn display(&self) -> String {
        match self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
    fn fields(&self, m: &mut Map<String, Value>) {
        m.insert("architecture".into(), self.architecture.into());
        m.insert("os".into(), self.os.into());
        if let Some(v) = self.variant {
            m.insert("variant".into(), v.into());
        }
    }
}

/// A content descriptor: media type, `sha256:<hex>` digest, size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: &'static str,
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    fn json(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// What the config of one image says besides its platform and layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub entrypoint: Vec<String>,
    /// `entrypoint` was set in the config (on a base image, it then replaces the base's).
    pub explicit_entrypoint: bool,
    pub env: BTreeMap<String, String>,
    pub user: Option<String>,
    /// The `org.opencontainers.image.*` annotations (also written as labels).
    pub annotations: BTreeMap<String, String>,
    /// Extra labels from the config.
    pub labels: BTreeMap<String, String>,
    /// RFC 3339, from the release epoch.
    pub created: String,
}

/// The OCI annotations of a release; `source` and `revision` only when known.
pub fn annotations(
    version: &str,
    created: &str,
    source: Option<&str>,
    revision: Option<&str>,
) -> BTreeMap<String, String> {
    let key = |k: &str| format!("org.opencontainers.image.{k}");
    let mut a = BTreeMap::new();
    a.insert(key("created"), created.to_string());
    a.insert(key("version"), version.to_string());
    if let Some(s) = source {
        a.insert(key("source"), s.to_string());
    }
    if let Some(r) = revision {
        a.insert(key("revision"), r.to_string());
    }
    a
}

/// The image config (`application/vnd.oci.image.config.v1+json`): on scratch, or on `base`'s
/// config with our layer appended.
pub fn config(p: &ImagePlatform, diff_id: &str, s: &Settings, base: Option<&Value>) -> Vec<u8> {
    if let Some(base) = base {
        return bytes(Value::Object(on_base(base, p, diff_id, s)));
    }
    let mut env = vec![format!("PATH={PATH}")];
    env.extend(
        s.env
            .iter()
            .filter(|(k, _)| k.as_str() != "PATH")
            .map(|(k, v)| format!("{k}={v}")),
    );
    if let Some(path) = s.env.get("PATH") {
        env[0] = format!("PATH={path}");
    }
    let mut labels = s.labels.clone();
    labels.extend(s.annotations.clone());
    let mut cfg = Map::new();
    cfg.insert("Entrypoint".into(), json!(s.entrypoint));
    cfg.insert("Env".into(), json!(env));
    cfg.insert("Labels".into(), json!(labels));
    if let Some(u) = &s.user {
        cfg.insert("User".into(), u.clone().into());
    }
    let mut m = Map::new();
    m.insert("created".into(), s.created.clone().into());
    p.fields(&mut m);
    m.insert("config".into(), Value::Object(cfg));
    m.insert(
        "rootfs".into(),
        json!({"type": "layers", "diff_ids": [diff_id]}),
    );
    m.insert("history".into(), json!([history(s)]));
    bytes(Value::Object(m))
}

fn history(s: &Settings) -> Value {
    json!({"created": s.created, "created_by": "tagship", "comment": "the release's binaries"})
}

/// The base's config, kept (working dir, ports, volumes, env, entrypoint, user) unless our
/// settings override it: env by key, labels added, `user` when set. The entrypoint is ours
/// when set, else the base's when it has one, else our default; setting it drops the base's
/// `Cmd` (as a Dockerfile's ENTRYPOINT does). Our `diff_id` and history entry are appended.
fn on_base(base: &Value, p: &ImagePlatform, diff_id: &str, s: &Settings) -> Map<String, Value> {
    let mut m = base.as_object().cloned().unwrap_or_default();
    m.insert("created".into(), s.created.clone().into());
    p.fields(&mut m);
    let mut cfg = m.get("config").and_then(Value::as_object).cloned().unwrap_or_default();
    let base_env: Vec<String> = cfg
        .get("Env")
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_default();
    cfg.insert("Env".into(), json!(merged_env(&base_env, &s.env)));
    let base_entry = cfg.get("Entrypoint").and_then(Value::as_array).is_some_and(|e| !e.is_empty());
    if s.explicit_entrypoint || !base_entry {
        cfg.insert("Entrypoint".into(), json!(s.entrypoint));
        cfg.remove("Cmd");
    }
    if let Some(u) = &s.user {
        cfg.insert("User".into(), u.clone().into());
    }
    let mut labels: BTreeMap<String, Value> = cfg
        .get("Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default();
    labels.extend(s.labels.iter().chain(&s.annotations).map(|(k, v)| (k.clone(), v.clone().into())));
    cfg.insert("Labels".into(), json!(labels));
    m.insert("config".into(), Value::Object(cfg));
    let mut diff_ids = m["rootfs"]["diff_ids"].as_array().cloned().unwrap_or_default();
    diff_ids.push(diff_id.into());
    m.insert("rootfs".into(), json!({"type": "layers", "diff_ids": diff_ids}));
    let mut hist = m.get("history").and_then(Value::as_array).cloned().unwrap_or_default();
    hist.push(history(s));
    m.insert("history".into(), Value::Array(hist));
    m
}

/// The base's `KEY=value` list with ours applied: a key we set replaces the base's value in
/// place, new keys follow in order, and `PATH` is added first when neither side has it.
fn merged_env(base: &[String], ours: &BTreeMap<String, String>) -> Vec<String> {
    let key = |kv: &str| kv.split('=').next().unwrap_or_default().to_string();
    let mut out: Vec<String> = base
        .iter()
        .map(|kv| match ours.get(&key(kv)) {
            Some(v) => format!("{}={v}", key(kv)),
            None => kv.clone(),
        })
        .collect();
    let has = |k: &str| base.iter().any(|kv| key(kv) == k);
    if !has("PATH") && !ours.contains_key("PATH") {
        out.insert(0, format!("PATH={PATH}"));
    }
    out.extend(ours.iter().filter(|(k, _)| !has(k)).map(|(k, v)| format!("{k}={v}")));
    out
}

/// One image manifest: the config and its layers (the base's, then ours).
pub fn manifest(
    config: &Descriptor,
    layers: &[Descriptor],
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let layers: Vec<Value> = layers.iter().map(Descriptor::json).collect();
    bytes(json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": config.json(),
        "layers": layers,
        "annotations": annotations,
    }))
}

/// The image index over every platform's manifest, in the order given.
pub fn index(
    children: &[(Descriptor, ImagePlatform)],
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let manifests: Vec<Value> = children
        .iter()
        .map(|(d, p)| {
            let mut m = d.json().as_object().cloned().unwrap_or_default();
            let mut plat = Map::new();
            p.fields(&mut plat);
            m.insert("platform".into(), Value::Object(plat));
            Value::Object(m)
        })
        .collect();
    bytes(json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": manifests,
        "annotations": annotations,
    }))
}

/// Compact JSON: the exact bytes that are hashed and pushed.
fn bytes(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            entrypoint: vec!["/usr/local/bin/hello".into()],
            explicit_entrypoint: false,
            env: BTreeMap::from([("LANG".into(), "C.UTF-8".into())]),
            user: Some("65532:65532".into()),
            annotations: annotations(
                "1.2.3",
                "2023-11-14T22:13:20Z",
                Some("https://example.com/acme/hello"),
                Some("0123456789abcdef0123456789abcdef01234567"),
            ),
            labels: BTreeMap::from([("com.example.team".into(), "tools".into())]),
            created: "2023-11-14T22:13:20Z".into(),
        }
    }

    fn d(media_type: &'static str, c: char, size: u64) -> Descriptor {
        Descriptor {
            media_type,
            digest: format!("sha256:{}", c.to_string().repeat(64)),
            size,
        }
    }

    fn pretty(b: &[u8]) -> String {
        let v: Value = serde_json::from_slice(b).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    }

    fn arm() -> ImagePlatform {
        ImagePlatform::of(Target::parse("linux-arm").unwrap()).unwrap()
    }

    #[test]
    fn config_snapshot() {
        let diff = format!("sha256:{}", "d".repeat(64));
        insta::assert_snapshot!("config", pretty(&config(&arm(), &diff, &settings(), None)));
    }

    #[test]
    fn manifest_snapshot() {
        let m = manifest(
            &d(CONFIG_TYPE, 'c', 812),
            &[d(LAYER_TYPE, 'l', 4096)],
            &settings().annotations,
        );
        insta::assert_snapshot!("manifest", pretty(&m));
    }

    #[test]
    fn index_snapshot() {
        let amd = ImagePlatform::of(Target::parse("linux-amd64").unwrap()).unwrap();
        let kids = [(d(MANIFEST_TYPE, 'a', 600), amd), (d(MANIFEST_TYPE, 'b', 601), arm())];
        insta::assert_snapshot!("index", pretty(&index(&kids, &settings().annotations)));
    }

    #[test]
    fn config_on_a_base_snapshot() {
        let base = json!({
            "architecture": "arm", "os": "linux", "variant": "v7", "created": "2020-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/bin", "LANG=C", "TZ=UTC"], "Cmd": ["/bin/sh"], "WorkingDir": "/srv",
                       "Labels": {"base": "yes"}},
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", "b".repeat(64))]},
            "history": [{"created": "2020-01-01T00:00:00Z", "created_by": "base"}],
        });
        let diff = format!("sha256:{}", "d".repeat(64));
        let got = config(&arm(), &diff, &settings(), Some(&base));
        insta::assert_snapshot!("config_on_base", pretty(&got));
    }

    #[test]
    fn env_merges_by_key() {
        let ours = BTreeMap::from([("LANG".to_string(), "C.UTF-8".to_string()), ("A".into(), "1".into())]);
        let base = ["LANG=C".to_string(), "PATH=/bin".into()];
        assert_eq!(merged_env(&base, &ours), ["LANG=C.UTF-8", "PATH=/bin", "A=1"]);
        assert_eq!(merged_env(&[], &BTreeMap::new()), [format!("PATH={PATH}")]);
    }

    #[test]
    fn platforms() {
        let p = |s: &str| ImagePlatform::of(Target::parse(s).unwrap()).map(|p| p.display());
        assert_eq!(p("linux-amd64").as_deref(), Some("linux/amd64"));
        assert_eq!(p("linux-arm64").as_deref(), Some("linux/arm64"));
        assert_eq!(p("linux-arm").as_deref(), Some("linux/arm/v7"));
        assert_eq!(p("darwin-arm64"), None);
        assert_eq!(p("windows-amd64"), None);
    }

    #[test]
    fn rendering_is_deterministic_and_compact() {
        let diff = format!("sha256:{}", "d".repeat(64));
        let a = config(&arm(), &diff, &settings(), None);
        assert_eq!(a, config(&arm(), &diff, &settings(), None));
        assert!(!a.contains(&b'\n'), "compact JSON");
    }
}
