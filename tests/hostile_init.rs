//! Hostile output paths for `tagship init` and hostile stdin for `tagship login` (issue 10's
//! classes on the commands added since): a `.github` or `.github/workflows` that is a symlink
//! out of the project (init wrote through it, creating directories elsewhere), `--dir` a
//! file; a token on stdin that never ends (/dev/zero was read into memory whole), carries a
//! header injection, is blank or not ASCII, or goes under a variable name no environment
//! can hold. Every case exits 2 under the hostile limits (1 GiB, 30 s), names the problem,
//! never shows the token, and sends nothing to the GitHub double.

mod support;

use std::os::unix::fs::symlink;
use support::cli::{Project, Run};

mod hostile_common;
use hostile_common::{case, github_and_exec, run_table, same, Case, MEMORY_KIB, SECONDS};

fn init_cases() -> Vec<(Case, Vec<&'static str>)> {
    let c = |name, setup: fn(&mut Project), expect| case(name, same, setup, expect);
    let init = || vec!["init", "--dir", "proj", "--force"];
    vec![
        (
            c(
                ".github a symlink out",
                |p| link(p, "proj/.github"),
                &[
                    "cannot write",
                    "proj/.github resolves outside",
                    "through a symlink",
                ],
            ),
            init(),
        ),
        (
            c(
                ".github/workflows a symlink out",
                |p| link(p, "proj/.github/workflows"),
                &["proj/.github/workflows resolves outside"],
            ),
            init(),
        ),
        (
            c(
                ".github a dangling symlink",
                |p| {
                    std::fs::create_dir_all(p.path().join("proj")).unwrap();
                    symlink(p.path().join("gone"), p.path().join("proj/.github")).unwrap();
                },
                &["cannot write", "proj/.github"],
            ),
            init(),
        ),
        (
            c("--dir a file", |_| {}, &["README.md", "Not a directory"]),
            vec!["init", "--dir", "README.md"],
        ),
    ]
}

/// `at` (inside the project dir `proj/`) a symlink to `outside/`, a directory beside `proj/`
/// in the test's own temporary directory: outside init's `--dir`, and removed with it.
fn link(p: &Project, at: &str) {
    let out = p.path().join("outside");
    std::fs::create_dir_all(&out).unwrap();
    let at = p.path().join(at);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    symlink(&out, at).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn init_refuses_output_paths_outside_the_project() {
    run_table(init_cases(), github_and_exec).await;
}

/// Nothing is written through the link: the directory it points at stays empty.
#[test]
fn init_writes_nothing_through_a_symlinked_github_dir() {
    let outside = tempfile::tempdir().unwrap();
    let p = Project::new("");
    std::fs::remove_file(p.path().join("pipeline.yaml")).unwrap();
    symlink(outside.path(), p.path().join(".github")).unwrap();
    let r = hostile_common::run_limited(&p, &["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let written: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert!(written.is_empty(), "{written:?}\n{}", r.stderr);
}

/// `tagship login ARGS < stdin` under the hostile limits.
fn login(p: &Project, stdin: &str, args: &[&str]) -> Run {
    let script =
        format!("ulimit -v {MEMORY_KIB}; exec timeout -s KILL {SECONDS} \"$0\" \"$@\" < {stdin}");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_tagship"))
        .args(args);
    p.output(cmd, p.path(), args)
}

const TOKEN: &str = "tgs-login-token-91c2e7";

/// (name, stdin: a file in the project or a device, the argument after `login github`, expect).
type LoginCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

fn login_cases() -> Vec<LoginCase> {
    let var: &'static [&'static str] = &["--var", "GITHUB_TOKEN"];
    vec![
        ("endless stdin", "/dev/zero", var, &["longer than 64 KiB"]),
        ("a 100 KiB line", "long.txt", var, &["longer than 64 KiB"]),
        (
            "header injection",
            "inject.txt",
            var,
            &["GITHUB_TOKEN", "contains a line break"],
        ),
        ("blank token", "blank.txt", var, &["GITHUB_TOKEN", "blank"]),
        (
            "non-ASCII token",
            "accent.txt",
            var,
            &["GITHUB_TOKEN", "non-ASCII"],
        ),
        ("empty stdin", "/dev/null", var, &["no token on stdin"]),
        (
            "--var with =",
            "token.txt",
            &["--var", "GITHUB_TOKEN=x"],
            &["contains `=`"],
        ),
        (
            "--var starting with a digit",
            "token.txt",
            &["--var", "1TOKEN"],
            &["starts with a digit"],
        ),
        (
            "--var with a space",
            "token.txt",
            &["--var", "MY TOKEN"],
            &["letters, digits"],
        ),
        (
            "unknown platform",
            "token.txt",
            &[],
            &["unknown platform `nope`"],
        ),
    ]
}

#[test]
fn login_refuses_hostile_stdin_and_names_without_showing_the_token() {
    let mut failures = Vec::new();
    for (name, stdin, extra, expect) in login_cases() {
        let p = Project::new(&github_and_exec_offline());
        p.write("token.txt", &format!("{TOKEN}\n"));
        p.write("long.txt", &format!("{TOKEN}{}\n", "x".repeat(100 << 10)));
        p.write("inject.txt", &format!("{TOKEN}\rX-Injected: yes\n"));
        p.write("blank.txt", "    \n");
        p.write("accent.txt", &format!("{TOKEN}é\n"));
        let platform = if name == "unknown platform" {
            "nope"
        } else {
            "github"
        };
        let mut args = vec!["login", platform];
        args.extend(extra);
        let r = login(&p, stdin, &args);
        let both = format!("{}{}", r.stdout, r.stderr);
        let mut why: Vec<String> = expect
            .iter()
            .filter(|e| !both.contains(*e))
            .map(|e| format!("output lacks {e:?}"))
            .collect();
        if r.code != 2 {
            why.push(format!("exit code {} (want 2)", r.code));
        }
        if both.contains(TOKEN) || both.contains("X-Injected") {
            why.push("the token shows".into());
        }
        if !why.is_empty() {
            failures.push(format!("{name}: {}\n{}", why.join("; "), r.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A pipeline naming github (so `login github` finds its variable) that needs no server.
fn github_and_exec_offline() -> String {
    support::cli::quick_pipeline(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"http://127.0.0.1:9/\"\n",
    )
}
