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

#[path = "registries_common/mod.rs"]
mod common;
mod support;

use common::*;

/// Acceptance 1 and 2.
#[test]
fn server_release_everywhere_install_rerun_and_repair() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64", "linux-arm64"]);
    released_everywhere(&r, &p);
    installed_with_each_client(&r);
    rerun_changes_nothing(&r, &p);
    npm_probes_read_without_the_token(&r, &p);
    lost_wheel_is_sent_again_alone(&r, &p);
}

/// 1. One release, four registries.
fn released_everywhere(r: &Registries, p: &Project) {
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, p, &ALL, "published");
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
}

/// ... and installable with the ecosystems' own clients.
fn installed_with_each_client(r: &Registries) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    assert_eq!(npm_install_and_run(r, &t.join("npm")).trim(), V);
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
    assert_eq!(cargo_install_and_run(r, &t.join("cargo")).trim(), V);
}

/// 2. Re-run: already published everywhere, nothing mutating sent or received.
fn rerun_changes_nothing(r: &Registries, p: &Project) {
    let since = mark(r);
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, p, &ALL, "already-published");
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_no_mutations(r, since);
    assert!(!r.npm_proxy.reads().is_empty(), "npm was checked");
    assert!(!r.pypi_proxy.reads().is_empty(), "pypi was checked");
    assert!(r.crates_log().len() > since.0, "crates was checked");
}

/// npm's version-level probe (no build) reads without the token: only `whoami` makes
/// verdaccio verify it (bcrypt, one request at a time: the slow part of a no-op re-run).
fn npm_probes_read_without_the_token(r: &Registries, p: &Project) {
    mark(r);
    let run = p.run(&["release", TAG, "--only", "npm"]);
    run.assert_code(0);
    let rep = run.report(&p.dist());
    assert_eq!(rep["build"]["state"], "skipped", "{rep:#}");
    assert_eq!(outcome(&rep, "npm")["outcome"], "already-published");
    let log = r.npm_proxy.log();
    assert_only_whoami_authenticated(&log);
    assert!(log.iter().any(|l| l.path == "/hello/1.0.0"), "{log:?}");
    // So does the full check of `tagship publish` (every package of dist/, then the verdict).
    mark(r);
    let run = p.run(&["publish", "--only", "npm"]);
    run.assert_code(0);
    assert_eq!(
        outcome(&run.report(&p.dist()), "npm")["outcome"],
        "already-published"
    );
    let log = r.npm_proxy.log();
    assert_only_whoami_authenticated(&log);
    assert!(log.len() > 2, "every package was read: {log:?}");
}

/// One wheel gone from pypiserver: `--only pypi` uploads exactly that one.
fn lost_wheel_is_sent_again_alone(r: &Registries, p: &Project) {
    let original = std::fs::read(r.pypi_packages().join(WHEEL_ARM64)).unwrap();
    std::fs::remove_file(r.pypi_packages().join(WHEEL_ARM64)).unwrap();
    let since = mark(r);
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
    existence_probed_on_the_live_servers(&r, since);
    every_mutation_withheld_and_listed(&r, &rep);

    // Nothing landed anywhere.
    assert_eq!(r.pypi_files(), Vec::<String>::new());
    assert_eq!(r.index_commits(), 0);
    assert_eq!(
        http("GET", &format!("{}hello", r.npm.s("url")), None).0,
        404
    );
}

/// Existence was probed on the live servers.
fn existence_probed_on_the_live_servers(r: &Registries, since: (usize, usize)) {
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
}

/// Every withheld request, per platform.
fn every_mutation_withheld_and_listed(r: &Registries, rep: &Value) {
    let withheld = |id: &str| -> Vec<(String, String)> {
        outcome(rep, id)["withheld"]
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
        outcome(rep, "pypi")["withheld"][0]["body"]
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
}

/// verdaccio verifies the token (bcrypt, one request at a time) only for `/-/whoami`: every
/// other read of the run went without it.
fn assert_only_whoami_authenticated(log: &[support::registries::Logged]) {
    let authed: Vec<&str> = log
        .iter()
        .filter(|l| l.authed)
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(authed, ["/-/whoami"], "{log:?}");
}
