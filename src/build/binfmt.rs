//! Proves that a build produced a binary for the target it claims, using the shared
//! executable reader (`kit::binfmt`). A Go build with a stale `GOARCH`, or a Rust build
//! missing `--target`, silently produces a host binary; this check turns that into a build
//! error before anything is packed or published.

use crate::error::{Error, ErrorKind, Result};
use crate::kit::binfmt::{self, arch_name, Format};
use crate::plan::{Os, Target};
use std::path::Path;

/// The format a target OS runs. ELF's EI_OSABI is usually 0 (SYSV) even on FreeBSD, so
/// linux and freebsd both accept any ELF.
fn format_for(os: Os) -> Format {
    match os {
        Os::Linux | Os::Freebsd => Format::Elf,
        Os::Darwin => Format::MachO,
        Os::Windows => Format::Pe,
    }
}

/// Checks that the file is an executable of the target's format and arch.
pub fn check_binary(path: &Path, target: Target) -> Result<()> {
    check_binary_as(path, path, target)
}

/// [`check_binary`], naming the file `shown` in messages (e.g. relative to the project).
pub(crate) fn check_binary_as(path: &Path, shown: &Path, target: Target) -> Result<()> {
    let want = format_for(target.os);
    let needs = format!("{} {}", want.name(), arch_name(want, Some(target.arch)));
    let mut f = std::fs::File::open(path).map_err(|e| {
        Error::new(
            ErrorKind::Build,
            format!("cannot open binary {}: {e}", shown.display()),
        )
    })?;
    let detected = binfmt::read(&mut f)
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
    if detected.format == want && detected.arches().contains(&Some(target.arch)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::binfmt::fixtures::*;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    fn check(bytes: &[u8], target: &str) -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bin");
        std::fs::write(&p, bytes).unwrap();
        check_binary(&p, t(target))
    }

    #[test]
    fn matching_format_and_arch_pass() {
        for (bytes, target) in [
            (elf_header(0x3E, false), "linux-amd64"),
            (elf_header(0xB7, true), "linux-arm64"),
            (elf_header(0x28, false), "linux-arm"),
            (elf_header(0x03, false), "linux-386"),
            (elf_header(0x3E, false), "freebsd-amd64"),
            (macho_header(0x0100_000c), "darwin-arm64"),
            (fat_header(&[0x0100_0007, 0x0100_000c]), "darwin-amd64"),
            (fat_header(&[0x0100_0007, 0x0100_000c]), "darwin-arm64"),
            (pe_header(0x8664), "windows-amd64"),
            (pe_header(0xAA64), "windows-arm64"),
            (pe_header(0x14c), "windows-386"),
        ] {
            check(&bytes, target).unwrap();
        }
    }

    #[test]
    fn wrong_arch_names_both_and_hints_goarch() {
        for (bytes, target, says) in [
            (
                elf_header(0x3E, false),
                "linux-arm64",
                "is ELF x86_64, but target linux-arm64 needs ELF aarch64",
            ),
            (
                macho_header(0x0100_0007),
                "darwin-arm64",
                "is Mach-O x86_64, but target darwin-arm64 needs Mach-O arm64",
            ),
            (
                fat_header(&[0x0100_0007]),
                "darwin-arm64",
                "is Mach-O x86_64, but",
            ),
            (
                pe_header(0x8664),
                "windows-arm64",
                "is PE x86_64, but target windows-arm64 needs PE arm64",
            ),
        ] {
            let e = check(&bytes, target).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Build);
            assert!(e.message().contains(says), "{e:?}");
            assert!(e.hint().unwrap().contains("GOARCH"), "{e:?}");
        }
    }

    #[test]
    fn wrong_os_hints_goos() {
        let e = check(&elf_header(0x3E, false), "windows-amd64").unwrap_err();
        assert!(e
            .message()
            .contains("is ELF x86_64, but target windows-amd64 needs PE x86_64"));
        assert!(e.hint().unwrap().contains("GOOS"));
        let e = check(&fat_header(&[0x0100_0007, 7]), "linux-amd64").unwrap_err();
        assert!(
            e.message().contains("is Mach-O universal (x86_64, i386)"),
            "{e:?}"
        );
    }

    #[test]
    fn garbage_and_truncated_are_build_errors() {
        for bytes in [&b"#!/bin/sh\necho hi\n"[..], b"", b"\x7fEL", b"MZ"] {
            let e = check(bytes, "linux-amd64").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Build, "{bytes:?}");
            assert!(e.message().contains("is not an executable"), "{e:?}");
        }
    }

    #[test]
    fn missing_file_is_build_error() {
        let e = check_binary(Path::new("/nonexistent/hello"), t("linux-amd64")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
        assert!(e.message().contains("/nonexistent/hello"));
    }
}
