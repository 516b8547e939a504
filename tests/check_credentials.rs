//! `tagship check` says where each credential a selected platform needs was found — the
//! environment variable, or OIDC in GitHub Actions (the keyring case, with a real Secret
//! Service, is in tests/keyring_secret_service.rs) — in the terminal and in `--json`, and
//! never shows a value (the harness puts a canary in every credential and scans the output).

mod support;

use support::cli::{quick_pipeline, Project, Run};

fn project(crates_auth: &str) -> Project {
    Project::new(&quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n  crates:\n    auth: {crates_auth}\n"
    )))
}

fn credentials(r: &Run) -> Vec<(String, String, String)> {
    let j: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("--json: {e}\n{}", r.stdout));
    j["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("platform"), s("name"), s("source"))
        })
        .collect()
}

#[test]
fn check_names_the_environment_variable_each_credential_came_from() {
    let p = project("token");
    let r = p.run(&["check", "--json"]);
    r.assert_code(0);
    let want = [
        ("github", "GITHUB_TOKEN", "env"),
        ("crates", "CARGO_REGISTRY_TOKEN", "env"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(credentials(&r), want);
    assert!(
        r.stderr
            .contains("environment variable CARGO_REGISTRY_TOKEN"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_says_oidc_in_ci_and_missing_when_nothing_is_set() {
    let mut p = project("auto");
    // `auto` picks OIDC only when the token variable is unset.
    let id_token_request = "oidc-request-token-3f9a1c7e5b";
    p.env(tagship::oidc::URL_VAR, "http://127.0.0.1:9/token?x=1")
        .env(tagship::oidc::TOKEN_VAR, id_token_request)
        .unset("CARGO_REGISTRY_TOKEN");
    let r = p.run(&["check", "--json"]);
    r.assert_code(0);
    support::cli::assert_never_shows(&r, &p.dist(), id_token_request);
    let got = credentials(&r);
    assert!(
        got.contains(&(
            "crates".into(),
            tagship::oidc::TOKEN_VAR.into(),
            "oidc".into()
        )),
        "{got:?}"
    );
    assert!(
        r.stderr.contains("OIDC: the GitHub Actions ID token"),
        "{}",
        r.stderr
    );

    let mut p = project("token");
    p.unset("GITHUB_TOKEN");
    let r = p.run(&["check", "--json"]);
    r.assert_code(2);
    let got = credentials(&r);
    assert!(
        got.contains(&("github".into(), "GITHUB_TOKEN".into(), "missing".into())),
        "{got:?}"
    );
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["ok"], false);
}
