//! README command 1 (`scripts/demo.sh`, issue 17) run end to end, so the demo cannot rot.
//! The script installs what it needs, starts the local registries, releases the bundled
//! example for real, installs the results with npm/pip/cargo, re-runs the release, restores a
//! deleted wheel and stops its servers. This test reads what the demo left in its work dir
//! (`DEMO_DIR`), not its terminal text: both runs' `report.json`, the installs' `--version`
//! output (installs.json) and the PIDs of every server it started, none of which may survive.
//! It uses the test build of tagship (`TAGSHIP_BIN`) and needs what
//! `scripts/setup.d/30-registries.sh` installs (the demo runs that itself, and fails loudly).

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const PLATFORMS: [&str; 4] = ["crates", "npm", "pep503", "pypi"];

fn read_json(dir: &Path, name: &str, log: &str) -> Value {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}\n--- demo output\n{log}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(a, b)` of every object in a JSON list (e.g. a report's `(id, outcome)`), sorted.
fn pairs(list: &Value, a: &str, b: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list:#}"))
        .iter()
        .map(|o| {
            (
                o[a].as_str().unwrap_or("").to_string(),
                o[b].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `(id, outcome)` of every platform in a report, sorted by id.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    pairs(&report["platforms"], "id", "outcome")
}

fn every(outcome: &str) -> Vec<(String, String)> {
    PLATFORMS
        .iter()
        .map(|id| (id.to_string(), outcome.to_string()))
        .collect()
}

/// A PID is gone when the kernel has no such process, or only its zombie (a container's
/// init may be slow to reap what it inherited).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

#[test]
fn server_demo_publishes_installs_and_reruns() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let out = Command::new("bash")
        .arg(repo.join("scripts/demo.sh"))
        .env("DEMO_DIR", w)
        .env("TAGSHIP_BIN", env!("CARGO_BIN_EXE_tagship"))
        .output()
        .expect("running scripts/demo.sh");
    let log = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "demo failed: {}\n{log}", out.status);
    released_installed_and_rerun(w, &log);
    restored_the_deleted_wheel_alone(w, &log);
    no_server_left_running(w);
}

/// The release published to every local registry ...
fn released_installed_and_rerun(w: &Path, log: &str) {
    let release = read_json(w, "report-release.json", log);
    assert_eq!(outcomes(&release), every("published"), "{release:#}");
    assert_eq!(release["dry_run"], false, "{release:#}");
    assert!(
        release["requests"]["mutating_sent"].as_u64().unwrap_or(0) > 0,
        "{release:#}"
    );

    // ... each real client installed it and the binary printed the version ...
    let installs = read_json(w, "installs.json", log);
    let clients = pairs(&installs, "client", "version");
    let want: Vec<(String, String)> = [
        "cargo install",
        "npm install -g",
        "pip install (pep503)",
        "pip install (pypi)",
    ]
    .iter()
    .map(|c| (c.to_string(), "1.0.0".to_string()))
    .collect();
    assert_eq!(clients, want, "{installs:#}");

    // ... the re-run found everything live and sent nothing mutating ...
    let rerun = read_json(w, "report-rerun.json", log);
    assert_eq!(outcomes(&rerun), every("already-published"), "{rerun:#}");
    assert_eq!(rerun["requests"]["mutating_sent"], 0, "{rerun:#}");
}

/// ... `publish --only pypi` re-sent exactly the one wheel deleted behind its back ...
/// (The other platforms are listed as `already-published` from the earlier run.)
fn restored_the_deleted_wheel_alone(w: &Path, log: &str) {
    let restore = read_json(w, "report-restore.json", log);
    let pypi = restore["platforms"]
        .as_array()
        .expect("platforms[]")
        .iter()
        .find(|p| p["id"] == "pypi")
        .unwrap_or_else(|| panic!("no pypi in {restore:#}"));
    assert_eq!(pypi["outcome"], "published", "{restore:#}");
    let uploaded = pypi["uploaded"].as_array().expect("uploaded[]");
    assert_eq!(uploaded.len(), 1, "{restore:#}");
    assert!(
        uploaded[0].as_str().unwrap_or("").contains("aarch64"),
        "{restore:#}"
    );
    assert_eq!(restore["requests"]["mutating_sent"], 1, "{restore:#}");
}

/// ... and no server it started is still running.
fn no_server_left_running(w: &Path) {
    let pids = std::fs::read_to_string(w.join("pids")).expect("the demo's pids file");
    let pids: Vec<(u32, String)> = pids
        .lines()
        .map(|l| {
            let (pid, name) = l.split_once(' ').unwrap_or((l, ""));
            (pid.parse().expect("a PID"), name.to_string())
        })
        .collect();
    let mut names: Vec<&str> = pids.iter().map(|(_, n)| n.as_str()).collect();
    names.sort();
    assert_eq!(names, ["crates", "git", "npm", "pypi", "site"], "{pids:?}");
    let left: Vec<_> = pids.iter().filter(|(pid, _)| alive(*pid)).collect();
    assert!(left.is_empty(), "still running after the demo: {left:?}");
}
