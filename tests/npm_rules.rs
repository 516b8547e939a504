//! The npm part of issue #16's bad-input corpus: each case breaks ONE npm rule in
//! pipeline.yaml, and the real binary refuses it with exit 2, from `tagship check` and from
//! `release --dry-run` alike, naming the file, the field and the rule, before any request.
//! "Before any request" is proven, not assumed: every run goes through a proxy (HTTP(S)_PROXY)
//! that counts connections, and the count must stay 0, so a case that slipped through would
//! be seen knocking (and could not reach the internet).

mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::cli::{quick_pipeline, Project};

/// Counts TCP connections on 127.0.0.1 and drops them.
fn counting_proxy() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (url, n)
}

/// A project whose every request goes to a fresh counting proxy.
fn behind_proxy(pipeline: &str) -> (Project, Arc<AtomicUsize>) {
    let (proxy, knocks) = counting_proxy();
    let mut p = Project::new(pipeline);
    for k in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ] {
        p.env(k, &proxy);
    }
    p.env("NO_PROXY", "").env("no_proxy", "");
    (p, knocks)
}

struct Case {
    rule: &'static str,
    section: &'static str,
    says: &'static [&'static str],
}

const SPAM: &[&str] = &[
    "pipeline.yaml",
    "platforms.npm.scope",
    "spam detection",
    "corpus-demo-linux-x64",
];
const RANGE: &[&str] = &[
    "pipeline.yaml",
    "platforms.npm.tag",
    "parses as a semver range",
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            rule: "unscoped platform packages on npmjs (defaults)",
            section: "  npm: {}\n",
            says: SPAM,
        },
        Case {
            rule: "unscoped platform packages on npmjs (explicit registry and package)",
            section: "  npm:\n    registry: https://registry.npmjs.org\n    package: corpus-demo\n",
            says: SPAM,
        },
        Case {
            rule: "dist-tag `1`",
            section: "  npm:\n    scope: \"@acme\"\n    tag: \"1\"\n",
            says: RANGE,
        },
        Case {
            rule: "dist-tag `v2`",
            section: "  npm:\n    scope: \"@acme\"\n    tag: v2\n",
            says: RANGE,
        },
        Case {
            rule: "dist-tag `^1.2`",
            section: "  npm:\n    scope: \"@acme\"\n    tag: \"^1.2\"\n",
            says: RANGE,
        },
        Case {
            rule: "dist-tag `1.x`",
            section: "  npm:\n    scope: \"@acme\"\n    tag: 1.x\n",
            says: RANGE,
        },
        Case {
            rule: "dist-tag `>=1 <2`",
            section: "  npm:\n    scope: \"@acme\"\n    tag: \">=1 <2\"\n",
            says: RANGE,
        },
        Case {
            rule: "dist-tag not URL-safe",
            section: "  npm:\n    scope: \"@acme\"\n    tag: next/beta\n",
            says: &["pipeline.yaml", "platforms.npm.tag", "is not URL-safe"],
        },
    ]
}

fn run_case(c: &Case) {
    let pipeline = quick_pipeline(c.section).replace("name: demo", "name: corpus-demo");
    let (p, knocks) = behind_proxy(&pipeline);
    for args in [&["check"][..], &["release", "v1.0.0", "--dry-run"][..]] {
        let run = p.run(args);
        let out = format!("{}\n{}", run.stdout, run.stderr);
        assert_eq!(
            run.code, 2,
            "{} ({args:?}): exit {}\n{out}",
            c.rule, run.code
        );
        for s in c.says {
            assert!(
                out.contains(s),
                "{} ({args:?}): the refusal must name `{s}`:\n{out}",
                c.rule
            );
        }
        assert!(out.contains("hint"), "{} ({args:?}): a hint\n{out}", c.rule);
        assert_eq!(
            knocks.load(Ordering::SeqCst),
            0,
            "{} ({args:?}): nothing may reach a server",
            c.rule
        );
    }
}

#[test]
fn every_npm_rule_is_refused_by_check_and_dry_run_with_no_request() {
    let cases = cases();
    assert!(cases.len() >= 8, "the corpus has {} cases", cases.len());
    for c in &cases {
        run_case(c);
    }
}

/// The same config with a scope and a good tag passes `tagship check` (the rules do not
/// refuse everything), and its dry run does knock on the proxy: the counter above would see
/// a request that a refusal failed to prevent (the proxy drops it: nothing leaves the host).
#[test]
fn a_scoped_config_with_a_plain_tag_passes_check_and_its_dry_run_is_counted() {
    let pipeline = quick_pipeline("  npm:\n    scope: \"@acme\"\n    tag: legacy\n");
    let (mut p, knocks) = behind_proxy(&pipeline);
    p.env("TAGSHIP_HTTP_ATTEMPTS", "1");
    p.run(&["check"]).assert_code(0);
    assert_eq!(knocks.load(Ordering::SeqCst), 0, "check sends nothing");
    let run = p.run(&["release", "v1.0.0", "--dry-run"]);
    assert_ne!(run.code, 2, "not refused: {}", run.stderr);
    assert!(
        knocks.load(Ordering::SeqCst) > 0,
        "the dry run probed the registry through the proxy"
    );
}

/// `mode: package_json`: rules that package.json decides (`publishConfig`, which npm honours)
/// are refused while packaging (the validation phase: `tagship check` does not package), by
/// `release --dry-run` with exit 2, naming the file, the field and the rule, with nothing sent
/// (report.json's counts, and the counting proxy, which is also the configured registry).
#[test]
fn package_json_rules_are_refused_in_packaging_with_nothing_written() {
    let cases = [
        (
            r#"{"publishConfig":{"tag":"1.x"}}"#,
            "publishConfig.tag",
            "parses as a semver range",
        ),
        (
            r#"{"publishConfig":{"registry":"https://registry.npmjs.org/"}}"#,
            "publishConfig.registry",
            "npm would publish to https://registry.npmjs.org/",
        ),
        (
            r#"{"publishConfig":{"access":"everyone"}}"#,
            "publishConfig.access",
            "neither `public` nor `restricted`",
        ),
    ];
    for (extra, field, rule) in cases {
        let (url, _) = counting_proxy();
        let section = format!("  npm:\n    mode: package_json\n    registry: \"{url}/\"\n");
        let (p, _knocks) = behind_proxy(&quick_pipeline(&section));
        let mut pj: serde_json::Value =
            serde_json::json!({"name": "demo", "version": "1.0.0", "description": "x"});
        let extra: serde_json::Value = serde_json::from_str(extra).unwrap();
        pj["publishConfig"] = extra["publishConfig"].clone();
        p.write("package.json", &pj.to_string());
        let run = p.run(&["release", "v1.0.0", "--dry-run"]);
        assert_eq!(run.code, 2, "{field}: {}\n{}", run.stdout, run.stderr);
        let report = run.report(&p.dist());
        let plat = &report["platforms"][0];
        let reason = plat["reason"].as_str().unwrap_or_default();
        for s in ["packaging", "package.json", field, rule] {
            assert!(reason.contains(s), "{field}: must name `{s}`: {plat:#}");
        }
        assert!(
            plat["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{plat:#}"
        );
        // The version-level probe may read before the build; nothing is written.
        assert_eq!(
            report["requests"]["mutating_sent"], 0,
            "{field}: {report:#}"
        );
    }
}
