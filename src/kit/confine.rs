//! Reading files a user (or another job) can edit, without being led outside a directory:
//! [`inside`] resolves a path given in some input file (pipeline.yaml's `packages[].dir`,
//! an npm workspace member's package.json, docker `files[].src`) against its root and
//! refuses it when it is absolute, climbs with `..`, or leaves the root through a symlink;
//! [`read_capped`] reads such a file with a size limit, so a 3 GiB package.json is refused
//! by name instead of being allocated (issue 10's classes "trusting files that can be
//! edited" and "unbounded allocation", applied to every reader of this kind).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused, as the end of a sentence naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escape {
    /// Empty, absolute, or with a `..` (or a NUL): not a plain relative path.
    NotRelative,
    /// It exists but resolves outside the root through a symlink.
    ThroughSymlink,
    /// It cannot be resolved (missing, unreadable); the OS's reason.
    Unreadable(String),
}

impl std::fmt::Display for Escape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Escape::NotRelative => {
                f.write_str("must be a relative path inside the project (no `..`, not absolute)")
            }
            Escape::ThroughSymlink => f.write_str("resolves outside the project through a symlink"),
            Escape::Unreadable(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// `rel` under `root`, resolved (symlinks followed) and proven to stay inside `root`'s
/// resolved form. `root` must exist.
pub fn inside(root: &Path, rel: &Path) -> Result<PathBuf, Escape> {
    let plain = !rel.as_os_str().is_empty()
        && !rel.as_os_str().as_encoded_bytes().contains(&0)
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !plain {
        return Err(Escape::NotRelative);
    }
    let base = root
        .canonicalize()
        .map_err(|e| Escape::Unreadable(e.to_string()))?;
    let resolved = root
        .join(rel)
        .canonicalize()
        .map_err(|e| Escape::Unreadable(e.to_string()))?;
    if resolved.starts_with(&base) {
        Ok(resolved)
    } else {
        Err(Escape::ThroughSymlink)
    }
}

/// The bytes of `path`, refused (with the end of a sentence naming the file: `cannot be
/// read: …`, `is larger than …`) when it cannot be read or is larger than `limit` bytes.
/// Reads at most `limit + 1` bytes whatever the file claims.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "is larger than {} (the limit for this file)",
            size(limit)
        ));
    }
    Ok(bytes)
}

fn size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_paths_resolve_and_escapes_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(t.path().join("secret"), "x").unwrap();
        symlink(t.path().join("secret"), root.join("out")).unwrap();
        symlink(root.join("a/b"), root.join("in")).unwrap();
        assert!(inside(&root, Path::new("a/b")).is_ok());
        assert!(inside(&root, Path::new("./in")).is_ok());
        for bad in ["", "/etc", "../secret", "a/../../secret", "a\0b"] {
            assert_eq!(
                inside(&root, Path::new(bad)),
                Err(Escape::NotRelative),
                "{bad}"
            );
        }
        assert_eq!(inside(&root, Path::new("out")), Err(Escape::ThroughSymlink));
        assert!(matches!(
            inside(&root, Path::new("nope")),
            Err(Escape::Unreadable(_))
        ));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_without_reading_it_whole() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("big");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(1 << 40).unwrap(); // sparse: 1 TiB claimed, nothing allocated
        let e = read_capped(&p, 1 << 20).unwrap_err();
        assert!(e.contains("larger than 1 MiB"), "{e}");
        std::fs::write(&p, "{}").unwrap();
        assert_eq!(read_capped(&p, 1 << 20).unwrap(), b"{}");
    }
}
