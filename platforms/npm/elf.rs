//! Which C library a Linux binary needs, so the platform package can declare npm's `libc`
//! field; the ELF itself is read by the shared reader (`kit::binfmt`). A dynamically linked
//! ELF names its loader in PT_INTERP (`/lib64/ld-linux-x86-64.so.2` → glibc,
//! `/lib/ld-musl-x86_64.so.1` → musl); a statically linked one (Go with CGO_ENABLED=0, Rust
//! `*-musl`) has none and runs on both, so it gets no `libc` restriction: `libc: ["musl"]`
//! would make npm skip the package on every glibc system.

pub use crate::kit::binfmt::Libc;
use crate::kit::binfmt::{self, Format};
use std::path::Path;

/// Classifies the Linux binary at `path` (only its headers are read); `Err` says why it is
/// not an ELF executable.
pub fn libc(path: &Path) -> Result<Libc, String> {
    match binfmt::read_path(path) {
        Err(e) => Err(e.to_string()),
        Ok(Some(b)) if b.format == Format::Elf => Ok(b.elf.map_or(Libc::Static, |e| e.libc())),
        Ok(Some(b)) => Err(format!("it is {b}")),
        Ok(None) => Err("not an ELF executable".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_files() {
        // Debian's coreutils are dynamically linked against glibc.
        assert_eq!(libc(Path::new("/bin/ls")).unwrap(), Libc::Glibc);
        assert_eq!(Libc::Glibc.name(), Some("glibc"));
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        assert!(libc(&script).unwrap_err().contains("not an ELF"));
        let pe = dir.path().join("p");
        std::fs::write(&pe, crate::kit::binfmt::fixtures::pe_header(0x8664)).unwrap();
        assert_eq!(libc(&pe).unwrap_err(), "it is PE x86_64");
        assert!(libc(&dir.path().join("missing")).is_err());
    }
}
