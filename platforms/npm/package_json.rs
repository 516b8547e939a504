//! `mode: package_json`: the package directory as it is (`path`), or with `workspace: true`
//! every public package of the npm/pnpm workspace at `path`, in publish order
//! (workspace.rs), each with its `workspace:` ranges rewritten (ranges.rs) in the packed
//! package.json only: the working tree is never written. Every member is read, validated and
//! packed here, in the package phase, so one bad member refuses the whole run (exit 2)
//! before any package reaches the registry. The version-level probe of a workspace lives
//! here too: one anonymous GET per public member, overlapped with the token's `whoami`.

use super::ranges::{self, Known};
use super::workspace::{self, Member};
use super::{config, files, manifest, rules, tarball::Entry, Built, Npm};
use crate::error::{Error, Result};
use crate::platform::{Cx, Probe, Release};
use serde_json::Value;
use std::collections::BTreeMap;

impl Npm {
    /// The directory `path` (default: beside pipeline.yaml).
    fn package_dir(&self, release: &Release) -> std::path::PathBuf {
        release.root.join(self.cfg.path.as_deref().unwrap_or("."))
    }

    /// Builds the single tarball of `mode: package_json`, or one per public workspace
    /// member with `workspace: true`.
    pub fn build_package_json(&self, release: &Release) -> Result<Vec<Built>> {
        if self.cfg.workspace {
            return self.build_workspace(release);
        }
        let dir = self.package_dir(release);
        let pj_path = dir.join("package.json");
        let pj = workspace::read_json(&pj_path)?;
        let name = pj["name"].as_str().unwrap_or_default().to_string();
        if !config::valid_name(&name) {
            return Err(Error::input(format!(
                "{}: `name` {:?} is not a valid npm package name",
                pj_path.display(),
                pj["name"]
            )));
        }
        let file = pj_path.display().to_string();
        rules::refuse(rules::package_json_violations(&file, &pj, &self.cfg))?;
        if pj["private"] == serde_json::json!(true) {
            return Err(
                Error::input(format!("{file}: the package is `private: true`"))
                    .with_hint("remove `private: true` to publish it"),
            );
        }
        if let Some(p) = &self.cfg.package {
            if *p != name {
                return Err(Error::config(format!(
                    "platforms.npm.package is `{p}` but {file} says `{name}`"
                )));
            }
        }
        check_version(release, &file, &pj)?;
        let entries = files::collect(&dir, &pj, &release.dist)?;
        Ok(vec![Built {
            name,
            target: None,
            entries,
        }])
    }

    /// Every public member, in publish order, packed with its ranges rewritten.
    fn build_workspace(&self, release: &Release) -> Result<Vec<Built>> {
        let members = workspace::members(&self.package_dir(release), &release.dist)?;
        let known: BTreeMap<String, Known> = members
            .iter()
            .map(|m| {
                let k = Known {
                    version: manifest::clean_version(&m.version),
                    private: m.private,
                };
                (m.name.clone(), k)
            })
            .collect();
        let mut out = Vec::new();
        for m in workspace::publish_order(&members)? {
            out.push(self.pack_member(release, m, &known)?);
        }
        Ok(out)
    }

    fn pack_member(
        &self,
        release: &Release,
        m: &Member,
        known: &BTreeMap<String, Known>,
    ) -> Result<Built> {
        rules::refuse(rules::package_json_violations(
            &m.file,
            &m.manifest,
            &self.cfg,
        ))?;
        check_version(release, &m.file, &m.manifest)?;
        let mut entries = files::collect(&m.dir, &m.manifest, &release.dist)?;
        if let Some(rewritten) = ranges::rewrite(&m.file, &m.manifest, known)? {
            let pos = entries.iter().position(|e| e.name == "package.json");
            let e = Entry::file("package.json", super::pretty(&rewritten));
            match pos {
                Some(i) => entries[i] = e,
                None => entries.push(e),
            }
        }
        Ok(Built {
            name: m.name.clone(),
            target: None,
            entries,
        })
    }
}

/// `version` of a package.json must equal the release's (npm drops `+build` metadata, as
/// `semver.clean` does).
fn check_version(release: &Release, file: &str, pj: &Value) -> Result<()> {
    let version = manifest::npm_version(&release.version);
    if pj["version"].as_str().map(manifest::clean_version) != Some(version.clone()) {
        return Err(Error::input(format!(
            "{file}: version is {} but the release is {version}",
            pj["version"]
        ))
        .with_hint(format!("set \"version\": \"{version}\" in package.json (npm version {version} --no-git-tag-version)")));
    }
    Ok(())
}

/// The version-level probe of a workspace: live when every public member is there at this
/// version (by name: content is compared by the check when anything is missing). Reads the
/// members' package.json files only; a workspace that cannot be read is `Unknown`, so the
/// package phase reports the problem with its file. The version reads go out without the
/// token and are not asked again with it: a missing answer only means "pack and check"
/// (whose reads carry the token), and on a first release of N packages the N authenticated
/// retries would cost N credential checks (verdaccio's bcrypt, ~100 ms each, one at a time)
/// for nothing.
pub(super) async fn probe(n: &Npm, cx: &Cx) -> Result<Probe> {
    let version = manifest::npm_version(&cx.release.version);
    let Ok(members) = workspace::members(&n.package_dir(&cx.release), &cx.release.dist) else {
        return Ok(Probe::Unknown);
    };
    let Ok(order) = workspace::publish_order(&members) else {
        return Ok(Probe::Unknown);
    };
    let names: Vec<&str> = order.iter().map(|m| m.name.as_str()).collect();
    let api = n.api(cx);
    let (_, docs) = futures::try_join!(
        api.whoami(),
        futures::future::try_join_all(
            names
                .iter()
                .map(|name| api.version_doc_public_first(name, &version))
        )
    )?;
    if let Some((name, _)) = names.iter().zip(&docs).find(|(_, d)| d.is_none()) {
        return Ok(Probe::Missing(format!(
            "npm: {name}@{version} is not published"
        )));
    }
    // The page the check hands over (`Npm::page`): the project's package, else the first.
    let root = n.cfg.root_name(&n.project);
    let page = names.iter().find(|m| **m == root).or(names.first());
    Ok(Probe::Live(
        page.map(|p| super::probe::page(n, p, &version))
            .unwrap_or_default(),
    ))
}
