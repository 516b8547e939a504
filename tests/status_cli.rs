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
    let bare = w.bare.clone();
    run(&w.p, &["release", "v1.0.0"]).assert_code(0);
    let (writes, commits) = (w.d.mutating_count(), git(&bare, &["rev-list", "--all"]));
    in_sync(&w.p);

    // 1.1.0 reaches GitHub only: the others are behind, and say by how much.
    run(&w.p, &["release", "v1.1.0", "--only", "github"]).assert_code(0);
    let writes = writes + (w.d.mutating_count() - writes);
    others_behind_by_one_minor(&w.p);
    prometheus_gauges_say_the_same(&w.p);
    newest_local_tag_is_the_default_version(&w.p);
    pypi_down_while_status_watches(&mut w);

    // Status only reads.
    assert_eq!(w.d.mutating_count(), writes);
    assert_eq!(git(&bare, &["rev-list", "--all"]), commits);
}

/// In sync.
fn in_sync(p: &Project) {
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
}

fn others_behind_by_one_minor(p: &Project) {
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
}

/// The same status as Prometheus gauges, read back by prometheus_client's own parser.
fn prometheus_gauges_say_the_same(p: &Project) {
    let prom = p.path().join("status.prom");
    let r = run(p, &["status", "--metrics", prom.to_str().unwrap()]);
    r.assert_code(1);
    let checked = support::cli::python_check(
        &std::fs::read_to_string(&prom).unwrap(),
        "from prometheus_client.parser import text_string_to_metric_families as parse\n\
         f = {m.name: m for m in parse(sys.stdin.read())}\n\
         one = lambda n, p: [s.value for s in f[n].samples if s.labels['platform'] == p]\n\
         assert f['tagship_status_in_sync'].samples[0].value == 0\n\
         assert one('tagship_status_platform_drift', 'pypi') == [1.0]\n\
         assert one('tagship_status_platform_drift', 'github') == [0.0]\n\
         assert one('tagship_status_platform_up', 'pypi') == [1.0]\n\
         live = {s.labels['platform']: s.labels['live'] for s in f['tagship_status_platform_live_version'].samples}\n\
         assert live['github'] == '1.1.0' and live['pypi'] == '1.0.0', live\n\
         print('ok')\n",
    );
    assert_eq!(checked.trim(), "ok");
    // Asking about the old version: everyone has it.
    let s = status(p, &["v1.0.0"], 0);
    assert_eq!(s["version"], "1.0.0");
}

/// With no VERSION, a local tag newer than anything live is the version asked about.
fn newest_local_tag_is_the_default_version(p: &Project) {
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
}

/// pypi goes down while `status --watch` runs: the first round prints the table, the
/// second only the row that changed.
fn pypi_down_while_status_watches(w: &mut World) {
    let p = &w.p;
    let status_json = p.dist().join("status/status.json");
    std::fs::remove_file(&status_json).unwrap();
    let watched = std::thread::scope(|sc| {
        let watcher = sc.spawn(|| p.run(&["status", "v1.0.0", "--watch", "3s", "--rounds", "2"]));
        let t0 = std::time::Instant::now();
        while !status_json.exists() {
            assert!(
                t0.elapsed().as_secs() < 120,
                "the first round never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        drop(w.pypi.take());
        watcher.join().unwrap()
    });
    watched.assert_code(1);
    let said = watched.stdout + &watched.stderr;
    assert!(said.contains("github"), "the first round's table: {said}");
    let changed: Vec<&str> = said.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(changed.len(), 1, "{said}");
    assert!(
        changed[0].contains("pypi: 1.0.0 complete -> unreachable"),
        "{said}"
    );
    // pypi down: its own row, the others still right, no crash.
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
}
