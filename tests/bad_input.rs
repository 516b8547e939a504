//! The bad-input corpus: every case must exit 2, name the problem, and send 0 requests
//! (asserted on the GitHub double's log) with nothing published by the exec platform.

mod support;

use support::cli::{quick_pipeline, Project, CANARY};
use support::github_double::GithubDouble;

struct Case {
    name: &'static str,
    /// Edits the pipeline text (it gets a github + exec section pointed at the double).
    pipeline: fn(String) -> String,
    args: &'static [&'static str],
    setup: fn(&mut Project),
    expect: &'static [&'static str],
}

fn same(s: String) -> String {
    s
}
fn nothing(_: &mut Project) {}

fn base(d: &GithubDouble) -> String {
    quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n",
        d.api_url()
    ))
}

const REL: &[&str] = &["release", "v1.0.0"];

fn cases() -> Vec<Case> {
    [
        config_cases(),
        version_cases(),
        build_cases(),
        archive_cases(),
        platform_cases(),
        naming_cases(),
        environment_cases(),
        command_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn config_cases() -> Vec<Case> {
    vec![
        Case {
            name: "unknown top-level key",
            pipeline: |s| s + "platfroms: {}\n",
            args: REL,
            setup: nothing,
            expect: &["platfroms", "platforms"],
        },
        Case {
            name: "unknown nested key",
            pipeline: |s| s.replace("  license: MIT", "  license: MIT\n  licence: MIT"),
            args: REL,
            setup: nothing,
            expect: &["licence"],
        },
        Case {
            name: "wrong type",
            pipeline: |s| s.replace("targets: [linux-amd64]", "targets: linux-amd64"),
            args: REL,
            setup: nothing,
            expect: &["targets"],
        },
        Case {
            name: "missing required field",
            pipeline: |s| s.replace("  name: demo\n", ""),
            args: REL,
            setup: nothing,
            expect: &["name"],
        },
        Case {
            name: "bad target",
            pipeline: |s| s.replace("[linux-amd64]", "[plan9-mips]"),
            args: REL,
            setup: nothing,
            expect: &["plan9-mips"],
        },
        Case {
            name: "yaml syntax error",
            pipeline: |s| s + "  : : [\n",
            args: REL,
            setup: nothing,
            expect: &["pipeline.yaml:"],
        },
    ]
}

fn version_cases() -> Vec<Case> {
    vec![
        Case {
            name: "bad tag",
            pipeline: same,
            args: &["release", "v1.2"],
            setup: nothing,
            expect: &["v1.2", "semver"],
        },
        Case {
            name: "tag with shell metacharacters",
            pipeline: same,
            args: &["release", "v1.0.0;rm -rf /"],
            setup: nothing,
            expect: &["bad tag"],
        },
        Case {
            name: "tag differs from Cargo.toml",
            pipeline: same,
            args: REL,
            setup: |p| {
                p.write(
                    "Cargo.toml",
                    "[package]\nname = \"demo\"\nversion = \"0.9.0\"\n",
                )
            },
            expect: &["Cargo.toml", "0.9.0"],
        },
        Case {
            name: "tag differs from package.json",
            pipeline: same,
            args: REL,
            setup: |p| p.write("package.json", "{\"name\":\"demo\",\"version\":\"2.0.0\"}"),
            expect: &["package.json", "2.0.0"],
        },
        Case {
            name: "tag differs from pyproject.toml",
            pipeline: same,
            args: REL,
            setup: |p| {
                p.write(
                    "pyproject.toml",
                    "[project]\nname = \"demo\"\nversion = \"3.0.0\"\n",
                )
            },
            expect: &["pyproject.toml"],
        },
        Case {
            name: "prerelease denied",
            pipeline: |s| s.replace("builds:", "version:\n  prerelease: deny\nbuilds:"),
            args: &["release", "v1.0.0-rc.1"],
            setup: nothing,
            expect: &["prerelease"],
        },
    ]
}

fn build_cases() -> Vec<Case> {
    vec![
        Case {
            name: "missing credential",
            pipeline: same,
            args: REL,
            setup: |p| {
                p.unset("GITHUB_TOKEN");
            },
            expect: &["GITHUB_TOKEN", "keyring"],
        },
        Case {
            name: "missing tool",
            pipeline: |s| s.replace("[install, -D", "[no-such-compiler-xyz, -D"),
            args: REL,
            setup: nothing,
            expect: &["no-such-compiler-xyz"],
        },
        Case {
            name: "build command fails",
            pipeline: |s| s.replace("/bin/true, \"build", "/nonexistent/file, \"build"),
            args: REL,
            setup: nothing,
            expect: &["linux-amd64"],
        },
        Case {
            name: "binary of the wrong arch",
            pipeline: |s| s.replace("[linux-amd64]", "[linux-arm64]"),
            args: REL,
            setup: nothing,
            expect: &["aarch64"],
        },
        Case {
            name: "binary of the wrong os",
            pipeline: |s| s.replace("[linux-amd64]", "[windows-amd64]"),
            args: REL,
            setup: nothing,
            expect: &["PE"],
        },
    ]
}

fn archive_cases() -> Vec<Case> {
    vec![
        Case {
            name: "path traversal in archive files",
            pipeline: |s| s.replace("files: [README.md]", "files: [../../etc/passwd]"),
            args: REL,
            setup: nothing,
            expect: &[".."],
        },
        Case {
            name: "absolute archive file",
            pipeline: |s| s.replace("files: [README.md]", "files: [/etc/passwd]"),
            args: REL,
            setup: nothing,
            expect: &["/etc/passwd"],
        },
        Case {
            name: "missing archive file",
            pipeline: |s| s.replace("files: [README.md]", "files: [NOPE.md]"),
            args: REL,
            setup: nothing,
            expect: &["NOPE.md"],
        },
    ]
}

fn platform_cases() -> Vec<Case> {
    vec![
        Case {
            name: "unknown platform",
            pipeline: |s| s.replace("  github:", "  githubb:"),
            args: REL,
            setup: nothing,
            expect: &["githubb", "github"],
        },
        Case {
            name: "--only unknown platform",
            pipeline: same,
            args: &["release", "v1.0.0", "--only", "pypy"],
            setup: nothing,
            expect: &["pypy"],
        },
        Case {
            name: "platform section missing owner",
            pipeline: |s| s.replace("    owner: acme\n", ""),
            args: REL,
            setup: nothing,
            expect: &["owner"],
        },
        Case {
            name: "platform section unknown key",
            pipeline: |s| s.replace("    owner: acme\n", "    owner: acme\n    ownr: x\n"),
            args: REL,
            setup: nothing,
            expect: &["ownr"],
        },
        Case {
            name: "unknown profile",
            pipeline: same,
            args: &["release", "v1.0.0", "--profile", "stagin"],
            setup: nothing,
            expect: &["stagin"],
        },
    ]
}

fn naming_cases() -> Vec<Case> {
    vec![
        Case {
            name: "unknown placeholder",
            pipeline: |s| s.replace("demo{exe}\"]", "demo{verison}\"]"),
            args: REL,
            setup: nothing,
            expect: &["verison"],
        },
        Case {
            name: "bad archive format",
            pipeline: |s| s.replace("archives:\n", "archives:\n  format: rar\n"),
            args: REL,
            setup: nothing,
            expect: &["rar"],
        },
        Case {
            name: "archive name with a slash",
            pipeline: |s| s.replace("archives:\n", "archives:\n  name: \"../{name}\"\n"),
            args: REL,
            setup: nothing,
            expect: &["archives"],
        },
    ]
}

fn environment_cases() -> Vec<Case> {
    vec![
        Case {
            name: "missing config file",
            pipeline: same,
            args: &["release", "v1.0.0", "--config", "nope.yaml"],
            setup: nothing,
            expect: &["nope.yaml"],
        },
        Case {
            name: "bad env override",
            pipeline: same,
            args: REL,
            setup: |p| {
                p.env("TAGSHIP__BUILDS", "3");
            },
            expect: &["TAGSHIP__BUILDS"],
        },
        Case {
            name: "bad SOURCE_DATE_EPOCH",
            pipeline: same,
            args: REL,
            setup: |p| {
                p.env("SOURCE_DATE_EPOCH", "yesterday");
            },
            expect: &["SOURCE_DATE_EPOCH"],
        },
        Case {
            name: "duplicate target",
            pipeline: |s| s.replace("[linux-amd64]", "[linux-amd64, linux/amd64]"),
            args: REL,
            setup: nothing,
            expect: &["linux-amd64"],
        },
        Case {
            name: "exec with an empty check",
            pipeline: |s| s.replace("check: [sh, -c, 'exit 10']", "check: []"),
            args: REL,
            setup: nothing,
            expect: &["check"],
        },
    ]
}

fn command_cases() -> Vec<Case> {
    vec![
        Case {
            name: "publish without a prior release",
            pipeline: same,
            args: &["publish", "--only", "exec"],
            setup: nothing,
            expect: &["report.json", "tagship release"],
        },
        Case {
            name: "--parallelism 0",
            pipeline: same,
            args: &["release", "v1.0.0", "--parallelism", "0"],
            setup: nothing,
            expect: &["--parallelism", "at least 1"],
        },
        Case {
            name: "the same platform in --only and --skip",
            pipeline: same,
            args: &["release", "v1.0.0", "--only", "exec", "--skip", "exec"],
            setup: nothing,
            expect: &["`exec` is in both --only and --skip"],
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_exits_2_names_the_problem_and_sends_nothing() {
    let all = cases();
    assert!(all.len() >= 25);
    let mut failures = Vec::new();
    for c in all {
        let d = GithubDouble::start("acme", "demo", CANARY).await;
        let mut p = Project::new(&(c.pipeline)(base(&d)));
        (c.setup)(&mut p);
        let r = tokio::task::block_in_place(|| p.run(c.args));
        let mut why = Vec::new();
        if r.code != 2 {
            why.push(format!("exit code {} (want 2)", r.code));
        }
        for e in c.expect {
            if !r.stderr.contains(e) {
                why.push(format!("stderr lacks {e:?}"));
            }
        }
        // Reads may happen (the version-level probe runs before the build); writes never.
        if d.mutating_count() != 0 {
            why.push(format!(
                "{} mutating request(s) reached the double",
                d.mutating_count()
            ));
        }
        if p.path().join("published-marker").exists() {
            why.push("exec published".into());
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr\n{}",
                c.name,
                why.join("; "),
                r.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn check_command_lists_every_problem_at_once() {
    let mut p = Project::new(&quick_pipeline(
        "  github:\n    owner: acme\n    repo: demo\n  exec:\n    check: [no-such-checker]\n    publish: [\"true\"]\n",
    ));
    p.unset("GITHUB_TOKEN");
    let r = p.run(&["check"]);
    r.assert_code(2);
    assert!(r.stderr.contains("GITHUB_TOKEN"), "{}", r.stderr);
    assert!(r.stderr.contains("no-such-checker"), "{}", r.stderr);
}
