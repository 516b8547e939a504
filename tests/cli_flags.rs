//! Global and run flags through the real binary, against the in-process GitHub double and an
//! exec platform:
//! - `--parallelism 1` publishes one platform at a time and `--parallelism 2` both at once
//!   (checks always run at once: they are read-only and network-bound), proven from the
//!   double's request log: the exec platform's `publish` pings the double (`start`, `wait`,
//!   `end`), and the double makes GitHub's writes and the pings wait for each other
//!   (support/github_double/meet.rs). Overlap shows as an API request inside exec's window.
//! - `-q` prints nothing on success, and only the errors when a platform fails or the input
//!   is refused;
//! - `-v` traces every HTTP request the double received, one line each, redacted (the canary
//!   is the GitHub token, and `Project::run` asserts it never shows);
//! - a wait long enough to notice (a rate limit) is one line without -v, none with -q.

mod support;

use std::time::Duration;
use support::cli::{exec_section, quick_pipeline, Project, Run, CANARY};
use support::github_double::GithubDouble;

fn github_section(d: &GithubDouble) -> String {
    format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n",
        d.api_url()
    )
}

/// An exec platform whose `publish` pings the double's `/__ping/start`, `wait` and `end` over
/// bash's /dev/tcp and creates `published`; its check reports that file (0) or absent (10).
fn pinging_exec(d: &GithubDouble) -> String {
    let port = d.port();
    format!(
        r#"  exec:
    check: [bash, -c, 'if [ -f published ]; then exit 0; fi; exit 10']
    publish: [bash, -c, 'for n in start wait end; do exec 3<>/dev/tcp/127.0.0.1/{port} && printf "GET /__ping/$n HTTP/1.0\r\n\r\n" >&3 && cat <&3 >/dev/null; exec 3<&-; done; touch published']
"#
    )
}

fn run(p: &Project, args: &[&str]) -> Run {
    tokio::task::block_in_place(|| p.run(args))
}

/// Index of every logged `/__ping/<name>`.
fn pings(log: &[(String, String)], name: &str) -> Vec<usize> {
    let want = format!("/__ping/{name}");
    (0..log.len()).filter(|&i| log[i].1 == want).collect()
}

/// API requests (not pings) strictly between two log indexes.
fn api_between(log: &[(String, String)], from: usize, to: usize) -> usize {
    log[from + 1..to]
        .iter()
        .filter(|(_, path)| !path.starts_with("/__ping/"))
        .count()
}

/// Runs github + the pinging exec with `--parallelism n`; returns the double's log.
async fn release_with_parallelism(n: &str, meet_timeout: Duration) -> Vec<(String, String)> {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    d.meet_pings(meet_timeout);
    let p = Project::new(&quick_pipeline(&format!(
        "{}{}",
        github_section(&d),
        pinging_exec(&d)
    )));
    let r = run(&p, &["release", "v1.2.3", "--parallelism", n]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    for pl in rep["platforms"].as_array().unwrap() {
        assert_eq!(pl["outcome"], "published", "{pl:#}");
    }
    let log = d.requests();
    assert_eq!(
        pings(&log, "start").len(),
        1,
        "exec published once: {log:?}"
    );
    assert_eq!(pings(&log, "end").len(), 1, "{log:?}");
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn parallelism_one_never_overlaps_two_platforms() {
    // Whichever platform goes first waits for the other in vain (1 s), then carries on.
    let log = release_with_parallelism("1", Duration::from_secs(1)).await;
    let (start, end) = (pings(&log, "start")[0], pings(&log, "end")[0]);
    assert_eq!(
        api_between(&log, start, end),
        0,
        "with --parallelism 1 no GitHub request may happen while exec publishes: {log:?}"
    );
    assert!(log.iter().any(|(m, _)| m == "PATCH"), "github published");
}

#[tokio::test(flavor = "multi_thread")]
async fn parallelism_two_runs_both_platforms_at_once() {
    // Generous: both sides arrive long before; a timeout here would make the test fail.
    let log = release_with_parallelism("2", Duration::from_secs(30)).await;
    let (start, wait) = (pings(&log, "start")[0], pings(&log, "wait")[0]);
    assert!(
        api_between(&log, start, wait) >= 1,
        "with --parallelism 2 GitHub publishes while exec publishes: {log:?}"
    );
}

fn exec_project(publish_ok: bool) -> Project {
    let mut exec = exec_section();
    if !publish_ok {
        exec = exec.replace(
            "publish: [sh, -c, '",
            "publish: [sh, -c, 'echo upload refused by the registry >&2; exit 3; ",
        );
    }
    Project::new(&quick_pipeline(&exec))
}

#[test]
fn quiet_prints_nothing_on_success() {
    let p = exec_project(true);
    let r = p.run(&["-q", "release", "v1.2.3"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "", "-q: no table");
    assert_eq!(r.stderr, "", "-q: no progress");
    assert!(
        p.path().join("registry/1.2.3/done").exists(),
        "it did publish"
    );
}

#[test]
fn quiet_still_prints_the_errors() {
    // A platform failure: exit 1, and the failure (platform and reason) is on stderr.
    let p = exec_project(false);
    let r = p.run(&["-q", "release", "v1.2.3"]);
    r.assert_code(1);
    assert_eq!(r.stdout, "", "-q: no table");
    assert!(
        r.stderr.contains("error: exec: "),
        "names the platform:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("upload refused by the registry"),
        "says why:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("building"),
        "only errors, no progress:\n{}",
        r.stderr
    );

    // Refused input: exit 2 and the error, nothing else.
    let p = exec_project(true);
    let bad =
        quick_pipeline(&exec_section()).replace("license: MIT\n", "license: MIT\n  bogus: 1\n");
    p.write("pipeline.yaml", &bad);
    let r = p.run(&["-q", "release", "v1.2.3"]);
    r.assert_code(2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("bogus"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_traces_every_http_request_redacted() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let p = Project::new(&quick_pipeline(&github_section(&d)));
    let r = run(&p, &["-v", "release", "v1.2.3"]);
    r.assert_code(0);
    let traces: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("· github "))
        .collect();
    let reqs = d.requests();
    assert!(reqs.len() >= 4, "{reqs:?}");
    assert_eq!(
        traces.len(),
        reqs.len(),
        "one trace line per request the double received:\n{}\n{reqs:?}",
        r.stderr
    );
    // Each request the double received has its own trace line (uploads may overlap, so
    // the order can differ): match them one to one.
    let mut unmatched = traces.clone();
    for (method, path) in &reqs {
        let want = format!("github {method} {}{path} → ", d.api_url());
        let i = unmatched
            .iter()
            .position(|l| l.contains(&want))
            .unwrap_or_else(|| panic!("no trace line for {want:?} in:\n{}", r.stderr));
        unmatched.remove(i);
    }
    // Without -v, none of that.
    let d2 = GithubDouble::start("acme", "demo", CANARY).await;
    let p2 = Project::new(&quick_pipeline(&github_section(&d2)));
    let r = run(&p2, &["release", "v1.2.3"]);
    r.assert_code(0);
    assert!(!r.stderr.contains("· github "), "{}", r.stderr);
}

/// A wait long enough to notice gets one line at the default verbosity, saying what was
/// answered (a rate limit's minutes must not look like a hang); `-q` keeps it quiet.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_wait_is_said_while_it_happens() {
    for (args, lines) in [
        (&["release", "v1.2.3"][..], 1),
        (&["-q", "release", "v1.2.3"], 0),
    ] {
        let d = GithubDouble::start("acme", "demo", CANARY).await;
        d.secondary_limit_next(1, 403);
        let mut p = Project::new(&quick_pipeline(&github_section(&d)));
        p.env("TAGSHIP_HTTP_MAX_WAIT_SECS", "2");
        let r = run(&p, args);
        r.assert_code(0);
        let waits: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.contains("github: waiting 2s: GET "))
            .collect();
        assert_eq!(waits.len(), lines, "{args:?}:\n{}", r.stderr);
        if let Some(w) = waits.first() {
            assert!(
                w.ends_with("answered HTTP 403; trying again (attempt 2)"),
                "{w}"
            );
        }
    }
}
