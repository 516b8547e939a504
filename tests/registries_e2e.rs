//! Issue #3's acceptance, through the real `tagship` binary against real local registries,
//! all four registry platforms in ONE pipeline and ONE `tagship release`:
//! a copy of `examples/hello-go` (its build section, fewer targets) publishing to npm
//! (verdaccio), PyPI (pypiserver) and a PEP 503 index (a bare git repo), with a copy of
//! `examples/hello-rust` under `rust/` publishing to the local crates registry.
//!
//! 1. release → every platform `published`; then installs with the real clients (npm, pip
//!    from pypiserver and from the PEP 503 index, cargo install) print the version;
//! 2. a re-run is `already-published` everywhere with 0 mutating requests (report, fault-proxy
//!    logs, crates request log, git commits); a deleted wheel is re-uploaded alone;
//! 3. a dry run probes the live servers and withholds (and lists) every mutation;
//! 4. two 503s on the PyPI upload are retried (one copy per wheel); a wrong PYPI_TOKEN fails
//!    pypi alone (exit 1, hint naming PYPI_TOKEN) while the others publish;
//! 5. the same version rebuilt with other bytes is a conflict everywhere, nothing overwritten.
//!
//! verdaccio and pypiserver sit behind `scripts/servers/fault_proxy.sh`, whose log counts
//! every request. Every run goes through `support::cli::Project::run`, which puts the
//! canary in every credential variable not overridden here and asserts it never shows.
//! Needs `scripts/setup.d/30-registries.sh`; fails naming it when it is missing.

mod support;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;
use support::cli::{platform_row as outcome, Project, Run};
use support::registries::{http, http_bytes, repo, venv_python, Registries, Server};

const V: &str = "1.0.0";
const TAG: &str = "v1.0.0";
/// The linux-amd64 wheel (static Go binary: manylinux and musllinux tags).
const WHEEL_AMD64: &str =
    "hello-1.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_2_x86_64.whl";
const WHEEL_ARM64: &str =
    "hello-1.0.0-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_2_aarch64.whl";
const ALL: [&str; 4] = ["npm", "pypi", "pep503", "crates"];

/// The `builds:` section of examples/hello-go/pipeline.yaml with `targets` replaced.
fn go_builds(targets: &[&str]) -> String {
    let y = std::fs::read_to_string(repo().join("examples/hello-go/pipeline.yaml")).unwrap();
    let start = y.find("\nbuilds:\n").expect("builds: in the example") + 1;
    let end = y[start..]
        .find("\narchives:")
        .expect("archives: after builds:")
        + start
        + 1;
    let mut out = String::new();
    let mut in_targets = false;
    for line in y[start..end].lines() {
        if in_targets && line.starts_with("      - ") {
            continue;
        }
        in_targets = false;
        if line == "    targets:" {
            in_targets = true;
            out.push_str(&format!("    targets: [{}]\n", targets.join(", ")));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(out.contains("targets: ["), "{out}");
    out
}

fn pipeline(r: &Registries, targets: &[&str]) -> String {
    format!(
        r#"project:
  name: hello
  description: A tiny Go program that says hello and knows its version
  license: MIT
  homepage: https://github.com/tagship/tagship/tree/main/examples/hello-go

{builds}
archives:
  files:
    - README.md

platforms:
  npm:
    registry: "{npm}"
  pypi:
    repository_url: "{pypi}"
    check_via: simple
    simple_url: "{pypi}simple/"
    username: tester
  pep503:
    repo: "{bare}"
  crates:
    registry: local
    index: "{index}"
    manifest: rust/Cargo.toml
"#,
        builds = go_builds(targets),
        npm = r.npm_proxy.url(),
        pypi = r.pypi_proxy.url(),
        bare = r.bare.display(),
        index = r.crates.s("index"),
    )
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// The Go example at the root, the Rust example under `rust/` (version set to `V`), and the
/// servers' real credentials (every other credential variable keeps the canary).
fn project(r: &Registries, targets: &[&str]) -> Project {
    let mut p = Project::new(&pipeline(r, targets));
    let go = repo().join("examples/hello-go");
    for f in ["main.go", "go.mod", "README.md"] {
        copy(&go.join(f), &p.path().join(f));
    }
    let rust = repo().join("examples/hello-rust");
    for f in ["Cargo.toml", "Cargo.lock", "README.md", "src/main.rs"] {
        copy(&rust.join(f), &p.path().join("rust").join(f));
    }
    for f in ["rust/Cargo.toml", "rust/Cargo.lock"] {
        let path = p.path().join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version = \"0.1.0\""), "{f}: {text}");
        std::fs::write(
            &path,
            text.replacen("version = \"0.1.0\"", &format!("version = \"{V}\""), 1),
        )
        .unwrap();
    }
    let gocache = std::env::temp_dir().join("tagship-test-go");
    p.env("GOCACHE", gocache.join("cache").to_str().unwrap())
        .env("GOPATH", gocache.join("path").to_str().unwrap())
        .env("NPM_TOKEN", &r.npm.s("token"))
        .env("PYPI_TOKEN", &r.pypi_password)
        .env("CARGO_REGISTRY_TOKEN", &r.crates.s("token"))
        .env("TAGSHIP_HTTP_ATTEMPTS", "4");
    p
}

fn assert_outcomes(run: &Run, p: &Project, ids: &[&str], want: &str) -> Value {
    let rep = run.report(&p.dist());
    for id in ids {
        assert_eq!(
            outcome(&rep, id)["outcome"],
            want,
            "{id}: {:#}\n--- stderr\n{}",
            outcome(&rep, id),
            run.stderr
        );
    }
    rep
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `npm install -g` from verdaccio into a scratch prefix; `hello --version`.
fn npm_install_and_run(r: &Registries, tmp: &Path) -> String {
    std::fs::create_dir_all(tmp).unwrap();
    let prefix = tmp.join("npm-prefix");
    let userconfig = tmp.join("npmrc");
    std::fs::write(&userconfig, "").unwrap();
    run_ok(
        Command::new("npm")
            .args(["install", "-g", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("hello@{V}"))
            .arg("--registry")
            .arg(r.npm.s("url"))
            .arg("--userconfig")
            .arg(&userconfig)
            .arg("--cache")
            .arg(tmp.join("npm-cache")),
    );
    run_ok(Command::new(prefix.join("bin/hello")).arg("--version"))
}

/// `pip install --index-url INDEX hello==V` into a fresh venv; `hello --version`.
fn pip_install_and_run(index: &str, tmp: &Path) -> String {
    std::fs::create_dir_all(tmp).unwrap();
    let venv = tmp.join("venv");
    run_ok(
        Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv),
    );
    // The registries venv's pip installs into the fresh venv (`--python`): no pip download.
    run_ok(
        Command::new(venv_python())
            .args([
                "-m",
                "pip",
                "--disable-pip-version-check",
                "--no-cache-dir",
                "--python",
            ])
            .arg(venv.join("bin/python"))
            .args(["install", "--no-input", "--index-url", index])
            .arg(format!("hello=={V}"))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL"),
    );
    run_ok(Command::new(venv.join("bin/hello")).arg("--version"))
}

/// `cargo install --registry local hello-rust` with a scratch CARGO_HOME; `hello --version`.
fn cargo_install_and_run(r: &Registries, tmp: &Path) -> String {
    let home = tmp.join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        format!("[registries.local]\nindex = \"{}\"\n", r.crates.s("index")),
    )
    .unwrap();
    run_ok(
        Command::new("cargo")
            .args(["install", "--registry", "local", "hello-rust", "--version"])
            .arg(format!("={V}"))
            .arg("--root")
            .arg(tmp.join("cargo-root"))
            .env("CARGO_HOME", &home)
            .env("CARGO_TARGET_DIR", tmp.join("cargo-build"))
            .env_remove("CARGO_REGISTRY_TOKEN")
            .env_remove("CARGO_BUILD_TARGET"),
    );
    run_ok(Command::new(tmp.join("cargo-root/bin/hello")).arg("--version"))
}

/// Resets both proxies' logs; returns the crates log length and the index commit count.
fn mark(r: &Registries) -> (usize, usize) {
    r.npm_proxy.reset();
    r.pypi_proxy.reset();
    (r.crates_log().len(), r.index_commits())
}

/// No server saw a mutating request since `mark`.
fn assert_no_mutations(r: &Registries, since: (usize, usize)) {
    assert_eq!(r.npm_proxy.mutations(), vec![], "verdaccio was mutated");
    assert_eq!(r.pypi_proxy.mutations(), vec![], "pypiserver was mutated");
    let crates: Vec<_> = r.crates_log()[since.0..]
        .iter()
        .filter(|(m, _, _)| m != "GET" && m != "HEAD")
        .cloned()
        .collect();
    assert_eq!(crates, vec![], "the crates registry was mutated");
    assert_eq!(r.index_commits(), since.1, "the PEP 503 branch moved");
}

// ---------------------------------------------------------------------------------------

/// Acceptance 1 and 2.
#[test]
fn server_release_everywhere_install_rerun_and_repair() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64", "linux-arm64"]);

    // 1. One release, four registries.
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, &p, &ALL, "published");
    assert!(rep["requests"]["mutating_sent"].as_u64().unwrap() > 0);
    assert_eq!(r.pypi_files(), [WHEEL_ARM64, WHEEL_AMD64]);
    assert_eq!(r.index_commits(), 1);
    let npm_puts = r.npm_proxy.mutations();
    let mut paths: Vec<&str> = npm_puts.iter().map(|l| l.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/hello", "/hello-linux-arm64", "/hello-linux-x64"],
        "{npm_puts:?}"
    );
    assert!(
        npm_puts.iter().all(|l| l.method == "PUT" && l.forwarded),
        "{npm_puts:?}"
    );
    assert_eq!(
        npm_puts.len(),
        3,
        "two platform packages + root: {npm_puts:?}"
    );
    assert_eq!(
        npm_puts.last().unwrap().path,
        "/hello",
        "root last: {npm_puts:?}"
    );
    assert_eq!(
        r.crates_mutations(),
        [("PUT".into(), "/api/v1/crates/new".into(), 200)]
    );
    // No credential (the real tokens this test swapped in, nor the canary) was published.
    let (npm_token, crates_token) = (r.npm.s("token"), r.crates.s("token"));
    r.assert_nothing_stored(&[
        &npm_token,
        &r.pypi_password,
        &crates_token,
        support::cli::CANARY,
    ]);

    // ... and installable with the ecosystems' own clients.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    assert_eq!(npm_install_and_run(&r, &t.join("npm")).trim(), V);
    assert_eq!(
        pip_install_and_run(&r.pypi.s("simple_url"), &t.join("pypi")).trim(),
        V
    );
    let site = t.join("site");
    run_ok(
        Command::new("git")
            .args(["clone", "--quiet", "--branch", "gh-pages"])
            .arg(&r.bare)
            .arg(&site),
    );
    {
        let served = Server::start(
            "pep503.sh",
            &[site.to_str().unwrap()],
            &t.join("pep503"),
            &[],
            &[],
        );
        assert_eq!(
            pip_install_and_run(&served.s("simple_url"), &t.join("pep503-venv")).trim(),
            V
        );
    }
    assert_eq!(cargo_install_and_run(&r, &t.join("cargo")).trim(), V);

    // 2. Re-run: already published everywhere, nothing mutating sent or received.
    let since = mark(&r);
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, &p, &ALL, "already-published");
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_no_mutations(&r, since);
    assert!(!r.npm_proxy.reads().is_empty(), "npm was checked");
    assert!(!r.pypi_proxy.reads().is_empty(), "pypi was checked");
    assert!(r.crates_log().len() > since.0, "crates was checked");

    // One wheel gone from pypiserver: `--only pypi` uploads exactly that one.
    let original = std::fs::read(r.pypi_packages().join(WHEEL_ARM64)).unwrap();
    std::fs::remove_file(r.pypi_packages().join(WHEEL_ARM64)).unwrap();
    let since = mark(&r);
    let run = p.run(&["release", TAG, "--only", "pypi"]);
    run.assert_code(0);
    let rep = run.report(&p.dist());
    let ids: Vec<&str> = rep["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pypi"], "{rep:#}");
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "published", "{py:#}");
    assert_eq!(py["uploaded"], json!([WHEEL_ARM64]), "{py:#}");
    let muts = r.pypi_proxy.mutations();
    assert_eq!(muts.len(), 1, "exactly one upload: {muts:?}");
    assert_eq!(
        (muts[0].method.as_str(), muts[0].status),
        ("POST", Some(200))
    );
    assert_eq!(rep["requests"]["mutating_sent"], 1, "{rep:#}");
    assert_eq!(r.pypi_files(), [WHEEL_ARM64, WHEEL_AMD64]);
    assert_eq!(
        std::fs::read(r.pypi_packages().join(WHEEL_ARM64)).unwrap(),
        original,
        "the same bytes again"
    );
    assert_eq!(r.npm_proxy.log(), vec![], "--only pypi leaves npm alone");
    assert_eq!(
        r.crates_log().len(),
        since.0,
        "--only pypi leaves crates alone"
    );
    assert_eq!(r.index_commits(), since.1);
}

/// Acceptance 3.
#[test]
fn server_dry_run_probes_the_live_servers_and_withholds_every_mutation() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64"]);
    let since = mark(&r);
    let run = p.run(&["release", TAG, "--dry-run"]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, &p, &ALL, "would-publish");
    assert_eq!(rep["dry_run"], true);
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_no_mutations(&r, since);

    // Existence was probed on the live servers.
    let npm_reads = r.npm_proxy.reads();
    for pkg in ["/hello-linux-x64/1.0.0", "/hello/1.0.0"] {
        assert!(
            npm_reads
                .iter()
                .any(|l| l.path == pkg && l.status == Some(404)),
            "GET {pkg} → 404 expected: {npm_reads:?}"
        );
    }
    // npm's probes carried the token: verdaccio attributes them to its user `tester`
    // (anonymous reads are allowed there, so a wrong token would show as `user: null`).
    // verdaccio writes its log asynchronously: wait (bounded) for the lines to land.
    for pkg in ["/hello-linux-x64/1.0.0", "/hello/1.0.0"] {
        let want = format!("404, user: tester(127.0.0.1), req: 'GET {pkg}'");
        let mut vlog = String::new();
        for _ in 0..50 {
            vlog = std::fs::read_to_string(r.npm.s("log")).unwrap();
            if vlog.contains(&want) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(
            vlog.contains(&want),
            "GET {pkg} was not authenticated:\n{vlog}"
        );
    }
    // pypi and crates probe anonymously by design (public simple pages and sparse index).
    let pypi_reads = r.pypi_proxy.reads();
    assert!(
        pypi_reads.iter().any(|l| l.path == "/simple/hello/"),
        "{pypi_reads:?}"
    );
    let crates_reads: Vec<_> = r.crates_log()[since.0..].to_vec();
    assert!(
        crates_reads
            .iter()
            .any(|(m, path, st)| m == "GET" && path == "/index/he/ll/hello-rust" && *st == 404),
        "{crates_reads:?}"
    );

    // Every withheld request, per platform.
    let withheld = |id: &str| -> Vec<(String, String)> {
        outcome(&rep, id)["withheld"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: no withheld list: {rep:#}"))
            .iter()
            .map(|w| {
                (
                    w["method"].as_str().unwrap().to_string(),
                    w["target"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let npm = r.npm_proxy.url();
    assert_eq!(
        withheld("npm"),
        [
            ("PUT".to_string(), format!("{npm}hello-linux-x64")),
            ("PUT".to_string(), format!("{npm}hello"))
        ],
        "{rep:#}"
    );
    let pypi = withheld("pypi");
    assert_eq!(pypi.len(), 1, "{pypi:?}");
    assert_eq!(pypi[0].0, "POST");
    assert!(pypi[0].1.starts_with(&r.pypi_proxy.url()), "{pypi:?}");
    assert!(
        outcome(&rep, "pypi")["withheld"][0]["body"]
            .as_str()
            .unwrap()
            .contains(WHEEL_AMD64),
        "{rep:#}"
    );
    let pep = withheld("pep503");
    assert_eq!(pep.len(), 1, "{pep:?}");
    assert!(pep[0].1.contains("push"), "{pep:?}");
    let crates = withheld("crates");
    assert_eq!(crates.len(), 1, "{crates:?}");
    assert_eq!(crates[0].0, "PUT");
    assert!(crates[0].1.ends_with("/api/v1/crates/new"), "{crates:?}");
    let total: usize = ALL.iter().map(|id| withheld(id).len()).sum();
    assert_eq!(rep["requests"]["withheld"], total as u64, "{rep:#}");

    // Nothing landed anywhere.
    assert_eq!(r.pypi_files(), Vec::<String>::new());
    assert_eq!(r.index_commits(), 0);
    assert_eq!(
        http("GET", &format!("{}hello", r.npm.s("url")), None).0,
        404
    );
}

/// Acceptance 4, first half: 503, 503, then pass-through on the PyPI upload.
#[test]
fn server_pypi_upload_retried_past_two_503s_leaves_one_copy() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64"]);
    r.pypi_proxy
        .fault(json!({"match": {"method": "POST"}, "responses": [503, 503]}));
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, &p, &ALL, "published");
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.method, l.status, l.forwarded))
        .collect();
    assert_eq!(
        posts,
        [
            ("POST".to_string(), Some(503), false),
            ("POST".to_string(), Some(503), false),
            ("POST".to_string(), Some(200), true)
        ]
    );
    assert_eq!(r.pypi_files(), [WHEEL_AMD64], "exactly one copy");
    let ours = &outcome(&rep, "pypi")["packages"][0];
    assert_eq!(ours["name"], WHEEL_AMD64);
    assert_eq!(
        sha256(&std::fs::read(r.pypi_packages().join(WHEEL_AMD64)).unwrap()),
        ours["sha256"].as_str().unwrap()
    );
}

/// Acceptance 4, second half: a wrong PYPI_TOKEN fails pypi only.
#[test]
fn server_wrong_pypi_token_fails_pypi_alone() {
    let r = Registries::start();
    let mut p = project(&r, &["linux-amd64"]);
    p.env("PYPI_TOKEN", "not-the-password");
    let run = p.run(&["release", TAG]);
    run.assert_code(1);
    let rep = assert_outcomes(&run, &p, &["npm", "crates", "pep503"], "published");
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "failed", "{py:#}");
    assert_eq!(py["error_kind"], "auth", "{py:#}");
    assert!(
        py["hint"].as_str().unwrap_or("").contains("PYPI_TOKEN"),
        "{py:#}"
    );
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.method, l.status))
        .collect();
    assert_eq!(
        posts,
        [("POST".to_string(), Some(403))],
        "one refused upload, not retried"
    );
    assert_eq!(r.pypi_files(), Vec::<String>::new());
    assert_eq!(rep["exit_code"], 1);

    // pypiserver answers a wrong password with 403; a registry answering 401 (injected
    // here, permanently, in front of the right token) is the same auth failure, not retried.
    p.env("PYPI_TOKEN", &r.pypi_password);
    r.pypi_proxy.reset();
    r.pypi_proxy
        .fault(json!({"match": {"method": "POST"}, "responses": [401, 401, 401, 401, 401, 401]}));
    let run = p.run(&["release", TAG, "--only", "pypi"]);
    run.assert_code(1);
    let rep = run.report(&p.dist());
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "failed", "{py:#}");
    assert_eq!(py["error_kind"], "auth", "{py:#}");
    assert!(
        py["hint"].as_str().unwrap_or("").contains("PYPI_TOKEN"),
        "{py:#}"
    );
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.status, l.forwarded))
        .collect();
    assert_eq!(posts, [(Some(401), false)], "one 401, not retried");
    assert_eq!(r.pypi_files(), Vec::<String>::new());
}

/// Acceptance 5.
#[test]
fn server_same_version_with_other_bytes_is_a_conflict_and_nothing_is_overwritten() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64"]);
    p.run(&["release", TAG]).assert_code(0);

    let npm_doc = |pkg: &str| -> Value {
        let (st, body) = http("GET", &format!("{}{pkg}/{V}", r.npm.s("url")), None);
        assert_eq!(st, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let npm_tgz = |pkg: &str| -> Vec<u8> {
        let url = format!("{}{pkg}/-/{pkg}-{V}.tgz", r.npm.s("url"));
        let (st, body) = http_bytes("GET", &url, None);
        assert_eq!(st, 200, "GET {url}");
        body
    };
    let crate_file =
        Path::new(&r.crates.s("data")).join(format!("crates/hello-rust/hello-rust-{V}.crate"));
    let before = (
        npm_doc("hello-linux-x64")["dist"]["shasum"].clone(),
        sha256(&npm_tgz("hello-linux-x64")),
        sha256(&std::fs::read(r.pypi_packages().join(WHEEL_AMD64)).unwrap()),
        r.index_file("packages.json"),
        sha256(&r.index_file(&format!("files/{WHEEL_AMD64}"))),
        http(
            "GET",
            &format!(
                "{}he/ll/hello-rust",
                r.crates.s("index").trim_start_matches("sparse+")
            ),
            None,
        ),
        sha256(&std::fs::read(&crate_file).unwrap()),
    );

    // Same version, other program: other binary, other wheel/tarball; other crate source.
    let main_go = p.path().join("main.go");
    let go = std::fs::read_to_string(&main_go).unwrap();
    assert!(go.contains("\"hello %s\\n\""), "{go}");
    std::fs::write(&main_go, go.replace("\"hello %s\\n\"", "\"howdy %s\\n\"")).unwrap();
    let main_rs = p.path().join("rust/src/main.rs");
    let rs = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(
        &main_rs,
        rs.replace("hello from hello-rust", "howdy from hello-rust"),
    )
    .unwrap();

    let since = mark(&r);
    let run = p.run(&["release", TAG]);
    run.assert_code(1);
    let rep = assert_outcomes(&run, &p, &ALL, "failed");
    for id in ALL {
        let o = outcome(&rep, id);
        assert_eq!(o["error_kind"], "conflict", "{id}: {o:#}");
        let reason = o["reason"].as_str().unwrap_or("").to_lowercase();
        assert!(
            reason.contains("different") || reason.contains("conflict"),
            "{id}: the reason names the conflict: {o:#}"
        );
    }
    assert!(
        outcome(&rep, "pypi")["reason"]
            .as_str()
            .unwrap()
            .contains(WHEEL_AMD64),
        "{rep:#}"
    );
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_no_mutations(&r, since);
    let after = (
        npm_doc("hello-linux-x64")["dist"]["shasum"].clone(),
        sha256(&npm_tgz("hello-linux-x64")),
        sha256(&std::fs::read(r.pypi_packages().join(WHEEL_AMD64)).unwrap()),
        r.index_file("packages.json"),
        sha256(&r.index_file(&format!("files/{WHEEL_AMD64}"))),
        http(
            "GET",
            &format!(
                "{}he/ll/hello-rust",
                r.crates.s("index").trim_start_matches("sparse+")
            ),
            None,
        ),
        sha256(&std::fs::read(&crate_file).unwrap()),
    );
    assert_eq!(before, after, "every server still holds the original bytes");
    assert_eq!(r.pypi_files(), [WHEEL_AMD64]);
}
