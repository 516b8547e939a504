//! Randomized faults (issue 10, "Beyond the corpus"): many releases through the real
//! `tagship` binary against the real local registries at once (verdaccio, pypiserver, the
//! crates registry, a PEP 503 index over git smart HTTP), each behind its fault proxy.
//!
//! Every release is a new version. Its first run gets random faults, drawn from a seeded
//! generator: 503, 429 with `Retry-After`, a reset before the request reaches the server, a
//! reset after the server acted (`forward_reset`), a cut answer (`truncate`) and a stall that
//! ends in a reset, on uploads, on reads or on whatever request comes next. The faulty run
//! may fail; a clean re-run (`tagship publish`) right after it must converge. Across all runs:
//! - 0 duplicate uploads, counted on the server side (uploads that reached each server, git
//!   commits) against the files that are live;
//! - 0 conflicts caused by tagship (no `conflict` outcome, no upload answered 409);
//! - 0 runs reporting success for something that is not live (every `published` /
//!   `already-published` is checked against what a client would download).
//!
//! The seed is printed; `TAGSHIP_FAULT_SEED=<seed>` replays the same faults (in the same
//! order of requests per server), `TAGSHIP_FAULT_RUNS=<n>` changes the number of releases.
//! Named `server_slow_*`: it needs the local servers and takes minutes, so the fast loop
//! (`scripts/test.sh --fast`, which leaves out `server_*`) skips it; CI runs it.

mod support;

#[path = "conformance/mod.rs"]
mod common;
#[path = "conformance/crates.rs"]
mod crates;
#[path = "conformance/npm.rs"]
mod npm;
#[path = "conformance/pep503.rs"]
mod pep503;
#[path = "conformance/pypi.rs"]
mod pypi;

use common::{Fixture, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::cli::{Project, Run};

/// Every platform's `timeout` setting in these runs; a stall lasts longer.
const STALL_TIMEOUT: &str = "2s";

/// The default seed; any u64 replays its own sequence.
const SEED: u64 = 20_261_128;
const RUNS: usize = 100;

/// One platform of the runs, with the server's upload count at the start.
struct Platform {
    id: &'static str,
    server: Box<dyn Server>,
    /// Files of one version, learned from the first converged release.
    per_version: Option<usize>,
}

/// What the runs saw, for the final assertions and docs/reliability.md.
#[derive(Default, Debug)]
struct Tally {
    faults_injected: usize,
    faulty_runs_ok: usize,
    faulty_runs_failed: usize,
    outcomes: BTreeMap<String, usize>,
    violations: Vec<String>,
}

#[test]
fn server_slow_randomized_fault_runs() {
    common::require_servers();
    let seed = env_num("TAGSHIP_FAULT_SEED", SEED);
    let runs = env_num("TAGSHIP_FAULT_RUNS", RUNS as u64) as usize;
    eprintln!(
        "randomized faults: seed {seed}, {runs} releases (TAGSHIP_FAULT_SEED={seed} replays)"
    );
    let dir = tempfile::tempdir().unwrap();
    let fixtures: [(&'static str, &dyn Fixture); 4] = [
        ("npm", &npm::Npm),
        ("pypi", &pypi::Pypi),
        ("crates", &crates::Crates),
        ("pep503", &pep503::Pep503),
    ];
    let mut platforms: Vec<Platform> = fixtures
        .iter()
        .map(|(id, f)| Platform {
            id,
            server: f.start(&dir.path().join(id)),
            per_version: None,
        })
        .collect();
    let project = fault_project(&platforms);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let started = std::time::Instant::now();
    let mut prev = common::V.to_string();
    for i in 0..runs {
        let version = format!("1.{i}.0");
        set_version(&project, &prev, &version);
        prev = version.clone();
        one_release(&project, &mut platforms, &version, &mut rng, &mut tally);
    }
    let elapsed = started.elapsed();
    check_uploads(&platforms, runs, &mut tally);
    eprintln!(
        "randomized faults: seed {seed}, {runs} releases in {:.0} s; {} faults injected; \
         faulty runs: {} exit 0, {} exit 1; outcomes {:?}; violations: {}",
        elapsed.as_secs_f64(),
        tally.faults_injected,
        tally.faulty_runs_ok,
        tally.faulty_runs_failed,
        tally.outcomes,
        tally.violations.len()
    );
    assert!(
        tally.violations.is_empty(),
        "seed {seed}: {} violation(s):\n{}",
        tally.violations.len(),
        tally.violations.join("\n")
    );
}

/// The project releasing to every platform, with short retry waits and timeouts.
fn fault_project(platforms: &[Platform]) -> Project {
    let servers: Vec<&dyn Server> = platforms.iter().map(|p| &*p.server).collect();
    let mut project = common::project_for(&servers);
    project.env("TAGSHIP_HTTP_BACKOFF_MS", "20");
    project.env("TAGSHIP_HTTP_MAX_WAIT_SECS", "2");
    // Each platform's own request timeout (the per-platform `timeout` setting, through its
    // env override) is shorter than a stall: a stalled request times out on tagship's side.
    for pl in platforms {
        let key = format!("TAGSHIP__PLATFORMS__{}__TIMEOUT", pl.id.to_uppercase());
        project.env(&key, STALL_TIMEOUT);
    }
    project
}

fn env_num(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// The crate's Cargo.toml and Cargo.lock carry the version too (tagship refuses a mismatch).
fn set_version(p: &Project, from: &str, to: &str) {
    for f in ["rust/Cargo.toml", "rust/Cargo.lock"] {
        let path = p.path().join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        let (old, new) = (
            format!("version = \"{from}\""),
            format!("version = \"{to}\""),
        );
        assert!(text.contains(&old), "{f}: {text}");
        std::fs::write(&path, text.replacen(&old, &new, 1)).unwrap();
    }
}

/// One release: a faulty `release`, then a clean `publish` that must converge.
fn one_release(
    p: &Project,
    platforms: &mut [Platform],
    version: &str,
    rng: &mut fastrand::Rng,
    tally: &mut Tally,
) {
    let mut injected = Vec::new();
    for pl in platforms.iter() {
        if let Some(rule) = random_rule(rng, &*pl.server) {
            tally.faults_injected += rule["responses"].as_array().unwrap().len();
            injected.push(format!("{}: {rule}", pl.id));
            pl.server.proxy().unwrap().fault(rule);
        }
    }
    let tag = format!("v{version}");
    let t = std::time::Instant::now();
    let faulty = p.run(&["release", &tag]);
    eprintln!(
        "{tag}: faulty run exit {} in {:.1} s, faults {injected:?}",
        faulty.code,
        t.elapsed().as_secs_f64()
    );
    let what = format!("{version} faulty run (faults: {injected:?})");
    match faulty.code {
        0 => tally.faulty_runs_ok += 1,
        1 => tally.faulty_runs_failed += 1,
        c => tally
            .violations
            .push(format!("{what}: exit {c}\n{}", faulty.stderr)),
    }
    judge(p, &faulty, platforms, version, &what, tally);
    for pl in platforms.iter() {
        pl.server.proxy().unwrap().clear_faults();
    }
    let clean = p.run(&["publish"]);
    let what = format!("{version} clean re-run after faults {injected:?}");
    if clean.code != 0 {
        tally.violations.push(format!(
            "{what}: did not converge (exit {})\n{}",
            clean.code, clean.stderr
        ));
    }
    judge(p, &clean, platforms, version, &what, tally);
}

/// Fault answers a rule may give. Stalls and 429s cost real seconds: drawn less often.
const FAULTS: &[(u32, &str)] = &[
    (4, "503"),
    (2, "429"),
    (3, "reset"),
    (3, "forward_reset"),
    (3, "truncate"),
    (1, "stall"),
];

fn random_fault(rng: &mut fastrand::Rng) -> Value {
    let total: u32 = FAULTS.iter().map(|(w, _)| w).sum();
    let mut pick = rng.u32(0..total);
    let name = FAULTS
        .iter()
        .find(|(w, _)| {
            let hit = pick < *w;
            pick = pick.saturating_sub(*w);
            hit
        })
        .unwrap()
        .1;
    match name {
        "503" => json!(503),
        "429" => json!({"status": 429, "headers": {"Retry-After": "1"}}),
        // Past the platforms' `timeout` (STALL_TIMEOUT): tagship gives up first, then retries.
        "stall" => json!({"stall": 4.0}),
        other => json!(other),
    }
}

/// With probability 3/4, one rule for this server: one to three faults on its uploads, on
/// its reads or on whatever it asks next.
fn random_rule(rng: &mut fastrand::Rng, server: &dyn Server) -> Option<Value> {
    if rng.u32(0..4) == 0 {
        return None;
    }
    let on = match rng.u32(0..3) {
        0 => server.upload_match(),
        1 => json!({"method": "GET"}),
        _ => json!({}),
    };
    let n = rng.usize(1..=3);
    let responses: Vec<Value> = (0..n).map(|_| random_fault(rng)).collect();
    Some(json!({"match": on, "responses": responses}))
}

/// Every platform a run calls done must be live with all of this version's files; no
/// outcome may be a conflict.
fn judge(
    p: &Project,
    run: &Run,
    platforms: &mut [Platform],
    version: &str,
    what: &str,
    tally: &mut Tally,
) {
    let report = match std::fs::read_to_string(p.dist().join("report.json")) {
        Ok(t) => serde_json::from_str::<Value>(&t).unwrap(),
        Err(e) => {
            let err = format!("{what}: no report.json ({e})\n{}", run.stderr);
            return tally.violations.push(err);
        }
    };
    for pl in platforms.iter_mut() {
        let entry = report["platforms"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["id"] == pl.id))
            .cloned()
            .unwrap_or(Value::Null);
        let outcome = entry["outcome"].as_str().unwrap_or("missing").to_string();
        *tally.outcomes.entry(outcome.clone()).or_default() += 1;
        if entry["error_kind"] == "conflict" {
            tally
                .violations
                .push(format!("{what}: {} reported a conflict: {entry}", pl.id));
        }
        if outcome != "published" && outcome != "already-published" {
            continue;
        }
        let live = pl.server.files_at(version).len();
        let want = *pl.per_version.get_or_insert(live);
        if live == 0 || live != want {
            tally.violations.push(format!(
                "{what}: {} reported {outcome} but {live} of {want} files of {version} are live",
                pl.id
            ));
        }
    }
}

/// Uploads that reached each server, against what is live: one per file, never two.
fn check_uploads(platforms: &[Platform], runs: usize, tally: &mut Tally) {
    for pl in platforms {
        let sent = pl.server.mutations();
        // pep503's mutations are commits: one per version (all its files in one commit).
        let want = match pl.id {
            "pep503" => runs,
            _ => pl.per_version.unwrap_or(0) * runs,
        };
        eprintln!(
            "{}: {} uploads reached the server, {want} files live",
            pl.id,
            sent.len()
        );
        if sent.len() != want {
            tally.violations.push(format!(
                "{}: {} uploads reached the server for {want} live files: {sent:#?}",
                pl.id,
                sent.len()
            ));
        }
        let refused: Vec<&String> = sent
            .iter()
            .filter(|m| m.contains(" Some(409)") || m.ends_with(" 409"))
            .collect();
        if !refused.is_empty() {
            tally
                .violations
                .push(format!("{}: uploads answered 409: {refused:?}", pl.id));
        }
    }
}
