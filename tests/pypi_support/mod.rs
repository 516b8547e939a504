//! Shared helpers for the pypi/pep503 tests: real binaries (Go and C), a hand-built `Cx`,
//! fresh venvs with pip, and the local servers from `scripts/servers/`. A missing tool or
//! server makes the test FAIL naming the setup script (there is no opt-out: a test that cannot
//! run must not pass; `scripts/test.sh --fast` leaves the `server_` tests out, visibly).
#![allow(dead_code)]

pub mod project;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::{Artifact, ArtifactKind, Project, Target};
use tagship::platform::{Cx, Release};
use tagship::redact::Secret;

pub const SETUP: &str = "scripts/setup.d/30-registries.sh";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn pyenv() -> PathBuf {
    std::env::var_os("TAGSHIP_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/test-deps"))
        .join("pyenv")
}

/// Fails the test, naming what is missing and the setup script that installs it.
pub fn missing(what: &str, setup: &str) -> ! {
    panic!("{what} is missing: run {setup} (scripts/setup.sh runs every setup step)");
}

/// A tool from the registries venv, or a failure naming the setup script.
pub fn venv_tool(name: &str) -> PathBuf {
    let p = pyenv().join("bin").join(name);
    if !p.is_file() {
        missing(&format!("{}", p.display()), SETUP);
    }
    p
}

/// A program on PATH, or a failure naming the setup script.
pub fn system_tool(name: &str, setup: &str) -> PathBuf {
    tagship::exec::resolve_program(name, None)
        .unwrap_or_else(|_| missing(&format!("`{name}`"), setup))
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n--- stdout\n{s}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    s
}

/// A static linux Go binary (`goarch`: amd64, arm64) printing `name <version>` for `--version`.
pub fn go_binary(dir: &Path, name: &str, version: &str, goarch: &str) -> PathBuf {
    go_binary_for(dir, name, version, "linux", goarch)
}

/// A Go binary for any GOOS/GOARCH (`.exe` on windows).
pub fn go_binary_for(dir: &Path, name: &str, version: &str, goos: &str, goarch: &str) -> PathBuf {
    let go = system_tool("go", "scripts/setup.d/10-base.sh");
    let src = dir.join("go-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nvar version = \"dev\"\n\nfunc main() {\n\tif len(os.Args) > 1 && os.Args[1] == \"--version\" {\n\t\tfmt.Println(\"NAME \" + version)\n\t\treturn\n\t}\n\tfmt.Println(\"hello from NAME\")\n}\n"
            .replace("NAME", name),
    )
    .unwrap();
    let exe = if goos == "windows" { ".exe" } else { "" };
    let out = dir
        .join(format!("go-out-{goos}-{goarch}-{version}"))
        .join(format!("{name}{exe}"));
    let cache = std::env::var_os("GOCACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/go-build"));
    run(Command::new(go)
        .current_dir(&src)
        .env("GOCACHE", cache)
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GO111MODULE", "off")
        .env("CGO_ENABLED", "0")
        .env("GOOS", goos)
        .env("GOARCH", goarch)
        .args(["build", "-ldflags"])
        .arg(format!("-X main.version={version}"))
        .arg("-o")
        .arg(&out)
        .arg("main.go"));
    out
}

/// A dynamically linked (glibc) C binary printing `name <version>` for `--version`.
pub fn c_binary(dir: &Path, name: &str, version: &str) -> PathBuf {
    let cc = system_tool("cc", "scripts/setup.d/10-base.sh");
    let src = dir.join("c-src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("main.c"),
        format!("#include <stdio.h>\n#include <string.h>\nint main(int c, char **v) {{\n  if (c > 1 && !strcmp(v[1], \"--version\")) {{ puts(\"{name} {version}\"); return 0; }}\n  puts(\"hello\");\n  return 0;\n}}\n"),
    )
    .unwrap();
    let out = dir.join("c-out").join(name);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    run(Command::new(cc)
        .arg("-O1")
        .arg("-o")
        .arg(&out)
        .arg(src.join("main.c")));
    out
}

/// A release whose dist/ holds `binaries` as Binary artifacts.
pub fn release(root: &Path, name: &str, version: &str, binaries: &[(&str, &Path)]) -> Release {
    let dist = root.join("dist");
    let mut artifacts = Vec::new();
    for (target, src) in binaries {
        let t = Target::parse(target).unwrap();
        let rel = PathBuf::from("bin")
            .join(t.id())
            .join(src.file_name().unwrap());
        let dest = dist.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(src, &dest).unwrap();
        let data = std::fs::read(&dest).unwrap();
        artifacts.push(Artifact {
            name: src.file_name().unwrap().to_string_lossy().into_owned(),
            path: rel,
            kind: ArtifactKind::Binary,
            target: Some(t),
            sha256: hex::encode(Sha256::digest(&data)),
            size: data.len() as u64,
        });
    }
    Release {
        project: Project {
            name: name.into(),
            description: format!("{name}: a demo CLI shipped as wheels"),
            homepage: Some("https://example.invalid/demo".into()),
            license: Some("MIT".into()),
            authors: vec![],
            repository: Some("https://example.invalid/demo.git".into()),
        },
        version: semver::Version::parse(version).unwrap(),
        tag: format!("v{version}"),
        commit: None,
        dist,
        artifacts,
        root: root.to_path_buf(),
        epoch: 315_532_800,
    }
}

/// A hand-built context.
pub fn cx(
    platform: &str,
    release: Release,
    dry_run: bool,
    secrets: &[(&str, &str)],
) -> (Cx, Ledger) {
    let ledger = Ledger::default();
    let opts = HttpOptions {
        dry_run,
        retry: RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(5),
        },
        ..Default::default()
    };
    let http = Http::new(opts, ledger.clone())
        .unwrap()
        .for_platform(platform);
    let secrets: BTreeMap<String, Secret> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), Secret::new(*v)))
        .collect();
    let cx = Cx {
        platform: platform.into(),
        http,
        exec: Exec::new(dry_run, ledger.clone()).for_platform(platform),
        release: Arc::new(release),
        secrets,
        deps: BTreeMap::new(),
    };
    (cx, ledger)
}

/// A fresh venv without pip; pip from the registries venv installs into it (`--python`).
pub fn fresh_venv(dir: &Path) -> PathBuf {
    let v = dir.join("venv");
    run(Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&v));
    v
}

/// `pip install` into `venv` with the registries venv's pip.
pub fn pip_install(venv: &Path, args: &[&str]) -> String {
    let py = venv_tool("python");
    let mut c = Command::new(py);
    c.args([
        "-m",
        "pip",
        "--disable-pip-version-check",
        "--no-cache-dir",
        "--python",
    ])
    .arg(venv.join("bin/python"))
    .args(["install", "--no-input"])
    .args(args)
    .env("PIP_CONFIG_FILE", "/dev/null");
    run(&mut c)
}

/// A server started by `scripts/servers/<script>`; stopped on drop.
pub struct Server {
    pub info: Value,
    pub dir: PathBuf,
}

impl Server {
    pub fn start(script: &str, dir: &Path, args: &[&str]) -> Server {
        Server::start_env(script, dir, args, &[])
    }
    pub fn start_env(script: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let path = repo().join("scripts/servers").join(script);
        let out = Command::new("bash")
            .arg(&path)
            .args(args)
            .arg(dir)
            .envs(env.iter().copied())
            .env("TAGSHIP_WATCH_PID", std::process::id().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script} failed (did you run {SETUP}?):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {:?}", out.stdout));
        Server {
            info,
            dir: dir.to_path_buf(),
        }
    }
    pub fn s(&self, k: &str) -> String {
        self.info[k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} in {}", self.info))
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/servers/stop.sh"))
            .arg(&self.dir)
            .output();
    }
}

/// pypiserver (`scripts/servers/pypiserver.sh`) in `dir` with user `tester` and `password`.
pub fn pypiserver(dir: &Path, password: &str) -> Server {
    Server::start_env("pypiserver.sh", dir, &[], &[("PYPI_PASSWORD", password)])
}

/// A new bare git repository at `path` (an index branch's home), returned.
pub fn bare_repo(path: &Path) -> PathBuf {
    run(Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(path));
    path.to_path_buf()
}

/// How many commits `bare` holds (every ref).
pub fn commits(bare: &Path) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(bare)
        .args(["rev-list", "--count", "--all"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Blocking HTTP for test assertions (curl-free): python's urllib.
pub fn http_json(method: &str, url: &str, body: Option<&Value>) -> Value {
    let script = "import json,sys,urllib.request as u\nr=u.Request(sys.argv[2],method=sys.argv[1],data=(sys.argv[3].encode() if len(sys.argv)>3 else None),headers={'content-type':'application/json','accept':'application/json'})\nprint(u.urlopen(r,timeout=10).read().decode() or 'null')";
    let mut c = Command::new("python3");
    c.args(["-c", script, method, url]);
    if let Some(b) = body {
        c.arg(b.to_string());
    }
    serde_json::from_str(run(&mut c).trim()).unwrap()
}
