//! Hostile config, credential and project-file inputs: every case must exit 2 under a 1 GiB
//! address-space limit and a 30 s timeout, name the problem (file:line where there is one),
//! send nothing to the GitHub double and publish nothing with exec. Secrets in URLs and
//! credentials must not print (the canary scan plus each case's `reject` strings).

mod support;

use support::cli::quick_pipeline;
use support::github_double::GithubDouble;

mod hostile_common;
use hostile_common::{edit, gh, nothing, run_cases, same, Case};

fn base(d: &GithubDouble) -> String {
    quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n",
        d.api_url()
    ))
}

/// `levels` of aliases, each a list of ten of the previous: 10^levels values.
fn laughs(levels: usize, flow: bool) -> String {
    let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=levels {
        let p = format!("*a{}", i - 1);
        let items = [p.as_str(); 10].join(", ");
        match flow {
            true => s += &format!("a{i}: &a{i} [{items}]\n"),
            false => s += &format!("a{i}: &a{i}\n{}", format!("  - {p}\n").repeat(10)),
        }
    }
    s
}

/// `n` lines `  k<i>: <i>`.
fn keys(n: usize) -> String {
    let mut s = String::with_capacity(n * 16);
    for i in 0..n {
        s += &format!("  k{i}: {i}\n");
    }
    s
}

fn cases() -> Vec<Case> {
    vec![
        // --- the config loader: limits, BOM, tabs, encodings ---
        Case {
            name: "billion laughs (block)",
            pipeline: |s| (laughs(9, false) + &s).into_bytes(),
            setup: nothing,
            expect: &["pipeline.yaml", "aliases expand to more than 10000 values"],
            reject: &[],
        },
        Case {
            name: "billion laughs (flow)",
            pipeline: |s| (laughs(12, true) + &s).into_bytes(),
            setup: nothing,
            expect: &["pipeline.yaml", "limit for `*alias` expansion"],
            reject: &[],
        },
        Case {
            name: "alias of a mapping, doubled 30 times",
            pipeline: |s| {
                let mut y = String::from("x0: &x0 {a: 1, b: 2}\n");
                for i in 1..30 {
                    y += &format!("x{i}: &x{i} {{l: *x{}, r: *x{}}}\n", i - 1, i - 1);
                }
                (y + &s).into_bytes()
            },
            setup: nothing,
            expect: &["pipeline.yaml:", "alias"],
            reject: &[],
        },
        Case {
            name: "block nesting 20000 deep",
            pipeline: |s| (s + "deep:\n  " + &"- ".repeat(20_000) + "x\n").into_bytes(),
            setup: nothing,
            expect: &["pipeline.yaml:", "nested deeper than 64 levels"],
            reject: &[],
        },
        Case {
            name: "document over the size limit",
            pipeline: |s| (s + "# " + &"x".repeat(17 << 20) + "\n").into_bytes(),
            setup: nothing,
            expect: &["pipeline.yaml", "larger than the limit of 16 MiB"],
            reject: &[],
        },
        Case {
            name: "250k keys with a duplicate",
            pipeline: |_| {
                format!("project:\n  name: demo\n{}  k7: again\n", keys(250_000)).into_bytes()
            },
            setup: nothing,
            expect: &[
                "pipeline.yaml:250003:",
                "duplicate key `k7`",
                "first set on line 10",
            ],
            reject: &[],
        },
        Case {
            name: "100k unknown keys",
            pipeline: |s| {
                edit(
                    s,
                    "  license: MIT\n",
                    &format!("  license: MIT\n{}", keys(100_000)),
                )
            },
            setup: nothing,
            expect: &[
                "pipeline.yaml:5:3: unknown key `k0` in `project`",
                "more problem(s) not shown",
            ],
            reject: &[],
        },
        Case {
            name: "UTF-8 BOM, otherwise a bad target",
            pipeline: |s| {
                let mut b = b"\xef\xbb\xbf".to_vec();
                b.extend(edit(s, "[linux-amd64]", "[plan9-mips]"));
                b
            },
            setup: nothing,
            expect: &["pipeline.yaml:8:", "plan9-mips"],
            reject: &["unknown key", "\u{feff}"],
        },
        Case {
            name: "tab indenting a key",
            pipeline: |s| edit(s, "  license: MIT", "\tlicense: MIT"),
            setup: nothing,
            expect: &["pipeline.yaml:4:1:", "tab"],
            reject: &["pipeline.yaml:3:"],
        },
        Case {
            name: "tab after spaces in a platform section",
            pipeline: |s| edit(s, "    repo: demo", "  \trepo: demo"),
            setup: nothing,
            expect: &["pipeline.yaml:14:3:", "tab"],
            reject: &["pipeline.yaml:13:"],
        },
        Case {
            name: "Latin-1 byte in a value",
            pipeline: |s| {
                let mut b = s.into_bytes();
                let i = b.windows(4).position(|w| w == b"demo").unwrap() + 1;
                b[i] = 0xe9;
                b
            },
            setup: nothing,
            expect: &["pipeline.yaml:2:10:", "not valid UTF-8 (byte 0xE9)"],
            reject: &[],
        },
        Case {
            name: "invalid byte on a later line",
            pipeline: |s| {
                edit(s, "A demo tool", "A demo \u{1}tool")
                    .into_iter()
                    .map(|b| if b == 1 { 0xff } else { b })
                    .collect()
            },
            setup: nothing,
            expect: &["pipeline.yaml:3:23:", "byte 0xFF"],
            reject: &[],
        },
        // --- credential variable names and URL schemes, at config time ---
        Case {
            name: "token_env empty",
            pipeline: |s| gh(s, "    token_env: \"\""),
            setup: nothing,
            expect: &[
                "pipeline.yaml:15:",
                "platforms.github.token_env",
                "is empty",
            ],
            reject: &["missing credential"],
        },
        Case {
            name: "token_env with =value",
            pipeline: |s| gh(s, "    token_env: \"GITHUB_TOKEN=x\""),
            setup: nothing,
            expect: &["pipeline.yaml:15:", "token_env", "contains `=`"],
            reject: &["missing credential"],
        },
        Case {
            name: "token_env with a NUL",
            pipeline: |s| gh(s, "    token_env: \"GITHUB\\0TOKEN\""),
            setup: nothing,
            expect: &["pipeline.yaml:15:", "token_env", "NUL"],
            reject: &["missing credential"],
        },
        Case {
            name: "token_env with a space",
            pipeline: |s| gh(s, "    token_env: GITHUB TOKEN"),
            setup: nothing,
            expect: &["pipeline.yaml:15:", "token_env", "letters, digits"],
            reject: &[],
        },
        Case {
            name: "api_url ftp",
            pipeline: |s| edit(s, "api_url: \"http://", "api_url: \"ftp://"),
            setup: nothing,
            expect: &[
                "pipeline.yaml:15:",
                "platforms.github.api_url",
                "scheme `ftp`",
            ],
            reject: &[],
        },
        Case {
            name: "api_url file",
            pipeline: |s| gh(s, "    upload_url: file:///etc/passwd"),
            setup: nothing,
            expect: &[
                "pipeline.yaml:15:",
                "platforms.github.upload_url",
                "scheme `file`",
            ],
            reject: &[],
        },
        Case {
            name: "api_url override gopher",
            pipeline: same,
            setup: |p| {
                p.env(
                    "TAGSHIP__PLATFORMS__GITHUB__API_URL",
                    "gopher://127.0.0.1:1/",
                );
            },
            expect: &[
                "$TAGSHIP__PLATFORMS__GITHUB__API_URL",
                "platforms.github.api_url",
                "scheme `gopher`",
            ],
            reject: &[],
        },
        Case {
            name: "npm registry ftp",
            pipeline: |s| {
                s.replace(
                    "  exec:\n",
                    "  npm:\n    registry: ftp://registry.example/\n  exec:\n",
                )
                .into_bytes()
            },
            setup: nothing,
            expect: &[
                "pipeline.yaml:17:",
                "platforms.npm.registry",
                "scheme `ftp`",
            ],
            reject: &[],
        },
        Case {
            name: "pypi repository_url file",
            pipeline: |s| {
                s.replace(
                    "  exec:\n",
                    "  pypi:\n    repository_url: file:///tmp/up\n  exec:\n",
                )
                .into_bytes()
            },
            setup: nothing,
            expect: &[
                "pipeline.yaml:17:",
                "platforms.pypi.repository_url",
                "scheme `file`",
            ],
            reject: &[],
        },
        Case {
            name: "crates index ssh",
            pipeline: |s| {
                s.replace(
                    "  exec:\n",
                    "  crates:\n    index: sparse+ssh://h/index/\n  exec:\n",
                )
                .into_bytes()
            },
            setup: nothing,
            expect: &[
                "pipeline.yaml:17:",
                "platforms.crates.index",
                "scheme `ssh`",
            ],
            reject: &[],
        },
        // --- a password inside a configured URL never prints ---
        Case {
            name: "URL password, bad port",
            pipeline: |s| {
                gh(
                    s,
                    "    upload_url: \"http://bob:url-pw-7f3a9c2e@127.0.0.1:99999/\"",
                )
            },
            setup: nothing,
            expect: &["pipeline.yaml:15:", "upload_url", "invalid port"],
            reject: &["url-pw-7f3a9c2e", "dXJsLXB3LTdmM2E5YzJl"],
        },
        Case {
            name: "URL password via override, bad port",
            pipeline: same,
            setup: |p| {
                p.env(
                    "TAGSHIP__PLATFORMS__GITHUB__API_URL",
                    "http://bob:env-pw-1b2c3d4e@127.0.0.1:99999/",
                );
            },
            expect: &["$TAGSHIP__PLATFORMS__GITHUB__API_URL", "invalid port"],
            reject: &["env-pw-1b2c3d4e"],
        },
        Case {
            name: "URL password in a crates index",
            pipeline: |s| {
                s.replace(
                    "  exec:\n",
                    "  crates:\n    index: \"sparse+https://u:ix-pw-55aa66bb@h:70000/\"\n  exec:\n",
                )
                .into_bytes()
            },
            setup: nothing,
            expect: &["pipeline.yaml:17:", "platforms.crates.index"],
            reject: &["ix-pw-55aa66bb"],
        },
        // --- credentials that cannot be sent as a header value ---
        Case {
            name: "header injection in a token",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", "tok-inj-8d7e\r\nX-Injected: yes");
            },
            expect: &["GITHUB_TOKEN", "line break"],
            reject: &["tok-inj-8d7e", "failed to parse header value"],
        },
        Case {
            name: "token with a trailing newline",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", "tok-nl-5e6f7a8b\n");
            },
            expect: &["GITHUB_TOKEN", "ends with a line break"],
            reject: &["tok-nl-5e6f7a8b"],
        },
        Case {
            name: "blank token",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", "    ");
            },
            expect: &["missing credential GITHUB_TOKEN", "blank"],
            reject: &[],
        },
        Case {
            name: "non-ASCII token",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", "tøk-ascii-part-9c8b");
            },
            expect: &["GITHUB_TOKEN", "non-ASCII"],
            reject: &["ascii-part-9c8b", "t\u{f8}k"],
        },
        Case {
            name: "token with a tab",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", "tok-tab\t4a5b6c7d");
            },
            expect: &["GITHUB_TOKEN", "control character"],
            reject: &["4a5b6c7d"],
        },
        Case {
            name: "token with a leading space",
            pipeline: same,
            setup: |p| {
                p.env("GITHUB_TOKEN", " tok-lead-3c4d5e6f");
            },
            expect: &["GITHUB_TOKEN", "whitespace"],
            reject: &["tok-lead-3c4d5e6f"],
        },
        Case {
            name: "exec credential with a CR",
            pipeline: |s| {
                s.replace(
                    "publish: [touch, published-marker]\n",
                    "publish: [touch, published-marker]\n    credentials: [EXEC_REGISTRY_TOKEN]\n",
                )
                .into_bytes()
            },
            setup: |p| {
                p.env("EXEC_REGISTRY_TOKEN", "tok-exec-2e3f\rmore");
            },
            expect: &["EXEC_REGISTRY_TOKEN", "line break"],
            reject: &["tok-exec-2e3f"],
        },
        // --- project files that claim a version ---
        Case {
            name: "Cargo.toml malformed",
            pipeline: same,
            setup: |p| {
                p.write(
                    "Cargo.toml",
                    "[package]\nname = \"demo\"\nversion = \"1.0.0\n",
                )
            },
            expect: &["Cargo.toml:3", "not valid TOML"],
            reject: &[],
        },
        Case {
            name: "Cargo.toml version a number",
            pipeline: same,
            setup: |p| p.write("Cargo.toml", "[package]\nname = \"demo\"\nversion = 1\n"),
            expect: &["Cargo.toml:3", "package.version", "string"],
            reject: &[],
        },
        Case {
            name: "Cargo.toml is a directory",
            pipeline: same,
            setup: |p| p.write("Cargo.toml/x", ""),
            expect: &["Cargo.toml", "cannot be read"],
            reject: &[],
        },
        Case {
            name: "workspace version differs",
            pipeline: same,
            setup: |p| {
                p.write("Cargo.toml", "[workspace.package]\nversion = \"0.7.0\"\n\n[package]\nname = \"demo\"\nversion.workspace = true\n");
            },
            expect: &["Cargo.toml:2", "0.7.0"],
            reject: &[],
        },
        Case {
            name: "package.json version a number",
            pipeline: same,
            setup: |p| {
                p.write(
                    "package.json",
                    "{\n  \"name\": \"demo\",\n  \"version\": 1\n}\n",
                )
            },
            expect: &["package.json:3", "must be a string"],
            reject: &[],
        },
        Case {
            name: "package.json malformed",
            pipeline: same,
            setup: |p| {
                p.write(
                    "package.json",
                    "{\"name\": \"demo\",\n \"version\": \"1.0.0\"\n",
                )
            },
            expect: &["package.json:", "not valid JSON"],
            reject: &[],
        },
        Case {
            name: "pyproject.toml malformed",
            pipeline: same,
            setup: |p| p.write("pyproject.toml", "[project]\nname = \"demo\"\nversion = \n"),
            expect: &["pyproject.toml:3", "not valid TOML"],
            reject: &[],
        },
        Case {
            name: "poetry version differs",
            pipeline: same,
            setup: |p| {
                p.write(
                    "pyproject.toml",
                    "[tool.poetry]\nname = \"demo\"\nversion = \"0.4.0\"\n",
                )
            },
            expect: &["pyproject.toml:3", "0.4.0"],
            reject: &[],
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_input_exits_2_names_the_problem_and_sends_nothing() {
    run_cases(cases(), base, &["release", "v1.0.0"]).await;
}
