//! Drives a platform adapter by hand (no engine) against the double: a release with two
//! uploadables and a binary in a temp dist/, a `Cx` with short retries, and the `github`
//! adapter built from its config section through the registry's factory.

use super::GithubDouble;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::{Artifact, ArtifactKind, Project};
use tagship::platform::{Cx, Platform, Release};
use tagship::platforms::github;
use tagship::redact::Secret;

pub const TOKEN: &str = "ghp_adapter_test_token_7c41e9";
pub const TAG: &str = "v1.2.3";
pub const ARCHIVE: &str = "demo_1.2.3_linux_amd64.tar.gz";

pub struct Opts {
    pub dry_run: bool,
    pub token: Option<&'static str>,
    pub version: &'static str,
    pub tag: &'static str,
    pub extra: serde_json::Value,
    /// Longest server-requested (or rate-limit) wait the HTTP layer accepts.
    pub max_wait: Duration,
    /// More uploadable archives: (name, bytes).
    pub files: Vec<(&'static str, &'static [u8])>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            dry_run: false,
            token: Some(TOKEN),
            version: "1.2.3",
            tag: TAG,
            extra: serde_json::json!({}),
            max_wait: Duration::from_secs(5),
            files: Vec::new(),
        }
    }
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub cx: Cx,
    pub gh: Box<dyn Platform>,
    pub ledger: Ledger,
}

pub fn artifact(dist: &std::path::Path, name: &str, data: &[u8], kind: ArtifactKind) -> Artifact {
    std::fs::write(dist.join(name), data).unwrap();
    Artifact {
        name: name.into(),
        path: name.into(),
        kind,
        target: None,
        sha256: hex::encode(Sha256::digest(data)),
        size: data.len() as u64,
    }
}

/// A release of `demo` at `o.tag` whose dist/ holds an archive, SHA256SUMS, a binary and
/// `o.files`.
pub fn release(dist: &std::path::Path, o: &Opts) -> Release {
    let mut artifacts = vec![
        artifact(
            dist,
            ARCHIVE,
            b"pretend this is a tarball\n",
            ArtifactKind::Archive,
        ),
        artifact(
            dist,
            "SHA256SUMS",
            b"0123  demo_1.2.3_linux_amd64.tar.gz\n",
            ArtifactKind::Checksums,
        ),
        artifact(
            dist,
            "demo",
            b"a binary, never uploaded",
            ArtifactKind::Binary,
        ),
    ];
    for (name, data) in &o.files {
        artifacts.push(artifact(dist, name, data, ArtifactKind::Archive));
    }
    Release {
        project: Project {
            name: "demo".into(),
            ..Default::default()
        },
        version: semver::Version::parse(o.version).unwrap(),
        tag: o.tag.into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        dist: dist.to_path_buf(),
        artifacts,
        root: dist.to_path_buf(),
        epoch: 315_532_800,
    }
}

/// A `Cx` for platform `github` with 4 quick attempts per request.
pub fn cx(release: Release, o: &Opts, ledger: &Ledger) -> Cx {
    let opts = HttpOptions {
        dry_run: o.dry_run,
        retry: RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_wait: o.max_wait,
        },
        ..Default::default()
    };
    let http = Http::new(opts, ledger.clone()).unwrap();
    let mut secrets = BTreeMap::new();
    if let Some(t) = o.token {
        secrets.insert("GITHUB_TOKEN".to_string(), Secret::new(t));
    }
    Cx {
        platform: "github".into(),
        http: http.for_platform("github"),
        exec: Exec::new(o.dry_run, ledger.clone()).for_platform("github"),
        release: Arc::new(release),
        secrets,
        deps: BTreeMap::new(),
    }
}

/// The adapter for `acme/demo` on the double, with `o.extra` merged into its section.
pub fn setup(d: &GithubDouble, o: Opts) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let release = release(dir.path(), &o);
    let project = release.project.clone();
    let ledger = Ledger::default();
    let cx = cx(release, &o, &ledger);
    let mut section = serde_json::json!({"owner": "acme", "repo": "demo", "api_url": d.api_url()});
    for (k, v) in o.extra.as_object().unwrap() {
        section[k] = v.clone();
    }
    let gh = (github::FACTORY.build)(&section, &project).unwrap();
    Setup {
        dir,
        cx,
        gh,
        ledger,
    }
}

pub fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn count(d: &GithubDouble, method: &str, needle: &str) -> usize {
    d.requests()
        .iter()
        .filter(|(m, p)| m == method && p.contains(needle))
        .count()
}
