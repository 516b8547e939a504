//! Issue #3's acceptance, continued (tests/registries_e2e.rs has the release, the installs,
//! the re-run and the dry run): through the real binary against the same real local registries,
//! two 503s on the PyPI upload are retried (one copy per wheel); a wrong PYPI_TOKEN fails pypi
//! alone while the others publish; the same version rebuilt with other bytes is a conflict
//! everywhere, and nothing is overwritten.

#[path = "registries_common/mod.rs"]
mod common;
mod support;

use common::*;

/// Acceptance 4, first half: 503, 503, then pass-through on the PyPI upload.
#[test]
fn server_pypi_upload_retried_past_two_503s_leaves_one_copy() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64"]);
    r.pypi_proxy
        .fault(json!({"match": {"method": "POST"}, "responses": [503, 503]}));
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let rep = assert_outcomes(&run, &p, &ALL, "published");
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.method, l.status, l.forwarded))
        .collect();
    assert_eq!(
        posts,
        [
            ("POST".to_string(), Some(503), false),
            ("POST".to_string(), Some(503), false),
            ("POST".to_string(), Some(200), true)
        ]
    );
    assert_eq!(r.pypi_files(), [WHEEL_AMD64], "exactly one copy");
    let ours = &outcome(&rep, "pypi")["packages"][0];
    assert_eq!(ours["name"], WHEEL_AMD64);
    assert_eq!(
        sha256(&std::fs::read(r.pypi_packages().join(WHEEL_AMD64)).unwrap()),
        ours["sha256"].as_str().unwrap()
    );
}

/// Acceptance 4, second half: a wrong PYPI_TOKEN fails pypi only.
#[test]
fn server_wrong_pypi_token_fails_pypi_alone() {
    let r = Registries::start();
    let mut p = project(&r, &["linux-amd64"]);
    p.env("PYPI_TOKEN", "not-the-password");
    let run = p.run(&["release", TAG]);
    run.assert_code(1);
    let rep = assert_outcomes(&run, &p, &["npm", "crates", "pep503"], "published");
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "failed", "{py:#}");
    assert_eq!(py["error_kind"], "auth", "{py:#}");
    assert!(
        py["hint"].as_str().unwrap_or("").contains("PYPI_TOKEN"),
        "{py:#}"
    );
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.method, l.status))
        .collect();
    assert_eq!(
        posts,
        [("POST".to_string(), Some(403))],
        "one refused upload, not retried"
    );
    assert_eq!(r.pypi_files(), Vec::<String>::new());
    assert_eq!(rep["exit_code"], 1);

    // pypiserver answers a wrong password with 403; a registry answering 401 (injected
    // here, permanently, in front of the right token) is the same auth failure, not retried.
    p.env("PYPI_TOKEN", &r.pypi_password);
    r.pypi_proxy.reset();
    r.pypi_proxy
        .fault(json!({"match": {"method": "POST"}, "responses": [401, 401, 401, 401, 401, 401]}));
    let run = p.run(&["release", TAG, "--only", "pypi"]);
    run.assert_code(1);
    let rep = run.report(&p.dist());
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "failed", "{py:#}");
    assert_eq!(py["error_kind"], "auth", "{py:#}");
    assert!(
        py["hint"].as_str().unwrap_or("").contains("PYPI_TOKEN"),
        "{py:#}"
    );
    let posts: Vec<_> = r
        .pypi_proxy
        .mutations()
        .into_iter()
        .map(|l| (l.status, l.forwarded))
        .collect();
    assert_eq!(posts, [(Some(401), false)], "one 401, not retried");
    assert_eq!(r.pypi_files(), Vec::<String>::new());
}

/// Acceptance 5.
#[test]
fn server_same_version_with_other_bytes_is_a_conflict_and_nothing_is_overwritten() {
    let r = Registries::start();
    let p = project(&r, &["linux-amd64"]);
    p.run(&["release", TAG]).assert_code(0);
    let before = held(&r);
    change_the_program(&p);

    let since = mark(&r);
    let run = p.run(&["release", TAG]);
    run.assert_code(1);
    let rep = assert_outcomes(&run, &p, &ALL, "failed");
    every_platform_names_the_conflict(&rep);
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_no_mutations(&r, since);
    let after = held(&r);
    assert_eq!(before, after, "every server still holds the original bytes");
    assert_eq!(r.pypi_files(), [WHEEL_AMD64]);
}

/// What every server holds for this version: npm's shasum and tarball, the wheel on
/// pypiserver, the PEP 503 index and its wheel, the crates index line and the .crate.
fn held(r: &Registries) -> impl PartialEq + std::fmt::Debug {
    let npm_doc = |pkg: &str| -> Value {
        let (st, body) = http("GET", &format!("{}{pkg}/{V}", r.npm.s("url")), None);
        assert_eq!(st, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let npm_tgz = |pkg: &str| -> Vec<u8> {
        let url = format!("{}{pkg}/-/{pkg}-{V}.tgz", r.npm.s("url"));
        let (st, body) = http_bytes("GET", &url, None);
        assert_eq!(st, 200, "GET {url}");
        body
    };
    let crate_file =
        Path::new(&r.crates.s("data")).join(format!("crates/hello-rust/hello-rust-{V}.crate"));
    (
        npm_doc("hello-linux-x64")["dist"]["shasum"].clone(),
        sha256(&npm_tgz("hello-linux-x64")),
        sha256(&std::fs::read(r.pypi_packages().join(WHEEL_AMD64)).unwrap()),
        r.index_file("packages.json"),
        sha256(&r.index_file(&format!("files/{WHEEL_AMD64}"))),
        http(
            "GET",
            &format!(
                "{}he/ll/hello-rust",
                r.crates.s("index").trim_start_matches("sparse+")
            ),
            None,
        ),
        sha256(&std::fs::read(&crate_file).unwrap()),
    )
}

/// Same version, other program: other binary, other wheel/tarball; other crate source.
fn change_the_program(p: &Project) {
    let main_go = p.path().join("main.go");
    let go = std::fs::read_to_string(&main_go).unwrap();
    assert!(go.contains("\"hello %s\\n\""), "{go}");
    std::fs::write(&main_go, go.replace("\"hello %s\\n\"", "\"howdy %s\\n\"")).unwrap();
    let main_rs = p.path().join("rust/src/main.rs");
    let rs = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(
        &main_rs,
        rs.replace("hello from hello-rust", "howdy from hello-rust"),
    )
    .unwrap();
}

fn every_platform_names_the_conflict(rep: &Value) {
    for id in ALL {
        let o = outcome(rep, id);
        assert_eq!(o["error_kind"], "conflict", "{id}: {o:#}");
        let reason = o["reason"].as_str().unwrap_or("").to_lowercase();
        assert!(
            reason.contains("different") || reason.contains("conflict"),
            "{id}: the reason names the conflict: {o:#}"
        );
    }
    assert!(
        outcome(rep, "pypi")["reason"]
            .as_str()
            .unwrap()
            .contains(WHEEL_AMD64),
        "{rep:#}"
    );
}
