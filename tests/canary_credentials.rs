//! The canary's credential variables come from the platforms, not from a list in the tests:
//! `support::cli::credential_vars` loads the run's pipeline.yaml with the library, builds the
//! configured platforms and collects every `Requirement::Credential` (optional ones included).
//! These tests pin that: defaults, a renamed `token_env`, NPM_OTP, `--config`, a profile, and
//! a config that does not validate. Then one run proves the derived variables really carry
//! the canary into tagship (it finds the credential and the canary never shows).

mod support;

use support::cli::{credential_vars, exec_section, quick_pipeline, Project};

const ALL: &str = r#"  github:
    owner: acme
    repo: demo
  npm:
    registry: "http://127.0.0.1:9/"
  pypi:
    repository_url: "http://127.0.0.1:9/"
  pep503:
    repo: "/nonexistent/index.git"
    token_env: PEP503_TOKEN
  crates:
    registry: local
    index: "sparse+http://127.0.0.1:9/index/"
"#;

fn vars(p: &Project, args: &[&str]) -> Vec<String> {
    credential_vars(p.path(), args, &p.env)
}

#[test]
fn every_configured_platform_declares_its_credentials() {
    let p = Project::new(&quick_pipeline(&format!("{ALL}{}", exec_section())));
    assert_eq!(
        vars(&p, &["release", "v1.0.0"]),
        [
            "CARGO_REGISTRY_TOKEN",
            "EXEC_REGISTRY_TOKEN",
            "GITHUB_TOKEN",
            "NPM_OTP",
            "NPM_TOKEN",
            "PEP503_TOKEN",
            "PYPI_TOKEN",
        ]
    );
}

#[test]
fn renamed_variables_config_flag_and_profile_are_followed() {
    let p = Project::new("project: {name: x}\n");
    let yaml = quick_pipeline(
        "  github:\n    owner: acme\n    repo: demo\n    token_env: GH_RELEASE_PAT\n  npm:\n    registry: \"http://127.0.0.1:9/\"\n    otp_env: MY_OTP\n",
    ) + "profiles:\n  staging:\n    platforms:\n      github:\n        token_env: STAGING_GH_TOKEN\n";
    p.write("conf/other.yaml", &yaml);
    let base = vars(&p, &["release", "--config", "conf/other.yaml"]);
    assert_eq!(base, ["GH_RELEASE_PAT", "MY_OTP", "NPM_TOKEN"]);
    let staged = vars(
        &p,
        &[
            "release",
            "--config=conf/other.yaml",
            "--profile",
            "staging",
        ],
    );
    assert_eq!(staged, ["MY_OTP", "NPM_TOKEN", "STAGING_GH_TOKEN"]);
}

#[test]
fn a_config_that_does_not_validate_still_covers_its_sections() {
    let bad = quick_pipeline("  github:\n    owner: acme\n    repo: demo\n")
        .replace("license: MIT\n", "license: MIT\n  no_such_key: 1\n");
    let p = Project::new(&bad);
    assert_eq!(vars(&p, &["release"]), ["GITHUB_TOKEN"]);
}

#[test]
fn the_derived_variables_reach_tagship() {
    // check preflights every credential: it passes only because the harness put the canary
    // in EXEC_REGISTRY_TOKEN, a variable no test names; without it, exit 2 naming it.
    let p = Project::new(&quick_pipeline(&exec_section()));
    p.run(&["check"]).assert_code(0);
    let mut p = Project::new(&quick_pipeline(&exec_section()));
    p.unset("EXEC_REGISTRY_TOKEN");
    let r = p.run(&["check"]);
    r.assert_code(2);
    assert!(r.stderr.contains("EXEC_REGISTRY_TOKEN"), "{}", r.stderr);
}

/// An exec platform whose commands print the credential they are given, on both streams.
fn echoing_exec() -> String {
    let say = r#"echo "token=$EXEC_REGISTRY_TOKEN"; echo "stderr $EXEC_REGISTRY_TOKEN" >&2"#;
    format!(
        "  exec:\n    check: [sh, -c, '{say}; test -f published-marker || exit 10']\n    publish: [sh, -c, '{say}; touch published-marker']\n    credentials: [EXEC_REGISTRY_TOKEN]\n"
    )
}

#[test]
fn no_verbosity_shows_a_credential_a_command_prints() {
    // `-v` and `-vv` trace every command and request; the harness scans stdout, stderr, dist/
    // and the step summary (written outside dist/) for the canary in every run.
    for verbosity in [None, Some("-v"), Some("-vv")] {
        let p = Project::new(&quick_pipeline(&echoing_exec()));
        let mut args = vec!["release", "v1.0.0"];
        args.extend(verbosity);
        let r = p.run(&args);
        r.assert_code(0);
        let summary = p.path().with_extension("step-summary.md");
        assert!(!summary.exists(), "the harness removes its step summary");
        assert!(p.path().join("published-marker").exists());
    }
}

#[test]
fn the_step_summary_is_scanned() {
    // The harness's own summary file must really be written, or scanning it proves nothing.
    let mut p = Project::new(&quick_pipeline(&echoing_exec()));
    let summary = p.path().join("summary.md");
    p.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    p.run(&["release", "v1.0.0", "-vv"]).assert_code(0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("exec"), "{text}");
    assert!(!text.contains(support::cli::CANARY));
}

#[test]
fn a_swapped_in_token_is_scanned_like_the_canary() {
    // A test that sets a credential itself (a real registry token) gets that value scanned
    // too: here a command prints it, and the scan must catch it unless tagship redacts it.
    let mut p = Project::new(&quick_pipeline(&echoing_exec()));
    p.env("EXEC_REGISTRY_TOKEN", "real-registry-token-5e4d3c2b");
    let r = p.run(&["release", "v1.0.0", "-vv"]);
    r.assert_code(0);
    assert!(!r.stderr.contains("5e4d3c2b") && !r.stdout.contains("5e4d3c2b"));
}
