//! Issue 12, metrics: report.json carries per platform the requests made, mutations, retries,
//! bytes sent and withheld, counted by the shared layers; `--metrics FILE` writes the same in
//! Prometheus text format. Checked against what the GitHub double saw.

mod support;

use support::cli::{exec_section, platform_row, quick_pipeline, Project};
use support::github_double::GithubDouble;

fn run(p: &Project, args: &[&str]) -> support::cli::Run {
    tokio::task::block_in_place(|| p.run(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn per_platform_counts_match_what_the_server_saw() {
    let d = GithubDouble::start("acme", "demo", support::cli::CANARY).await;
    let p = Project::new(&quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n{}",
        d.api_url(),
        exec_section()
    )));
    // The dry run: nothing sent that mutates, every withheld one counted.
    let r = run(&p, &["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let gh = &platform_row(&rep, "github")["requests"];
    assert_eq!(gh["mutating"], 0, "{gh:#}");
    let withheld = platform_row(&rep, "github")["withheld"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        withheld >= 2,
        "create, upload, publish are withheld: {rep:#}"
    );
    assert_eq!(gh["withheld"], withheld as u64);
    assert_eq!(d.mutating_count(), 0);

    // The real run, with one 503 to retry.
    d.clear_log();
    d.fail_next(1, 503);
    let metrics = p.path().join("metrics.prom");
    let r = run(
        &p,
        &["release", "v1.0.0", "--metrics", metrics.to_str().unwrap()],
    );
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let gh = &platform_row(&rep, "github")["requests"];
    let seen = d.requests();
    assert_eq!(gh["requests"], seen.len() as u64, "{gh:#} vs {seen:?}");
    assert_eq!(gh["mutating"], d.mutating_count() as u64, "{gh:#}");
    assert_eq!(gh["retries"], 1, "{gh:#}");
    let uploaded = platform_row(&rep, "github")["uploaded"].as_array().unwrap();
    let bytes: u64 = rep["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| uploaded.contains(&a["name"]))
        .map(|a| a["size"].as_u64().unwrap())
        .sum();
    assert!(!uploaded.is_empty() && bytes > 0, "{rep:#}");
    let sent = gh["bytes_sent"].as_u64().unwrap();
    assert!(
        sent >= bytes && sent < bytes + 16_384,
        "{sent} vs {bytes}: {gh:#}"
    );
    let exec = &platform_row(&rep, "exec")["requests"];
    assert_eq!(exec["mutating"], 1, "the publish command: {exec:#}");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let line = "tagship_platform_retries{project=\"demo\",version=\"1.0.0\",operation=\"release\",platform=\"github\"} 1";
    assert!(text.lines().any(|l| l == line), "{text}");
}
