//! Which C library a Linux binary needs, read from its ELF program headers, so the platform
//! package can declare npm's `libc` field. A dynamically linked ELF names its loader in a
//! PT_INTERP header (`/lib64/ld-linux-x86-64.so.2` → glibc, `/lib/ld-musl-x86_64.so.1` →
//! musl); a statically linked one (Go with CGO_ENABLED=0, Rust `*-musl`) has none and runs on
//! both, so it gets no `libc` restriction: `libc: ["musl"]` would make npm skip the package on
//! every glibc system.

/// What the binary needs from the system's C library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    /// No PT_INTERP: statically linked, runs on glibc and musl systems.
    Static,
    Glibc,
    Musl,
}

impl Libc {
    /// The value for package.json's `libc` list, if any.
    pub fn npm(self) -> Option<&'static str> {
        match self {
            Libc::Static => None,
            Libc::Glibc => Some("glibc"),
            Libc::Musl => Some("musl"),
        }
    }
}

const PT_INTERP: u32 = 3;

/// Reads the loader path from PT_INTERP. `Ok(None)` for a static ELF, `Err` when `data` is
/// not an ELF file this parser understands.
pub fn interpreter(data: &[u8]) -> Result<Option<String>, String> {
    if data.len() < 52 || &data[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    let is64 = match data[4] {
        1 => false,
        2 => true,
        c => return Err(format!("unknown ELF class {c}")),
    };
    let le = match data[5] {
        1 => true,
        2 => false,
        d => return Err(format!("unknown ELF data encoding {d}")),
    };
    let rd = |off: usize, n: usize| -> Result<u64, String> {
        let b = data
            .get(off..off + n)
            .ok_or_else(|| "truncated ELF header".to_string())?;
        let mut v = 0u64;
        for i in 0..n {
            let byte = if le { b[n - 1 - i] } else { b[i] };
            v = (v << 8) | byte as u64;
        }
        Ok(v)
    };
    let (phoff, phentsize, phnum) = if is64 {
        (rd(0x20, 8)?, rd(0x36, 2)?, rd(0x38, 2)?)
    } else {
        (rd(0x1c, 4)?, rd(0x2a, 2)?, rd(0x2c, 2)?)
    };
    for i in 0..phnum {
        let ph = (phoff + i * phentsize) as usize;
        if rd(ph, 4)? as u32 != PT_INTERP {
            continue;
        }
        let (off, size) = if is64 {
            (rd(ph + 0x08, 8)?, rd(ph + 0x20, 8)?)
        } else {
            (rd(ph + 0x04, 4)?, rd(ph + 0x10, 4)?)
        };
        let raw = data
            .get(off as usize..(off + size) as usize)
            .ok_or_else(|| "PT_INTERP points outside the file".to_string())?;
        let s = String::from_utf8_lossy(raw);
        return Ok(Some(s.trim_end_matches('\0').to_string()));
    }
    Ok(None)
}

/// Classifies a Linux binary.
pub fn libc(data: &[u8]) -> Result<Libc, String> {
    Ok(match interpreter(data)? {
        None => Libc::Static,
        Some(i) if i.contains("musl") => Libc::Musl,
        Some(_) => Libc::Glibc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_binaries_are_dynamic_glibc() {
        // Debian's coreutils are dynamically linked against glibc.
        let data = std::fs::read("/bin/ls").unwrap();
        let i = interpreter(&data).unwrap().unwrap();
        assert!(i.contains("ld-linux"), "{i}");
        assert_eq!(libc(&data).unwrap(), Libc::Glibc);
    }

    #[test]
    fn rejects_non_elf_and_truncation() {
        assert!(libc(b"#!/bin/sh\necho hi\n").is_err());
        let mut d = std::fs::read("/bin/ls").unwrap();
        d.truncate(80);
        assert!(interpreter(&d).is_err());
    }
}
