//! Runs the real `tagship` binary for tests, in a scratch project, with a canary value in
//! every credential variable. Every run asserts the canary appears nowhere in stdout, stderr
//! or dist/: secrets never show, across the whole suite.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The value put in every credential variable of every CLI test.
pub const CANARY: &str = "tgs-canary-6d1f0b9e4a7c";

/// Every credential variable tagship's platforms read by default, plus the exec test's.
pub const CREDENTIAL_VARS: &[&str] = &[
    "GITHUB_TOKEN",
    "NPM_TOKEN",
    "PYPI_TOKEN",
    "TWINE_PASSWORD",
    "CARGO_REGISTRY_TOKEN",
    "PEP503_TOKEN",
    "EXEC_REGISTRY_TOKEN",
];

/// What one run produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn report(&self, dist: &Path) -> serde_json::Value {
        let text = std::fs::read_to_string(dist.join("report.json"))
            .unwrap_or_else(|e| panic!("no report.json: {e}\nstderr:\n{}", self.stderr));
        serde_json::from_str(&text).unwrap()
    }
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A scratch project directory with a pipeline.yaml.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub unset: Vec<String>,
}

impl Project {
    pub fn new(pipeline: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pipeline.yaml"), pipeline).unwrap();
        std::fs::write(dir.path().join("README.md"), "# demo\n").unwrap();
        Project {
            dir,
            env: Vec::new(),
            unset: Vec::new(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn dist(&self) -> PathBuf {
        self.dir.path().join("dist")
    }
    pub fn write(&self, rel: &str, content: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.unset.push(k.into());
        self
    }
    /// Runs `tagship ARGS` in the project dir and checks the canary.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.path(), args)
    }

    /// Runs `tagship ARGS` in `dir` (with this project's env) and checks the canary.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tagship"));
        cmd.args(args).current_dir(dir);
        for v in CREDENTIAL_VARS {
            cmd.env(v, CANARY);
        }
        cmd.env("TAGSHIP_NO_KEYRING", "1")
            .env("TAGSHIP_HTTP_BACKOFF_MS", "20")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("CI", "true")
            .env_remove("GITHUB_REF")
            .env_remove("CI_COMMIT_TAG")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_ACTIONS");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for k in &self.unset {
            cmd.env_remove(k);
        }
        let out = cmd.output().expect("running tagship");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_no_canary(&run, &self.dist());
        run
    }
}

/// Fails if the canary shows in the run's output or in any file under `dist`.
pub fn assert_no_canary(run: &Run, dist: &Path) {
    assert!(
        !run.stdout.contains(CANARY),
        "canary leaked to stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(CANARY),
        "canary leaked to stderr:\n{}",
        run.stderr
    );
    for f in walk(dist) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let hit = bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes());
        assert!(!hit, "canary leaked into {}", f.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A pipeline that "builds" by copying the host's /bin/true (an x86_64 ELF) for linux-amd64:
/// a real binary of the right format in milliseconds.
pub fn quick_pipeline(platforms: &str) -> String {
    format!(
        r#"project:
  name: demo
  description: A demo tool
  license: MIT
builds:
  - command: [install, -D, -m, "0755", /bin/true, "build/{{target}}/demo{{exe}}"]
    binary: "build/{{target}}/demo{{exe}}"
    targets: [linux-amd64]
archives:
  files: [README.md]
platforms:
{platforms}
"#
    )
}

/// An `exec` platform section publishing into `<project>/registry`.
pub fn exec_section() -> String {
    r#"  exec:
    check: [sh, -c, 'test -f "registry/$TAGSHIP_VERSION/done" && exit 0 || exit 10']
    publish: [sh, -c, 'mkdir -p "registry/$TAGSHIP_VERSION" && for f in $TAGSHIP_ARTIFACTS; do cp "$f" "registry/$TAGSHIP_VERSION/"; done && touch "registry/$TAGSHIP_VERSION/done"']
    credentials: [EXEC_REGISTRY_TOKEN]
"#
    .to_string()
}
