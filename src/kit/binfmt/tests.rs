//! The reader on hand-made headers, on the system's own binaries, and on hostile bytes:
//! every truncation and thousands of seeded random mutations must give `Ok(_)`, never a
//! panic or a huge allocation.

use super::fixtures::*;
use super::*;
use std::io::Cursor;

fn read_bytes(b: &[u8]) -> Option<Binary> {
    read(&mut Cursor::new(b)).unwrap()
}

fn shown(b: &[u8]) -> String {
    read_bytes(b).unwrap().to_string()
}

#[test]
fn formats_arches_and_bits() {
    for (m, arch) in [
        (0x3E, Arch::Amd64),
        (0xB7, Arch::Arm64),
        (0x28, Arch::Arm),
        (0x03, Arch::I386),
    ] {
        let b = read_bytes(&elf_header(m, false)).unwrap();
        assert_eq!((b.format, b.arches()), (Format::Elf, vec![Some(arch)]));
        assert_eq!(b.slices[0].bits, Bits::B64);
    }
    assert_eq!(shown(&elf_header(0xB7, true)), "ELF aarch64");
    assert_eq!(shown(&elf_header(0x1234, false)), "ELF unknown-arch");
    assert_eq!(shown(&macho_header(0x0100_000c)), "Mach-O arm64");
    let fat = read_bytes(&fat_header(&[0x0100_0007, 7])).unwrap();
    assert_eq!(fat.to_string(), "Mach-O universal (x86_64, i386)");
    assert_eq!(
        fat.slices.iter().map(|s| s.bits).collect::<Vec<_>>(),
        [Bits::B64, Bits::B32]
    );
    let pe = read_bytes(&pe_header(0xAA64)).unwrap();
    assert_eq!(
        (pe.to_string(), pe.slices[0].bits),
        ("PE arm64".into(), Bits::B64)
    );
    let mut pe32 = pe_header(0x14c);
    pe32[0x80 + 24] = 0x0b;
    pe32[0x80 + 25] = 0x01;
    assert_eq!(read_bytes(&pe32).unwrap().slices[0].bits, Bits::B32);
}

#[test]
fn non_executables_are_none() {
    let mut rel = elf_header(0x3E, false);
    rel[16] = 1; // ET_REL
    let mut dylib = macho_header(0x0100_000c);
    dylib[12] = 6; // MH_DYLIB
    let mut dll_obj = pe_header(0x8664);
    dll_obj[0x80 + 22] = 0; // no IMAGE_FILE_EXECUTABLE_IMAGE
    let mut class = 0xcafe_babeu32.to_be_bytes().to_vec();
    class.extend([0, 0, 0, 61]); // a Java class file, version 61
    for b in [rel, dylib, dll_obj, class, b"#!/bin/sh\necho hi\n".to_vec()] {
        assert_eq!(read_bytes(&b), None, "{b:?}");
    }
}

#[test]
fn interpreter_and_libc_from_program_headers() {
    let dynamic = read_bytes(&elf_with_phdrs(&[6, 3, 1], "/lib64/ld-linux-x86-64.so.2")).unwrap();
    let info = dynamic.elf.unwrap();
    assert_eq!(
        info.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!((info.libc(), info.is_static()), (Libc::Glibc, false));
    let musl = read_bytes(&elf_with_phdrs(&[3], "/lib/ld-musl-x86_64.so.1")).unwrap();
    assert_eq!(musl.elf.unwrap().libc(), Libc::Musl);
    let st = read_bytes(&elf_with_phdrs(&[1, 1, 4], ""))
        .unwrap()
        .elf
        .unwrap();
    assert_eq!((st.libc(), st.libc().name()), (Libc::Static, None));
    assert_eq!(Libc::Musl.name(), Some("musl"));
}

#[test]
fn system_binary_is_dynamic_glibc_with_version_needs() {
    // Debian's coreutils are dynamically linked against glibc and need GLIBC_2.x symbols.
    let b = read_path(Path::new("/bin/ls")).unwrap().unwrap();
    assert_eq!(b.format, Format::Elf);
    let info = b.elf.unwrap();
    assert!(
        info.interpreter.as_deref().unwrap().contains("ld-linux"),
        "{info:?}"
    );
    assert_eq!(info.libc(), Libc::Glibc);
    let (major, minor) = info.glibc.expect("ls needs versioned glibc symbols");
    assert!(major == 2 && minor >= 3, "{major}.{minor}");
}

#[test]
fn truncated_and_garbage_inputs() {
    let table: &[&[u8]] = &[
        b"",
        b"\x7f",
        b"\x7fEL",
        b"\x7fELF",
        b"\x7fELF\x02\x01",
        b"MZ",
        b"MZ\0\0",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"\xca\xfe\xba\xbf\0\0\0\x10",
        &[0xff; 64],
    ];
    for b in table {
        assert_eq!(read_bytes(b), None, "{b:?}");
    }
    // e_lfanew far past the end of the file.
    let mut pe = pe_header(0x8664);
    pe[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    assert_eq!(read_bytes(&pe), None);
    // 65535 program headers of 65535 bytes each, or an interpreter "4 GiB long": refused
    // before any allocation of that size.
    let mut huge = elf_with_phdrs(&[3], "/lib/ld.so");
    huge[54..58].copy_from_slice(&[0xff; 4]);
    assert_eq!(read_bytes(&huge), None);
    let mut long = elf_with_phdrs(&[3], "/lib/ld.so");
    long[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(read_bytes(&long), None);
    // Every prefix of real binaries (and of the hand-made ones) reads without panicking.
    let ls = std::fs::read("/bin/ls").unwrap();
    for whole in [
        &ls[..4096],
        &elf_with_phdrs(&[6, 3], "/x"),
        &pe_header(0x8664),
    ] {
        for n in 0..whole.len() {
            let _ = read_bytes(&whole[..n]);
        }
    }
}

#[test]
fn seeded_random_mutations_never_panic() {
    let ls = std::fs::read("/bin/ls").unwrap();
    let seeds: Vec<Vec<u8>> = vec![
        ls,
        elf_with_phdrs(&[6, 3, 1], "/lib/ld-musl-x86_64.so.1"),
        fat_header(&[0x0100_0007, 0x0100_000c]),
        pe_header(0x8664),
        macho_header(7),
    ];
    let mut rng = fastrand::Rng::with_seed(0x7a95_5e11);
    for i in 0..3000 {
        let mut b = seeds[i % seeds.len()].clone();
        // Headers and tables live near the start; mutate there mostly, sometimes anywhere.
        let span = if rng.bool() {
            b.len().min(256)
        } else {
            b.len()
        };
        for _ in 0..rng.usize(1..8) {
            let at = rng.usize(..span);
            b[at] = rng.u8(..);
        }
        if rng.u8(..) < 32 {
            b.truncate(rng.usize(..b.len()));
        }
        let _ = read_bytes(&b);
    }
}
