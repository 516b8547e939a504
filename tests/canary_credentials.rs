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
