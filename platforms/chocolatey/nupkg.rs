//! The `.nupkg`: an OPC zip written by the shared deterministic zip writer (kit::archive), so
//! the same release gives the same bytes (entries sorted, every time at the release epoch).
//! It holds `<id>.nuspec`, `[Content_Types].xml`, `_rels/.rels`, the core-properties part and
//! tools/ (the install script; in embed mode also the binary, VERIFICATION.txt, LICENSE.txt).
//! Text parts come from the pure renderers in render.rs.

use super::render::{self, Download, Embedded, Meta};
use crate::error::Result;
use crate::kit::archive::{self, Entry, Options};
use std::path::{Path, PathBuf};

/// What tools/ carries.
#[derive(Debug, Clone)]
pub enum Tools {
    Download(Download),
    Embed {
        embedded: Embedded,
        binary: PathBuf,
        license: String,
    },
}

/// `<id>.<version>.nupkg`, as NuGet names packages.
pub fn file_name(m: &Meta) -> String {
    format!("{}.{}.nupkg", m.id, m.version)
}

/// Every entry of the package: tools first decided, then the OPC parts that describe them.
pub fn entries(m: &Meta, tools: &Tools) -> Vec<Entry> {
    let mut e = vec![Entry::file(format!("{}.nuspec", m.id), render::nuspec(m))];
    match tools {
        Tools::Download(d) => e.push(Entry::file(
            "tools/chocolateyinstall.ps1",
            render::install_download(d),
        )),
        Tools::Embed {
            embedded,
            binary,
            license,
        } => {
            e.push(Entry::file(
                "tools/chocolateyinstall.ps1",
                render::install_embed(embedded),
            ));
            e.push(Entry::disk(format!("tools/{}", embedded.file), binary).with_mode(0o755));
            e.push(Entry::file(
                "tools/VERIFICATION.txt",
                render::verification(m, embedded),
            ));
            e.push(Entry::file("tools/LICENSE.txt", license.clone()));
        }
    }
    e.push(Entry::file(render::psmdcp_name(m), render::core_properties(m)));
    e.push(Entry::file("_rels/.rels", render::rels(m)));
    let mut exts: Vec<String> = e
        .iter()
        .filter_map(|x| x.name.rsplit_once('.').map(|(_, ext)| ext.to_lowercase()))
        .collect();
    exts.sort();
    exts.dedup();
    e.push(Entry::file("[Content_Types].xml", render::content_types(&exts)));
    e
}

/// Writes the package at `dest` (atomically) and returns nothing but errors: the caller hashes
/// the file it wrote.
pub fn write(dest: &Path, m: &Meta, tools: &Tools, epoch: u64) -> Result<()> {
    let entries = entries(m, tools);
    let sorted = archive::sorted(&entries)?;
    // Level 9: a package is written once and downloaded many times.
    archive::write_file(dest, &Options::zip(epoch).level(9), |w| {
        w.append_all(&sorted).map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            id: "demo".into(),
            version: "1.0.0".into(),
            title: "demo".into(),
            authors: vec!["acme".into()],
            description: "A demo tool".into(),
            summary: None,
            tags: vec![],
            release_notes: None,
            project_url: None,
            license_url: None,
            copyright: None,
        }
    }

    /// The same inputs give the same bytes, and the package lists every OPC part once.
    #[test]
    fn reproducible_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("demo.exe");
        std::fs::write(&bin, b"MZ pretend").unwrap();
        let tools = Tools::Embed {
            embedded: Embedded {
                file: "demo.exe".into(),
                sha256: "00".repeat(32),
                source: "https://example.test/r".into(),
                archive: "demo_1.0.0_windows_amd64.zip".into(),
            },
            binary: bin,
            license: "MIT\n".into(),
        };
        let (a, b) = (dir.path().join("a.nupkg"), dir.path().join("b.nupkg"));
        write(&a, &meta(), &tools, 1_700_000_000).unwrap();
        write(&b, &meta(), &tools, 1_700_000_000).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(bytes, std::fs::read(&b).unwrap());
        let z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<&str> = z.file_names().collect();
        for want in ["demo.nuspec", "[Content_Types].xml", "_rels/.rels", "tools/demo.exe", "tools/VERIFICATION.txt", "tools/LICENSE.txt", "tools/chocolateyinstall.ps1"] {
            assert!(names.contains(&want), "{want}: {names:?}");
        }
        assert_eq!(names.iter().filter(|n| n.ends_with(".psmdcp")).count(), 1);
        let ct = render::content_types(&["exe", "nuspec", "ps1", "psmdcp", "rels", "txt"].map(String::from));
        let mut z = z;
        let mut got = String::new();
        std::io::Read::read_to_string(&mut z.by_name("[Content_Types].xml").unwrap(), &mut got).unwrap();
        assert_eq!(got, ct, "one Default per extension in the package");
    }
}
