//! kill -9 mid-release, then a re-run: the real binary against the real local registries of
//! registries_e2e (verdaccio and pypiserver behind fault proxies that log every request, the
//! crates registry, a PEP 503 index in a bare git repo), one release of four platforms.
//!
//! The release is killed with SIGKILL once while it builds, then once right after each
//! mutating request reached a server: the proxies log a request after the server answered
//! and before tagship hears the answer, so each kill lands where the server acted and
//! tagship never knew. Every next run starts from whatever the killed one left in dist/
//! (half-written packages, no report). Then one run to the end must:
//! - exit 0 with every platform `published` or `already-published`;
//! - have made each upload exactly once across all the runs, counted on the servers;
//! - leave what a client installs and runs (pip from pypiserver, npm from verdaccio);
//! - be followed by a run that makes 0 mutating requests.
//!
//! Needs `scripts/setup.d/30-registries.sh`; fails naming it when it is missing.

#[path = "registries_common/mod.rs"]
mod common;
mod support;

use common::*;
use std::time::{Duration, Instant};

/// Mutating requests that reached a server since `since` (see `mark`).
fn mutations(r: &Registries, since: (usize, usize)) -> usize {
    let crates = r.crates_log()[since.0..]
        .iter()
        .filter(|(m, _, _)| m != "GET" && m != "HEAD")
        .count();
    let commits = r.index_commits() - since.1;
    forwarded(&r.npm_proxy).len() + forwarded(&r.pypi_proxy).len() + crates + commits
}

/// The mutating requests a proxy passed on to its server (a killed client's half-sent
/// request is logged, not forwarded, as a real server drops it).
fn forwarded(p: &support::registries::Proxy) -> Vec<support::registries::Logged> {
    let all = p.mutations().into_iter();
    all.filter(|l| l.forwarded).collect()
}

/// Runs `tagship release` until `kill_when` says so (then SIGKILL) or it exits; true when
/// it was killed.
fn release_killed_when(p: &support::cli::Project, mut kill_when: impl FnMut() -> bool) -> bool {
    let mut child = p.spawn(&["release", TAG]);
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "a release took over 5 minutes"
        );
        if kill_when() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

#[test]
fn server_killed_mid_release_then_rerun_publishes_each_upload_once() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64", "linux-arm64"]);
    let since = mark(&r);

    // Killed while it builds: before anything could be sent.
    let t0 = Instant::now();
    release_killed_when(&p, || t0.elapsed() > Duration::from_millis(400));

    // Killed right after the k-th upload reached its server, for every k the release makes.
    let mut kills = 0;
    for k in 1..=10 {
        if !release_killed_when(&p, || mutations(&r, since) >= k) {
            break;
        }
        kills += 1;
    }
    // 3 npm packages, 2 wheels, 1 crate, 1 index commit: killed after most of them (a run
    // may send two before the kill lands).
    assert!(kills >= 4, "killed only {kills} times");

    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = run.report(&p.dist());
    for id in ALL {
        let row = support::cli::platform_row(&rep, id);
        let outcome = row["outcome"].as_str().unwrap();
        assert!(
            outcome == "published" || outcome == "already-published",
            "{id}: {row:#}"
        );
    }
    assert_each_upload_once(&r, since);
    assert_installs(&r);

    // And one more run changes nothing.
    let quiet = mark(&r);
    p.run(&["release", TAG]).assert_code(0);
    assert_no_mutations(&r, quiet);
}

/// Each upload exactly once, across every run, counted by the servers.
fn assert_each_upload_once(r: &Registries, since: (usize, usize)) {
    let mut npm: Vec<String> = (forwarded(&r.npm_proxy).into_iter())
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    npm.sort();
    let want = [
        "PUT /hello",
        "PUT /hello-linux-arm64",
        "PUT /hello-linux-x64",
    ];
    let log: Vec<String> = (r.npm_proxy.log().into_iter())
        .map(|l| {
            format!(
                "{} {} {:?} forwarded={}",
                l.method, l.path, l.status, l.forwarded
            )
        })
        .collect();
    assert_eq!(npm, want, "verdaccio's log:\n{}", log.join("\n"));
    let pypi = forwarded(&r.pypi_proxy);
    assert_eq!(pypi.len(), 2, "{pypi:?}");
    assert_eq!(r.pypi_files(), [WHEEL_ARM64, WHEEL_AMD64]);
    assert_eq!(
        r.crates_mutations(),
        [("PUT".into(), "/api/v1/crates/new".into(), 200)]
    );
    assert_eq!(
        r.index_commits(),
        since.1 + 1,
        "one commit on the index branch"
    );
}

/// What is live installs and runs.
fn assert_installs(r: &Registries) {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(npm_install_and_run(r, &tmp.path().join("npm")).trim(), V);
    let simple = r.pypi.s("simple_url");
    assert_eq!(
        pip_install_and_run(&simple, &tmp.path().join("pypi")).trim(),
        V
    );
}
