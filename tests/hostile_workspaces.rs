//! Hostile workspaces (issue 14's npm and crates workspaces, issue 10's classes): npm member
//! globs that point outside the root, symlinked member directories and package.json files,
//! members whose package.json is huge (3 GiB sparse), nested 10k deep, misnamed or
//! misversioned, `workspace:` ranges that are garbage or paths, dependency cycles, 10k
//! members in a chain (Kahn's algorithm was quadratic: over a minute), a pnpm-workspace.yaml
//! that is a billion laughs; crates members that leave the workspace through a symlink or
//! by path, and path dependencies outside it without a version. Every case exits 2 under the
//! hostile limits (1 GiB, 30 s), names the file, sends nothing to the GitHub double and
//! publishes nothing with exec.

mod support;

use std::os::unix::fs::symlink;
use support::cli::Project;

mod hostile_common;
use hostile_common::{case, github_and_exec, run_table, Case};

/// An npm workspace rooted at ws/ (so `outside/` beside it is in the temporary project but
/// outside the workspace), before exec.
fn npm(s: String) -> Vec<u8> {
    let section = "  npm:\n    mode: package_json\n    path: ws\n    workspace: true\n    registry: \"http://127.0.0.1:9/\"\n  exec:\n";
    s.replacen("  exec:\n", section, 1).into_bytes()
}

/// A crates workspace at ws/Cargo.toml, before exec.
fn crates(s: String) -> Vec<u8> {
    let section = "  crates:\n    manifest: ws/Cargo.toml\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: http://127.0.0.1:9/api\n    workspace: true\n    allow_dirty: true\n  exec:\n";
    s.replacen("  exec:\n", section, 1).into_bytes()
}

/// The workspace's package.json with `workspaces` (a JSON value).
fn root(p: &Project, workspaces: &str) {
    p.write(
        "ws/package.json",
        &format!("{{\"private\": true, \"workspaces\": {workspaces}}}"),
    );
}

fn member(p: &Project, dir: &str, json: &str) {
    p.write(&format!("ws/packages/{dir}/package.json"), json);
}

fn c(name: &'static str, setup: fn(&mut Project), expect: &'static [&'static str]) -> Case {
    case(name, npm, setup, expect)
}

const NONE: &str = "match no directory with a package.json";

fn npm_cases() -> Vec<Case> {
    [
        npm_cases_1(),
        npm_cases_2(),
        npm_cases_3(),
        npm_cases_4(),
        npm_cases_5(),
        npm_cases_6(),
        npm_cases_7(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn npm_cases_1() -> Vec<Case> {
    vec![
        c(
            "glob ../outside",
            |p| {
                root(p, r#"["../outside"]"#);
                p.write(
                    "outside/package.json",
                    r#"{"name": "x", "version": "1.0.0"}"#,
                );
            },
            &[NONE, "../outside"],
        ),
        c("glob /etc", |p| root(p, r#"["/etc"]"#), &[NONE]),
        c(
            "symlinked member dir",
            |p| {
                root(p, r#"["packages/*"]"#);
                p.write(
                    "outside/package.json",
                    r#"{"name": "x", "version": "1.0.0"}"#,
                );
                std::fs::create_dir_all(p.path().join("ws/packages")).unwrap();
                symlink(p.path().join("outside"), p.path().join("ws/packages/x")).unwrap();
            },
            &[NONE],
        ),
        c(
            "member package.json a symlink out",
            |p| {
                root(p, r#"["packages/*"]"#);
                std::fs::create_dir_all(p.path().join("ws/packages/a")).unwrap();
                p.write("outside.json", r#"{"name": "a", "version": "1.0.0"}"#);
                symlink(
                    p.path().join("outside.json"),
                    p.path().join("ws/packages/a/package.json"),
                )
                .unwrap();
            },
            &["ws/packages/a/package.json: resolves outside the project through a symlink"],
        ),
    ]
}

fn npm_cases_2() -> Vec<Case> {
    vec![
        c(
            "member name invalid",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(p, "a", r#"{"name": "Bad Name", "version": "1.0.0"}"#);
            },
            &["packages/a/package.json", "is not a valid npm package name"],
        ),
        c(
            "member name a number",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(p, "a", r#"{"name": 5, "version": "1.0.0"}"#);
            },
            &["packages/a/package.json", "is not a valid npm package name"],
        ),
        c(
            "member version garbage",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(p, "a", r#"{"name": "a", "version": "banana"}"#);
            },
            &["packages/a/package.json: version is \"banana\""],
        ),
        c(
            "member version a number",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(p, "a", r#"{"name": "a", "version": 1}"#);
            },
            &["packages/a/package.json", "version"],
        ),
    ]
}

fn npm_cases_3() -> Vec<Case> {
    vec![
        c(
            "workspace: range garbage",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(
                    p,
                    "a",
                    r#"{"name": "a", "version": "1.0.0", "dependencies": {"b": "workspace:garbage"}}"#,
                );
                member(p, "b", r#"{"name": "b", "version": "1.0.0"}"#);
            },
            &[
                "packages/a/package.json: dependencies.b is `workspace:garbage`",
                "not a version range",
            ],
        ),
        c(
            "workspace: range with a dangling operator",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(
                    p,
                    "a",
                    r#"{"name": "a", "version": "1.0.0", "dependencies": {"b": "workspace:>=1.0.0 <"}}"#,
                );
                member(p, "b", r#"{"name": "b", "version": "1.0.0"}"#);
            },
            &[
                "packages/a/package.json: dependencies.b",
                "not a version range",
            ],
        ),
        c(
            "workspace: path form",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(
                    p,
                    "a",
                    r#"{"name": "a", "version": "1.0.0", "dependencies": {"b": "workspace:../b"}}"#,
                );
                member(p, "b", r#"{"name": "b", "version": "1.0.0"}"#);
            },
            &["packages/a/package.json", "a path form cannot be rewritten"],
        ),
    ]
}

fn npm_cases_6() -> Vec<Case> {
    vec![c(
        "workspace: unknown package",
        |p| {
            root(p, r#"["packages/*"]"#);
            member(
                p,
                "a",
                r#"{"name": "a", "version": "1.0.0", "dependencies": {"zz": "workspace:*"}}"#,
            );
        },
        &["packages/a/package.json", "no package named `zz`"],
    )]
}

fn npm_cases_4() -> Vec<Case> {
    vec![
        c(
            "dependency cycle",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(
                    p,
                    "a",
                    r#"{"name": "a", "version": "1.0.0", "dependencies": {"b": "workspace:^"}}"#,
                );
                member(
                    p,
                    "b",
                    r#"{"name": "b", "version": "1.0.0", "peerDependencies": {"a": "workspace:*"}}"#,
                );
            },
            &[
                "a dependency cycle involves (or blocks) a, b",
                "packages/a/package.json",
            ],
        ),
        c(
            "member nested 10k deep",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(
                    p,
                    "a",
                    &format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)),
                );
            },
            &["packages/a/package.json", "recursion limit exceeded"],
        ),
        c(
            "member package.json of 3 GiB (sparse)",
            |p| {
                root(p, r#"["packages/*"]"#);
                member(p, "a", "");
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(p.path().join("ws/packages/a/package.json"))
                    .unwrap();
                f.set_len(3 << 30).unwrap();
            },
            &["packages/a/package.json: is larger than 8 MiB"],
        ),
        c(
            "root package.json of 3 GiB (sparse)",
            |p| {
                let f = std::fs::File::create(p.path().join("package.json")).unwrap();
                f.set_len(3 << 30).unwrap();
            },
            &["package.json: is larger than 8 MiB"],
        ),
    ]
}

fn npm_cases_5() -> Vec<Case> {
    vec![
        c(
            "workspaces not a list",
            |p| root(p, "5"),
            &["no workspace packages are listed"],
        ),
        c(
            "pnpm-workspace.yaml a billion laughs",
            |p| {
                let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
                for i in 1..12 {
                    let refs = vec![format!("*a{}", i - 1); 9].join(", ");
                    y.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
                }
                y.push_str("packages: *a11\n");
                p.write("ws/pnpm-workspace.yaml", &y);
                root(p, "[]");
            },
            &["pnpm-workspace.yaml", "limit exceeded"],
        ),
        c(
            "pnpm-workspace.yaml not YAML",
            |p| {
                p.write("ws/pnpm-workspace.yaml", "packages: [\n");
                root(p, "[]");
            },
            &["pnpm-workspace.yaml"],
        ),
    ]
}

fn npm_cases_7() -> Vec<Case> {
    vec![c(
        "10k members in a chain, and a cycle",
        |p| {
            root(p, r#"["packages/*"]"#);
            let n = 10_000;
            for i in 0..n {
                let deps = match i + 1 < n {
                    true => format!(r#"{{"m{:05}": "workspace:*"}}"#, i + 1),
                    false => "{}".into(),
                };
                member(
                    p,
                    &format!("m{i:05}"),
                    &format!(
                        r#"{{"name": "m{i:05}", "version": "1.0.0", "dependencies": {deps}}}"#
                    ),
                );
            }
            member(
                p,
                "x",
                r#"{"name": "x", "version": "1.0.0", "dependencies": {"y": "workspace:*"}}"#,
            );
            member(
                p,
                "y",
                r#"{"name": "y", "version": "1.0.0", "dependencies": {"x": "workspace:*"}}"#,
            );
        },
        &["a dependency cycle involves (or blocks) x, y"],
    )]
}

/// A cargo workspace of `members` (Cargo.toml files written by the case).
fn cargo_root(p: &Project, members: &str) {
    p.write(
        "ws/Cargo.toml",
        &format!("[workspace]\nmembers = {members}\nresolver = \"2\"\n"),
    );
}

fn krate(p: &Project, dir: &str, name: &str, deps: &str) {
    p.write(
        &format!("ws/{dir}/Cargo.toml"),
        &format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"x\"\n\n[dependencies]\n{deps}"),
    );
    p.write(&format!("ws/{dir}/src/lib.rs"), "");
}

fn k(name: &'static str, setup: fn(&mut Project), expect: &'static [&'static str]) -> Case {
    case(name, crates, setup, expect)
}

/// A crate outside the workspace (outside/ of the project), for links and paths to.
fn outside(p: &Project) -> std::path::PathBuf {
    let dir = p.path().join("outside");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"ext\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"x\"\n",
    )
    .unwrap();
    dir
}

fn crates_cases() -> Vec<Case> {
    [crates_cases_1(), crates_cases_2()]
        .into_iter()
        .flatten()
        .collect()
}

fn crates_cases_1() -> Vec<Case> {
    vec![
        k(
            "member a symlink out of the workspace",
            |p| {
                cargo_root(p, r#"["crates/a", "crates/link"]"#);
                krate(p, "crates/a", "a", "");
                symlink(outside(p), p.path().join("ws/crates/link")).unwrap();
            },
            &[
                "crates/link/Cargo.toml",
                "`ext` resolves outside the project through a symlink",
            ],
        ),
        k(
            "member outside the workspace root",
            |p| {
                let out = outside(p);
                cargo_root(p, &format!("[\"crates/a\", \"{}\"]", out.display()));
                krate(p, "crates/a", "a", "");
            },
            &["is not hierarchically below the workspace root"],
        ),
        k(
            "path dependency outside without a version",
            |p| {
                cargo_root(p, r#"["crates/a"]"#);
                let out = outside(p);
                krate(
                    p,
                    "crates/a",
                    "a",
                    &format!("ext = {{ path = \"{}\" }}\n", out.display()),
                );
            },
            &[
                "crates/a/Cargo.toml",
                "dependencies.ext",
                "not a member of the workspace and has no version",
            ],
        ),
    ]
}

fn crates_cases_2() -> Vec<Case> {
    vec![
        k(
            "members depend on each other",
            |p| {
                cargo_root(p, r#"["crates/a", "crates/b"]"#);
                krate(
                    p,
                    "crates/a",
                    "a",
                    "b = { path = \"../b\", version = \"1.0.0\" }\n",
                );
                krate(
                    p,
                    "crates/b",
                    "b",
                    "a = { path = \"../a\", version = \"1.0.0\" }\n",
                );
            },
            &["the workspace members a, b depend on each other in a cycle"],
        ),
        k(
            "a member with another version",
            |p| {
                cargo_root(p, r#"["crates/a"]"#);
                krate(p, "crates/a", "a", "");
                let t = std::fs::read_to_string(p.path().join("ws/crates/a/Cargo.toml")).unwrap();
                p.write("ws/crates/a/Cargo.toml", &t.replace("1.0.0", "9.9.9"));
            },
            &["crates/a/Cargo.toml", "package.version", "is 9.9.9"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_workspace_exits_2_names_the_file_and_sends_nothing() {
    let rows: Vec<(Case, Vec<&str>)> = [npm_cases(), crates_cases()]
        .into_iter()
        .flatten()
        .map(|c| (c, vec!["release", "v1.0.0"]))
        .collect();
    assert!(rows.len() >= 25, "{} cases", rows.len());
    run_table(rows, github_and_exec).await;
}
