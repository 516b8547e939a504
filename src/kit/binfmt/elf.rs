//! ELF: the header, the program headers (`PT_INTERP`: which loader a dynamic binary needs)
//! and the `.gnu.version_r` section (which `GLIBC_x.y` symbol versions it needs).
//! A statically linked binary (Go with CGO_ENABLED=0, Rust `*-musl`) has no `PT_INTERP` and
//! runs on glibc and musl systems alike.
//!
//! Every offset comes from the file, so every read is checked against the file's length and
//! a fixed cap before anything is allocated.

use super::{read_at, Binary, Bits, Format, Slice};
use crate::plan::Arch;
use std::io::{Read, Seek, SeekFrom};

const PT_INTERP: u32 = 3;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
/// Longest loader path we accept (Linux's PATH_MAX).
const MAX_INTERP: u64 = 4096;
/// Largest section we read for version needs (real ones are a few KiB).
const MAX_SECTION: u64 = 1 << 20;
/// Largest program or section header table we read (real ones hold tens of entries).
const MAX_TABLE: u64 = 1 << 20;
/// Most verneed/vernaux records we walk (a hostile `next` chain could loop forever).
const MAX_RECORDS: usize = 4096;

/// What a Linux binary needs from the system's C library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    /// No PT_INTERP: statically linked, runs on glibc and musl systems.
    Static,
    Glibc,
    Musl,
}

impl Libc {
    /// The library's usual name (npm's `libc` values); `None` for a static binary.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Libc::Static => None,
            Libc::Glibc => Some("glibc"),
            Libc::Musl => Some("musl"),
        }
    }
}

/// Dynamic-linking facts of an ELF executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// The loader path from PT_INTERP (`/lib64/ld-linux-x86-64.so.2`); `None` when static.
    pub interpreter: Option<String>,
    /// The newest `GLIBC_major.minor` symbol version needed, if any.
    pub glibc: Option<(u32, u32)>,
}

impl ElfInfo {
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none()
    }
    /// musl's loader is `ld-musl-*`; every other loader is taken for glibc's.
    pub fn libc(&self) -> Libc {
        match &self.interpreter {
            None => Libc::Static,
            Some(i) if i.contains("musl") => Libc::Musl,
            Some(_) => Libc::Glibc,
        }
    }
}

/// Field reader for one ELF class and byte order.
#[derive(Clone, Copy)]
struct Layout {
    is64: bool,
    le: bool,
}

impl Layout {
    fn uint(self, b: &[u8], off: usize, n: usize) -> Option<u64> {
        let s = b.get(off..off.checked_add(n)?)?;
        let fold = |v: u64, x: &u8| (v << 8) | u64::from(*x);
        Some(if self.le {
            s.iter().rev().fold(0, fold)
        } else {
            s.iter().fold(0, fold)
        })
    }
    fn u16(self, b: &[u8], off: usize) -> Option<u64> {
        self.uint(b, off, 2)
    }
    fn u32(self, b: &[u8], off: usize) -> Option<u64> {
        self.uint(b, off, 4)
    }
    /// An address/offset/size field: 8 bytes in ELF64, 4 in ELF32.
    fn word(self, b: &[u8], off: usize) -> Option<u64> {
        self.uint(b, off, if self.is64 { 8 } else { 4 })
    }
}

fn machine(m: u64) -> Option<Arch> {
    match m {
        0x3E => Some(Arch::Amd64),
        0xB7 => Some(Arch::Arm64),
        0x28 => Some(Arch::Arm),
        0x03 => Some(Arch::I386),
        _ => None,
    }
}

/// Parses an ELF whose first bytes are `head`. `None` for anything but a well-formed
/// executable or shared object (ET_EXEC, or ET_DYN for position-independent executables).
pub(super) fn read<R: Read + Seek>(r: &mut R, head: &[u8]) -> std::io::Result<Option<Binary>> {
    let l = match (head.get(4), head.get(5)) {
        (Some(1), Some(d @ (1 | 2))) => Layout {
            is64: false,
            le: *d == 1,
        },
        (Some(2), Some(d @ (1 | 2))) => Layout {
            is64: true,
            le: *d == 1,
        },
        _ => return Ok(None),
    };
    let (Some(ty), Some(m)) = (l.u16(head, 16), l.u16(head, 18)) else {
        return Ok(None);
    };
    if !matches!(ty, 2 | 3) {
        return Ok(None);
    }
    let len = r.seek(SeekFrom::End(0))?;
    let Some(interpreter) = interp(r, head, l, len)? else {
        return Ok(None);
    };
    let glibc = glibc_needed(r, head, l, len)?;
    Ok(Some(Binary {
        format: Format::Elf,
        slices: vec![Slice {
            arch: machine(m),
            bits: if l.is64 { Bits::B64 } else { Bits::B32 },
        }],
        elf: Some(ElfInfo { interpreter, glibc }),
    }))
}

/// (offset, entry size, count) of the program header table, or with `sections` of the
/// section header table, from the ELF header. The count always follows the entry size.
fn header_table(l: Layout, head: &[u8], sections: bool) -> Option<(u64, u64, u64)> {
    let (off, size) = match (l.is64, sections) {
        (true, false) => (0x20, 0x36),
        (true, true) => (0x28, 0x3a),
        (false, false) => (0x1c, 0x2a),
        (false, true) => (0x20, 0x2e),
    };
    Some((
        l.word(head, off)?,
        l.u16(head, size)?,
        l.u16(head, size + 2)?,
    ))
}

/// Reads `count` records of `size` bytes at `off`, or `None` when they do not lie inside
/// the file or exceed `cap` bytes.
fn table<R: Read + Seek>(
    r: &mut R,
    (off, size, count): (u64, u64, u64),
    len: u64,
    cap: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let Some(total) = size.checked_mul(count) else {
        return Ok(None);
    };
    if total > cap || off.checked_add(total).map_or(true, |end| end > len) {
        return Ok(None);
    }
    let mut buf = vec![0u8; total as usize];
    let n = read_at(r, off, &mut buf)?;
    Ok((n == buf.len()).then_some(buf))
}

/// `Some(None)`: no PT_INTERP (static). `None`: the program headers are malformed.
fn interp<R: Read + Seek>(
    r: &mut R,
    head: &[u8],
    l: Layout,
    len: u64,
) -> std::io::Result<Option<Option<String>>> {
    let Some((phoff, phentsize, phnum)) = header_table(l, head, false) else {
        return Ok(None);
    };
    if phnum == 0 {
        return Ok(Some(None));
    }
    let need = if l.is64 { 56 } else { 32 };
    if phentsize < need {
        return Ok(None);
    }
    let Some(tab) = table(r, (phoff, phentsize, phnum), len, MAX_TABLE)? else {
        return Ok(None);
    };
    for ph in tab.chunks(phentsize as usize) {
        if l.u32(ph, 0) != Some(u64::from(PT_INTERP)) {
            continue;
        }
        let (off, size) = if l.is64 {
            (l.word(ph, 0x08), l.word(ph, 0x20))
        } else {
            (l.word(ph, 0x04), l.word(ph, 0x10))
        };
        let (Some(off), Some(size)) = (off, size) else {
            return Ok(None);
        };
        let Some(raw) = table(r, (off, size, 1), len, MAX_INTERP)? else {
            return Ok(None);
        };
        let s = String::from_utf8_lossy(&raw);
        return Ok(Some(Some(s.trim_end_matches('\0').to_string())));
    }
    Ok(Some(None))
}

/// One section header: (type, offset, size, link, info).
type Section = (u64, u64, u64, u64, u64);

fn section(l: Layout, sh: &[u8]) -> Option<Section> {
    let w = if l.is64 { 8 } else { 4 };
    // sh_name, sh_type, sh_flags(w), sh_addr(w), sh_offset(w), sh_size(w), sh_link, sh_info
    let off = 8 + 2 * w;
    Some((
        l.u32(sh, 4)?,
        l.word(sh, off)?,
        l.word(sh, off + w)?,
        l.u32(sh, off + 2 * w)?,
        l.u32(sh, off + 2 * w + 4)?,
    ))
}

/// The newest `GLIBC_x.y` among the version needs; `None` when there are none or the
/// section headers cannot be read (version needs are an extra, not a verdict).
fn glibc_needed<R: Read + Seek>(
    r: &mut R,
    head: &[u8],
    l: Layout,
    len: u64,
) -> std::io::Result<Option<(u32, u32)>> {
    let Some((shoff, shentsize, shnum)) = header_table(l, head, true) else {
        return Ok(None);
    };
    if shentsize < if l.is64 { 64 } else { 40 } {
        return Ok(None);
    }
    let Some(tab) = table(r, (shoff, shentsize, shnum), len, MAX_TABLE)? else {
        return Ok(None);
    };
    let sections: Vec<Section> = tab
        .chunks(shentsize as usize)
        .filter_map(|sh| section(l, sh))
        .collect();
    let Some(&(_, off, size, link, count)) =
        sections.iter().find(|s| s.0 == u64::from(SHT_GNU_VERNEED))
    else {
        return Ok(None);
    };
    let Some(&(_, str_off, str_size, _, _)) = sections.get(link as usize) else {
        return Ok(None);
    };
    let need = table(r, (off, size, 1), len, MAX_SECTION)?;
    let strs = table(r, (str_off, str_size, 1), len, MAX_SECTION)?;
    Ok(match (need, strs) {
        (Some(need), Some(strs)) => walk_verneed(l, &need, &strs, count),
        _ => None,
    })
}

/// Walks Elf_Verneed records (vn_cnt u16 at 2, vn_aux u32 at 8, vn_next u32 at 12) and
/// their Elf_Vernaux records (vna_name u32 at 8, vna_next u32 at 12); both are 16 bytes in
/// either class.
fn walk_verneed(l: Layout, need: &[u8], strs: &[u8], count: u64) -> Option<(u32, u32)> {
    let mut best: Option<(u32, u32)> = None;
    let mut at = 0usize;
    let mut records = 0usize;
    for _ in 0..count.min(MAX_RECORDS as u64) {
        let cnt = l.u16(need, at + 2)?;
        let mut aux = at.checked_add(l.u32(need, at + 8)? as usize)?;
        for _ in 0..cnt {
            records += 1;
            if records > MAX_RECORDS {
                return best;
            }
            let name = cstr(strs, l.u32(need, aux + 8)? as usize)?;
            if let Some(v) = name.strip_prefix(b"GLIBC_").and_then(version) {
                best = best.max(Some(v));
            }
            match l.u32(need, aux + 12)? {
                0 => break,
                n => aux = aux.checked_add(n as usize)?,
            }
        }
        match l.u32(need, at + 12)? {
            0 => break,
            n => at = at.checked_add(n as usize)?,
        }
    }
    best
}

fn cstr(b: &[u8], off: usize) -> Option<&[u8]> {
    let s = b.get(off..)?;
    Some(&s[..s.iter().position(|&c| c == 0)?])
}

/// `2.34` → (2, 34); `GLIBC_PRIVATE` and the like → None.
fn version(v: &[u8]) -> Option<(u32, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    let mut it = s.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}
