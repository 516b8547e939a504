//! `pypi`: binary wheels (one per target, built by `platforms::wheel`) uploaded natively with
//! the legacy forklift API to pypi.org, TestPyPI or any compatible index (pypiserver, devpi,
//! Artifactory, GitLab). The check works **per file name**: a release can be live with only
//! some of its wheels (uploads are one file per POST, not atomic; PEP 694), so a re-run after
//! a partial release uploads exactly the missing files. The same file name with different
//! bytes is a conflict and is never overwritten (PyPI burns file names forever).
//! PyPI has no yank API for tokens (pypi/warehouse#12708), so a rollback is `manual`: it says
//! so and names the exact page where a maintainer yanks the release.
//! `mode: project` publishes the wheels and sdist the project's own build writes instead
//! (`wheel::project`), with the upload form from each file's METADATA (`project.rs`).

pub mod api;
pub mod config;
pub mod probe;
pub mod oidc;
mod project;
pub mod rules;

use crate::error::{Error, ErrorKind, Result};
use crate::http::Auth;
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    self, compare, section, Capabilities, Checked, Cx, Digest, Factory, Handover, Live, Platform,
    Published, Requirement, Wanted, Withdraw, Withdrawn,
};
use crate::platforms::wheel::{self, WheelMeta};
use api::{Listed, Upload, Uploaded};
use async_trait::async_trait;
pub use config::{CheckVia, Mode, PypiConfig};
use crate::platforms::wheel::checks::{self, Limits};
use std::time::Duration;

pub const FACTORY: Factory = Factory {
    id: "pypi",
    about: "binary wheels uploaded to PyPI or a compatible index (pypiserver, devpi, ...)",
    schema: || schemars::schema_for!(PypiConfig),
    build: |v, p: &Project| Ok(Box::new(Pypi::new(section("pypi", v)?, p)?)),
};

/// The pypi adapter.
pub struct Pypi {
    cfg: PypiConfig,
    name: String,
    /// The trusted-publishing token, when `auth` resolves to OIDC.
    minted: crate::oidc::Minter,
}

impl Pypi {
    pub fn new(cfg: PypiConfig, project: &Project) -> Result<Self> {
        let name = cfg.package.clone().unwrap_or_else(|| project.name.clone());
        wheel::check_name(&name).map_err(|e| e.context("platforms.pypi.package"))?;
        for (k, u) in [
            ("repository_url", &cfg.repository_url),
            ("index_url", &cfg.index_url),
        ] {
            url::Url::parse(u)
                .map_err(|e| Error::config(format!("platforms.pypi.{k}: `{u}`: {e}")))?;
        }
        Ok(Pypi {
            cfg,
            name,
            minted: Default::default(),
        })
    }

    fn meta(&self, cx: &Cx) -> Result<WheelMeta> {
        WheelMeta::from_release(&cx.release, &self.name, self.cfg.requires_python.as_deref())
    }

    /// Every file the index lists for this version (or project, via the simple API).
    async fn listed(&self, cx: &Cx, version: &str) -> Result<Vec<Listed>> {
        if self.cfg.check_via == CheckVia::Json {
            let index = config::with_slash(&self.cfg.index_url);
            if let Some(v) = api::list_json(&cx.http, &index, &self.name, version).await? {
                return Ok(v);
            }
        }
        api::list_simple(&cx.http, &self.cfg.simple_root(), &self.name).await
    }

    /// Compares `wanted` (file name, sha256) with what is live.
    async fn live(&self, cx: &Cx, wanted: &[(String, String)]) -> Result<Live> {
        let version = wheel::pep440(&cx.release.version)?;
        let listed = self.listed(cx, &version).await?;
        self.compare(cx, &listed, wanted).await
    }

    /// Compares `wanted` with the files `listed` (hashing those listed without a digest).
    async fn compare(
        &self,
        cx: &Cx,
        listed: &[Listed],
        wanted: &[(String, String)],
    ) -> Result<Live> {
        let mut seen = Vec::new();
        for (name, _) in wanted {
            let Some(l) = listed.iter().find(|l| &l.filename == name) else {
                continue;
            };
            let live_sha = match (&l.sha256, &l.url) {
                (Some(s), _) => s.clone(),
                (None, Some(u)) => api::digest_of(&cx.http, u).await?,
                (None, None) => {
                    return Err(Error::protocol(format!(
                        "the index lists {name} with neither a sha256 nor a URL"
                    )))
                }
            };
            seen.push(platform::Listed::new(name, vec![Digest::Sha256(live_sha)]));
        }
        let wanted: Vec<Wanted> = wanted
            .iter()
            .map(|(n, sha)| Wanted::new(n, vec![Digest::Sha256(sha.clone())]))
            .collect();
        Ok(compare(&wanted, &seen))
    }

    /// The upload's credentials: the configured token, or a token minted from the CI's ID
    /// token (trusted publishing), minted again when it nears expiry.
    async fn auth(&self, cx: &Cx) -> Result<Option<Auth>> {
        if self.cfg.auth.uses_oidc(&self.cfg.token_env) {
            let token = (self.minted)
                .get(|| oidc::mint(cx, &self.cfg.index_url))
                .await?;
            return Ok(Some(Auth::Basic("__token__".into(), token)));
        }
        Ok(cx
            .secret(&self.cfg.token_env)
            .map(|s| Auth::Basic(self.cfg.username.clone(), s.clone())))
    }

    /// Wheels in dist/, then warehouse's form rules (`rules.rs`) on exactly what the upload
    /// will send: the validation phase, so a refusal is exit 2 with nothing published.
    async fn package_checked(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        if self.cfg.mode == Mode::Project {
            let limits = Limits {
                package: &self.name,
                max_file_size: Some(self.cfg.max_file_size),
            };
            return wheel::project::package(cx, &self.cfg.build, &limits, "pypi").await;
        }
        let meta = self.meta(cx)?;
        let readme = self.cfg.readme(&cx.release.root)?;
        let pkgs = package_wheels(cx, meta.clone(), "pypi").await?;
        rules::check(&self.cfg, &meta, readme.as_ref(), &pkgs)?;
        Ok(pkgs)
    }

    fn rejected(&self, cx: &Cx, resp: &crate::http::Response, file: &str) -> Error {
        let var = &self.cfg.token_env;
        let hint = if cx.secret(var).is_some() {
            format!(
                "{var} was rejected by {}: check the token, its scope (project or account) and `username` ({})",
                self.cfg.repository_url, self.cfg.username
            )
        } else {
            format!(
                "{var} is not set; {} requires it for uploads",
                self.cfg.repository_url
            )
        };
        Error::new(
            ErrorKind::Auth,
            format!(
                "uploading {file}: HTTP {} from {}: {}",
                resp.status,
                self.cfg.repository_url,
                api::detail(&resp.text())
            ),
        )
        .with_hint(hint)
    }

    /// Uploads one file; a duplicate answer is fine only when the live bytes are ours.
    async fn upload_one(&self, cx: &Cx, meta: &WheelMeta, a: &Artifact) -> Result<bool> {
        let (meta, readme, kind) = match self.cfg.mode {
            Mode::Binary => {
                let readme = self.cfg.readme(&cx.release.root)?;
                let kind = ("bdist_wheel", "py3".into(), wheel::METADATA_VERSION.into());
                (meta.clone(), readme, kind)
            }
            Mode::Project => {
                let d = checks::read(cx, a)?;
                let (meta, readme) = project::form_meta(&d);
                let (filetype, py) = d.name.upload_kind();
                let mv = d.meta.get("Metadata-Version").unwrap_or("").to_string();
                (meta, readme, (filetype, py, mv))
            }
        };
        let u = Upload {
            repository_url: &self.cfg.repository_url,
            auth: self.auth(cx).await?,
            path: cx.release.path(a),
            filename: &a.name,
            sha256: &a.sha256,
            meta: &meta,
            readme: readme.as_ref(),
            kind: (kind.0, &kind.1, &kind.2),
        };
        match api::upload(&cx.http, &u).await? {
            Uploaded::Ok => Ok(true),
            Uploaded::Rejected(resp) => Err(self.rejected(cx, &resp, &a.name)),
            Uploaded::AlreadyExists(why) => {
                match self.live(cx, &[(a.name.clone(), a.sha256.clone())]).await {
                    Ok(Live::Present) => Ok(false),
                    Ok(Live::Conflict { conflicts }) => Err(conflict(&conflicts)),
                    // Listed as existing but not visible yet (CDN lag), or not listed at all:
                    // we cannot prove the bytes are ours, so do not claim success.
                    _ => Err(Error::conflict(format!(
                        "{} was refused as already existing ({}), but the index does not list it with our sha256",
                        a.name,
                        why.trim()
                    ))
                    .with_hint("a file name can never be reused on PyPI; bump the version")),
                }
            }
        }
    }

    fn project_url(&self, version: &str) -> String {
        match self.cfg.check_via {
            CheckVia::Json => format!(
                "{}project/{}/{version}/",
                config::with_slash(&self.cfg.index_url),
                wheel::normalize(&self.name)
            ),
            CheckVia::Simple => format!(
                "{}{}/",
                self.cfg.simple_root(),
                wheel::normalize(&self.name)
            ),
        }
    }
}

fn conflict(conflicts: &[String]) -> Error {
    Error::conflict(format!(
        "already on the index with different content: {}",
        conflicts.join("; ")
    ))
    .with_hint("file names can never be reused on PyPI; bump the version instead of overwriting")
}

/// Our wheels among `packages` (the engine passes what `package` returned).
pub fn wheels(packages: &[Artifact]) -> Vec<&Artifact> {
    packages
        .iter()
        .filter(|a| matches!(&a.kind, ArtifactKind::Package { .. }) && a.name.ends_with(".whl"))
        .collect()
}

/// Our distribution files among `packages`: the wheels, and in `mode: project` the sdist.
pub fn dists(packages: &[Artifact]) -> Vec<&Artifact> {
    packages
        .iter()
        .filter(|a| {
            matches!(&a.kind, ArtifactKind::Package { .. })
                && (a.name.ends_with(".whl") || a.name.ends_with(".tar.gz"))
        })
        .collect()
}

/// `(file name, sha256)` of our files; none is an input error.
pub fn wanted(packages: &[Artifact]) -> Result<Vec<(String, String)>> {
    let v: Vec<(String, String)> = dists(packages)
        .iter()
        .map(|a| (a.name.clone(), a.sha256.clone()))
        .collect();
    if v.is_empty() {
        return Err(Error::input("no wheels to check or publish"));
    }
    Ok(v)
}

/// Packages the release's binaries as wheels in dist/wheels/ (shared with pep503).
pub async fn package_wheels(
    cx: &Cx,
    meta: WheelMeta,
    platform: &'static str,
) -> Result<Vec<Artifact>> {
    let release = cx.release.clone();
    let built = tokio::task::spawn_blocking(move || wheel::build_all(&release, &meta))
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("wheel builder panicked: {e}")))??;
    Ok(built.iter().map(|w| w.artifact(platform)).collect())
}

#[async_trait]
impl Platform for Pypi {
    fn id(&self) -> &str {
        "pypi"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // PyPI's pages can lag behind uploads (CDN).
            verify_within: Some(Duration::from_secs(self.cfg.verify_timeout_secs)),
            withdraw: Withdraw::Manual,
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let mut r = self.cfg.auth.requirements(&self.cfg.token_env);
        if self.cfg.mode == Mode::Project {
            r.extend(self.cfg.build.requirements());
        }
        r
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        self.package_checked(cx).await
    }

    /// The wheels come from the binaries, the project and these settings; the README only
    /// takes part in validation (`rules`), so it is an input too.
    /// `mode: project` always rebuilds: its inputs are the project's sources.
    fn package_inputs(&self, cx: &Cx) -> Option<String> {
        if self.cfg.mode == Mode::Project {
            return None;
        }
        let readme = self.cfg.readme(&cx.release.root).ok()?;
        Some(format!("{:?} {} {readme:?}", self.cfg, self.name))
    }

    async fn probe(&self, cx: &Cx, plan: &platform::Planned) -> Result<platform::Probe> {
        probe::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<platform::Latest>> {
        probe::latest(self, cx).await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let version = wheel::pep440(&cx.release.version)?;
        let listed = self.listed(cx, &version).await?;
        if self.cfg.mode == Mode::Project {
            project::one_sdist(cx, &listed, &version, packages).await?;
        }
        let live = self.compare(cx, &listed, &wanted(packages)?).await?;
        let handover = match live {
            Live::Present => Handover::urls(vec![self.project_url(&version)]),
            _ => Handover::default(),
        };
        Ok(Checked::with(live, handover))
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let meta = self.meta(cx)?;
        let mut out = Published {
            handover: Handover::urls(vec![self.project_url(&meta.version)]),
            ..Default::default()
        };
        for a in dists(packages) {
            if live.wants(&a.name) && self.upload_one(cx, &meta, a).await? {
                out.uploaded.push(a.name.clone());
            }
        }
        Ok(out)
    }

    /// Reads what is live (anonymously) and, when there is something to take back, says where
    /// a maintainer yanks it: the index's own management page for this release.
    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let version = wheel::pep440(&cx.release.version)?;
        let listed = self.listed(cx, &version).await?;
        if !listed.iter().any(|l| of_version(&l.filename, &version)) {
            return Ok(Withdrawn::Done(format!(
                "{} {version} is not on the index: nothing to take back",
                self.name
            )));
        }
        Ok(Withdrawn::Manual {
            what: format!(
                "PyPI has no API to yank with a token (pypi/warehouse#12708): yank {} {version} in its web UI",
                self.name
            ),
            url: format!(
                "{}manage/project/{}/release/{version}/",
                config::with_slash(&self.cfg.index_url),
                wheel::normalize(&self.name)
            ),
        })
    }
}

/// Whether a distribution file name (`name-1.2.3-py3-none-any.whl`, `name-1.2.3.tar.gz`) is of
/// `version`: the simple API lists every version's files.
fn of_version(filename: &str, version: &str) -> bool {
    let stem = filename
        .trim_end_matches(".whl")
        .trim_end_matches(".tar.gz")
        .trim_end_matches(".zip");
    stem.split('-').nth(1) == Some(version)
}
