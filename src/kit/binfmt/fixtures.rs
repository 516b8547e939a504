//! Minimal executable headers for tests (here and in `build::binfmt`): just the fields the
//! reader looks at.

/// A 64-byte ELF64 executable header (no program or section headers).
pub fn elf_header(machine: u16, big_endian: bool) -> Vec<u8> {
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

/// An x86_64 ELF64 with program headers of the given types; a PT_INTERP (3) entry points
/// at `interp`, stored after the table.
pub fn elf_with_phdrs(types: &[u32], interp: &str) -> Vec<u8> {
    let mut v = elf_header(0x3E, false);
    v[32..40].copy_from_slice(&64u64.to_le_bytes());
    v[54..56].copy_from_slice(&56u16.to_le_bytes());
    v[56..58].copy_from_slice(&(types.len() as u16).to_le_bytes());
    let data_at = 64 + 56 * types.len() as u64;
    for ty in types {
        let mut e = vec![0u8; 56];
        e[..4].copy_from_slice(&ty.to_le_bytes());
        if *ty == 3 {
            e[8..16].copy_from_slice(&data_at.to_le_bytes());
            e[32..40].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
        }
        v.extend(e);
    }
    v.extend(interp.as_bytes());
    v.push(0);
    v
}

/// A thin 64-bit Mach-O executable header.
pub fn macho_header(cpu: u32) -> Vec<u8> {
    let mut h = vec![0u8; 32];
    h[..4].copy_from_slice(&0xfeed_facfu32.to_le_bytes());
    h[4..8].copy_from_slice(&cpu.to_le_bytes());
    h[12..16].copy_from_slice(&2u32.to_le_bytes());
    h
}

/// A universal Mach-O header with one 20-byte fat_arch record per cputype.
pub fn fat_header(cpus: &[u32]) -> Vec<u8> {
    let mut h = 0xcafe_babeu32.to_be_bytes().to_vec();
    h.extend((cpus.len() as u32).to_be_bytes());
    for cpu in cpus {
        h.extend(cpu.to_be_bytes());
        h.extend([0u8; 16]);
    }
    h
}

/// An MZ (DOS) header whose `e_lfanew` points at a PE header with the executable-image flag
/// and a PE32+ magic: the smallest real PE32+ executable header.
pub fn pe_header(machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; 0x80 + 26];
    h[..2].copy_from_slice(b"MZ");
    h[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    h[0x80..0x84].copy_from_slice(b"PE\0\0");
    h[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
    h[0x80 + 22..0x80 + 24].copy_from_slice(&0x0022u16.to_le_bytes());
    h[0x80 + 24..0x80 + 26].copy_from_slice(&0x020bu16.to_le_bytes());
    h
}
