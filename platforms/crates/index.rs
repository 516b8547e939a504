//! The sparse index: where a crate's file lives, how to read it, and what it says about our
//! version. The index is the check of record (cheap, unauthenticated, and what cargo itself
//! resolves against); the web API's crate endpoint is not used because crates.io rate-limits
//! it and alternative registries often do not implement it.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Http, Request};
use serde::Deserialize;

/// Path of a crate's index file below the index root, from the lowercased name
/// (cargo book, "Registry index" → "Index files"): `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`.
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    // Crate names are ASCII, so byte slicing is safe; a non-ASCII name is rejected upstream.
    match n.len() {
        0 => String::new(),
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[0..2], &n[2..4]),
    }
}

/// One line of an index file (only the fields tagship reads).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IndexLine {
    pub name: String,
    pub vers: String,
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
}

/// What the index says about one version, compared with our `.crate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// The crate or this version is not in the index.
    Absent,
    /// The version is there. `same` is None when we had no `.crate` to compare.
    Present {
        same: Option<bool>,
        yanked: bool,
        line: IndexLine,
    },
}

/// Parses an index file (newline-delimited JSON). Lines tagship cannot read are skipped, as
/// cargo does, so one odd entry does not hide the others.
pub fn parse_lines(body: &str) -> Vec<IndexLine> {
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Finds the line for `version`. Build metadata is ignored: `1.0.7` and `1.0.7+extra`
/// are the same version for the registry ("Version uniqueness").
pub fn find<'a>(lines: &'a [IndexLine], version: &semver::Version) -> Option<&'a IndexLine> {
    lines
        .iter()
        .find(|l| match semver::Version::parse(&l.vers) {
            Ok(v) => {
                v.major == version.major
                    && v.minor == version.minor
                    && v.patch == version.patch
                    && v.pre == version.pre
            }
            Err(_) => false,
        })
}

/// Compares the index file's content with our version and checksum.
pub fn state_of(body: &str, version: &semver::Version, cksum: Option<&str>) -> IndexState {
    let lines = parse_lines(body);
    match find(&lines, version) {
        None => IndexState::Absent,
        Some(l) => IndexState::Present {
            same: cksum.map(|c| c.eq_ignore_ascii_case(&l.cksum)),
            yanked: l.yanked,
            line: l.clone(),
        },
    }
}

/// A reader for one sparse index.
pub struct Index {
    http: Http,
    /// `https://…/` with a trailing slash, no `sparse+`.
    root: String,
}

impl Index {
    pub fn new(http: Http, root: &str) -> Index {
        Index {
            http,
            root: root.to_string(),
        }
    }

    /// Fetches the crate's index file: None when the registry does not know the crate.
    /// `fresh` asks caches (crates.io's CDN) for a fresh copy, for polling after a publish.
    pub async fn file(&self, name: &str, fresh: bool) -> Result<Option<String>> {
        let url = format!("{}{}", self.root, index_path(name));
        let mut req = Request::get(&url)?;
        if fresh {
            req = req.header("cache-control", "no-cache");
        }
        let resp = self.http.send(req).await?;
        match resp.status.as_u16() {
            200 => Ok(Some(resp.text())),
            // crates.io answers 404; 410 and 451 also mean "not served" per the cargo book.
            404 | 410 | 451 => Ok(None),
            _ => Err(resp.error(&format!("reading the index file of {name}"))),
        }
    }

    /// What the index says about `name`@`version`.
    pub async fn state(
        &self,
        name: &str,
        version: &semver::Version,
        cksum: Option<&str>,
        fresh: bool,
    ) -> Result<IndexState> {
        Ok(match self.file(name, fresh).await? {
            None => IndexState::Absent,
            Some(body) => state_of(&body, version, cksum),
        })
    }

    /// The web API root from the index's `config.json` (`api`).
    pub async fn api_root(&self) -> Result<String> {
        let url = format!("{}config.json", self.root);
        let resp = self.http.send(Request::get(&url)?).await?;
        if !resp.ok() {
            return Err(resp
                .error("reading the registry's config.json")
                .with_hint("check platforms.crates.index, or set platforms.crates.api"));
        }
        #[derive(Deserialize)]
        struct Config {
            api: Option<String>,
        }
        let c: Config = resp.json()?;
        c.api
            .map(|a| a.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Config,
                    format!("{url} has no `api`: this registry does not accept publishes"),
                )
                .with_hint("set platforms.crates.api to the registry's web API root")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("cargo"), "ca/rg/cargo");
        assert_eq!(index_path("Serde_JSON"), "se/rd/serde_json");
        assert_eq!(index_path("hello-rust"), "he/ll/hello-rust");
        assert_eq!(index_path("abcd"), "ab/cd/abcd");
    }

    const FILE: &str = concat!(
        r#"{"name":"demo","vers":"1.0.0","deps":[],"cksum":"aa11","features":{},"yanked":false}"#,
        "\n",
        r#"{"name":"demo","vers":"1.0.1+build.5","deps":[],"cksum":"bb22","features":{},"yanked":true,"v":2}"#,
        "\n",
        "not json\n",
        r#"{"name":"demo","vers":"2.0.0-rc.1","deps":[],"cksum":"cc33","features":{},"yanked":false}"#,
        "\n"
    );

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn finds_versions_ignoring_build_metadata() {
        assert_eq!(
            state_of(FILE, &v("3.0.0"), Some("aa11")),
            IndexState::Absent
        );
        match state_of(FILE, &v("1.0.0"), Some("AA11")) {
            IndexState::Present { same, yanked, .. } => {
                assert_eq!(same, Some(true));
                assert!(!yanked);
            }
            s => panic!("{s:?}"),
        }
        match state_of(FILE, &v("1.0.1"), Some("ffff")) {
            IndexState::Present { same, yanked, line } => {
                assert_eq!(same, Some(false));
                assert!(yanked);
                assert_eq!(line.vers, "1.0.1+build.5");
            }
            s => panic!("{s:?}"),
        }
        // A prerelease is a different version from its release.
        assert_eq!(state_of(FILE, &v("2.0.0"), None), IndexState::Absent);
        assert!(matches!(
            state_of(FILE, &v("2.0.0-rc.1"), None),
            IndexState::Present { same: None, .. }
        ));
    }
}
