//! npm: the esbuild/biome binary-package pattern, published natively over the registry's
//! HTTP API (no npm CLI needed).
//!
//! `package` writes one tarball per target (`{scope}/{name}-{os}-{cpu}`, only the binary and
//! a package.json with exact `os`/`cpu`/`libc`) plus a root package whose `bin` is a small
//! Node launcher and whose `optionalDependencies` pin every platform package to this exact
//! version. `check` asks the registry for each `name@version` and compares its shasum and
//! integrity with our tarball; `publish` (publish.rs) PUTs what is missing, platform packages
//! first, then waits until installers can see them before the root. npm's rules are checked
//! before anything is sent (rules.rs) and its refusals reported as they are (refusals.rs).
//! `stage: true` sends every package to npm's stage instead (stage.rs): `pending` until a
//! maintainer approves it.
//! `mode: package_json` publishes an existing package directory instead, or every public
//! package of a workspace (`workspace: true`, package_json.rs). See README.md.

pub mod api;
mod check;
pub mod config;
pub mod elf;
pub mod files;
mod glob;
pub mod manifest;
mod oidc;
mod package_json;
mod probe;
mod publish;
pub mod ranges;
pub mod refusals;
mod rollback;
pub mod rules;
mod stage;
pub mod tarball;
pub mod workspace;

use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Artifact, ArtifactKind, Project, Target};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Handover, Live, Platform, Published, Release,
    Requirement,
};
use api::{Api, Creds};
use async_trait::async_trait;
use config::{Access, Mode, NpmConfig};
use manifest::PlatformPkg;
use std::collections::BTreeMap;
use std::time::Duration;
use tarball::Entry;

/// Registry entry.
pub const FACTORY: Factory = Factory {
    id: "npm",
    about: "npm registry: per-target binary packages plus a root package with a Node launcher",
    schema: config::schema,
    build,
};

fn build(v: &serde_json::Value, project: &Project) -> Result<Box<dyn Platform>> {
    let cfg: NpmConfig = section("npm", v)?;
    cfg.validate(project)?;
    Ok(Box::new(Npm::new(cfg, project.clone())))
}

/// The adapter.
#[derive(Clone)]
pub struct Npm {
    cfg: NpmConfig,
    project: Project,
}

/// A package to write to dist/npm/: its entries (binaries stay on disk until written).
#[derive(Debug, Clone)]
pub struct Built {
    pub name: String,
    pub target: Option<Target>,
    pub entries: Vec<Entry>,
}

/// A package tarball in dist/ for check and publish: its manifest and fingerprints (the
/// bytes stay on disk; the PUT streams them).
struct Loaded {
    name: String,
    version: String,
    manifest: serde_json::Value,
    path: std::path::PathBuf,
    digests: tarball::Digests,
}

fn pretty(v: &serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value serializes");
    s.push('\n');
    s.into_bytes()
}

impl Npm {
    pub fn new(cfg: NpmConfig, project: Project) -> Npm {
        Npm { cfg, project }
    }

    /// One binary per target: the release's `Binary` artifacts with a target. Several for
    /// one target are disambiguated by the `bin` name.
    fn binaries<'a>(&self, release: &'a Release) -> Result<BTreeMap<Target, &'a Artifact>> {
        let bin = self.cfg.bin_name(&self.project);
        let mut by: BTreeMap<Target, Vec<&Artifact>> = BTreeMap::new();
        for a in &release.artifacts {
            if let (ArtifactKind::Binary, Some(t)) = (&a.kind, a.target) {
                by.entry(t).or_default().push(a);
            }
        }
        if by.is_empty() {
            return Err(Error::input(
                "npm: the release has no binaries with a target to package",
            )
            .with_hint("add build targets, or use `mode: package_json` to publish a package.json directory"));
        }
        let mut out = BTreeMap::new();
        for (t, list) in by {
            let stem = |a: &Artifact| {
                let f = a
                    .path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                f.strip_suffix(".exe").map(String::from).unwrap_or(f)
            };
            let pick = match list.as_slice() {
                [one] => *one,
                many => *many.iter().find(|a| stem(a) == bin).ok_or_else(|| {
                    Error::input(format!(
                        "npm: {} binaries for {t} and none is named `{bin}`",
                        many.len()
                    ))
                    .with_hint("set platforms.npm.bin to the binary's name")
                })?,
            };
            out.insert(t, pick);
        }
        Ok(out)
    }

    /// Builds every tarball of `mode: binary`: platform packages, then the root.
    pub fn build_binary(&self, release: &Release) -> Result<Vec<Built>> {
        let version = manifest::npm_version(&release.version);
        let root = self.cfg.root_name(&self.project);
        let bin = self.cfg.bin_name(&self.project);
        let prefix = self.cfg.platform_prefix(&self.project);
        let mut out = Vec::new();
        let mut pkgs = Vec::new();
        for (target, art) in self.binaries(release)? {
            let path = release.path(art);
            let libc = if target.os == crate::plan::Os::Linux {
                elf::libc(&path)
                    .map_err(|e| {
                        Error::input(format!(
                            "npm: {} (built for {target}) is not a Linux executable: {e}",
                            path.display()
                        ))
                    })?
                    .name()
            } else {
                None
            };
            let pkg = PlatformPkg::new(&prefix, &bin, target, libc);
            let pj = manifest::platform_manifest(&self.project, &version, &root, &pkg);
            out.push(Built {
                name: pkg.name.clone(),
                target: Some(target),
                entries: vec![
                    Entry::file("package.json", pretty(&pj)),
                    Entry::disk(pkg.bin_path.clone(), path).with_mode(0o755),
                ],
            });
            pkgs.push(pkg);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let pj = manifest::root_manifest(&self.project, &version, &root, &bin, &pkgs);
        let launcher = manifest::launcher(&root, &version, &bin, &pkgs);
        out.push(Built {
            name: root,
            target: None,
            entries: vec![
                Entry::file("package.json", pretty(&pj)),
                Entry::exe(manifest::launcher_path(&bin), launcher),
            ],
        });
        Ok(out)
    }

    /// Builds every tarball and writes it to dist/npm/, streamed (binaries are never read
    /// whole), then fingerprints the file.
    fn write_packages(&self, release: &Release) -> Result<Vec<Artifact>> {
        let built = match self.cfg.mode {
            Mode::Binary => self.build_binary(release)?,
            Mode::PackageJson => self.build_package_json(release)?,
        };
        let version = manifest::npm_version(&release.version);
        let mut out = Vec::new();
        for b in built {
            let file = manifest::tarball_file_name(&b.name, &version);
            let rel = std::path::Path::new("npm").join(&file);
            let abs = release.dist.join(&rel);
            tarball::write(&b.entries, release.epoch, &abs)?;
            let d = tarball::digests(&abs)?;
            out.push(Artifact {
                name: file,
                path: rel,
                kind: ArtifactKind::Package {
                    platform: "npm".into(),
                },
                target: b.target,
                sha256: d.sha256,
                size: d.size,
            });
        }
        Ok(out)
    }

    fn api(&self, cx: &Cx) -> Api {
        Api::new(
            cx.http.clone(),
            &self.cfg.registry_base(),
            Creds {
                token: cx.secret(&self.cfg.token_env).cloned(),
                token_env: self.cfg.token_env.clone(),
                otp: cx.secret(&self.cfg.otp_env).cloned(),
                otp_env: self.cfg.otp_env.clone(),
            },
        )
    }

    /// Reads our tarballs back, root package last.
    async fn load(&self, cx: &Cx, packages: &[Artifact]) -> Result<Vec<Loaded>> {
        let owned;
        let packages = if packages.is_empty() {
            owned = self.package(cx).await?;
            &owned[..]
        } else {
            packages
        };
        let mut out = Vec::new();
        for a in packages {
            if !matches!(&a.kind, ArtifactKind::Package { platform } if platform == "npm") {
                continue;
            }
            let path = cx.release.path(a);
            let manifest = tarball::read_manifest_file(&path)?;
            let s = |k: &str| manifest[k].as_str().unwrap_or_default().to_string();
            out.push(Loaded {
                name: s("name"),
                version: manifest::clean_version(&s("version")),
                manifest,
                digests: tarball::digests(&path)?,
                path,
            });
        }
        // Dependents last: a package with optionalDependencies (the root) after the rest.
        // A workspace's packages are already in dependency order (workspace.rs).
        if !self.cfg.workspace {
            out.sort_by_key(|l| l.manifest.get("optionalDependencies").is_some());
        }
        Ok(out)
    }

    /// A package's page (staged versions have none of their own yet).
    fn package_page(&self, name: &str) -> String {
        let base = self.cfg.registry_base();
        if base.contains("registry.npmjs.org") {
            format!("https://www.npmjs.com/package/{name}")
        } else {
            format!("{base}{name}")
        }
    }

    /// The root package's page.
    fn page(&self, cx: &Cx, loaded: &[Loaded]) -> Handover {
        let base = self.cfg.registry_base();
        let root = self.cfg.root_name(&self.project);
        let Some(root) = loaded
            .iter()
            .find(|l| l.name == root)
            .or(loaded.first())
            .map(|l| &l.name)
        else {
            return Handover::default();
        };
        let v = manifest::npm_version(&cx.release.version);
        Handover::urls(vec![if base.contains("registry.npmjs.org") {
            format!("https://www.npmjs.com/package/{root}/v/{v}")
        } else {
            format!("{base}{root}/{v}")
        }])
    }

    /// The publish PUT's body: the document, with the tarball streamed into it.
    fn doc(&self, cx: &Cx, l: &Loaded, access: Option<Access>) -> Result<crate::http::Body> {
        let base = self.cfg.registry_base();
        let (tag, _) = self.tag(cx, l);
        let doc = manifest::publish_document(
            &l.manifest,
            &l.digests,
            &manifest::DocOptions {
                registry_base: &base,
                tag: &tag,
                access: access.map(Access::as_str),
            },
        );
        manifest::publish_body(&doc, &l.path)
    }

    /// The dist-tag for `l` and whether it was chosen explicitly: platforms.npm.tag, else
    /// package.json's `publishConfig.tag` (as npm honours it), else `next`/`latest`.
    fn tag(&self, cx: &Cx, l: &Loaded) -> (String, bool) {
        if let Some(t) = &self.cfg.tag {
            return (t.clone(), true);
        }
        if let Some(t) = l.manifest["publishConfig"]["tag"].as_str() {
            return (t.to_string(), true);
        }
        (self.cfg.dist_tag(cx.release.is_prerelease()), false)
    }

    /// npm 11 refuses to move `latest` implicitly to a lower version (a backport): with the
    /// default tag, a root whose registry `latest` is higher is refused before any PUT.
    async fn guard_latest(&self, cx: &Cx, api: &Api, live: &Live, loaded: &[Loaded]) -> Result<()> {
        // The root is loaded last (the only package in `mode: package_json`).
        let Some(root) = loaded.last() else {
            return Ok(());
        };
        let (tag, explicit) = self.tag(cx, root);
        if explicit || tag != "latest" || !live.wants(&root.name) {
            return Ok(());
        }
        let Some(doc) = api.packument(&root.name, true).await? else {
            return Ok(());
        };
        let theirs = doc["dist-tags"]["latest"].as_str().unwrap_or_default();
        match (semver::Version::parse(theirs), semver::Version::parse(&root.version)) {
            (Ok(t), Ok(ours)) if t > ours => Err(Error::conflict(format!(
                "npm: publishing {}@{ours} would move the `latest` dist-tag down from {theirs} (a backport); npm refuses that implicitly",
                root.name
            ))
            .with_hint("set platforms.npm.tag to a tag for this line (e.g. `legacy` or `maintenance`), or `tag: latest` to move it on purpose")),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Platform for Npm {
    fn id(&self) -> &str {
        "npm"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            verify_within: Some(Duration::from_secs(60)),
            withdraw: crate::platform::Withdraw::Deprecate,
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let mut r = self.cfg.auth.requirements(&self.cfg.token_env);
        r.push(Requirement::optional_credential(&self.cfg.otp_env));
        r
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        // Compressing is CPU work: keep it off the async workers other platforms run on.
        let (me, release) = (self.clone(), cx.release.clone());
        tokio::task::spawn_blocking(move || me.write_packages(&release))
            .await
            .map_err(|e| Error::new(ErrorKind::Other, format!("npm packaging panicked: {e}")))?
    }

    /// `mode: binary` reads the binaries and its settings only (reusable); `package_json`
    /// reads a whole directory, so it is always repackaged.
    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        (self.cfg.mode == Mode::Binary).then(|| format!("{:?} {:?}", self.cfg, self.project))
    }

    async fn probe(&self, cx: &Cx, plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        probe::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        probe::latest(self, cx).await
    }

    async fn withdraw(&self, cx: &Cx) -> Result<crate::platform::Withdrawn> {
        rollback::deprecate(self, cx).await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let loaded = self.load(cx, packages).await?;
        check::check(self, cx, &loaded).await
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let loaded = self.load(cx, packages).await?;
        self.publish_all(cx, live, &loaded).await
    }
}
