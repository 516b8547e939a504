//! What every platform fixture of the conformance suite (tests/conformance.rs) provides, and
//! the scratch project all of them publish. A fixture is a small per-platform file next to
//! this one: how to start the platform's real local server, its `platforms:` section, how
//! to count mutations *on the server*, what a client downloads, and how to delete one
//! published file behind tagship's back. The cases themselves know no platform.

#![allow(dead_code)]

use crate::support::cli::Project;
use crate::support::registries::Proxy;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The version every fixture publishes.
pub const V: &str = "1.0.0";
pub const TAG: &str = "v1.0.0";
/// The project (and package) name.
pub const NAME: &str = "demo";

/// What a platform's setup can show; gates the cases (`Case::applies`).
#[derive(Debug, Clone, Copy)]
pub struct Traits {
    /// Reached over HTTP through the fault proxy: the 503 / 401 / reset cases apply.
    pub http: bool,
    /// The report's `uploaded` lists exactly the files sent. Not so for exec: its publish
    /// command gets the whole version and decides itself what to copy.
    pub per_file_report: bool,
    /// Other bytes under the same version are reported as error kind `conflict`. exec's check
    /// contract has only present / absent / error, so its conflict is a failed check.
    pub conflict_kind: bool,
}

impl Traits {
    pub const HTTP: Traits = Traits {
        http: true,
        per_file_report: true,
        conflict_kind: true,
    };
}

/// One platform in the suite: starts its server for one test.
pub trait Fixture: Sync {
    fn traits(&self) -> Traits;
    /// Starts the platform's real local server(s) with their data under `dir`. Panics (with
    /// the setup script to run) when a server or tool is missing: never skips.
    fn start(&self, dir: &Path) -> Box<dyn Server>;
}

/// A running platform server, seen from the outside.
pub trait Server {
    /// The `platforms:` entry of pipeline.yaml (indented by two spaces).
    fn section(&self) -> String;
    /// Credentials (and other environment) for the tagship runs.
    fn env(&self) -> Vec<(String, String)>;
    /// The variable holding the credential, which a refused-credential hint must name.
    fn credential(&self) -> &'static str;
    /// Targets the platform needs built besides `TARGETS` (homebrew: darwin; winget: windows).
    fn targets(&self) -> &'static [&'static str] {
        &[]
    }
    /// Writes what the platform needs besides the common project (crates: a crate).
    fn prepare(&self, _project: &Path) {}
    /// Makes the same version build to other bytes, beyond the binaries (crates: its source).
    fn change_bytes(&self, _project: &Path) {}
    /// Every mutating request (or commit, or write) that reached the server, oldest first.
    fn mutations(&self) -> Vec<String>;
    /// What a client downloads for this version: file name → digest.
    fn files(&self) -> BTreeMap<String, String>;
    /// What a client downloads for `version` (the randomized fault runs, tests/fault_runs.rs,
    /// release many versions). Platforms not in those runs need not say.
    fn files_at(&self, _version: &str) -> BTreeMap<String, String> {
        unimplemented!("files_at: this fixture is not in the randomized fault runs")
    }
    /// Deletes one published file on the server behind tagship's back; returns its name as
    /// tagship's report names it.
    fn delete_one(&self) -> String;
    /// The fault proxy in front of the server (`Traits::http`).
    fn proxy(&self) -> Option<&Proxy> {
        None
    }
    /// Fault-proxy `match` selecting the upload requests (`{"method": "POST"}`).
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({})
    }
}

/// Every commit on any branch of a bare repository, oldest first: the mutations of the
/// platforms that publish by git push (pep503, homebrew).
pub fn git_commits(bare: &Path) -> Vec<String> {
    git_out(bare, &["rev-list", "--all", "--reverse"])
        .lines()
        .map(String::from)
        .collect()
}

/// Every path on `branch` of a bare repository → its git blob id; empty without the branch.
pub fn branch_files(bare: &Path, branch: &str) -> BTreeMap<String, String> {
    let has = std::process::Command::new("git")
        .arg("-C")
        .arg(bare)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .output()
        .unwrap();
    if !has.status.success() {
        return BTreeMap::new();
    }
    git_out(bare, &["ls-tree", "-r", branch])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let blob = meta.split_whitespace().nth(2).unwrap().to_string();
            (path.to_string(), blob)
        })
        .collect()
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Writes a minimal executable header for `{os}` `{arch}` (amd64 / arm64): ELF64 on linux,
/// a thin Mach-O on darwin, a PE32+ image on windows; then the project's `variant.txt`. A real
/// binary of the right format and arch to every check tagship makes, a few bytes big, built in
/// milliseconds; a new variant gives other bytes.
const MKELF: &str = r#"import pathlib, struct, sys
os_, arch, dest = sys.argv[1], sys.argv[2], sys.argv[3]
if os_ == "darwin":
    cpu = {"amd64": 0x01000007, "arm64": 0x0100000C}[arch]
    head = struct.pack("<IiiIIII", 0xFEEDFACF, cpu, 0, 2, 0, 0, 0) + bytes(4)
elif os_ == "windows":
    machine = {"amd64": 0x8664, "arm64": 0xAA64}[arch]
    head = b"MZ" + bytes(0x3A) + struct.pack("<I", 0x40)
    head += b"PE\0\0" + struct.pack("<HHIIIHH", machine, 0, 0, 0, 0, 240, 0x22) + struct.pack("<H", 0x20B)
else:
    machine = {"amd64": 0x3E, "arm64": 0xB7}[arch]
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    head = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 0, 0, 0, 64, 56, 0, 64, 0, 0)
out = pathlib.Path(dest)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_bytes(head + pathlib.Path("variant.txt").read_bytes())
out.chmod(0o755)
"#;

/// The targets every fixture builds unless its `Server::targets` says otherwise. Two, so every
/// platform publishes more than one file and "exactly that file" means something.
pub const TARGETS: &[&str] = &["linux-amd64", "linux-arm64"];

/// The scratch project's pipeline.yaml for `TARGETS`.
pub fn pipeline(section: &str) -> String {
    pipeline_for(section, TARGETS)
}

/// The scratch project's pipeline.yaml building `targets` (`os-arch`: linux, darwin, windows
/// × amd64, arm64).
pub fn pipeline_for(section: &str, targets: &[&str]) -> String {
    let targets = targets.join(", ");
    format!(
        r#"project:
  name: {NAME}
  description: A demo tool
  license: MIT
builds:
  - command: [python3, mkelf.py, "{{os}}", "{{arch}}", "build/{{target}}/{NAME}{{exe}}"]
    binary: "build/{{target}}/{NAME}{{exe}}"
    targets: [{targets}]
archives:
  files: [README.md]
platforms:
{section}"#
    )
}

/// The scratch project publishing to `server`, with its credentials set.
pub fn project(server: &dyn Server) -> Project {
    project_for(&[server])
}

/// The scratch project publishing to every one of `servers` in one pipeline.
pub fn project_for(servers: &[&dyn Server]) -> Project {
    let sections: String = servers.iter().map(|s| s.section()).collect();
    let mut targets: Vec<&str> = TARGETS.to_vec();
    for t in servers.iter().flat_map(|s| s.targets()) {
        if !targets.contains(t) {
            targets.push(t);
        }
    }
    let mut p = Project::new(&pipeline_for(&sections, &targets));
    p.write("mkelf.py", MKELF);
    p.write("variant.txt", "first build\n");
    for server in servers {
        server.prepare(p.path());
        for (k, v) in server.env() {
            p.env(&k, &v);
        }
    }
    p.env("TAGSHIP_HTTP_ATTEMPTS", "4");
    p
}

/// Same version, other bytes: every binary (so every archive, wheel, npm tarball) changes.
pub fn change_bytes(p: &Project, server: &dyn Server) {
    p.write("variant.txt", "second build, other bytes\n");
    server.change_bytes(p.path());
}

/// `name → sha256` of every file in `dir` (not recursive), for directory-backed servers.
pub fn dir_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    rd.flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, sha256(&std::fs::read(e.path()).unwrap()))
        })
        .collect()
}

/// The proxy's requests that reached the server and were not reads, as `METHOD path status`.
pub fn forwarded_mutations(proxy: &Proxy) -> Vec<String> {
    proxy
        .log()
        .into_iter()
        .filter(|l| l.forwarded && l.method != "GET" && l.method != "HEAD")
        .map(|l| format!("{} {} {:?}", l.method, l.path, l.status))
        .collect()
}

/// Fails loudly unless the local servers are installed: a skip would pass silently.
pub fn require_servers() {
    crate::support::registries::require();
}

/// The fault rules the proxy still has answers for (`[]` once every injected answer was used).
pub fn faults_left(proxy: &Proxy) -> serde_json::Value {
    let url = format!("{}__proxy/faults", proxy.url());
    let (status, body) = crate::support::registries::http("GET", &url, None);
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The name in `files` that contains every part (the file a fixture deletes), or a failure
/// listing what the server holds.
pub fn named(files: BTreeMap<String, String>, parts: &[&str]) -> String {
    files
        .keys()
        .find(|n| parts.iter().all(|p| n.contains(p)))
        .cloned()
        .unwrap_or_else(|| panic!("no file named like {parts:?} on the server: {files:?}"))
}
