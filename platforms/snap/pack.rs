//! Builds one `.snap` per linux architecture: a prime tree (`meta/snap.yaml` and
//! `bin/<binary>`) under dist/snap/<arch>/prime, squashed by `mksquashfs` through the exec layer
//! with the flags `snap pack` uses (xz, no fragments, no xattrs, all files root-owned) plus
//! fixed times from the release's epoch, so the same release gives the same bytes.

use crate::error::{Error, Result};
use crate::exec::{Cmd, Effect};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The program tagship runs; declared as a tool requirement.
pub const MKSQUASHFS: &str = "mksquashfs";

/// One architecture's prime tree and output file.
pub struct Layout {
    pub prime: PathBuf,
    pub out: PathBuf,
}

/// Writes the prime tree for one architecture: directories 0755, snap.yaml 0644, the binary
/// 0755 (snapd refuses a command that is not world-readable and executable). A previous tree
/// is removed first, so nothing stale is packed.
pub fn stage(dir: &Path, file: &str, snap_yaml: &str, binary: &Path, bin_name: &str) -> Result<Layout> {
    let io = |what: &str, p: &Path, e| Error::io(format!("{what} {}", p.display()), e);
    let prime = dir.join("prime");
    if prime.exists() {
        fs::remove_dir_all(&prime).map_err(|e| io("removing", &prime, e))?;
    }
    for d in [prime.clone(), prime.join("meta"), prime.join("bin")] {
        fs::create_dir_all(&d).map_err(|e| io("creating", &d, e))?;
        set_mode(&d, 0o755)?;
    }
    let yaml = prime.join("meta/snap.yaml");
    fs::write(&yaml, snap_yaml).map_err(|e| io("writing", &yaml, e))?;
    set_mode(&yaml, 0o644)?;
    let bin = prime.join("bin").join(bin_name);
    fs::copy(binary, &bin).map_err(|e| io("copying", binary, e))?;
    set_mode(&bin, 0o755)?;
    Ok(Layout {
        prime,
        out: dir.join(file),
    })
}

fn set_mode(p: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("setting the mode of {}", p.display()), e))
}

/// The `mksquashfs` call: `snap pack`'s flags (TEST-SERVERS §12c saw them with a spy), with
/// `SOURCE_DATE_EPOCH` set to the release's epoch: mksquashfs then stamps it on every inode and
/// the superblock (input mtimes and the build time would otherwise change the bytes). It
/// refuses `-all-time`/`-mkfs-time` next to that variable, and the variable always wins over an
/// inherited one. Directory entries are always sorted by name in squashfs.
pub fn mksquashfs(l: &Layout, epoch: u64) -> Cmd {
    let epoch = epoch.to_string();
    Cmd::new(MKSQUASHFS, Effect::Local)
        .arg(l.prime.display().to_string())
        .arg(l.out.display().to_string())
        .args(
            [
                "-noappend", "-comp", "xz", "-no-fragments", "-no-xattrs", "-all-root",
                "-no-progress", "-quiet",
            ]
            .map(String::from),
        )
        .env("SOURCE_DATE_EPOCH", epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_modes_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("demo");
        fs::write(&bin, b"\x7fELF").unwrap();
        set_mode(&bin, 0o600).unwrap();
        let l = stage(&dir.path().join("amd64"), "x.snap", "name: x\n", &bin, "demo").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&l.prime.join("bin/demo")), 0o755);
        assert_eq!(mode(&l.prime.join("meta/snap.yaml")), 0o644);
        let line = mksquashfs(&l, 1700000000).display();
        for flag in ["-comp xz", "-no-fragments", "-all-root", "-no-xattrs"] {
            assert!(line.contains(flag), "{line}");
        }
        let cmd = mksquashfs(&l, 1700000000);
        assert!(cmd.env.contains(&("SOURCE_DATE_EPOCH".into(), "1700000000".into())));
    }
}
