//! Running `tagship` for hostile cases: under `ulimit -v` 1 GiB and a 30 s `timeout`, so a
//! blow-up shows as a failed case (exit 124 or an abort) instead of hanging or exhausting the
//! machine, with the same environment and canary scan as `support::cli::Project::run`.
#![allow(dead_code)]

use super::support::cli::{quick_pipeline, Project, Run, CANARY};
use super::support::github_double::GithubDouble;

/// Address-space limit for one run, in KiB (1 GiB).
pub const MEMORY_KIB: u64 = 1 << 20;
/// Wall-clock limit for one run, in seconds.
pub const SECONDS: u64 = 30;

/// Runs `tagship ARGS` in the project dir under the limits and checks the canary.
/// `TAGSHIP_TEST_BIN` swaps in another build (e.g. main's, to see the cases fail there).
pub fn run_limited(p: &Project, args: &[&str]) -> Run {
    let script = format!("ulimit -v {MEMORY_KIB}; exec timeout -s KILL {SECONDS} \"$0\" \"$@\"");
    let bin = std::env::var("TAGSHIP_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tagship").to_string());
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c").arg(script).arg(bin).args(args);
    p.output(cmd, p.path(), args)
}

pub struct Case {
    pub name: &'static str,
    /// The pipeline bytes, from the base text (github at the double + exec).
    pub pipeline: fn(String) -> Vec<u8>,
    pub setup: fn(&mut Project),
    pub expect: &'static [&'static str],
    /// Must not appear in stdout or stderr.
    pub reject: &'static [&'static str],
}

/// A case that only names what the output must show.
pub fn case(
    name: &'static str,
    pipeline: fn(String) -> Vec<u8>,
    setup: fn(&mut Project),
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        pipeline,
        setup,
        expect,
        reject: &[],
    }
}

/// The base pipeline of the tables: github at the double (lines 13–16, `repo: demo` on
/// line 15), and an exec platform whose publish leaves `published-marker`.
pub fn github_and_exec(d: &GithubDouble) -> String {
    quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n",
        d.api_url()
    ))
}

pub fn nothing(_: &mut Project) {}
pub fn same(s: String) -> Vec<u8> {
    s.into_bytes()
}
pub fn edit(s: String, from: &str, to: &str) -> Vec<u8> {
    assert!(s.contains(from), "base pipeline lacks {from:?}");
    s.replacen(from, to, 1).into_bytes()
}
/// Adds a line to the github section, after `repo: demo` (it becomes line 15).
pub fn gh(s: String, line: &str) -> Vec<u8> {
    edit(s, "    repo: demo\n", &format!("    repo: demo\n{line}\n"))
}

/// Runs every case against a fresh GitHub double: exit 2, every `expect` and no `reject` in
/// the output, no request at the double, nothing published by exec.
pub async fn run_cases(all: Vec<Case>, base: fn(&GithubDouble) -> String, args: &[&str]) {
    assert!(all.len() >= 40, "{} cases", all.len());
    let all = all.into_iter().map(|c| (c, args.to_vec())).collect();
    run_table(all, base).await;
}

/// As [`run_cases`], with each case's own arguments.
pub async fn run_table(all: Vec<(Case, Vec<&str>)>, base: fn(&GithubDouble) -> String) {
    let mut failures = Vec::new();
    for (c, args) in all {
        let d = GithubDouble::start("acme", "demo", CANARY).await;
        let mut p = Project::new("");
        std::fs::write(p.path().join("pipeline.yaml"), (c.pipeline)(base(&d))).unwrap();
        (c.setup)(&mut p);
        let r = tokio::task::block_in_place(|| run_limited(&p, &args));
        let mut why = Vec::new();
        if r.code != 2 {
            why.push(format!("exit code {} (want 2)", r.code));
        }
        let both = format!("{}{}", r.stdout, r.stderr);
        why.extend(
            c.expect
                .iter()
                .filter(|e| !both.contains(*e))
                .map(|e| format!("output lacks {e:?}")),
        );
        why.extend(
            c.reject
                .iter()
                .filter(|e| both.contains(*e))
                .map(|e| format!("output shows {e:?}")),
        );
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
            let tail: String = r.stderr.chars().take(2000).collect();
            failures.push(format!(
                "{}: {}\n--- stderr\n{tail}",
                c.name,
                why.join("; ")
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
