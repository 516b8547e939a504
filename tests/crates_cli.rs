//! The real `tagship` binary releasing `examples/hello-rust` (a copy) to the local sparse
//! registry (`scripts/servers/crates.sh`), configured through `TAGSHIP__PLATFORMS__CRATES__*`:
//! dry run → wrong token → real run → re-run, with the report and the registry's request log
//! as evidence. Every run also checks that the canary credential never shows (stdout,
//! stderr, dist/).
//! Fails naming the setup script when it is missing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::crates::{copy_hello_rust, Registry, HELLO_RUST};

/// Put in every credential variable; must never show in output or dist/.
const CANARY: &str = "tgs-crates-canary-51c0e7d2";

/// A copy of examples/hello-rust plus the environment its runs get.
struct Project {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_hello_rust(dir.path(), HELLO_RUST);
        Project {
            dir,
            env: Vec::new(),
        }
    }
    fn dist(&self) -> PathBuf {
        self.dir.path().join("dist")
    }
    fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.into(), v.into()));
        self
    }
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tagship"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("CARGO_REGISTRY_TOKEN", CANARY)
            .env("TAGSHIP_NO_KEYRING", "1")
            .env("TAGSHIP_HTTP_BACKOFF_MS", "20")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("CI", "true")
            .env_remove("GITHUB_REF")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_ACTIONS");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("running tagship");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY));
        assert_not_in_files(&self.dist());
        run
    }
}

fn assert_not_in_files(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            assert_not_in_files(&p);
        } else {
            let b = std::fs::read(&p).unwrap_or_default();
            let hit = b.windows(CANARY.len()).any(|w| w == CANARY.as_bytes());
            assert!(!hit, "canary leaked into {}", p.display());
        }
    }
}

impl Run {
    fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
    }
    fn report(&self, dist: &Path) -> serde_json::Value {
        let text = std::fs::read_to_string(dist.join("report.json"))
            .unwrap_or_else(|e| panic!("no report.json: {e}\n{}", self.stderr));
        serde_json::from_str(&text).unwrap()
    }
}

fn crates_report(run: &Run, p: &Project) -> serde_json::Value {
    let report = run.report(&p.dist());
    let plats = report["platforms"].as_array().unwrap();
    assert_eq!(plats.len(), 1, "{report:#}");
    assert_eq!(plats[0]["id"], "crates");
    plats[0].clone()
}

#[test]
fn server_release_hello_rust_through_the_cli() {
    let reg = Registry::start();
    let mut p = Project::new();
    p.env("TAGSHIP__PLATFORMS__CRATES__REGISTRY", "local")
        .env("TAGSHIP__PLATFORMS__CRATES__INDEX", &reg.get("index"));
    dry_run_withholds_the_upload(&reg, &p);
    canary_token_is_an_auth_failure(&reg, &p);
    published_once_then_a_rerun_sends_nothing(&reg, &mut p);
    rollback_dry_run_then_yank(&reg, &p);
    publish_republishes_the_built_bytes(&reg, &p);
    tag_disagreeing_with_cargo_toml_is_refused(&reg, &p);
}

/// Dry run: packaged and checked, the upload withheld and listed.
fn dry_run_withholds_the_upload(reg: &Registry, p: &Project) {
    let run = p.run(&["release", "v0.1.0", "--dry-run"]);
    run.assert_code(0);
    let r = crates_report(&run, p);
    assert_eq!(r["outcome"], "would-publish", "{r:#}");
    assert_eq!(r["packages"][0]["name"], "hello-rust-0.1.0.crate");
    assert!(
        r["withheld"].to_string().contains("/api/v1/crates/new"),
        "{r:#}"
    );
    assert!(reg.puts().is_empty());
}

/// The canary in CARGO_REGISTRY_TOKEN is not the registry's token: a clear auth failure.
fn canary_token_is_an_auth_failure(reg: &Registry, p: &Project) {
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(1);
    let r = crates_report(&run, p);
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert_eq!(r["error_kind"], "auth", "{r:#}");
    assert!(
        r["hint"].as_str().unwrap().contains("CARGO_REGISTRY_TOKEN"),
        "{r:#}"
    );
    assert_eq!(reg.puts(), [403]);
}

/// The right token: published once, then a re-run sends nothing mutating.
fn published_once_then_a_rerun_sends_nothing(reg: &Registry, p: &mut Project) {
    p.env("CARGO_REGISTRY_TOKEN", &reg.get("token"));
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(0);
    assert_eq!(crates_report(&run, p)["outcome"], "published");
    assert_eq!(reg.puts(), [403, 200]);
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(0);
    assert_eq!(crates_report(&run, p)["outcome"], "already-published");
    assert_eq!(reg.puts(), [403, 200]);
}

/// `tagship rollback` (alias `yank`): a dry run withholds the DELETE; a real one yanks it.
fn rollback_dry_run_then_yank(reg: &Registry, p: &Project) {
    let line = || reg.index_file("hello-rust").unwrap_or_default();
    let run = p.run(&["rollback", "v0.1.0", "--dry-run", "--only", "crates"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("would yank") && run.stdout.contains("withheld"),
        "{}",
        run.stdout
    );
    // yank runs through the engine: its own report, with the withheld DELETE listed.
    let yank_report = |p: &Project| -> serde_json::Value {
        let text = std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let y = yank_report(p);
    assert_eq!(y["operation"], "rollback");
    assert_eq!(y["platforms"][0]["outcome"], "would-withdraw");
    assert_eq!(y["platforms"][0]["withheld"][0]["method"], "DELETE");
    assert_eq!(y["requests"]["mutating_sent"], 0);
    assert!(line().contains("\"yanked\":false"), "{}", line());
    let run = p.run(&["yank", "v0.1.0", "--only", "crates"]);
    run.assert_code(0);
    assert!(run.stdout.contains("withdrawn"), "{}", run.stdout);
    assert_eq!(yank_report(p)["platforms"][0]["outcome"], "withdrawn");
    assert!(line().contains("\"yanked\":true"), "{}", line());
    // A yanked version still counts as published: never re-uploaded.
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(0);
    assert_eq!(crates_report(&run, p)["outcome"], "already-published");
    assert_eq!(reg.puts(), [403, 200]);

    // A rollback needs the version named: it never guesses it.
    p.run(&["yank"]).assert_code(2);
}

/// `publish` republishes the bytes the release built: with the .crate still in dist/,
/// changed sources do not matter (those exact bytes are live already)...
fn publish_republishes_the_built_bytes(reg: &Registry, p: &Project) {
    let main_rs = p.dir.path().join("src/main.rs");
    let src = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(&main_rs, format!("{src}\n// changed after the release\n")).unwrap();
    let run = p.run(&["publish", "--only", "crates"]);
    run.assert_code(0);
    assert_eq!(crates_report(&run, p)["outcome"], "already-published");
    // ...and without it, repackaging the changed sources is refused.
    for e in std::fs::read_dir(p.dist().join("crates"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "crate") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let run = p.run(&["publish", "--only", "crates"]);
    run.assert_code(2); // refused in the packaging phase: nothing was sent
    let r = crates_report(&run, p);
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert!(
        r["reason"].as_str().unwrap().contains("repackaged"),
        "{r:#}"
    );
    assert_eq!(reg.puts(), [403, 200]);
    std::fs::write(&main_rs, src).unwrap();
}

/// A tag that disagrees with Cargo.toml is refused before anything is sent.
fn tag_disagreeing_with_cargo_toml_is_refused(reg: &Registry, p: &Project) {
    let run = p.run(&["release", "v0.2.0"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Cargo.toml") || run.stdout.contains("Cargo.toml"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(reg.puts(), [403, 200]);
}
