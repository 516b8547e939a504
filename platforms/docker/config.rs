//! `platforms.docker` in pipeline.yaml, and the names it derives: the image reference (which
//! registry, which repository), the registry's API base URL and the version tag. Everything
//! here is checked before anything is built, so a bad reference is exit 2 with nothing pushed.

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Docker Hub's name in image references, and the host its distribution API answers on.
const HUB: &str = "docker.io";
const HUB_API: &str = "https://registry-1.docker.io";

/// `platforms.docker`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerConfig {
    /// Image reference without tag: `docker.io/acme/hello`, `ghcr.io/acme/hello`,
    /// `127.0.0.1:5000/acme/hello`. A reference without a registry host is Docker Hub's
    /// (`acme/hello`; a single name is `library/<name>`). Lowercase only.
    pub image: String,
    /// Base URL of the registry's distribution API (`http://127.0.0.1:5000` for a local
    /// registry without TLS). Default: `https://<host of image>`, and for Docker Hub
    /// `https://registry-1.docker.io`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub registry_url: Option<String>,
    /// Base image: `scratch` (no base layers, the default) or a reference pinned by digest,
    /// `127.0.0.1:5000/lib/base@sha256:<hex>` (a tag before the `@` is allowed and ignored).
    #[serde(default = "default_base")]
    pub base: String,
    /// The distribution API of the base's registry when it is not the image's (e.g.
    /// `http://127.0.0.1:5001` without TLS). Default: the image's `registry_url` when the base
    /// has the same host, else `https://<host of base>` (Docker Hub: registry-1.docker.io).
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub base_registry_url: Option<String>,
    /// Docker Hub's own API (not the registry's), used for images on docker.io to delete a
    /// tag in a rollback, which the registry API refuses. Default `https://hub.docker.com`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub hub_api_url: Option<String>,
    /// Extra files added to the layer (fixed mode, uid/gid 0, mtime = the release epoch).
    #[serde(default)]
    pub files: Vec<ExtraFile>,
    /// Blobs larger than this are uploaded in chunks (PATCH with `Content-Range`, then PUT),
    /// smaller ones in one PUT. A size: `16MiB`, `512KiB`, `1048576`.
    #[serde(default = "default_chunk_above")]
    pub chunk_above: String,
    /// The size of each chunk of a chunked upload (each streamed from disk).
    #[serde(default = "default_chunk_size")]
    pub chunk_size: String,
    /// The binary started by the image, by file name under /usr/local/bin. Default: the
    /// project name when a binary of that name is built, else the only binary.
    #[serde(default)]
    pub binary: Option<String>,
    /// `config.Entrypoint`. Default: `["/usr/local/bin/<binary>"]`.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// `config.Env`, besides the default `PATH`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `config.User` (e.g. `65532:65532`). Default: none (root).
    #[serde(default)]
    pub user: Option<String>,
    /// Extra `config.Labels`; the `org.opencontainers.image.*` ones are always set.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Tags that follow the highest stable version live: any of `latest`, `{{major}}`,
    /// `{{major}}.{{minor}}`. They move to this release only when no higher stable version in
    /// their range is live, never to a prerelease. Default: none.
    #[serde(default)]
    pub floating_tags: Vec<super::floating::Floating>,
    /// How long the engine waits for the tag to be visible after the push, in seconds.
    #[serde(default = "default_verify_secs")]
    pub verify_timeout_secs: u64,
}

/// One extra file of the layer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraFile {
    /// Path of the file relative to the directory of pipeline.yaml, inside it.
    pub src: String,
    /// Absolute path inside the image, e.g. `/etc/hello/config.toml`.
    pub dst: String,
    /// Octal mode as a string (`"0644"`, `"0755"`). Default `0644`.
    #[serde(default)]
    pub mode: Option<String>,
}

fn default_base() -> String {
    "scratch".into()
}
fn default_chunk_above() -> String {
    "16MiB".into()
}
fn default_chunk_size() -> String {
    "8MiB".into()
}
fn default_verify_secs() -> u64 {
    30
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// As written in references (`docker.io`, `127.0.0.1:5000`).
    pub host: String,
    /// The repository path inside the registry (`acme/hello`, `library/alpine`).
    pub repository: String,
}

impl Reference {
    /// Parses `image` (no tag, no digest) the way docker does: the first component is a
    /// registry host when it has a `.` or `:` or is `localhost`.
    pub fn parse(image: &str) -> Result<Reference> {
        Self::parse_as("platforms.docker.image", image)
    }

    fn parse_as(setting: &str, image: &str) -> Result<Reference> {
        let bad = |why: &str| {
            Error::config(format!("{setting}: `{image}` {why}")).with_hint(
                "write the repository without tag, lowercase, e.g. docker.io/acme/hello or 127.0.0.1:5000/acme/hello",
            )
        };
        if image.contains('@') {
            return Err(bad("must not carry a digest"));
        }
        let (first, rest) = image.split_once('/').unwrap_or(("", image));
        let is_host = first.contains('.') || first.contains(':') || first == "localhost";
        let (host, path) = if is_host {
            (first.to_string(), rest.to_string())
        } else {
            (HUB.to_string(), image.to_string())
        };
        if path.rsplit('/').next().unwrap_or("").contains(':') {
            return Err(bad("must not carry a tag (tags come from the version)"));
        }
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(bad("has uppercase letters; repository names are lowercase only"));
        }
        if path.is_empty() || !path.split('/').all(valid_component) {
            return Err(bad("is not a valid repository name ([a-z0-9] separated by `.`, `_`, `__` or `-`)"));
        }
        let repository = if host == HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Ok(Reference { host, repository })
    }

    /// Docker Hub (rate limits and its delete API differ).
    pub fn is_docker_hub(&self) -> bool {
        self.host == HUB
    }

    /// `host/repository`, as `docker pull` takes it.
    pub fn display(&self) -> String {
        format!("{}/{}", self.host, self.repository)
    }
}

/// One path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` (distribution spec).
fn valid_component(c: &str) -> bool {
    let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
    let b: Vec<char> = c.chars().collect();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep: String = b[start..i].iter().collect();
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|ch| ch == '-');
        if !ok {
            return false;
        }
    }
    true
}

impl DockerConfig {
    /// Checks what needs no release: the reference, the API URL and the base.
    pub fn validate(&self) -> Result<Reference> {
        let r = Reference::parse(&self.image)?;
        let urls = [
            ("registry_url", Some(self.api_base(&r))),
            ("base_registry_url", self.base_registry_url.clone()),
            ("hub_api_url", self.hub_api_url.clone()),
        ];
        for (setting, url) in urls {
            if let Some(u) = url {
                url::Url::parse(&u)
                    .map_err(|e| Error::config(format!("platforms.docker.{setting}: `{u}`: {e}")))?;
            }
        }
        self.base_ref()?;
        self.chunking()?;
        self.config_strings()?;
        for f in &self.files {
            f.mode()?;
            f.image_path()?;
        }
        Ok(r)
    }

    /// `env`, `labels`, `user` and `entrypoint` go into the image config as they are: a NUL
    /// cannot reach a process (execve stops at it), and a control character in a name
    /// (an env key with a newline or `=`) makes another variable than the one written.
    fn config_strings(&self) -> Result<()> {
        let bad = |setting: &str, s: &str, why: &str| {
            Error::config(format!("platforms.docker.{setting}: `{}` {why}", s.escape_debug()))
                .with_hint("write names without control characters (and env names without `=`), values without NUL")
        };
        let name_ok = |k: &str| !k.is_empty() && !k.contains(|c: char| c.is_control());
        for (k, v) in &self.env {
            if !name_ok(k) || k.contains('=') {
                return Err(bad("env", k, "is not a variable name"));
            }
            if v.contains('\0') {
                return Err(bad("env", k, "has a value holding a NUL"));
            }
        }
        for (k, v) in &self.labels {
            if !name_ok(k) {
                return Err(bad("labels", k, "is not a label key"));
            }
            if v.contains('\0') {
                return Err(bad("labels", k, "has a value holding a NUL"));
            }
        }
        if let Some(u) = self.user.as_deref().filter(|u| !name_ok(u)) {
            return Err(bad("user", u, "is not a user (`uid`, `uid:gid` or a name)"));
        }
        let entry = self.entrypoint.iter().flatten();
        if let Some(e) = entry.into_iter().find(|e| e.contains('\0')) {
            return Err(bad("entrypoint", e, "holds a NUL"));
        }
        Ok(())
    }

    /// The base image, `None` for `scratch`. Anything else must be pinned by digest.
    pub fn base_ref(&self) -> Result<Option<BaseRef>> {
        if self.base == "scratch" {
            return Ok(None);
        }
        let unpinned = || {
            Error::config(format!("platforms.docker.base: `{}` is not pinned by digest", self.base)).with_hint(
                "write `<image>@sha256:<digest>` (the digest `skopeo inspect --format '{{.Digest}}' docker://<image>` prints), or `scratch`",
            )
        };
        let (name, digest) = self.base.split_once('@').ok_or_else(unpinned)?;
        let hex = digest.strip_prefix("sha256:").ok_or_else(unpinned)?;
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            return Err(unpinned());
        }
        // `alpine:3.20@sha256:…`: the tag is informative only; the digest decides.
        let name = match name.rsplit_once(':') {
            Some((head, tag)) if !tag.contains('/') => head,
            _ => name,
        };
        let reference = Reference::parse_as("platforms.docker.base", name)?;
        Ok(Some(BaseRef {
            reference,
            digest: digest.to_string(),
        }))
    }

    /// The base's distribution API: `base_registry_url`, else the image's when on the same
    /// host, else the host's default.
    pub fn base_api(&self, image: &Reference, base: &Reference) -> String {
        match &self.base_registry_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if base.host == image.host => self.api_base(image),
            None => DockerConfig { registry_url: None, ..self.clone() }.api_base(base),
        }
    }

    /// Docker Hub's API base URL (`hub_api_url`), without a trailing slash.
    pub fn hub_api(&self) -> String {
        let u = self.hub_api_url.as_deref().unwrap_or(super::hub::DEFAULT_URL);
        u.trim_end_matches('/').to_string()
    }

    /// `(chunk_above, chunk_size)` in bytes.
    pub fn chunking(&self) -> Result<(u64, u64)> {
        let above = size("chunk_above", &self.chunk_above)?;
        let chunk = size("chunk_size", &self.chunk_size)?;
        if chunk == 0 {
            return Err(Error::config("platforms.docker.chunk_size: must be more than 0"));
        }
        Ok((above, chunk))
    }

    /// The distribution API's base URL, without a trailing slash.
    pub fn api_base(&self, r: &Reference) -> String {
        match &self.registry_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if r.is_docker_hub() => HUB_API.into(),
            None => format!("https://{}", r.host),
        }
    }
}

/// A base image pinned by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRef {
    pub reference: Reference,
    /// `sha256:<hex>`.
    pub digest: String,
}

/// `16MiB`, `512KiB`, `1GiB` or a number of bytes.
fn size(setting: &str, s: &str) -> Result<u64> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => 0,
    };
    match num.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)) {
        Some(n) if mult > 0 => Ok(n),
        _ => Err(Error::config(format!("platforms.docker.{setting}: `{s}` is not a size"))
            .with_hint("write a whole number of bytes, KiB, MiB or GiB, e.g. `16MiB`")),
    }
}

impl ExtraFile {
    /// The octal mode (default 0644).
    pub fn mode(&self) -> Result<u32> {
        let Some(m) = &self.mode else { return Ok(0o644) };
        u32::from_str_radix(m.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .ok_or_else(|| {
                Error::config(format!("platforms.docker.files: mode `{m}` of {} is not an octal mode", self.dst))
                    .with_hint("write it as a string, e.g. \"0644\" or \"0755\"")
            })
    }

    /// The path inside the layer (no leading `/`): absolute in the image, no `.`/`..`, not a
    /// directory.
    pub fn image_path(&self) -> Result<String> {
        let bad = || {
            Error::config(format!("platforms.docker.files: dst `{}` must be an absolute file path inside the image, without `.` or `..`", self.dst))
        };
        let rest = self.dst.strip_prefix('/').ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
            return Err(bad());
        }
        Ok(rest.to_string())
    }
}

/// The version tag for `version`: semver build metadata's `+` (illegal in a tag) becomes `_`
/// (`1.2.3+build.5` → `1.2.3_build.5`); anything else outside `[A-Za-z0-9_.-]`, or longer
/// than 128, is an input error.
pub fn version_tag(version: &semver::Version) -> Result<String> {
    let tag = version.to_string().replace('+', "_");
    check_tag(&tag)?;
    Ok(tag)
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}` (distribution spec).
pub fn check_tag(tag: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let first_ok = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok || tag.len() > 128 || !tag.chars().all(ok_char) {
        return Err(Error::input(format!(
            "`{tag}` is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9._-], at most 128 characters)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = |s: &str| Reference::parse(s).ok().map(|r| (r.host, r.repository));
        let ok = |h: &str, p: &str| Some((h.to_string(), p.to_string()));
        assert_eq!(r("acme/hello"), ok("docker.io", "acme/hello"));
        assert_eq!(r("alpine"), ok("docker.io", "library/alpine"));
        assert_eq!(r("docker.io/acme/hello"), ok("docker.io", "acme/hello"));
        assert_eq!(r("127.0.0.1:5000/a/b-c"), ok("127.0.0.1:5000", "a/b-c"));
        assert_eq!(r("localhost/a__b"), ok("localhost", "a__b"));
        for bad in ["Acme/hello", "acme/hello:1.0", "acme/hello@sha256:00", "acme//x", "a/-x", "a/x.", "a/x___y", ""] {
            let e = Reference::parse(bad).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Config, "{bad}");
        }
        assert!(Reference::parse("Acme/x").unwrap_err().message().contains("uppercase"));
    }

    fn cfg(v: serde_json::Value) -> DockerConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn api_base_defaults() {
        let base = |c: DockerConfig| c.api_base(&c.validate().unwrap());
        let c = |image: &str, url: Option<&str>| cfg(serde_json::json!({"image": image, "registry_url": url}));
        assert_eq!(base(c("acme/x", None)), "https://registry-1.docker.io");
        assert_eq!(base(c("ghcr.io/acme/x", None)), "https://ghcr.io");
        assert_eq!(base(c("h:5/x", Some("http://127.0.0.1:5/"))), "http://127.0.0.1:5");
        assert_eq!(c("acme/x", None).hub_api(), "https://hub.docker.com");
        let hub = cfg(serde_json::json!({"image": "acme/x", "hub_api_url": "http://127.0.0.1:7/"}));
        assert_eq!(hub.hub_api(), "http://127.0.0.1:7");
        let bad = cfg(serde_json::json!({"image": "acme/x", "hub_api_url": "not a url"}));
        assert!(bad.validate().unwrap_err().message().contains("hub_api_url"));
    }

    #[test]
    fn bases_must_be_pinned_by_digest() {
        let hex = "ab".repeat(32);
        let b = |base: &str| cfg(serde_json::json!({"image": "h:5/acme/x", "registry_url": "http://127.0.0.1:5", "base": base}));
        for unpinned in ["alpine:3", "h:5/lib/base", "h:5/lib/base@sha256:00", "x@md5:ab"] {
            let e = b(unpinned).validate().unwrap_err();
            assert!(e.message().contains("not pinned by digest"), "{unpinned}: {e}");
        }
        let c = b(&format!("h:5/lib/base:1.0@sha256:{hex}"));
        let r = c.validate().unwrap();
        let base = c.base_ref().unwrap().unwrap();
        assert_eq!((base.reference.repository.as_str(), base.digest.as_str()), ("lib/base", format!("sha256:{hex}").as_str()));
        assert_eq!(c.base_api(&r, &base.reference), "http://127.0.0.1:5", "same host: the image's API");
        let hub = b(&format!("alpine@sha256:{hex}"));
        let on_hub = hub.base_ref().unwrap().unwrap().reference;
        assert_eq!(hub.base_api(&r, &on_hub), "https://registry-1.docker.io");
        assert_eq!(b("scratch").base_ref().unwrap(), None);
    }

    #[test]
    fn sizes_and_files() {
        let c = |v: serde_json::Value| {
            let mut m = serde_json::json!({"image": "acme/x"});
            m.as_object_mut().unwrap().extend(v.as_object().unwrap().clone());
            cfg(m)
        };
        assert_eq!(c(serde_json::json!({})).chunking().unwrap(), (16 << 20, 8 << 20));
        let small = c(serde_json::json!({"chunk_above": "512KiB", "chunk_size": "1000"}));
        assert_eq!(small.chunking().unwrap(), (512 << 10, 1000));
        assert!(c(serde_json::json!({"chunk_above": "16MB"})).validate().is_err());
        assert!(c(serde_json::json!({"chunk_size": "0"})).validate().is_err());
        let f = |dst: &str, mode: Option<&str>| ExtraFile { src: "a".into(), dst: dst.into(), mode: mode.map(String::from) };
        assert_eq!(f("/etc/x.toml", None).image_path().unwrap(), "etc/x.toml");
        assert_eq!(f("/etc/x", Some("0755")).mode().unwrap(), 0o755);
        assert_eq!(f("/etc/x", None).mode().unwrap(), 0o644);
        for bad in ["etc/x", "/etc/../x", "/etc/", "/"] {
            assert!(f(bad, None).image_path().is_err(), "{bad}");
        }
        assert!(f("/x", Some("644x")).mode().is_err());
        assert!(f("/x", Some("99")).mode().is_err());
    }

    #[test]
    fn tags() {
        let v = |s: &str| version_tag(&semver::Version::parse(s).unwrap());
        assert_eq!(v("1.2.3").unwrap(), "1.2.3");
        assert_eq!(v("1.2.3-rc.1+build.5").unwrap(), "1.2.3-rc.1_build.5");
        assert!(check_tag(".x").is_err());
        assert!(check_tag(&"a".repeat(129)).is_err());
        assert!(check_tag("-x").is_err());
        assert!(check_tag("A_b.c-d").is_ok());
    }
}
