//! README command 1's acceptance on the bundled example, through the real binary:
//! `tagship release --dry-run` on examples/hello-go exits 0 with 5 archives + SHA256SUMS,
//! `file` agrees with every binary's OS/arch, a second run is byte-identical, GitHub is a
//! clear "unreachable" (pointed at a closed loopback port: tests never reach the internet),
//! and a real run publishes through `exec` a linux-amd64 archive whose binary prints the version.

mod support;

use std::path::Path;
use std::process::Command;
use support::cli::Project;

fn copy_example(to: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-go");
    for rel in [
        "main.go",
        "go.mod",
        "README.md",
        "pipeline.yaml",
        "scripts/check.sh",
        "scripts/publish.sh",
    ] {
        let dst = to.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), dst).unwrap();
    }
}

fn example() -> Project {
    let mut p = Project::new("placeholder: true\n");
    copy_example(p.path());
    p.env("TAGSHIP__PLATFORMS__GITHUB__API_URL", "http://127.0.0.1:9");
    p.env("TAGSHIP_HTTP_ATTEMPTS", "1");
    let gocache = std::env::temp_dir().join("tagship-test-go");
    p.env("GOCACHE", gocache.join("cache").to_str().unwrap());
    p.env("GOPATH", gocache.join("path").to_str().unwrap());
    p
}

fn archives(report: &serde_json::Value) -> Vec<(String, String)> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "archive" || a["type"] == "checksums")
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn outcome(report: &serde_json::Value, id: &str) -> String {
    report["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()["outcome"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn dry_run_of_the_example_is_complete_and_reproducible() {
    let p = example();
    let r = p.run(&["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let first = archives(&rep);
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "hello_1.0.0_darwin_amd64.tar.gz",
            "hello_1.0.0_darwin_arm64.tar.gz",
            "hello_1.0.0_linux_amd64.tar.gz",
            "hello_1.0.0_linux_arm64.tar.gz",
            "hello_1.0.0_windows_amd64.zip",
            "SHA256SUMS"
        ]
    );
    assert_eq!(outcome(&rep, "github"), "unreachable");
    assert_eq!(outcome(&rep, "exec"), "would-publish");
    assert!(
        r.stdout.contains("unreachable") && r.stdout.contains("SHA256SUMS"),
        "{}",
        r.stdout
    );
    for (target, want) in [
        ("linux-amd64/hello", "ELF 64-bit LSB executable, x86-64"),
        (
            "linux-arm64/hello",
            "ELF 64-bit LSB executable, ARM aarch64",
        ),
        ("darwin-amd64/hello", "Mach-O 64-bit x86_64 executable"),
        ("darwin-arm64/hello", "Mach-O 64-bit arm64 executable"),
        (
            "windows-amd64/hello.exe",
            "PE32+ executable (console) x86-64",
        ),
    ] {
        let out = Command::new("file")
            .arg("-b")
            .arg(p.dist().join("bin").join(target))
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&out.stdout);
        assert!(got.contains(want), "{target}: file says {got}");
    }
    // Second run: byte-identical archives.
    std::fs::remove_dir_all(p.dist()).unwrap();
    let r2 = p.run(&["release", "v1.0.0", "--dry-run"]);
    r2.assert_code(0);
    assert_eq!(archives(&r2.report(&p.dist())), first);
    assert!(
        !p.path().join(".registry").exists(),
        "dry run published nothing"
    );
}

#[test]
fn real_run_publishes_through_exec_and_the_binary_runs() {
    let p = example();
    let r = p.run(&["release", "v2.3.4", "--skip", "github"]);
    r.assert_code(0);
    assert_eq!(outcome(&r.report(&p.dist()), "exec"), "published");
    let reg = p.path().join(".registry/hello/2.3.4");
    let tgz = reg.join("hello_2.3.4_linux_amd64.tar.gz");
    assert!(tgz.exists(), "registry holds the archive");
    let x = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(x.path())
        .status()
        .unwrap();
    assert!(st.success());
    let out = Command::new(x.path().join("hello"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2.3.4");
    // Re-run: already published, nothing copied again.
    let r = p.run(&["release", "v2.3.4", "--skip", "github"]);
    r.assert_code(0);
    assert_eq!(outcome(&r.report(&p.dist()), "exec"), "already-published");
}
