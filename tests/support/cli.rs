//! Runs the real `tagship` binary for tests, in a scratch project, with a canary value in
//! every credential variable the run's platforms declare. Every run asserts the canary appears
//! nowhere in stdout, stderr or dist/: secrets never show, across the whole suite.
//!
//! The variables are not a hand-written list: they come from each configured platform's
//! `requirements()` (`Requirement::Credential`), for the pipeline.yaml (and `--config`,
//! `--profile`, `TAGSHIP__*` overrides) the run uses. A new platform is covered by declaring
//! its credentials, nothing else.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tagship::platform::{Platform, Requirement};

/// The value put in every credential variable of every CLI test.
pub const CANARY: &str = "tgs-canary-6d1f0b9e4a7c";

/// The credential variables the platforms configured in `dir`'s pipeline (as `args` and `env`
/// select it) declare, optional ones (NPM_OTP) included. A config that does not load (the
/// bad-input corpus) still yields the variables of every section that builds on its own.
pub fn credential_vars(dir: &Path, args: &[&str], env: &[(String, String)]) -> Vec<String> {
    // `--config X` or `--config=X`, as clap takes them.
    let flag = |name: &str| -> Option<String> {
        let eq = format!("{name}=");
        args.iter()
            .enumerate()
            .find_map(|(i, a)| match a.strip_prefix(&eq) {
                Some(v) => Some(v.to_string()),
                None if *a == name => args.get(i + 1).map(|v| v.to_string()),
                None => None,
            })
    };
    let config = dir.join(flag("--config").unwrap_or_else(|| "pipeline.yaml".into()));
    let mut vars: BTreeMap<String, String> = std::env::vars().collect();
    vars.extend(env.iter().cloned());
    let platforms = match tagship::config::load(&config, flag("--profile").as_deref(), &vars) {
        Ok(l) => tagship::app::select::select(&l.pipeline, &[], &[]).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let platforms = if platforms.is_empty() {
        each_section(&config)
    } else {
        platforms
    };
    let mut out: Vec<String> = platforms
        .iter()
        .flat_map(|p| p.requirements())
        .filter_map(|r| match r {
            Requirement::Credential { var, .. } => Some(var),
            Requirement::Oidc => Some(tagship::oidc::TOKEN_VAR.to_string()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Fallback for configs that do not validate: every `platforms.<id>` section whose own
/// factory accepts it.
fn each_section(config: &Path) -> Vec<std::sync::Arc<dyn Platform>> {
    let Ok(text) = std::fs::read_to_string(config) else {
        return Vec::new();
    };
    let Ok(doc) = serde_yaml_ng::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let Some(sections) = doc["platforms"].as_object() else {
        return Vec::new();
    };
    let project = serde_json::from_value(doc["project"].clone()).unwrap_or_default();
    sections
        .iter()
        .filter_map(|(id, section)| {
            let f = tagship::platforms::find(id)?;
            (f.build)(section, &project).ok().map(std::sync::Arc::from)
        })
        .collect()
}

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
        // `TAGSHIP_TEST_BIN` swaps in another build (e.g. main's, to see a test fail there).
        let bin = std::env::var("TAGSHIP_TEST_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tagship").to_string());
        let mut cmd = std::process::Command::new(bin);
        cmd.args(args);
        self.output(cmd, dir, args)
    }

    /// Runs `cmd` (tagship, or a wrapper that execs it with `args`) in `dir` with this
    /// project's environment and a canary in every credential, and checks the canary.
    pub fn output(&self, mut cmd: std::process::Command, dir: &Path, args: &[&str]) -> Run {
        let summary = self.prepare(&mut cmd, dir, args);
        let out = cmd.output().expect("running tagship");
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let chosen = self
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "GITHUB_STEP_SUMMARY");
        let scanned = chosen.map_or(summary.clone(), |(_, v)| PathBuf::from(v));
        for secret in self.secrets(dir, args) {
            assert_never_shows(&run, &self.dist(), &secret);
            assert_not_in_file(&scanned, &secret);
        }
        let _ = std::fs::remove_file(&summary);
        run
    }

    /// Starts `tagship ARGS` in the project dir as `run` would, its output discarded, for a
    /// test that kills it (the canary is not checked: a later `run` scans dist/).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        let bin = std::env::var("TAGSHIP_TEST_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tagship").to_string());
        let mut cmd = std::process::Command::new(bin);
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        self.prepare(&mut cmd, self.path(), args);
        cmd.spawn().expect("starting tagship")
    }

    /// The environment of every run: a canary in every credential, this project's own
    /// variables, CI mode; returns the step summary's path.
    fn prepare(&self, cmd: &mut std::process::Command, dir: &Path, args: &[&str]) -> PathBuf {
        cmd.current_dir(dir);
        // A hostile config may name a variable no environment can hold (`=`, NUL): skip it.
        let settable = |v: &String| !v.is_empty() && !v.contains(['=', '\0']);
        for v in credential_vars(dir, args, &self.env)
            .into_iter()
            .filter(settable)
        {
            cmd.env(v, CANARY);
        }
        // The step summary is written outside dist/ (as on GitHub): give every run one, next
        // to the project dir, and scan it with the rest.
        let summary = self.path().with_extension("step-summary.md");
        let _ = std::fs::remove_file(&summary);
        cmd.env("TAGSHIP_NO_KEYRING", "1")
            .env("TAGSHIP_HTTP_BACKOFF_MS", "20")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("CI", "true")
            .env_remove("GITHUB_REF")
            .env_remove("CI_COMMIT_TAG")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env_remove("GITHUB_ACTIONS");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for k in &self.unset {
            cmd.env_remove(k);
        }
        summary
    }

    /// What must never show: the canary, and every credential value this test set itself
    /// (the real registry tokens it swaps in), in the forms tagship could print it.
    fn secrets(&self, dir: &Path, args: &[&str]) -> Vec<String> {
        let vars = credential_vars(dir, args, &self.env);
        let mut out = vec![CANARY.to_string()];
        for (k, v) in &self.env {
            // Short values (an OTP, "x") could match by chance; they are covered by the
            // canary runs instead.
            if vars.contains(k) && v.trim().len() >= 8 {
                out.extend(forms(v.trim()));
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// A secret as sent or echoed: raw, percent-encoded and JSON-escaped.
pub fn forms(secret: &str) -> Vec<String> {
    let pct: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let json = serde_json::to_string(secret).unwrap();
    vec![secret.to_string(), pct, json.trim_matches('"').to_string()]
}

/// Fails if `secret` is in the file at `path` (when there is one).
pub fn assert_not_in_file(path: &Path, secret: &str) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!hit, "secret leaked into {}", path.display());
}

/// Fails if the canary shows in the run's output or in any file under `dist`.
pub fn assert_no_canary(run: &Run, dist: &Path) {
    assert_never_shows(run, dist, CANARY);
}

/// Fails if `secret` shows in the run's output or in any file under `dist`.
pub fn assert_never_shows(run: &Run, dist: &Path, secret: &str) {
    assert!(
        !run.stdout.contains(secret),
        "secret leaked to stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(secret),
        "secret leaked to stderr:\n{}",
        run.stderr
    );
    for f in walk(dist) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!hit, "secret leaked into {}", f.display());
    }
}

/// Every file below `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
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

/// One platform's row in a report.json.
pub fn platform_row<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no platform {id} in {report:#}"))
}

/// Runs Python `code` (with `sys` imported) on `input` as stdin and returns its stdout;
/// fails the test with Python's stderr when it exits non-zero (an assertion, a missing module:
/// scripts/setup.d installs what the tests import).
pub fn python_check(input: &str, code: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .args(["-c", &format!("import sys\n{code}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/setup.d/10-base.sh)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python check failed (modules come from scripts/setup.d):\n{}\n--- input ---\n{input}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
