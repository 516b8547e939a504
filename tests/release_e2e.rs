//! End to end through the real binary: tag → build → fan-out (GitHub double + exec) → report.
//! Covers the engine acceptance: publish, idempotent re-run with 0 mutations, exactly the
//! missing asset re-uploaded, dry run withholding every mutation, retry of 503s, a permanent
//! 500 that fails one platform while the others finish, and the selective republish.

mod support;

use support::cli::{exec_section, platform_row as outcome, quick_pipeline, Project, CANARY};
use support::github_double::GithubDouble;

fn github_section(d: &GithubDouble) -> String {
    format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n",
        d.api_url()
    )
}

async fn project(d: &GithubDouble) -> Project {
    Project::new(&quick_pipeline(&format!(
        "{}{}",
        github_section(d),
        exec_section()
    )))
}

fn run_blocking(p: &Project, args: &[&str]) -> support::cli::Run {
    tokio::task::block_in_place(|| p.run(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn release_publishes_then_rerun_is_a_noop() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let p = project(&d).await;
    let r = run_blocking(&p, &["release", "v1.2.3"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(outcome(&rep, "github")["outcome"], "published");
    assert_eq!(outcome(&rep, "exec")["outcome"], "published");
    // Draft first, then assets, then the PATCH that publishes it.
    let reqs = d.requests();
    let create = reqs
        .iter()
        .position(|(m, path)| m == "POST" && path.ends_with("/releases"))
        .unwrap();
    let upload = reqs
        .iter()
        .position(|(m, path)| m == "POST" && path.contains("/assets"))
        .unwrap();
    let patch = reqs.iter().position(|(m, _)| m == "PATCH").unwrap();
    assert!(create < upload && upload < patch, "{reqs:?}");
    let uploads = reqs
        .iter()
        .filter(|(m, path)| m == "POST" && path.contains("/assets"))
        .count();
    assert_eq!(uploads, 2, "archive + SHA256SUMS: {reqs:?}");
    assert!(p.path().join("registry/1.2.3/done").exists());

    let before = d.mutating_count();
    let r = run_blocking(&p, &["release", "v1.2.3"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(outcome(&rep, "github")["outcome"], "already-published");
    assert_eq!(outcome(&rep, "exec")["outcome"], "already-published");
    assert_eq!(d.mutating_count(), before, "a re-run must not mutate");
    assert_eq!(rep["requests"]["mutating_sent"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_uploads_exactly_the_missing_asset() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let p = project(&d).await;
    run_blocking(&p, &["release", "v1.2.3"]).assert_code(0);
    d.remove_asset("v1.2.3", "SHA256SUMS");
    let before = d.requests().len();
    let r = run_blocking(&p, &["release", "v1.2.3", "--only", "github"]);
    r.assert_code(0);
    let after: Vec<_> = d.requests()[before..].to_vec();
    let muts: Vec<_> = after
        .iter()
        .filter(|(m, _)| m != "GET" && m != "HEAD")
        .collect();
    assert_eq!(muts.len(), 1, "exactly one upload: {muts:?}");
    assert!(
        muts[0].1.contains("/assets") && muts[0].0 == "POST",
        "{muts:?}"
    );
    let rep = r.report(&p.dist());
    assert_eq!(
        outcome(&rep, "github")["uploaded"],
        serde_json::json!(["SHA256SUMS"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_no_mutation_and_lists_withheld() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let p = project(&d).await;
    let r = run_blocking(&p, &["release", "v1.2.3", "--dry-run"]);
    r.assert_code(0);
    assert_eq!(d.mutating_count(), 0);
    assert!(!d.requests().is_empty(), "a dry run still probes");
    let rep = r.report(&p.dist());
    assert_eq!(rep["dry_run"], true);
    let gh = outcome(&rep, "github");
    assert_eq!(gh["outcome"], "would-publish");
    let withheld = gh["withheld"].as_array().unwrap();
    let methods: Vec<&str> = withheld
        .iter()
        .map(|w| w["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods.first(), Some(&"POST"), "{withheld:?}");
    assert!(methods.contains(&"PATCH"), "{withheld:?}");
    let exec = outcome(&rep, "exec");
    assert_eq!(exec["outcome"], "would-publish");
    assert_eq!(exec["withheld"][0]["method"], "exec");
    assert!(
        !p.path().join("registry").exists(),
        "the publish command must not run"
    );
    assert_eq!(rep["requests"]["mutating_sent"], 0);
    assert!(r.stdout.contains("withheld"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_503s_are_retried() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    d.fail_next(2, 503);
    let p = project(&d).await;
    let r = run_blocking(&p, &["release", "v1.2.3"]);
    r.assert_code(0);
    assert_eq!(
        outcome(&r.report(&p.dist()), "github")["outcome"],
        "published"
    );
    assert_eq!(d.release_count(), 1, "no duplicate release");
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_500_fails_one_platform_and_others_finish() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    d.fail_always(500);
    let p = project(&d).await;
    let r = run_blocking(&p, &["release", "v1.2.3"]);
    r.assert_code(1);
    let rep = r.report(&p.dist());
    let gh = outcome(&rep, "github");
    assert_eq!(gh["outcome"], "failed");
    assert!(gh["reason"].as_str().unwrap().contains("500"), "{gh:#}");
    assert!(!gh["hint"].as_str().unwrap_or("").is_empty(), "{gh:#}");
    assert_eq!(outcome(&rep, "exec")["outcome"], "published");
    assert!(r.stdout.contains("failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_only_exec_reuses_dist_bytes() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let p = project(&d).await;
    run_blocking(&p, &["release", "v1.2.3", "--only", "github"]).assert_code(0);
    let sums = std::fs::read(p.dist().join("SHA256SUMS")).unwrap();
    let before = d.requests().len();
    let r = run_blocking(&p, &["publish", "--only", "exec"]);
    r.assert_code(0);
    assert_eq!(d.requests().len(), before, "github is not touched");
    assert_eq!(
        std::fs::read(p.path().join("registry/1.2.3/SHA256SUMS")).unwrap(),
        sums
    );
    let rep = r.report(&p.dist());
    assert_eq!(outcome(&rep, "exec")["outcome"], "published");
    assert_eq!(
        outcome(&rep, "github")["outcome"],
        "published",
        "earlier outcome kept"
    );
    // Tampered bytes are refused before anything is sent.
    std::fs::write(p.dist().join("SHA256SUMS"), "tampered").unwrap();
    std::fs::remove_dir_all(p.path().join("registry")).unwrap();
    let r = run_blocking(&p, &["publish", "--only", "exec"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("changed since it was built"),
        "{}",
        r.stderr
    );
    assert!(!p.path().join("registry").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_fast_cancels_the_rest() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    d.fail_always(401);
    let mut p = project(&d).await;
    // Make exec slow so github's failure lands first.
    p.write("slow.sh", "sleep 3; exit 10\n");
    let pipeline = quick_pipeline(&format!(
        "{}  exec:\n    check: [sh, slow.sh]\n    publish: [\"true\"]\n",
        github_section(&d)
    ));
    p.write("pipeline.yaml", &pipeline);
    p.env("TAGSHIP_HTTP_ATTEMPTS", "1");
    let r = run_blocking(&p, &["release", "v1.2.3", "--fail-fast"]);
    r.assert_code(1);
    let rep = r.report(&p.dist());
    assert_eq!(outcome(&rep, "github")["outcome"], "failed");
    assert_eq!(outcome(&rep, "exec")["outcome"], "skipped");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_and_step_summary() {
    let d = GithubDouble::start("acme", "demo", CANARY).await;
    let mut p = project(&d).await;
    let summary = p.path().join("summary.md");
    p.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    p.env("GITHUB_ACTIONS", "true");
    d.fail_always(500);
    let r = run_blocking(&p, &["release", "v1.2.3", "--json"]);
    r.assert_code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is the JSON report");
    assert_eq!(v["schema_version"], 1);
    assert!(
        r.stderr.contains("::error title=tagship github::"),
        "{}",
        r.stderr
    );
    let md = std::fs::read_to_string(summary).unwrap();
    assert!(md.contains("| github |") && md.contains("failed"), "{md}");
    assert!(p.dist().join("report.md").exists());
}

#[test]
fn a_hung_publish_command_is_killed_and_reported() {
    let p = Project::new(&quick_pipeline(
        "  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [sleep, \"30\"]\n    timeout_secs: 1\n",
    ));
    let t = std::time::Instant::now();
    let r = p.run(&["release", "v1.2.3"]);
    r.assert_code(1);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "killed, not waited out"
    );
    let rep = r.report(&p.dist());
    let exec = outcome(&rep, "exec");
    assert_eq!(exec["outcome"], "failed");
    assert!(
        exec["reason"]
            .as_str()
            .unwrap()
            .contains("did not finish within 1s"),
        "{exec:#}"
    );
}
