//! Tests of the formula renderer, the name rules and the reader.

use super::*;

fn d(os: Os, arch: Arch, n: char) -> Download {
    let o = os.as_str();
    let a = arch.as_str();
    Download {
        os,
        arch,
        url: format!("https://github.com/acme/demo/releases/download/v1.2.3/demo_1.2.3_{o}_{a}.tar.gz"),
        sha256: n.to_string().repeat(64),
    }
}

fn formula() -> Formula {
    Formula {
        name: "demo".into(),
        desc: "Ships releases to every platform".into(),
        homepage: "https://github.com/acme/demo".into(),
        version: "1.2.3".into(),
        license: "MIT OR Apache-2.0".into(),
        binary: "demo".into(),
        downloads: vec![
            d(Os::Linux, Arch::Arm64, 'd'),
            d(Os::Darwin, Arch::Amd64, 'a'),
            d(Os::Linux, Arch::Amd64, 'c'),
            d(Os::Darwin, Arch::Arm64, 'b'),
        ],
    }
}

#[test]
fn full_formula() {
    insta::assert_snapshot!("full", render(&formula()).unwrap());
}

#[test]
fn darwin_arm_only_with_hostile_texts() {
    let f = Formula {
        name: "my-tool".into(),
        desc: "Say \"hi\" #{`rm -rf /`} \\ end".into(),
        license: "MIT".into(),
        downloads: vec![d(Os::Darwin, Arch::Arm64, 'e')],
        ..formula()
    };
    insta::assert_snapshot!("darwin_arm_only", render(&f).unwrap());
}

#[test]
fn rendering_is_pure() {
    assert_eq!(render(&formula()).unwrap(), render(&formula()).unwrap());
}

#[test]
fn class_names_follow_homebrew() {
    for (name, class) in [
        ("demo", "Demo"),
        ("my-tool", "MyTool"),
        ("foo_bar.baz", "FooBarBaz"),
        ("c++tool", "Cxxtool"),
        ("python@3", "PythonAT3"),
        ("tool2", "Tool2"),
    ] {
        assert_eq!(class_name(name).unwrap(), class, "{name}");
    }
    for bad in ["", "Demo", "3d-tool", "-x", "a b", "x/y", "naïve", "a@b"] {
        let e = class_name(bad).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Input, "{bad}");
        assert!(e.message().contains("platforms.homebrew.formula"), "{e}");
    }
}

#[test]
fn licenses() {
    let line = |l: &str| license_line(l).unwrap();
    assert_eq!(line(""), None);
    assert_eq!(line("MIT").unwrap(), "license \"MIT\"");
    assert_eq!(line("MIT AND BSD-3-Clause").unwrap(), "license all_of: [\"MIT\", \"BSD-3-Clause\"]");
    assert!(license_line("(MIT OR Apache-2.0) AND BSD-3-Clause").is_err());
    assert!(license_line("GPL-2.0 WITH Classpath-exception-2.0").is_err());
}

#[test]
fn reads_back_what_it_wrote() {
    let f = formula();
    let seen = read(&render(&f).unwrap());
    assert_eq!(seen.version.as_deref(), Some("1.2.3"));
    let mut want: Vec<(String, String)> = f
        .downloads
        .iter()
        .map(|d| (d.url.clone(), d.sha256.clone()))
        .collect();
    let mut got = seen.downloads.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(read("class X < Formula\nend\n"), Seen::default());
}
