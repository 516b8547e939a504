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
    /// Base image: only `scratch` (no base layers) today. A base pinned by digest is refused
    /// with exit 2 until base images are supported (README, "Base images").
    #[serde(default = "default_base")]
    pub base: String,
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

fn default_base() -> String {
    "scratch".into()
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
        let bad = |why: &str| {
            Error::config(format!("platforms.docker.image: `{image}` {why}")).with_hint(
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
        url::Url::parse(&self.api_base(&r)).map_err(|e| {
            Error::config(format!("platforms.docker.registry_url: `{}`: {e}", self.api_base(&r)))
        })?;
        if self.base != "scratch" {
            return Err(Error::config(format!(
                "platforms.docker.base: `{}`: only `scratch` is supported so far",
                self.base
            ))
            .with_hint("remove `base` (scratch: a static binary needs no base image); base images pinned by digest are not implemented yet"));
        }
        Ok(r)
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

    #[test]
    fn api_base_defaults() {
        let cfg = |image: &str, url: Option<&str>| DockerConfig {
            image: image.into(),
            registry_url: url.map(String::from),
            base: default_base(),
            binary: None,
            entrypoint: None,
            env: BTreeMap::new(),
            user: None,
            labels: BTreeMap::new(),
            floating_tags: Vec::new(),
            verify_timeout_secs: 30,
        };
        let base = |c: DockerConfig| c.api_base(&c.validate().unwrap());
        assert_eq!(base(cfg("acme/x", None)), "https://registry-1.docker.io");
        assert_eq!(base(cfg("ghcr.io/acme/x", None)), "https://ghcr.io");
        assert_eq!(base(cfg("h:5/x", Some("http://127.0.0.1:5/"))), "http://127.0.0.1:5");
        let mut based = cfg("acme/x", None);
        based.base = "alpine:3".into();
        assert!(based.validate().unwrap_err().message().contains("scratch"));
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
