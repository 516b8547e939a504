//! The files of a `.crate` read back into memory: the packaged (normalized) Cargo.toml is
//! what the publish metadata and the crates.io preflight rules are built from.

use crate::error::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::io::Read;
use toml::Table;

/// The files of a `.crate` (a gzip tar whose entries live under `{name}-{version}/`).
pub struct CrateContents {
    /// `{name}-{version}`.
    pub prefix: String,
    /// Paths relative to the prefix → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl CrateContents {
    /// Reads a whole `.crate` (crates are at most a few MB; crates.io caps them at 10 MB).
    pub fn read(bytes: &[u8]) -> Result<CrateContents> {
        let bad = |m: String| Error::new(ErrorKind::Io, format!("reading the .crate: {m}"));
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let mut files = BTreeMap::new();
        let mut prefix: Option<String> = None;
        for entry in ar.entries().map_err(|e| bad(e.to_string()))? {
            let mut entry = entry.map_err(|e| bad(e.to_string()))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_err(|e| bad(e.to_string()))?;
            let path = path.to_string_lossy().replace('\\', "/");
            let (top, rest) = path
                .split_once('/')
                .ok_or_else(|| bad(format!("entry `{path}` is not in a folder")))?;
            match &prefix {
                None => prefix = Some(top.to_string()),
                Some(p) if p != top => {
                    return Err(bad(format!("entry `{path}` is not under `{p}/`")))
                }
                Some(_) => {}
            }
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| bad(e.to_string()))?;
            files.insert(rest.to_string(), data);
        }
        let prefix = prefix.ok_or_else(|| bad("the archive is empty".into()))?;
        Ok(CrateContents { prefix, files })
    }

    /// The normalized Cargo.toml (cargo already resolved workspace inheritance and paths).
    pub fn manifest(&self) -> Result<Table> {
        let raw = self
            .files
            .get("Cargo.toml")
            .ok_or_else(|| Error::input(format!("the .crate has no {}/Cargo.toml", self.prefix)))?;
        let text = String::from_utf8_lossy(raw);
        toml::from_str(&text).map_err(|e| {
            Error::input(format!(
                "parsing {}/Cargo.toml inside the .crate: {e}",
                self.prefix
            ))
        })
    }

    pub fn text(&self, path: &str) -> Option<String> {
        let p = path.trim_start_matches("./");
        self.files
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_crate_tarball() {
        let mut tar = tar::Builder::new(Vec::new());
        for (p, d) in [
            ("demo-1.0.0/Cargo.toml", &b"[package]"[..]),
            ("demo-1.0.0/src/lib.rs", b""),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, p, d).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        let c = CrateContents::read(&gz.finish().unwrap()).unwrap();
        assert_eq!(c.prefix, "demo-1.0.0");
        assert_eq!(
            c.files.keys().collect::<Vec<_>>(),
            ["Cargo.toml", "src/lib.rs"]
        );
    }
}
