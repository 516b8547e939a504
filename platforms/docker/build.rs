//! Builds the images without a daemon (as ko and jib do), into an OCI image layout at
//! `dist/docker/` (`oci-layout`, `index.json`, `blobs/sha256/…`), which `skopeo copy oci:…`
//! can read too. Per linux target: one layer (every binary of that target at
//! /usr/local/bin, 0755, uid/gid 0, mtime = the release epoch, written by the shared archive
//! kit), its config and manifest; then one index over them. Nothing reads the clock, so the
//! same release gives the same digests.

use super::base::BaseImage;
use super::config::DockerConfig;
use super::image::{self, Descriptor, ImagePlatform, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::archive::{self, Entry, Options};
use crate::plan::{Artifact, ArtifactKind, Target};
use crate::platform::Release;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The layout's directory inside dist/.
pub const DIR: &str = "docker";

/// What the build wrote, as artifacts named for the report: `blob sha256:…` (layers and
/// configs), `manifest sha256:…` (one per platform) and `tag <tag>` (the index). `bases`
/// holds the base image of each target, in `linux_targets` order (empty for scratch); the
/// base's layers are not written here: they are mounted or copied at push time.
pub fn build(
    release: &Release,
    cfg: &DockerConfig,
    tag: &str,
    bases: &[BaseImage],
) -> Result<Vec<Artifact>> {
    let targets = linux_targets(release)?;
    let settings = settings(release, cfg, &targets)?;
    let root = release.dist.join(DIR);
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)
        .map_err(|e| Error::io(format!("creating {}", blobs.display()), e))?;
    let mut out = Vec::new();
    let mut children = Vec::new();
    let files = extra_files(release, cfg)?;
    for (i, (target, plat)) in targets.iter().enumerate() {
        let one = One {
            root: &root,
            t: *target,
            plat,
            s: &settings,
            files: &files,
            base: bases.get(i),
        };
        let (manifest, mut arts) = build_one(release, &one)?;
        children.push((manifest, plat.clone()));
        out.append(&mut arts);
    }
    let index = image::index(&children, &settings.annotations);
    let idx = store(&root, &index, image::INDEX_TYPE)?;
    write_layout(&root, &idx, tag)?;
    out.push(artifact(format!("tag {tag}"), &idx, None));
    Ok(out)
}

/// The linux targets the release built, each with its image platform.
pub fn linux_targets(release: &Release) -> Result<Vec<(Target, ImagePlatform)>> {
    let mut v: Vec<(Target, ImagePlatform)> = release
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Binary)
        .filter_map(|a| a.target)
        .filter_map(|t| ImagePlatform::of(t).map(|p| (t, p)))
        .collect();
    v.sort_by_key(|(t, _)| *t);
    v.dedup_by_key(|(t, _)| *t);
    if v.is_empty() {
        return Err(Error::input("docker: the release built no linux target")
            .with_hint("add linux-amd64 (and linux-arm64, linux-arm) to a build's targets, or remove platforms.docker"));
    }
    Ok(v)
}

fn binaries(release: &Release, t: Target) -> Vec<&Artifact> {
    let mut v: Vec<&Artifact> = release
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Binary && a.target == Some(t))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// The entrypoint binary: `binary`, else the project's name when built, else the only one.
fn entry_binary(release: &Release, cfg: &DockerConfig, t: Target) -> Result<String> {
    let names: Vec<String> = binaries(release, t).iter().map(|a| a.name.clone()).collect();
    let pick = match &cfg.binary {
        Some(b) => names.iter().find(|n| *n == b).cloned(),
        None if names.len() == 1 => names.first().cloned(),
        None => names.iter().find(|n| **n == release.project.name).cloned(),
    };
    pick.ok_or_else(|| {
        Error::input(format!(
            "platforms.docker.binary: cannot tell which binary the image runs; {} built {names:?}",
            t.id()
        ))
        .with_hint("set platforms.docker.binary to one of them, or set `entrypoint`")
    })
}

fn settings(
    release: &Release,
    cfg: &DockerConfig,
    targets: &[(Target, ImagePlatform)],
) -> Result<Settings> {
    let entrypoint = match &cfg.entrypoint {
        Some(e) => e.clone(),
        None => vec![format!(
            "{}/{}",
            image::BIN_DIR,
            entry_binary(release, cfg, targets[0].0)?
        )],
    };
    let created = rfc3339(release.epoch)?;
    let annotations = image::annotations(
        &release.version.to_string(),
        &created,
        release.project.repository.as_deref(),
        release.commit.as_deref(),
    );
    Ok(Settings {
        entrypoint,
        explicit_entrypoint: cfg.entrypoint.is_some(),
        env: cfg.env.clone(),
        user: cfg.user.clone(),
        annotations,
        labels: cfg.labels.clone(),
        created,
    })
}

fn rfc3339(epoch: u64) -> Result<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch as i64)
        .map_err(|e| Error::input(format!("release epoch {epoch}: {e}")))?;
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::new(ErrorKind::Other, format!("formatting {epoch}: {e}")))
}

/// What one platform's image is made of.
struct One<'a> {
    root: &'a Path,
    t: Target,
    plat: &'a ImagePlatform,
    s: &'a Settings,
    files: &'a [Entry],
    base: Option<&'a BaseImage>,
}

/// One platform's layer, config and manifest; returns the manifest's descriptor.
fn build_one(release: &Release, o: &One) -> Result<(Descriptor, Vec<Artifact>)> {
    let mut entries: Vec<Entry> = binaries(release, o.t)
        .iter()
        .map(|a| {
            Entry::disk(format!("usr/local/bin/{}", a.name), release.path(a)).with_mode(0o755)
        })
        .collect();
    entries.extend(o.files.iter().cloned());
    let (layer, diff_id) = write_layer(o.root, &entries, release.epoch, o.t)?;
    let cfg_bytes = image::config(o.plat, &diff_id, o.s, o.base.map(|b| &b.config));
    let config = store(o.root, &cfg_bytes, image::CONFIG_TYPE)?;
    let mut layers: Vec<Descriptor> = o.base.map(|b| b.layers.clone()).unwrap_or_default();
    layers.push(layer.clone());
    let mut annotations = o.s.annotations.clone();
    if let Some(b) = o.base {
        let key = |k: &str| format!("org.opencontainers.image.base.{k}");
        annotations.insert(key("name"), b.name.clone());
        annotations.insert(key("digest"), b.digest.clone());
    }
    let m = image::manifest(&config, &layers, &annotations);
    let manifest = store(o.root, &m, image::MANIFEST_TYPE)?;
    let arts = vec![
        artifact(blob_name(&layer.digest), &layer, Some(o.t)),
        artifact(blob_name(&config.digest), &config, Some(o.t)),
        artifact(format!("manifest {}", manifest.digest), &manifest, Some(o.t)),
    ];
    Ok((manifest, arts))
}

/// `files`, resolved against the project root: each `src` a regular file inside it (through
/// symlinks too), stored at `dst` with its mode, uid/gid 0 and the release's mtime.
fn extra_files(release: &Release, cfg: &DockerConfig) -> Result<Vec<Entry>> {
    let root = release
        .root
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", release.root.display()), e))?;
    cfg.files
        .iter()
        .map(|f| {
            let bad = |why: String| {
                Error::input(format!("platforms.docker.files: src `{}` {why}", f.src))
                    .with_hint("name a regular file relative to the directory of pipeline.yaml, inside it")
            };
            let canon = root
                .join(&f.src)
                .canonicalize()
                .map_err(|e| bad(format!("cannot be read: {e}")))?;
            if !canon.starts_with(&root) {
                return Err(bad("resolves outside the project directory".into()));
            }
            if !canon.is_file() {
                return Err(bad("is not a regular file".into()));
            }
            Ok(Entry::disk(f.image_path()?, canon).with_mode(f.mode()?))
        })
        .collect()
}

pub fn blob_name(digest: &str) -> String {
    format!("blob {digest}")
}

/// Writes the layer tar.gz with the archive kit, then reads it back once to get both
/// digests: the blob's (sha256 of the gzip) and the `diff_id` (sha256 of the tar inside).
/// Streamed both ways, so memory stays flat with the binary's size.
fn write_layer(
    root: &Path,
    entries: &[Entry],
    epoch: u64,
    t: Target,
) -> Result<(Descriptor, String)> {
    let tmp = root.join(format!("layer-{}.tar.gz", t.id()));
    let sorted = archive::sorted(entries)?;
    archive::write_file(&tmp, &Options::tar_gz(epoch), |w| w.append_all(&sorted))?;
    let (gz, size, diff) = digests(&tmp)?;
    let path = root.join("blobs/sha256").join(&gz);
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(format!("storing {}", path.display()), e))?;
    let layer = Descriptor {
        media_type: image::LAYER_TYPE,
        digest: format!("sha256:{gz}"),
        size,
    };
    Ok((layer, format!("sha256:{diff}")))
}

/// A writer that hashes what it is given.
struct HashWriter(Sha256, u64);

impl Write for HashWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        self.1 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A reader that copies what passes through it into a `HashWriter`.
struct Tee<R> {
    inner: R,
    seen: HashWriter,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// `(sha256 of the file, its size, sha256 of its gunzipped content)`, in one pass.
fn digests(path: &Path) -> Result<(String, u64, String)> {
    let io = |e| Error::io(format!("reading {}", path.display()), e);
    let f = std::fs::File::open(path).map_err(io)?;
    let tee = Tee {
        inner: std::io::BufReader::new(f),
        seen: HashWriter(Sha256::new(), 0),
    };
    let mut gz = flate2::read::GzDecoder::new(tee);
    let mut tar = HashWriter(Sha256::new(), 0);
    std::io::copy(&mut gz, &mut tar).map_err(io)?;
    let mut tee = gz.into_inner();
    // The gzip trailer may not have been read by the decoder yet.
    std::io::copy(&mut tee, &mut std::io::sink()).map_err(io)?;
    let outer = tee.seen;
    Ok((
        hex::encode(outer.0.finalize()),
        outer.1,
        hex::encode(tar.0.finalize()),
    ))
}

/// Stores a small document under blobs/sha256/ by its digest.
fn store(root: &Path, bytes: &[u8], media_type: &'static str) -> Result<Descriptor> {
    let hex = hex::encode(Sha256::digest(bytes));
    let path = root.join("blobs/sha256").join(&hex);
    std::fs::write(&path, bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(Descriptor {
        media_type,
        digest: format!("sha256:{hex}"),
        size: bytes.len() as u64,
    })
}

/// `oci-layout` and `index.json`, naming the index by the version tag.
fn write_layout(root: &Path, idx: &Descriptor, tag: &str) -> Result<()> {
    let ann = BTreeMap::from([("org.opencontainers.image.ref.name".to_string(), tag.to_string())]);
    let outer = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": image::INDEX_TYPE,
        "manifests": [{"mediaType": idx.media_type, "digest": idx.digest, "size": idx.size, "annotations": ann}],
    });
    let write = |name: &str, text: String| {
        let p = root.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(format!("writing {}", p.display()), e))
    };
    write("oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#.into())?;
    write("index.json", outer.to_string())
}

/// An artifact for the blob with descriptor `d` (its path is relative to dist/).
fn artifact(name: String, d: &Descriptor, target: Option<Target>) -> Artifact {
    let hex = d.digest.trim_start_matches("sha256:");
    Artifact {
        name,
        path: PathBuf::from(DIR).join("blobs/sha256").join(hex),
        kind: ArtifactKind::Package {
            platform: "docker".into(),
        },
        target,
        sha256: d.digest.trim_start_matches("sha256:").to_string(),
        size: d.size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Project;

    fn release(dir: &Path, targets: &[&str]) -> Release {
        let mut artifacts = Vec::new();
        for t in targets {
            let rel = PathBuf::from(format!("bin/{t}/hello"));
            let path = dir.join(&rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("binary for {t}")).unwrap();
            artifacts.push(Artifact {
                name: "hello".into(),
                path: rel,
                kind: ArtifactKind::Binary,
                target: Some(Target::parse(t).unwrap()),
                sha256: String::new(),
                size: 0,
            });
        }
        Release {
            project: Project {
                name: "hello".into(),
                ..Project::default()
            },
            version: semver::Version::parse("1.2.3").unwrap(),
            tag: "v1.2.3".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            dist: dir.to_path_buf(),
            artifacts,
            root: dir.to_path_buf(),
            epoch: 1_700_000_000,
        }
    }

    fn cfg() -> DockerConfig {
        serde_json::from_value(serde_json::json!({"image": "acme/hello"})).unwrap()
    }

    #[test]
    fn same_release_same_digests_linux_only() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let targets = ["linux-amd64", "linux-arm64", "darwin-arm64", "linux-arm"];
        let one = build(&release(a.path(), &targets), &cfg(), "1.2.3", &[]).unwrap();
        let two = build(&release(b.path(), &targets), &cfg(), "1.2.3", &[]).unwrap();
        let digests = |v: &[Artifact]| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        assert_eq!(digests(&one), digests(&two));
        // 3 linux images × (layer, config, manifest) + the tag.
        assert_eq!(one.len(), 10, "{one:#?}");
        assert!(one.last().unwrap().name == "tag 1.2.3");
        for art in &one {
            let bytes = std::fs::read(a.path().join(&art.path)).unwrap();
            assert_eq!(hex::encode(Sha256::digest(&bytes)), art.sha256, "{}", art.name);
        }
    }

    #[test]
    fn layer_holds_the_binary_as_root_0755_at_the_epoch() {
        let d = tempfile::tempdir().unwrap();
        let arts = build(&release(d.path(), &["linux-amd64"]), &cfg(), "1.2.3", &[]).unwrap();
        let layer = &arts[0];
        let f = std::fs::File::open(d.path().join(&layer.path)).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(f));
        let entries: Vec<(String, u32, u64, u64, u64)> = tar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                (path, h.mode().unwrap(), h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap())
            })
            .collect();
        assert_eq!(entries, vec![("usr/local/bin/hello".into(), 0o755, 0, 0, 1_700_000_000)]);
        // The config's diff_id is the sha256 of the uncompressed tar.
        let mut tar_bytes = Vec::new();
        let f = std::fs::File::open(d.path().join(&layer.path)).unwrap();
        flate2::read::GzDecoder::new(f).read_to_end(&mut tar_bytes).unwrap();
        let config = std::fs::read_to_string(d.path().join(&arts[1].path)).unwrap();
        let diff = hex::encode(Sha256::digest(&tar_bytes));
        assert!(config.contains(&format!("\"diff_ids\":[\"sha256:{diff}\"]")), "{config}");
    }

    #[test]
    fn no_linux_target_is_an_input_error() {
        let d = tempfile::tempdir().unwrap();
        let e = build(&release(d.path(), &["darwin-arm64", "windows-amd64"]), &cfg(), "1", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert!(e.message().contains("no linux target"), "{e}");
    }
}
