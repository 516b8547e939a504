//! Issue 14, acceptance 3: examples/npm-workspace (a pnpm workspace: four public packages,
//! one private) released by the real `tagship` binary to a real verdaccio behind the fault
//! proxy, whose log shows every request in the order it arrived:
//! 1. a dry run sends no mutation and lists the four PUTs it withheld, in dependency order;
//! 2. the release PUTs greet and color, then format (needs greet), then cli (needs format,
//!    greet, and color as an optional dependency); the private package is never sent;
//! 3. the published package.json files carry the rewritten ranges (`workspace:^` → `^1.0.0`,
//!    `workspace:*` → `1.0.0`, `workspace:~` → `~1.0.0`), while the working tree still says
//!    `workspace:`;
//! 4. `npm install @hello-ws/cli` from verdaccio into a fresh directory works, and the
//!    installed command runs through both of its workspace dependencies;
//! 5. a re-run is `already-published` with 0 mutating requests at the proxy;
//! 6. a next version where one member still says the old version is exit 2 naming that
//!    package.json, with nothing sent.
//!
//! Needs `scripts/setup.d/30-registries.sh` (verdaccio); fails naming it without it.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::cli::{platform_row, Project, Run};
use support::registries::{http, repo, require, Proxy, Server};

const EXAMPLE: &str = "examples/npm-workspace";
/// The public packages in the order tagship must publish them (ties by name).
const ORDER: [&str; 4] = [
    "@hello-ws/color",
    "@hello-ws/greet",
    "@hello-ws/format",
    "@hello-ws/cli",
];

/// Copies the example's files (not its pipeline.yaml) into the project.
fn copy_example(to: &Path) {
    let from = repo().join(EXAMPLE);
    let out = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example's pipeline.yaml pointed at `registry`.
fn pipeline(registry: &str) -> String {
    let y = std::fs::read_to_string(repo().join(EXAMPLE).join("pipeline.yaml")).unwrap();
    let npmjs = "registry: https://registry.npmjs.org/";
    assert!(y.contains(npmjs), "{y}");
    y.replace(npmjs, &format!("registry: \"{registry}\""))
}

/// The package names of the proxy's PUTs, in arrival order (`/@s%2fn` → `@s/n`).
fn puts(proxy: &Proxy) -> Vec<String> {
    let m = proxy.mutations();
    assert!(m.iter().all(|l| l.method == "PUT"), "{m:?}");
    m.iter()
        .map(|l| {
            l.path
                .trim_start_matches('/')
                .replace("%2f", "/")
                .replace("%2F", "/")
        })
        .collect()
}

fn outcome(run: &Run, p: &Project, want: &str) -> Value {
    let rep = run.report(&p.dist());
    let row = platform_row(&rep, "npm");
    assert_eq!(row["outcome"], want, "{row:#}\n--- stderr\n{}", run.stderr);
    rep
}

/// The version document verdaccio serves for `name@1.0.0`.
fn published(registry: &str, name: &str) -> Value {
    let (status, body) = http(
        "GET",
        &format!("{registry}{}/1.0.0", name.replace('/', "%2f")),
        None,
    );
    assert_eq!(status, 200, "{name}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `npm install @hello-ws/cli@1.0.0` into a fresh directory, then the installed command.
fn install_and_run(registry: &str, tmp: &Path) -> String {
    let dir = tmp.join("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(tmp.join("npmrc"), "").unwrap();
    run_ok(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("@hello-ws/cli@1.0.0")
            .arg("--registry")
            .arg(registry)
            .arg("--userconfig")
            .arg(tmp.join("npmrc"))
            .arg("--cache")
            .arg(tmp.join("npm-cache"))
            .env("npm_config_update_notifier", "false"),
    );
    run_ok(Command::new(dir.join("node_modules/.bin/hello-ws")).arg("tagship"))
}

#[test]
fn server_workspace_publishes_in_order_with_ranges_rewritten_then_reruns_clean() {
    require();
    let tmp = tempfile::tempdir().unwrap();
    let npm = Server::start("verdaccio.sh", &[], &tmp.path().join("npm"), &[], &[]);
    let proxy = Proxy::start(&npm.s("url"), &tmp.path().join("proxy"));
    let mut p = Project::new(&pipeline(&proxy.url()));
    copy_example(p.path());
    std::fs::write(p.path().join("pipeline.yaml"), pipeline(&proxy.url())).unwrap();
    p.env("NPM_TOKEN", &npm.s("token"));
    let cli_before = std::fs::read(p.path().join("packages/cli/package.json")).unwrap();
    dry_run_withholds_every_put_in_order(&p, &proxy);

    // 2. The release: four PUTs in dependency order, the private package never.
    let run = p.run(&["release", "v1.0.0"]);
    run.assert_code(0);
    outcome(&run, &p, "published");
    assert_eq!(puts(&proxy), ORDER);
    let reg = npm.s("url");
    ranges_rewritten_in_what_was_published(&p, &reg, &cli_before);

    // 4. Installed from the registry, it runs through its workspace dependencies.
    let out = install_and_run(&reg, &tmp.path().join("install"));
    assert_eq!(out.trim(), "Hello, tagship! (hello-ws 1.0.0)");
    rerun_sends_nothing(&p, &proxy);
    member_left_at_the_old_version_is_refused(&p, &proxy);
}

/// 1. Dry run: every PUT withheld and listed, in dependency order; nothing sent.
fn dry_run_withholds_every_put_in_order(p: &Project, proxy: &Proxy) {
    let run = p.run(&["release", "v1.0.0", "--dry-run"]);
    run.assert_code(0);
    let rep = outcome(&run, p, "would-publish");
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    let withheld = platform_row(&rep, "npm")["withheld"].to_string();
    let at = |n: &str| {
        withheld
            .find(&format!("/{}", n.replace('/', "%2f")))
            .unwrap_or_else(|| panic!("{n}: {withheld}"))
    };
    assert!(ORDER.windows(2).all(|w| at(w[0]) < at(w[1])), "{withheld}");
    assert!(!withheld.contains("tools"), "{withheld}");
    assert_eq!(puts(proxy), Vec::<String>::new());
}

/// 3. Ranges rewritten in what was published; the working tree untouched.
fn ranges_rewritten_in_what_was_published(p: &Project, reg: &str, cli_before: &[u8]) {
    let cli = published(reg, "@hello-ws/cli");
    assert_eq!(
        cli["dependencies"],
        json!({"@hello-ws/format": "^1.0.0", "@hello-ws/greet": "1.0.0"})
    );
    assert_eq!(
        cli["optionalDependencies"],
        json!({"@hello-ws/color": "~1.0.0"})
    );
    assert_eq!(cli["devDependencies"], json!({"@hello-ws/tools": "0.0.0"}));
    assert_eq!(
        published(reg, "@hello-ws/format")["dependencies"],
        json!({"@hello-ws/greet": "^1.0.0"})
    );
    let (status, _) = http("GET", &format!("{reg}@hello-ws%2ftools"), None);
    assert_eq!(status, 404, "the private package was published");
    assert_eq!(
        std::fs::read(p.path().join("packages/cli/package.json")).unwrap(),
        cli_before
    );
}

/// 5. Re-run: nothing to do, nothing sent.
fn rerun_sends_nothing(p: &Project, proxy: &Proxy) {
    proxy.reset();
    let run = p.run(&["release", "v1.0.0"]);
    run.assert_code(0);
    let rep = outcome(&run, p, "already-published");
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_eq!(puts(proxy), Vec::<String>::new());
    assert!(!proxy.reads().is_empty(), "the re-run asked the registry");
}

/// 6. One member left at the old version: exit 2 naming it, nothing sent anywhere.
fn member_left_at_the_old_version_is_refused(p: &Project, proxy: &Proxy) {
    for pkg in ["greet", "color", "cli"] {
        let f = p.path().join(format!("packages/{pkg}/package.json"));
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(
            &f,
            text.replace("\"version\": \"1.0.0\"", "\"version\": \"1.1.0\""),
        )
        .unwrap();
    }
    proxy.reset();
    let run = p.run(&["release", "v1.1.0"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("packages/format/package.json") && run.stderr.contains("1.1.0"),
        "{}",
        run.stderr
    );
    assert_eq!(puts(proxy), Vec::<String>::new());
}

/// Refused in the package phase (exit 2, the package.json named), before the check: the
/// registry is a closed port, so reaching the check (let alone a PUT) would end in an
/// unreachable failure (exit 1) instead.
#[test]
fn workspace_problems_in_any_member_are_exit_2_naming_the_file() {
    let cases: [(&str, &str, &str); 3] = [
        (
            "format",
            r#""dependencies": {"@hello-ws/greet": "workspace:^", "@hello-ws/nope": "workspace:*"}"#,
            "no package named `@hello-ws/nope`",
        ),
        (
            "format",
            r#""dependencies": {"@hello-ws/tools": "workspace:^"}"#,
            "`@hello-ws/tools` is private",
        ),
        (
            "greet",
            r#""peerDependencies": {"@hello-ws/cli": "workspace:*"}"#,
            "cycle involves (or blocks) @hello-ws/cli, @hello-ws/format, @hello-ws/greet",
        ),
    ];
    for (pkg, deps, want) in cases {
        let mut p = Project::new(&pipeline("http://127.0.0.1:9/"));
        copy_example(p.path());
        std::fs::write(
            p.path().join("pipeline.yaml"),
            pipeline("http://127.0.0.1:9/"),
        )
        .unwrap();
        p.env("NPM_TOKEN", "npm_workspace_test_token");
        let f = p.path().join(format!("packages/{pkg}/package.json"));
        let text = std::fs::read_to_string(&f).unwrap();
        let at = text.rfind('}').unwrap();
        let edited = match text.find("\"dependencies\"") {
            Some(start) => {
                let end = start + text[start..].find('}').unwrap() + 1;
                format!("{}{deps}{}", &text[..start], &text[end..])
            }
            None => format!("{},\n  {deps}\n}}\n", text[..at].trim_end()),
        };
        std::fs::write(&f, edited).unwrap();
        let run = p.run(&["release", "v1.0.0"]);
        run.assert_code(2);
        assert!(run.stderr.contains(want), "{want}:\n{}", run.stderr);
        assert!(run.stderr.contains("package.json"), "{}", run.stderr);
    }
}
