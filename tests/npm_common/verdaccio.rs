//! A real verdaccio 6.8.0 for the npm tests, started by scripts/servers/verdaccio.sh (with
//! the verdaccio-strict plugin); fails naming scripts/setup.d/30-registries.sh without it.

use std::path::PathBuf;
use std::process::Command;

pub struct Verdaccio {
    pub url: String,
    pub token: String,
    pub pid: i64,
    _dir: tempfile::TempDir,
}

impl Drop for Verdaccio {
    fn drop(&mut self) {
        // The script starts verdaccio in its own session: pid = process group id.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.pid)])
            .status();
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts verdaccio with the shared script; fails naming the setup script without it.
pub fn verdaccio() -> Verdaccio {
    let script = repo().join("scripts/servers/verdaccio.sh");
    let deps = std::env::var("TAGSHIP_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".cache/test-deps"));
    let bin = deps.join("verdaccio/node_modules/.bin/verdaccio");
    assert!(
        script.exists() && bin.exists(),
        "verdaccio is not installed ({} missing): run scripts/setup.d/30-registries.sh \
         (scripts/setup.sh runs every setup step)",
        if script.exists() {
            bin.display().to_string()
        } else {
            script.display().to_string()
        }
    );
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(&script)
        .arg(dir.path().join("verdaccio"))
        .env("TAGSHIP_WATCH_PID", std::process::id().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/servers/verdaccio.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verdaccio.sh printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Verdaccio {
        url: v["url"].as_str().unwrap().to_string(),
        token: v["token"].as_str().unwrap().to_string(),
        pid: v["pid"].as_i64().unwrap(),
        _dir: dir,
    }
}
