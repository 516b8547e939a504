//! `tagship status` (issue 12, acceptance 1) through the real binary against the GitHub double,
//! a real pypiserver, a PEP 503 index in a bare git repository and exec: an in-sync release
//! (exit 0), a release missing from some platforms (drift flagged, exit 1), the newest local
//! tag as the default version (absent everywhere, exit 1), and one platform
//! down (its row says unreachable, the others are right, no crash). Status never writes: the
//! double counts 0 mutating requests and the index gets no commit.

mod support;

use serde_json::Value;
use support::cli::{platform_row as row, Project};
use support::world::{git, run, World};

fn status(p: &Project, args: &[&str], code: i32) -> Value {
    let mut all = vec!["status", "--json"];
    all.extend(args);
    let r = run(p, &all);
    r.assert_code(code);
    let on_disk = std::fs::read_to_string(p.dist().join("status/status.json")).unwrap();
    let s: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(s, serde_json::from_str::<Value>(&on_disk).unwrap());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn server_status_in_sync_then_drift_then_a_platform_down() {
    let mut w = World::start().await;
    let (d, bare) = (&w.d, w.bare.clone());
    let p = &w.p;
    run(p, &["release", "v1.0.0"]).assert_code(0);
    let (writes, commits) = (d.mutating_count(), git(&bare, &["rev-list", "--all"]));

    // In sync.
    let s = status(p, &[], 0);
    assert_eq!(s["version"], "1.0.0", "{s:#}");
    for id in ["github", "pypi", "pep503"] {
        assert_eq!(row(&s, id)["newest"], "1.0.0", "{s:#}");
        assert_eq!(row(&s, id)["presence"], "complete", "{s:#}");
    }
    assert_eq!(
        row(&s, "exec")["presence"],
        "complete",
        "exec's check answers the probe"
    );

    // 1.1.0 reaches GitHub only: the others are behind, and say by how much.
    run(p, &["release", "v1.1.0", "--only", "github"]).assert_code(0);
    let writes = writes + (d.mutating_count() - writes);
    let s = status(p, &[], 1);
    assert_eq!(s["version"], "1.1.0");
    assert_eq!(row(&s, "github")["presence"], "complete");
    for id in ["pypi", "pep503"] {
        assert_eq!(row(&s, id)["newest"], "1.0.0", "{s:#}");
        assert_eq!(
            row(&s, id)["drift"],
            "1 minor behind: 1.0.0 < 1.1.0",
            "{s:#}"
        );
    }
    let table = run(p, &["status"]).stdout + &run(p, &["status"]).stderr;
    assert!(table.contains("behind"), "{table}");
    let page = std::fs::read_to_string(p.dist().join("status/index.html")).unwrap();
    assert!(page.contains("data-platform=\"pypi\""), "{page}");
    let badge = std::fs::read_to_string(p.dist().join("status/badge-pypi.svg")).unwrap();
    assert!(badge.contains("1.0.0 behind"), "{badge}");
    // Asking about the old version: everyone has it.
    let s = status(p, &["v1.0.0"], 0);
    assert_eq!(s["version"], "1.0.0");

    // With no VERSION, a local tag newer than anything live is the version asked about.
    let dir = p.path();
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "-A"]);
    let who = ["-c", "user.name=t", "-c", "user.email=t@example.com"];
    git(dir, &[&who[..], &["commit", "--quiet", "-m", "x"]].concat());
    git(dir, &["tag", "v1.2.0"]);
    git(dir, &["tag", "not-a-version"]);
    let s = status(p, &[], 1);
    assert_eq!(s["version"], "1.2.0", "{s:#}");
    assert_eq!(row(&s, "github")["presence"], "absent", "{s:#}");
    assert_eq!(row(&s, "github")["newest"], "1.1.0", "{s:#}");

    // pypi down: its own row, the others still right, no crash.
    drop(w.pypi.take());
    let s = status(p, &["v1.0.0"], 1);
    assert_eq!(row(&s, "pypi")["unreachable"], true, "{s:#}");
    assert!(
        row(&s, "pypi")["reason"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{s:#}"
    );
    assert_eq!(row(&s, "github")["presence"], "complete", "{s:#}");
    assert_eq!(row(&s, "pep503")["presence"], "complete", "{s:#}");

    // Status only reads.
    assert_eq!(d.mutating_count(), writes);
    assert_eq!(git(&bare, &["rev-list", "--all"]), commits);
}
