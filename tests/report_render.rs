//! The report renderers are pure functions of the report: snapshot the terminal table,
//! report.md (also the step summary) and the GitHub annotations for a report with every
//! outcome; and report.json validates against `tagship schema --report` with a real JSON Schema
//! validator (Python's jsonschema, installed by scripts/setup.d/40-python-jsonschema.sh).

mod support;

use std::collections::BTreeMap;
use tagship::guard::Withheld;
use tagship::plan::{Artifact, ArtifactKind};
use tagship::platform::Asset;
use tagship::report::{annotations, markdown, terminal_table, OutcomeKind, PlatformReport};
use tagship::report::{Report, Requests};

fn platform(id: &str, outcome: OutcomeKind, reason: &str) -> PlatformReport {
    let mut p = PlatformReport::new(id, outcome).reason(reason);
    p.duration_ms = 1200;
    p.stages = BTreeMap::from([("check".to_string(), 200), ("publish".to_string(), 900)]);
    p
}

/// Every outcome once, in the order the renderers must keep.
fn platforms() -> Vec<PlatformReport> {
    vec![
        github_published(),
        platform("pypi", OutcomeKind::AlreadyPublished, "already live"),
        npm_failed(),
        platform(
            "crates",
            OutcomeKind::Pending,
            "published, but not visible after 60s",
        ),
        exec_would_publish(),
        platform("pep503", OutcomeKind::Skipped, "cancelled by --fail-fast"),
    ]
}

fn github_published() -> PlatformReport {
    let mut gh = platform("github", OutcomeKind::Published, "");
    gh.reason = None;
    gh.uploaded = vec!["demo_1.0.0_linux_amd64.tar.gz".into()];
    gh.urls = vec!["https://github.com/acme/demo/releases/tag/v1.0.0".into()];
    gh.assets = vec![Asset {
        name: "demo_1.0.0_linux_amd64.tar.gz".into(),
        url: "https://github.com/acme/demo/releases/download/v1.0.0/demo_1.0.0_linux_amd64.tar.gz"
            .into(),
        sha256: "ab".repeat(32),
        size: 1234,
    }];
    gh
}

fn npm_failed() -> PlatformReport {
    let mut npm = platform("npm", OutcomeKind::Failed, "PUT demo: HTTP 403");
    npm.hint = Some("NPM_TOKEN may not publish demo".into());
    npm.error_kind = Some("auth".into());
    npm
}

fn exec_would_publish() -> PlatformReport {
    let mut exec = platform(
        "exec",
        OutcomeKind::WouldPublish,
        "a real run would publish it",
    );
    exec.withheld = vec![Withheld {
        platform: "exec".into(),
        method: "exec".into(),
        target: "./publish.sh".into(),
        body: None,
    }];
    exec
}

fn report() -> Report {
    Report {
        schema_version: tagship::report::SCHEMA_VERSION,
        tool: "tagship 0.1.0".into(),
        operation: "release".into(),
        project: "demo".into(),
        version: "1.0.0".into(),
        tag: "v1.0.0".into(),
        commit: Some("0123456789abcdef".into()),
        dry_run: false,
        started_at: "2026-11-28T12:00:00Z".into(),
        duration_ms: 4000,
        exit_code: 1,
        artifacts: vec![Artifact {
            name: "demo_1.0.0_linux_amd64.tar.gz".into(),
            path: "demo_1.0.0_linux_amd64.tar.gz".into(),
            kind: ArtifactKind::Archive,
            target: None,
            sha256: "ab".repeat(32),
            size: 1234,
        }],
        epoch: Some(1_700_000_000),
        build: None,
        platforms: platforms(),
        requests: Requests {
            sent: 12,
            mutating_sent: 3,
            withheld: 1,
        },
    }
}

#[test]
fn renderers_are_snapshot_tested() {
    let r = report();
    insta::assert_snapshot!("terminal_table", terminal_table(&r));
    insta::assert_snapshot!("markdown", markdown(&r));
    insta::assert_snapshot!("annotations", annotations(&r));
}

#[test]
fn report_json_validates_against_the_published_schema() {
    let dir = tempfile::tempdir().unwrap();
    report().write(dir.path()).unwrap();
    let schema = std::process::Command::new(env!("CARGO_BIN_EXE_tagship"))
        .args(["schema", "--report"])
        .output()
        .unwrap();
    assert!(schema.status.success());
    std::fs::write(dir.path().join("schema.json"), &schema.stdout).unwrap();
    let check = "import json,sys,jsonschema\n\
        s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n\
        jsonschema.Draft202012Validator.check_schema(s)\n\
        jsonschema.validate(d, s, cls=jsonschema.Draft202012Validator)\n\
        bad=dict(d); bad['platforms']=[dict(d['platforms'][0], outcome='exploded')]\n\
        try:\n    jsonschema.validate(bad, s, cls=jsonschema.Draft202012Validator); sys.exit(3)\n\
        except jsonschema.ValidationError: pass\n";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(check)
        .arg(dir.path().join("schema.json"))
        .arg(dir.path().join("report.json"))
        .output()
        .expect("python3 with jsonschema (scripts/setup.d/40-python-jsonschema.sh)");
    assert!(
        out.status.success(),
        "report.json does not validate (exit {:?}; 3 = an unknown outcome was accepted):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn metrics_are_prometheus_text_accepted_by_the_real_parser() {
    let mut r = report();
    r.platforms[0].requests = tagship::guard::Counts {
        requests: 5,
        mutating: 3,
        retries: 1,
        bytes_sent: 4096,
        withheld: 0,
    };
    r.project = "de\"mo".into(); // label values are escaped
    let text = tagship::report::prometheus(&r);
    insta::assert_snapshot!("metrics_prometheus", text);
    // prometheus_client's own parser (scripts/setup.d/40-python-prometheus.sh) must read every
    // family back with the values we wrote.
    let out = support::cli::python_check(
        &text,
        "from prometheus_client.parser import text_string_to_metric_families as parse\n\
        fams = {f.name: f for f in parse(sys.stdin.read())}\n\
        s = [x for x in fams['tagship_platform_requests'].samples if x.labels['platform'] == 'github']\n\
        assert s[0].value == 5 and s[0].labels['project'] == 'de\"mo', s\n\
        b = [x for x in fams['tagship_platform_bytes_sent'].samples if x.labels['platform'] == 'github']\n\
        assert b[0].value == 4096, b\n\
        o = [x.labels['outcome'] for x in fams['tagship_platform_outcome'].samples]\n\
        assert o[0] == 'published' and 'failed' in o and len(o) == 6, o\n\
        assert fams['tagship_run_exit_code'].samples[0].value == 1\n\
        print(len(fams))\n",
    );
    assert_eq!(out.trim(), "10");
}
