//! The generated Homebrew formula, checked by real tools (issue 8, acceptance 1): `ruby -c`
//! (syntax), `tests/fixtures/homebrew/eval_formula.rb` (evaluates it against a minimal
//! `Formula` DSL on each of macos/linux × intel/arm and reads back the url, sha256, version,
//! `bin.install` and the `--version` test command that apply there) and Debian's `rubocop`.
//! The tools come from scripts/setup.d/70-ruby.sh; a missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use tagship::plan::{Arch, Os};
use tagship::platforms::homebrew::formula::{render, Download, Formula};

const SETUP: &str = "scripts/setup.d/70-ruby.sh";

fn tool(name: &str) -> PathBuf {
    tagship::exec::resolve_program(name, None)
        .unwrap_or_else(|_| panic!("`{name}` is not on PATH: run {SETUP}"))
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn download(os: Os, arch: Arch, fill: char) -> Download {
    let (o, a) = (os.as_str(), arch.as_str());
    Download {
        os,
        arch,
        url: format!(
            "https://github.com/acme/my-tool/releases/download/v2.0.0-rc.1/my-tool_2.0.0-rc.1_{o}_{a}.tar.gz"
        ),
        sha256: fill.to_string().repeat(64),
    }
}

/// A formula with every OS × arch, a hyphenated name and texts that need escaping.
fn formula(downloads: Vec<Download>) -> Formula {
    Formula {
        name: "my-tool".into(),
        desc: "Ships \"releases\" to #{every} platform \\o/".into(),
        homepage: "https://example.com/my-tool".into(),
        version: "2.0.0-rc.1".into(),
        license: "MIT OR Apache-2.0".into(),
        binary: "my-tool".into(),
        downloads,
    }
}

fn all() -> Vec<Download> {
    vec![
        download(Os::Darwin, Arch::Amd64, 'a'),
        download(Os::Darwin, Arch::Arm64, 'b'),
        download(Os::Linux, Arch::Amd64, 'c'),
        download(Os::Linux, Arch::Arm64, 'd'),
    ]
}

fn write(dir: &Path, f: &Formula) -> PathBuf {
    let p = dir.join(format!("{}.rb", f.name));
    std::fs::write(&p, render(f).unwrap()).unwrap();
    p
}

fn evaluate(file: &Path) -> serde_json::Value {
    let harness =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/homebrew/eval_formula.rb");
    let (ok, out) = run(Command::new(tool("ruby")).arg(harness).arg(file));
    assert!(ok, "the DSL harness failed on {}:\n{out}", file.display());
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn server_ruby_accepts_the_formula_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &formula(all()));
    let (ok, out) = run(Command::new(tool("ruby")).arg("-wc").arg(&file));
    assert!(ok && out.contains("Syntax OK"), "{out}");
    // The check can fail: a formula cut short is refused.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, &text[..text.len() - 4]).unwrap();
    let (ok, out) = run(Command::new(tool("ruby")).arg("-c").arg(&file));
    assert!(!ok, "ruby -c accepted a truncated formula: {out}");
}

#[test]
fn server_each_platform_gets_its_own_archive_and_sum() {
    let dir = tempfile::tempdir().unwrap();
    let f = formula(all());
    let got = evaluate(&write(dir.path(), &f));
    assert_eq!(got["class"], "MyTool");
    for d in &f.downloads {
        let os = if d.os == Os::Darwin { "macos" } else { "linux" };
        let arch = if d.arch == Arch::Arm64 {
            "arm"
        } else {
            "intel"
        };
        let p = &got["platforms"][format!("{os}-{arch}")];
        assert_eq!(p["url"], serde_json::json!([d.url]), "{os}-{arch}: {p}");
        assert_eq!(
            p["sha256"],
            serde_json::json!([d.sha256]),
            "{os}-{arch}: {p}"
        );
        assert_eq!(p["version"], "2.0.0-rc.1");
        assert_eq!(p["desc"], f.desc, "the desc survives escaping unchanged");
        assert_eq!(p["homepage"], f.homepage);
        assert_eq!(
            p["license"],
            serde_json::json!({"any_of": ["MIT", "Apache-2.0"]})
        );
        assert_eq!(p["installed"], serde_json::json!(["my-tool"]));
        assert_eq!(p["ran"], serde_json::json!(["/sim/bin/my-tool --version"]));
    }
}

#[test]
fn server_a_platform_not_built_downloads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let only = vec![download(Os::Darwin, Arch::Arm64, 'e')];
    let got = evaluate(&write(dir.path(), &formula(only.clone())));
    let p = &got["platforms"];
    assert_eq!(p["macos-arm"]["url"], serde_json::json!([only[0].url]));
    for other in ["macos-intel", "linux-intel", "linux-arm"] {
        assert_eq!(p[other]["url"], serde_json::json!([]), "{other}: {p}");
        assert_eq!(p[other]["sha256"], serde_json::json!([]), "{other}: {p}");
    }
}

#[test]
fn server_rubocop_finds_no_offense() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &formula(all()));
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/homebrew/rubocop.yml");
    let (ok, out) = run(Command::new(tool("rubocop"))
        .args(["--no-color", "--cache", "false", "--config"])
        .arg(&config)
        .arg(&file)
        .current_dir(dir.path()));
    assert!(ok, "rubocop:\n{out}");
    assert!(out.contains("no offenses detected"), "{out}");
}
