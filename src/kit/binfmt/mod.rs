//! One reader for executable headers: ELF, Mach-O (thin and universal) and PE, parsed by
//! hand from a few fixed fields. It answers what every user asks: the format, each
//! architecture and its bitness, and for ELF the loader (`PT_INTERP`: absent means
//! statically linked), the C library that implies, and the newest `GLIBC_x.y` symbol
//! version the binary needs.
//!
//! The input is untrusted (any file a build left behind), so the reader never panics,
//! never indexes unchecked, and never allocates more than it has read from the file: every
//! table it reads is capped by a fixed limit and by the file's length. Anything it does not
//! understand is `Ok(None)`, not an error; only I/O fails.

mod elf;

use crate::plan::Arch;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub use elf::{ElfInfo, Libc};

/// Container format of an executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
        }
    }
}

/// Pointer width of one slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    B32,
    B64,
}

/// One architecture in the file (a universal Mach-O has several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// `None` for a machine code tagship has no target for.
    pub arch: Option<Arch>,
    pub bits: Bits,
}

/// What an executable turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub format: Format,
    pub slices: Vec<Slice>,
    /// Dynamic-linking facts, for ELF only.
    pub elf: Option<ElfInfo>,
}

impl Binary {
    pub fn arches(&self) -> Vec<Option<Arch>> {
        self.slices.iter().map(|s| s.arch).collect()
    }
}

/// How each format spells an architecture, for messages ("ELF aarch64", "Mach-O arm64").
pub fn arch_name(format: Format, arch: Option<Arch>) -> &'static str {
    match (format, arch) {
        (_, None) => "unknown-arch",
        (Format::Elf, Some(Arch::Arm64)) => "aarch64",
        (_, Some(Arch::Arm64)) => "arm64",
        (_, Some(Arch::Amd64)) => "x86_64",
        (_, Some(Arch::Arm)) => "arm",
        (_, Some(Arch::I386)) => "i386",
    }
}

impl fmt::Display for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .slices
            .iter()
            .map(|s| arch_name(self.format, s.arch))
            .collect();
        match names.as_slice() {
            [one] => write!(f, "{} {one}", self.format.name()),
            _ => write!(f, "{} universal ({})", self.format.name(), names.join(", ")),
        }
    }
}

/// Reads the file at `path`; `Ok(None)` when it is no executable this reader knows.
pub fn read_path(path: &Path) -> std::io::Result<Option<Binary>> {
    read(&mut std::fs::File::open(path)?)
}

/// Sniffs the format, then reads that format's headers. Relocatable objects, Mach-O
/// bundles/dylibs and PE files without the executable-image flag are `None`.
pub fn read<R: Read + Seek>(r: &mut R) -> std::io::Result<Option<Binary>> {
    let mut head = [0u8; 64];
    let n = read_at(r, 0, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"\x7fELF") {
        return elf::read(r, head);
    }
    match head.get(..4).map(|m| [m[0], m[1], m[2], m[3]]) {
        Some(m) if matches!(u32::from_le_bytes(m), 0xfeed_facf | 0xfeed_face) => {
            return Ok(macho_thin(head))
        }
        Some(m) if matches!(u32::from_be_bytes(m), 0xcafe_babe | 0xcafe_babf) => {
            return macho_fat(r, u32::from_be_bytes(m) == 0xcafe_babf)
        }
        _ => {}
    }
    if head.starts_with(b"MZ") {
        return pe(r, head);
    }
    Ok(None)
}

/// Reads up to `buf.len()` bytes at `offset`; returns how many were read.
pub(crate) fn read_at<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    r.seek(SeekFrom::Start(offset))?;
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn le32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn le16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

/// Mach-O cputype; the 0x0100_0000 bit (CPU_ARCH_ABI64) marks the 64-bit variants.
fn macho_slice(cpu: u32) -> Slice {
    let arch = match cpu {
        0x0100_0007 => Some(Arch::Amd64),
        0x0100_000c => Some(Arch::Arm64),
        7 => Some(Arch::I386),
        12 => Some(Arch::Arm),
        _ => None,
    };
    let bits = if cpu & 0x0100_0000 != 0 {
        Bits::B64
    } else {
        Bits::B32
    };
    Slice { arch, bits }
}

/// Thin Mach-O (little-endian magic): cputype at 4, filetype at 12 (MH_EXECUTE = 2).
fn macho_thin(h: &[u8]) -> Option<Binary> {
    if le32(h, 12)? != 2 {
        return None;
    }
    Some(Binary {
        format: Format::MachO,
        slices: vec![macho_slice(le32(h, 4)?)],
        elf: None,
    })
}

/// Universal Mach-O: big-endian nfat_arch, then fat_arch records (20 bytes, or 32 for the
/// 64-bit variant) whose first field is the cputype. Java class files share the 0xcafebabe
/// magic, but their "count" (the class version) is far above any real number of slices.
fn macho_fat<R: Read + Seek>(r: &mut R, wide: bool) -> std::io::Result<Option<Binary>> {
    let mut h = [0u8; 8];
    if read_at(r, 0, &mut h)? < 8 {
        return Ok(None);
    }
    let count = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
    if count == 0 || count > 16 {
        return Ok(None);
    }
    let size = if wide { 32 } else { 20 };
    let mut recs = vec![0u8; count * size];
    if read_at(r, 8, &mut recs)? < recs.len() {
        return Ok(None);
    }
    let slices = recs
        .chunks(size)
        .map(|c| macho_slice(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    Ok(Some(Binary {
        format: Format::MachO,
        slices,
        elf: None,
    }))
}

fn pe_arch(m: u16) -> Option<Arch> {
    match m {
        0x8664 => Some(Arch::Amd64),
        0xAA64 => Some(Arch::Arm64),
        0x14c => Some(Arch::I386),
        0x1c4 => Some(Arch::Arm),
        _ => None,
    }
}

/// PE: e_lfanew (u32 at 0x3c) points at "PE\0\0", then the COFF header: machine (u16) and,
/// 18 bytes in, Characteristics, whose bit 0x0002 marks an executable image. The optional
/// header's magic follows (0x20b: PE32+, 64-bit).
fn pe<R: Read + Seek>(r: &mut R, head: &[u8]) -> std::io::Result<Option<Binary>> {
    let Some(lfanew) = le32(head, 0x3c) else {
        return Ok(None);
    };
    let mut h = [0u8; 26];
    let n = read_at(r, u64::from(lfanew), &mut h)?;
    if n < 24 || &h[..4] != b"PE\0\0" || h[22] & 0x02 == 0 {
        return Ok(None);
    }
    let machine = u16::from_le_bytes([h[4], h[5]]);
    let bits = match le16(&h[..n], 24) {
        Some(0x20b) => Bits::B64,
        Some(_) => Bits::B32,
        None if matches!(pe_arch(machine), Some(Arch::Amd64 | Arch::Arm64)) => Bits::B64,
        None => Bits::B32,
    };
    Ok(Some(Binary {
        format: Format::Pe,
        slices: vec![Slice {
            arch: pe_arch(machine),
            bits,
        }],
        elf: None,
    }))
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
