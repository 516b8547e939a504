//! `mode: project` on the pypi platform: the upload form comes from each built file's own
//! METADATA (not from pipeline.yaml), and the check applies PyPI's one-sdist-per-release
//! rule before anything is sent. A re-run whose rebuilt sdist differs from the release's
//! (pypa/gh-action-pypi-publish#282: the wheel was skipped as existing, the rebuilt sdist got
//! "400 Only one sdist may be uploaded") is reported as exactly that, with nothing uploaded.

use super::api::{self, Listed};
use super::config::Readme;
use crate::error::{Error, Result};
use crate::plan::Artifact;
use crate::platform::Cx;
use crate::platforms::wheel::checks::Dist;
use crate::platforms::wheel::{self, dists, WheelMeta};

/// The upload's metadata fields and README, from the file's METADATA / PKG-INFO.
pub(super) fn form_meta(d: &Dist) -> (WheelMeta, Option<Readme>) {
    let m = &d.meta;
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty()).map(str::to_string);
    let project_urls = m
        .all("Project-URL")
        .filter_map(|v| v.split_once(','))
        .map(|(l, u)| (l.trim().to_string(), u.trim().to_string()))
        .collect();
    let meta = WheelMeta {
        name: get("Name").unwrap_or_default(),
        version: get("Version").unwrap_or_default(),
        summary: get("Summary").unwrap_or_default(),
        home_page: get("Home-page"),
        project_urls,
        license: get("License-Expression").or_else(|| get("License")),
        requires_python: get("Requires-Python"),
    };
    let readme = m.description().map(|text| Readme {
        file: "METADATA".into(),
        text: text.to_string(),
        content_type: get("Description-Content-Type").unwrap_or_else(|| "text/x-rst".into()),
    });
    (meta, readme)
}

/// The version an sdist's file name carries (`name-1.0.tar.gz`, legacy `.zip`), if it is one.
fn sdist_version(file: &str) -> Option<&str> {
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))?;
    stem.rsplit_once('-').map(|(_, v)| v)
}

/// PyPI keeps one sdist per release and never replaces it: when the release already holds an
/// sdist that is not ours byte for byte (another name, or our name with other bytes), ours
/// cannot be uploaded. Refused here, in the check, so nothing is sent.
pub(super) async fn one_sdist(
    cx: &Cx,
    listed: &[Listed],
    version: &str,
    packages: &[Artifact],
) -> Result<()> {
    let Some(ours) = packages
        .iter()
        .find(|a| dists::parse_filename(&a.name).is_ok_and(|n| n.kind == dists::DistKind::Sdist))
    else {
        return Ok(());
    };
    for held in listed.iter().filter(|l| sdist_version(&l.filename) == Some(version)) {
        let same = held.filename == ours.name
            && match (&held.sha256, &held.url) {
                (Some(s), _) => s.eq_ignore_ascii_case(&ours.sha256),
                (None, Some(u)) => api::digest_of(&cx.http, u).await? == ours.sha256,
                (None, None) => false,
            };
        if same {
            continue;
        }
        let what = match held.filename == ours.name {
            true => format!("{} with other bytes", held.filename),
            false => held.filename.clone(),
        };
        return Err(Error::conflict(format!(
            "one sdist per release: {} {version} already has the sdist {what}, and ours ({}) is a rebuild with other bytes; \
             it was not uploaded (PyPI answers \"400 Only one sdist may be uploaded per release\", pypa/gh-action-pypi-publish#282)",
            wheel::normalize(&ours.name.replace(&format!("-{version}.tar.gz"), "")),
            ours.name
        ))
        .with_hint(
            "an sdist is never replaced on PyPI: the release keeps the live one. Make the build reproducible \
             (tagship sets SOURCE_DATE_EPOCH; flit_core and hatchling honour it) or release a new version",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdist_versions_of_every_spelling() {
        assert_eq!(sdist_version("hello_python-1.0.0.tar.gz"), Some("1.0.0"));
        assert_eq!(sdist_version("hello-python-1.0.0.zip"), Some("1.0.0"));
        assert_eq!(sdist_version("hello_python-1.0.0-py3-none-any.whl"), None);
    }
}
