//! Executable format sniffing: a few header fields of ELF, Mach-O (thin and universal) and PE,
//! parsed by hand, to prove that a build produced a binary for the target it claims. A Go
//! build with a stale `GOARCH`, or a Rust build missing `--target`, silently produces a host
//! binary; this check turns that into a build error before anything is packed or published.

use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Arch, Os, Target};
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Container format of an executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
        }
    }
    /// The format a target OS runs. ELF's EI_OSABI is usually 0 (SYSV) even on FreeBSD, so
    /// linux and freebsd both accept any ELF.
    fn for_os(os: Os) -> Format {
        match os {
            Os::Linux | Os::Freebsd => Format::Elf,
            Os::Darwin => Format::MachO,
            Os::Windows => Format::Pe,
        }
    }
}

/// What a file turned out to be: its format and the architectures it contains (several for a
/// universal Mach-O). `None` marks a machine code we do not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detected {
    pub format: Format,
    pub arches: Vec<Option<Arch>>,
}

/// How each format spells an architecture, for messages ("ELF aarch64", "Mach-O arm64").
fn arch_name(format: Format, arch: Option<Arch>) -> &'static str {
    match (format, arch) {
        (_, None) => "unknown-arch",
        (Format::Elf, Some(Arch::Arm64)) => "aarch64",
        (_, Some(Arch::Arm64)) => "arm64",
        (_, Some(Arch::Amd64)) => "x86_64",
        (_, Some(Arch::Arm)) => "arm",
        (_, Some(Arch::I386)) => "i386",
    }
}

impl fmt::Display for Detected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .arches
            .iter()
            .map(|a| arch_name(self.format, *a))
            .collect();
        if self.arches.len() == 1 {
            write!(f, "{} {}", self.format.name(), names[0])
        } else {
            write!(f, "{} universal ({})", self.format.name(), names.join(", "))
        }
    }
}

/// Checks that the file is an executable of the target's format and arch.
pub fn check_binary(path: &Path, target: Target) -> Result<()> {
    check_binary_as(path, path, target)
}

/// [`check_binary`], naming the file `shown` in messages (e.g. relative to the project).
pub(crate) fn check_binary_as(path: &Path, shown: &Path, target: Target) -> Result<()> {
    let want = Format::for_os(target.os);
    let needs = format!("{} {}", want.name(), arch_name(want, Some(target.arch)));
    let mut f = File::open(path).map_err(|e| {
        Error::new(
            ErrorKind::Build,
            format!("cannot open binary {}: {e}", shown.display()),
        )
    })?;
    let detected = detect(&mut f)
        .map_err(|e| Error::io(format!("reading {}", shown.display()), e))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Build,
                format!(
                    "{} is not an executable (no ELF, Mach-O or PE header), but target {target} needs {needs}",
                    shown.display()
                ),
            )
            .with_hint("check that `binary` in pipeline.yaml points at the compiled program")
        })?;
    if detected.format == want && detected.arches.contains(&Some(target.arch)) {
        return Ok(());
    }
    let hint = if detected.format == want {
        "check GOARCH / --target in the build command (use the {arch} / {target} placeholders)"
    } else {
        "check GOOS / --target in the build command (use the {os} / {target} placeholders)"
    };
    Err(Error::new(
        ErrorKind::Build,
        format!(
            "{} is {detected}, but target {target} needs {needs}",
            shown.display()
        ),
    )
    .with_hint(hint))
}

/// Reads up to `buf.len()` bytes at `offset`; returns how many were read.
fn read_at<R: Read + Seek>(r: &mut R, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// Sniffs the format and architectures; `Ok(None)` when the file is no executable we know.
pub(crate) fn detect<R: Read + Seek>(r: &mut R) -> std::io::Result<Option<Detected>> {
    let mut head = [0u8; 64];
    let n = read_at(r, 0, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"\x7fELF") {
        return Ok(elf(head));
    }
    if head.len() >= 4 {
        let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if le == 0xfeed_facf || le == 0xfeed_face {
            return Ok(macho_thin(head));
        }
        if be == 0xcafe_babe || be == 0xcafe_babf {
            return macho_fat(r, be == 0xcafe_babf);
        }
    }
    if head.starts_with(b"MZ") {
        return pe(r, head);
    }
    Ok(None)
}

fn elf_machine(m: u16) -> Option<Arch> {
    match m {
        0x3E => Some(Arch::Amd64),
        0xB7 => Some(Arch::Arm64),
        0x28 => Some(Arch::Arm),
        0x03 => Some(Arch::I386),
        _ => None,
    }
}

/// ELF: EI_DATA (byte 5) picks the byte order of e_type (16) and e_machine (18).
fn elf(h: &[u8]) -> Option<Detected> {
    if h.len() < 20 {
        return None;
    }
    let rd = |o: usize| match h[5] {
        2 => u16::from_be_bytes([h[o], h[o + 1]]),
        _ => u16::from_le_bytes([h[o], h[o + 1]]),
    };
    // ET_EXEC (2) or ET_DYN (3, position-independent executables); not relocatable objects.
    if !matches!(rd(16), 2 | 3) {
        return None;
    }
    Some(Detected {
        format: Format::Elf,
        arches: vec![elf_machine(rd(18))],
    })
}

fn macho_cpu(cpu: u32) -> Option<Arch> {
    match cpu {
        0x0100_0007 => Some(Arch::Amd64),
        0x0100_000c => Some(Arch::Arm64),
        7 => Some(Arch::I386),
        12 => Some(Arch::Arm),
        _ => None,
    }
}

/// Thin Mach-O (little-endian magic): cputype at 4, filetype at 12 (MH_EXECUTE = 2).
fn macho_thin(h: &[u8]) -> Option<Detected> {
    if h.len() < 16 {
        return None;
    }
    let rd = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    if rd(12) != 2 {
        return None;
    }
    Some(Detected {
        format: Format::MachO,
        arches: vec![macho_cpu(rd(4))],
    })
}

/// Universal Mach-O: big-endian nfat_arch, then fat_arch records (20 bytes, or 32 for the
/// 64-bit variant) whose first field is the cputype. Java class files share the 0xcafebabe
/// magic, but their "count" (the class version) is far above any real number of slices.
fn macho_fat<R: Read + Seek>(r: &mut R, wide: bool) -> std::io::Result<Option<Detected>> {
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
    let arches = recs
        .chunks(size)
        .map(|c| macho_cpu(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    Ok(Some(Detected {
        format: Format::MachO,
        arches,
    }))
}

fn pe_machine(m: u16) -> Option<Arch> {
    match m {
        0x8664 => Some(Arch::Amd64),
        0xAA64 => Some(Arch::Arm64),
        0x14c => Some(Arch::I386),
        0x1c4 => Some(Arch::Arm),
        _ => None,
    }
}

/// PE: e_lfanew (u32 at 0x3c) points at "PE\0\0", followed by the COFF header: machine (u16)
/// and, 18 bytes in, Characteristics whose bit 0x0002 marks an executable image.
fn pe<R: Read + Seek>(r: &mut R, head: &[u8]) -> std::io::Result<Option<Detected>> {
    if head.len() < 0x40 {
        return Ok(None);
    }
    let lfanew = u32::from_le_bytes([head[0x3c], head[0x3d], head[0x3e], head[0x3f]]);
    let mut h = [0u8; 24];
    if read_at(r, u64::from(lfanew), &mut h)? < 24 || &h[..4] != b"PE\0\0" {
        return Ok(None);
    }
    let machine = u16::from_le_bytes([h[4], h[5]]);
    let characteristics = u16::from_le_bytes([h[22], h[23]]);
    if characteristics & 0x0002 == 0 {
        return Ok(None);
    }
    Ok(Some(Detected {
        format: Format::Pe,
        arches: vec![pe_machine(machine)],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    fn elf_header(machine: u16, big_endian: bool) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2; // ELFCLASS64
        h[5] = if big_endian { 2 } else { 1 };
        let (ty, m) = if big_endian {
            (2u16.to_be_bytes(), machine.to_be_bytes())
        } else {
            (2u16.to_le_bytes(), machine.to_le_bytes())
        };
        h[16..18].copy_from_slice(&ty);
        h[18..20].copy_from_slice(&m);
        h
    }

    fn macho_header(cpu: u32) -> Vec<u8> {
        let mut h = vec![0u8; 32];
        h[..4].copy_from_slice(&0xfeed_facfu32.to_le_bytes());
        h[4..8].copy_from_slice(&cpu.to_le_bytes());
        h[12..16].copy_from_slice(&2u32.to_le_bytes());
        h
    }

    fn fat_header(cpus: &[u32]) -> Vec<u8> {
        let mut h = 0xcafe_babeu32.to_be_bytes().to_vec();
        h.extend((cpus.len() as u32).to_be_bytes());
        for cpu in cpus {
            h.extend(cpu.to_be_bytes());
            h.extend([0u8; 16]);
        }
        h
    }

    fn pe_header(machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 0x80 + 24];
        h[..2].copy_from_slice(b"MZ");
        h[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        h[0x80..0x84].copy_from_slice(b"PE\0\0");
        h[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
        h[0x80 + 22..0x80 + 24].copy_from_slice(&0x0022u16.to_le_bytes());
        h
    }

    fn check(bytes: &[u8], target: &str) -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bin");
        std::fs::write(&p, bytes).unwrap();
        check_binary(&p, t(target))
    }

    fn detected(bytes: &[u8]) -> String {
        detect(&mut Cursor::new(bytes))
            .unwrap()
            .unwrap()
            .to_string()
    }

    #[test]
    fn elf_arches() {
        for (m, target) in [
            (0x3E, "linux-amd64"),
            (0xB7, "linux-arm64"),
            (0x28, "linux-arm"),
            (0x03, "linux-386"),
            (0x3E, "freebsd-amd64"),
        ] {
            check(&elf_header(m, false), target).unwrap();
        }
        check(&elf_header(0xB7, true), "linux-arm64").unwrap();
        assert_eq!(detected(&elf_header(0xB7, false)), "ELF aarch64");
    }

    #[test]
    fn elf_wrong_arch_message() {
        let e = check(&elf_header(0x3E, false), "linux-arm64").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
        assert!(
            e.message()
                .ends_with("is ELF x86_64, but target linux-arm64 needs ELF aarch64"),
            "{e:?}"
        );
        assert!(e.hint().unwrap().contains("GOARCH"));
    }

    #[test]
    fn elf_object_file_is_not_an_executable() {
        let mut h = elf_header(0x3E, false);
        h[16] = 1; // ET_REL
        assert!(detect(&mut Cursor::new(&h)).unwrap().is_none());
    }

    #[test]
    fn macho_thin_and_fat() {
        check(&macho_header(0x0100_0007), "darwin-amd64").unwrap();
        check(&macho_header(0x0100_000c), "darwin-arm64").unwrap();
        let e = check(&macho_header(0x0100_0007), "darwin-arm64").unwrap_err();
        assert!(e
            .message()
            .contains("is Mach-O x86_64, but target darwin-arm64 needs Mach-O arm64"));
        let fat = fat_header(&[0x0100_0007, 0x0100_000c]);
        check(&fat, "darwin-amd64").unwrap();
        check(&fat, "darwin-arm64").unwrap();
        assert_eq!(detected(&fat), "Mach-O universal (x86_64, arm64)");
        let e = check(&fat_header(&[0x0100_0007]), "darwin-arm64").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
    }

    #[test]
    fn java_class_is_not_fat_macho() {
        let mut class = 0xcafe_babeu32.to_be_bytes().to_vec();
        class.extend([0, 0, 0, 61]);
        assert!(detect(&mut Cursor::new(&class)).unwrap().is_none());
    }

    #[test]
    fn pe_arches() {
        check(&pe_header(0x8664), "windows-amd64").unwrap();
        check(&pe_header(0xAA64), "windows-arm64").unwrap();
        check(&pe_header(0x14c), "windows-386").unwrap();
        let e = check(&pe_header(0x8664), "windows-arm64").unwrap_err();
        assert!(e
            .message()
            .contains("is PE x86_64, but target windows-arm64 needs PE arm64"));
    }

    #[test]
    fn wrong_os_hints_goos() {
        let e = check(&elf_header(0x3E, false), "windows-amd64").unwrap_err();
        assert!(e
            .message()
            .contains("is ELF x86_64, but target windows-amd64 needs PE x86_64"));
        assert!(e.hint().unwrap().contains("GOOS"));
        let e = check(&pe_header(0x8664), "darwin-amd64").unwrap_err();
        assert!(e.message().contains("is PE x86_64"));
    }

    #[test]
    fn garbage_and_truncated() {
        for bytes in [
            &b"#!/bin/sh\necho hi\n"[..],
            b"",
            b"\x7fEL",
            b"MZ",
            b"\xcf\xfa\xed\xfe",
        ] {
            let e = check(bytes, "linux-amd64").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Build, "{bytes:?}");
        }
        let mut pe = pe_header(0x8664);
        pe[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert!(check(&pe, "windows-amd64").is_err());
    }

    #[test]
    fn missing_file_is_build_error() {
        let e = check_binary(Path::new("/nonexistent/hello"), t("linux-amd64")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
        assert!(e.message().contains("/nonexistent/hello"));
    }
}
