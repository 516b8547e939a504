//! `package`: one `cargo package --no-verify` for every crate of the release (one crate, or
//! the workspace's publishable members at once, so cargo resolves the path dependencies
//! between unpublished members itself and writes each one's registry version into the
//! packaged Cargo.toml), then each `.crate` is checked (version, no dist/, crates.io's
//! rules) and copied to `dist/crates/`. Every problem of every crate goes into one error:
//! nothing is published when any member would be refused.

use super::workspace::Unit;
use super::{rules, CrateContents, Crates};
use crate::error::{Error, Result};
use crate::exec::{Cmd, Effect};
use crate::kit::rules::Violation;
use crate::plan::{Artifact, ArtifactKind};
use crate::platform::Cx;
use sha2::{Digest as _, Sha256};
use std::path::Path;
use toml::Value;

/// `cargo package` for `units`, with its target dir under dist/.
fn cargo_package(c: &Crates, cx: &Cx, units: &[Unit], target_dir: &Path) -> Cmd {
    let mut cmd = Cmd::new("cargo", Effect::Local)
        .arg("package")
        .arg("--no-verify")
        .arg("--manifest-path")
        .arg(c.manifest_path(cx).display().to_string())
        .arg("--target-dir")
        .arg(target_dir.display().to_string())
        .cwd(cx.release.root.clone());
    if c.cfg.allow_dirty {
        cmd = cmd.arg("--allow-dirty");
    }
    if c.cfg.package.is_some() || c.cfg.is_workspace() {
        for u in units {
            cmd = cmd.arg("--package").arg(u.name.clone());
        }
    }
    if let Some(r) = &c.cfg.registry {
        // Dependencies resolve against this registry; the env var tells cargo its index
        // even when ~/.cargo/config.toml does not define it.
        cmd = cmd.arg("--registry").arg(r.clone());
        if let Some((k, v)) = c.cfg.registry_env() {
            cmd = cmd.env(k, v);
        }
    }
    cmd
}

/// Refuses a `.crate` that swallowed dist/ (cargo packs every file of the package
/// directory that git does not ignore; outside git, every file).
fn check_no_dist(cx: &Cx, u: &Unit, c: &CrateContents) -> Result<()> {
    let Some(pkg_dir) = u.manifest.parent() else {
        return Ok(());
    };
    let Ok(rel) = cx.release.dist.strip_prefix(pkg_dir) else {
        return Ok(());
    };
    let dir = rel.display().to_string();
    let rel = format!("{dir}/");
    if let Some(f) = c.files.keys().find(|f| f.starts_with(&rel)) {
        return Err(Error::input(format!(
            "the packaged crate includes `{f}` from the dist directory"
        ))
        .with_hint(format!(
            "add `exclude = [\"/{dir}\"]` to [package] in Cargo.toml, or list {dir}/ in .gitignore"
        )));
    }
    Ok(())
}

/// The manifest as messages name it: relative to pipeline.yaml's directory.
fn shown(cx: &Cx, path: &Path) -> String {
    path.strip_prefix(&cx.release.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Reads one packaged crate and checks it; the crates.io rules it breaks go to `found`.
async fn one(c: &Crates, cx: &Cx, u: &Unit, target_dir: &Path, found: &mut Vec<Violation>) -> Result<Artifact> {
    let file = Crates::file_name(&u.name, cx);
    let produced = target_dir.join("package").join(&file);
    let bytes = tokio::fs::read(&produced).await.map_err(|_| {
        Error::input(format!(
            "cargo package did not produce {file}; is the version in {} {}?",
            shown(cx, &u.manifest),
            cx.release.version
        ))
    })?;
    let contents = CrateContents::read(&bytes)?;
    let m = contents.manifest()?;
    let vers = m
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(Value::as_str);
    if vers != Some(cx.release.version.to_string().as_str()) {
        return Err(c.version_mismatch(cx, vers.unwrap_or("(none)")));
    }
    check_no_dist(cx, u, &contents)?;
    let manifest = match c.cfg.is_workspace() {
        true => shown(cx, &u.manifest),
        false => c.cfg.manifest_name().to_string(),
    };
    found.extend(rules::found(&c.cfg, &manifest, &contents, bytes.len() as u64)?);
    let rel = Path::new("crates").join(&file);
    let dest = cx.release.dist.join(&rel);
    tokio::fs::write(&dest, &bytes)
        .await
        .map_err(|e| Error::io(format!("writing {}", dest.display()), e))?;
    Ok(Artifact {
        name: file,
        path: rel,
        kind: ArtifactKind::Package {
            platform: "crates".into(),
        },
        target: None,
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
    })
}

/// Packages every crate of the release, in publishing order.
pub async fn package(c: &Crates, cx: &Cx) -> Result<Vec<Artifact>> {
    let units = c.units(cx).await?;
    if !c.cfg.is_workspace() {
        c.check_source_version(cx, &units[0].name)?;
    }
    let out_dir = cx.release.dist.join("crates");
    let target_dir = out_dir.join("target");
    let cmd = cargo_package(c, cx, units, &target_dir);
    cx.exec.run_ok(&cmd).await.map_err(|e| e.or_hint(
        "run the same `cargo package` by hand to see the problem (a dirty git tree needs allow_dirty: true)",
    ))?;
    let mut found = Vec::new();
    let mut out = Vec::new();
    for u in units {
        out.push(one(c, cx, u, &target_dir, &mut found).await?);
    }
    rules::refuse_all(&found)?;
    Ok(out)
}
