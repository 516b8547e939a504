//! Issue 6, acceptance 1: a packaging error in ANY one platform refuses the whole release with
//! exit 2 before anything is sent anywhere — no write, not even a check. Every registry URL
//! points at the GitHub double, so every request shows in its log; the only ones allowed are
//! the reads of the version-level probe (issue 11), which runs before the build; the exec
//! platform would leave a marker file if it published.

mod support;

use support::cli::{quick_pipeline, Project};
use support::github_double::GithubDouble;

struct Case {
    name: &'static str,
    /// The failing platform's section (`{url}` is the double's base URL).
    section: &'static str,
    tag: &'static str,
    setup: fn(&Project),
    /// Words the refusal must contain.
    expect: &'static [&'static str],
}

fn nothing(_: &Project) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "pypi: build metadata has no PEP 440 form",
            section: "  pypi:\n    repository_url: \"{url}/legacy/\"\n    index_url: \"{url}/pypi/\"\n",
            tag: "v1.0.0+build.5",
            setup: nothing,
            expect: &["pypi", "PEP 440", "build metadata"],
        },
        Case {
            name: "pep503: build metadata has no PEP 440 form",
            section: "  pep503:\n    dir: index\n",
            tag: "v1.0.0+build.5",
            setup: nothing,
            expect: &["pep503", "PEP 440"],
        },
        Case {
            name: "npm: a private package",
            section: "  npm:\n    registry: \"{url}/npm/\"\n    mode: package_json\n    path: js\n",
            tag: "v1.0.0",
            setup: |p| {
                p.write(
                    "js/package.json",
                    r#"{"name": "demo-js", "version": "1.0.0", "private": true}"#,
                )
            },
            expect: &["npm", "private"],
        },
        Case {
            name: "crates: a nested Cargo.toml with another version",
            section: "  crates:\n    registry: local\n    index: \"sparse+{url}/index/\"\n    manifest: rust/Cargo.toml\n",
            tag: "v1.0.0",
            setup: |p| {
                p.write(
                    "rust/Cargo.toml",
                    "[package]\nname = \"demo\"\nversion = \"0.9.0\"\nedition = \"2021\"\ndescription = \"d\"\nlicense = \"MIT\"\n",
                );
                p.write("rust/src/main.rs", "fn main() {}\n");
            },
            expect: &["crates", "0.9.0"],
        },
    ]
}

fn pipeline(d: &GithubDouble, section: &str) -> String {
    quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{url}\"\n  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n{}",
        section.replace("{url}", &d.api_url()),
        url = d.api_url()
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_packaging_error_in_any_platform_is_exit_2_with_nothing_sent() {
    let d = GithubDouble::start("acme", "demo", support::cli::CANARY).await;
    let mut failures = Vec::new();
    for c in cases() {
        for dry in [false, true] {
            d.clear_log();
            let p = Project::new(&pipeline(&d, c.section));
            p.write("README.md", "demo\n");
            (c.setup)(&p);
            let mut args = vec!["release", c.tag];
            if dry {
                args.push("--dry-run");
            }
            let r = tokio::task::block_in_place(|| p.run(&args));
            let mut why = Vec::new();
            if r.code != 2 {
                why.push(format!("exit code {} (want 2)", r.code));
            }
            let all = format!("{}{}", r.stdout, r.stderr);
            why.extend(
                c.expect
                    .iter()
                    .filter(|e| !all.contains(*e))
                    .map(|e| format!("output lacks {e:?}")),
            );
            if d.mutating_count() > 0 {
                why.push(format!("requests reached a server: {:?}", d.requests()));
            }
            if p.path().join("published-marker").exists() {
                why.push("exec published".into());
            }
            let report = r.report(&p.dist());
            let exec = report["platforms"]
                .as_array()
                .and_then(|ps| ps.iter().find(|x| x["id"] == "exec"))
                .map(|x| x["outcome"].clone());
            if exec != Some("skipped".into()) {
                why.push(format!("report.json: exec outcome {exec:?}, want skipped"));
            }
            if report["exit_code"] != 2 {
                why.push(format!("report.json exit_code {}", report["exit_code"]));
            }
            if !why.is_empty() {
                failures.push(format!(
                    "{} (dry run: {dry}): {}\n{all}",
                    c.name,
                    why.join("; ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
