//! Project files that claim a version: read when well-formed (workspace inheritance, poetry),
//! refused with file:line when present but unreadable, malformed or not a string.

use super::*;

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

/// (what, files, the member directory to check, Ok(version, line) or Err(fragments)).
type Row = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    std::result::Result<(&'static str, usize), &'static [&'static str]>,
);

#[test]
fn table() {
    let rows: Vec<Row> = vec![
        ("cargo plain", vec![("Cargo.toml", "[package]\nname = \"a\"\nversion = \"1.0.0\"\n")], "", Ok(("1.0.0", 3))),
        ("cargo workspace inherit", vec![
            ("Cargo.toml", "[workspace]\nmembers = [\"m\"]\n\n[workspace.package]\nversion = \"2.1.0\"\n"),
            ("m/Cargo.toml", "[package]\nname = \"m\"\nversion.workspace = true\n"),
        ], "m", Ok(("2.1.0", 5))),
        ("cargo workspace inline", vec![
            ("Cargo.toml", "[workspace]\npackage = { version = \"2.2.0\" }\n"),
            ("m/Cargo.toml", "[package]\nname = \"m\"\nversion = { workspace = true }\n"),
        ], "m", Ok(("2.2.0", 2))),
        ("cargo root is the workspace", vec![
            ("Cargo.toml", "[workspace.package]\nversion = \"3.0.0\"\n[package]\nname = \"r\"\nversion.workspace = true\n"),
        ], "", Ok(("3.0.0", 2))),
        ("poetry", vec![("pyproject.toml", "[tool.poetry]\nname = \"p\"\nversion = \"0.4.0\"\n")], "", Ok(("0.4.0", 3))),
        ("package.json", vec![("package.json", "{\n  \"name\": \"x\",\n  \"version\": \"5.0.0\"\n}\n")], "", Ok(("5.0.0", 3))),
        ("cargo malformed", vec![("Cargo.toml", "[package]\nname = \"a\"\nversion = \"1.0.0\n")], "", Err(&["Cargo.toml:3", "not valid TOML"])),
        ("cargo version a number", vec![("Cargo.toml", "[package]\nname = \"a\"\n\nversion = 1\n")], "", Err(&["Cargo.toml:4", "package.version", "integer"])),
        ("cargo workspace without root", vec![("m/Cargo.toml", "[package]\nname = \"m\"\nversion.workspace = true\n")], "m", Err(&["Cargo.toml:3", "no parent directory"])),
        ("cargo workspace root without version", vec![
            ("Cargo.toml", "[workspace]\nmembers = [\"m\"]\n"),
            ("m/Cargo.toml", "[package]\nname = \"m\"\nversion.workspace = true\n"),
        ], "m", Err(&["m/Cargo.toml:3", "[workspace.package] version"])),
        ("cargo workspace root malformed", vec![
            ("Cargo.toml", "[workspace\n"),
            ("m/Cargo.toml", "[package]\nname = \"m\"\nversion.workspace = true\n"),
        ], "m", Err(&["Cargo.toml:1", "not valid TOML"])),
        ("pyproject malformed", vec![("pyproject.toml", "[project]\nname = \"p\"\nversion = = \"1\"\n")], "", Err(&["pyproject.toml:3", "not valid TOML"])),
        ("pyproject version a bool", vec![("pyproject.toml", "[project]\nname = \"p\"\nversion = true\n")], "", Err(&["pyproject.toml:3", "project.version", "boolean"])),
        ("poetry version a number", vec![("pyproject.toml", "[tool.poetry]\nversion = 1.5\n")], "", Err(&["pyproject.toml:2", "tool.poetry.version"])),
        ("package.json malformed", vec![("package.json", "{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\",\n}\n")], "", Err(&["package.json:4", "not valid JSON"])),
        ("package.json version a number", vec![("package.json", "{\n  \"name\": \"x\",\n  \"version\": 1\n}\n")], "", Err(&["package.json:3", "must be a string", "found 1"])),
        ("package.json not an object", vec![("package.json", "[1]\n")], "", Err(&["package.json:1", "object"])),
        ("cargo NUL in a string", vec![("Cargo.toml", "[package]\nname = \"\u{0}\"\n")], "", Err(&["Cargo.toml:2"])),
    ];
    for (what, files, member, want) in rows {
        let d = dir(&files);
        let got = claims(&d.path().join(member));
        match (want, got) {
            (Ok((ver, line)), Ok(c)) => {
                assert_eq!(c.len(), 1, "{what}: {c:?}");
                assert_eq!((c[0].version.as_str(), c[0].line), (ver, line), "{what}");
            }
            (Err(frags), Err(e)) => {
                assert!(e.kind.is_input(), "{what}");
                for f in frags {
                    assert!(
                        e.message().contains(f),
                        "{what}: `{f}` not in {}",
                        e.message()
                    );
                }
            }
            (want, got) => panic!("{what}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn non_utf8_bytes_are_refused_with_their_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Cargo.toml"), b"[package]\nname = \"\xff\"\n").unwrap();
    let e = claims(d.path()).unwrap_err();
    assert!(e.message().contains("Cargo.toml:2"), "{}", e.message());
    assert!(e.message().contains("UTF-8"), "{}", e.message());
}

#[test]
fn dynamic_and_virtual_manifests_claim_nothing() {
    let d = dir(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
        (
            "pyproject.toml",
            "[project]\nname = \"p\"\ndynamic = [\"version\"]\n",
        ),
        ("package.json", "{\"name\": \"x\", \"private\": true}"),
    ]);
    assert_eq!(claims(d.path()).unwrap(), Vec::new());
}
