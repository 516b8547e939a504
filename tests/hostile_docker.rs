//! Hostile `platforms.docker` settings (issue 10's classes on the docker surface): image and
//! base references that are no reference (a tag, a digest, a template, uppercase, a host
//! with a space, an unpinned or malformed base), sizes that overflow (`chunk_above` of
//! u64::MAX GiB panicked), `files` whose `dst` leaves the image root or whose `src` leaves
//! the project, and env/labels/user/entrypoint with control characters or NULs. Also the
//! waits of every platform (`*_secs`, `*_ms`, `timeout`) at 0, negative, huge (past
//! `Instant`'s range) and garbage. Every case exits 2 under the hostile limits (1 GiB, 30 s),
//! names the setting with its file:line, sends nothing to the GitHub double and publishes
//! nothing with exec.

mod support;

use std::os::unix::fs::symlink;
use support::cli::{Project, CANARY};

mod hostile_common;
use hostile_common::{github_and_exec, run_table, Case};

/// The base with a docker section before exec: `docker:` on line 16, `image` 17,
/// `registry_url` 18, and `extra` from line 19.
fn docker(s: String, image: &str, extra: &str) -> Vec<u8> {
    let section = format!(
        "  docker:\n    image: \"{image}\"\n    registry_url: \"http://127.0.0.1:9\"\n{extra}  exec:\n"
    );
    assert!(s.contains("  exec:\n"));
    s.replacen("  exec:\n", &section, 1).into_bytes()
}

/// The default image with `extra` lines.
fn with(s: String, extra: &str) -> Vec<u8> {
    docker(s, "127.0.0.1:9/acme/demo", extra)
}

/// Another platform's section before exec (on line 16, its first setting on line 17).
fn section(s: String, text: &str) -> Vec<u8> {
    s.replacen("  exec:\n", &format!("{text}  exec:\n"), 1)
        .into_bytes()
}

fn c(name: &'static str, pipeline: fn(String) -> Vec<u8>, expect: &'static [&'static str]) -> Case {
    hostile_common::case(name, pipeline, hostile_common::nothing, expect)
}

const SIXTY_FOUR: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn references() -> Vec<Case> {
    [references_1(), references_2()]
        .into_iter()
        .flatten()
        .collect()
}

fn references_1() -> Vec<Case> {
    vec![
        c(
            "image with a tag",
            |s| docker(s, "acme/demo:latest", ""),
            &[
                "pipeline.yaml:17:",
                "platforms.docker.image",
                "must not carry a tag",
            ],
        ),
        c(
            "image with a digest",
            |s| docker(s, "acme/demo@sha256:00", ""),
            &["pipeline.yaml:17:", "must not carry a digest"],
        ),
        c(
            "image uppercase",
            |s| docker(s, "127.0.0.1:9/Acme/demo", ""),
            &["pipeline.yaml:17:", "uppercase"],
        ),
        c(
            "image template",
            |s| docker(s, "127.0.0.1:9/acme/{{ version }}", ""),
            &["pipeline.yaml:17:", "not a valid repository name"],
        ),
        c(
            "image empty path",
            |s| docker(s, "127.0.0.1:9/", ""),
            &["pipeline.yaml:17:", "not a valid repository name"],
        ),
        c(
            "image newline",
            |s| docker(s, "acme/de\\nmo", ""),
            &["pipeline.yaml:17:", "platforms.docker.image"],
        ),
    ]
}

fn references_2() -> Vec<Case> {
    vec![
        c(
            "image host with a space",
            |s| {
                let y = "  docker:\n    image: \"evil host.example/acme/demo\"\n";
                section(s, y)
            },
            &[
                "pipeline.yaml:17:",
                "platforms.docker.registry_url",
                "evil host.example",
            ],
        ),
        c(
            "base unpinned",
            |s| with(s, "    base: alpine:latest\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.base",
                "not pinned by digest",
            ],
        ),
        c(
            "base short digest",
            |s| with(s, "    base: \"alpine@sha256:abc\"\n"),
            &["pipeline.yaml:19:", "not pinned by digest"],
        ),
        c(
            "base with a space in its name",
            |s| {
                with(
                    s,
                    &format!("    base: \"evil host/x@sha256:{SIXTY_FOUR}\"\n"),
                )
            },
            &[
                "pipeline.yaml:19:",
                "platforms.docker.base",
                "not a valid repository name",
            ],
        ),
        c(
            "floating tag template",
            |s| with(s, "    floating_tags: ['{{ .Env.TOKEN }}']\n"),
            &["pipeline.yaml:19:", "floating_tags[0]"],
        ),
    ]
}

fn sizes_and_files() -> Vec<Case> {
    [sizes_and_files_1(), sizes_and_files_2()]
        .into_iter()
        .flatten()
        .collect()
}

fn sizes_and_files_1() -> Vec<Case> {
    vec![
        c(
            "chunk_above overflows u64",
            |s| with(s, "    chunk_above: 18446744073709551615GiB\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.chunk_above",
                "is not a size",
            ],
        ),
        c(
            "chunk_size 0",
            |s| with(s, "    chunk_size: \"0\"\n"),
            &["pipeline.yaml:", "chunk_size", "more than 0"],
        ),
        c(
            "chunk_size garbage",
            |s| with(s, "    chunk_size: lots\n"),
            &["pipeline.yaml:19:", "chunk_size", "is not a size"],
        ),
        c(
            "files dst relative",
            |s| with(s, "    files: [{src: README.md, dst: etc/x}]\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.files",
                "must be an absolute file path",
            ],
        ),
    ]
}

fn sizes_and_files_2() -> Vec<Case> {
    vec![
        c(
            "files dst with ..",
            |s| with(s, "    files: [{src: README.md, dst: /etc/../../x}]\n"),
            &["pipeline.yaml:19:", "without `.` or `..`"],
        ),
        c(
            "files mode garbage",
            |s| {
                with(
                    s,
                    "    files: [{src: README.md, dst: /x, mode: \"0999\"}]\n",
                )
            },
            &["pipeline.yaml:19:", "not an octal mode"],
        ),
        c(
            "files src ../",
            |s| with(s, "    files: [{src: ../../etc/passwd, dst: /x}]\n"),
            &[
                "platforms.docker.files: src `../../etc/passwd`",
                "outside the project",
            ],
        ),
        c(
            "files src absolute",
            |s| with(s, "    files: [{src: /etc/passwd, dst: /x}]\n"),
            &[
                "platforms.docker.files: src `/etc/passwd`",
                "outside the project",
            ],
        ),
        Case {
            name: "files src a symlink out",
            pipeline: |s| with(s, "    files: [{src: pw, dst: /x}]\n"),
            setup: |p: &mut Project| symlink("/etc/passwd", p.path().join("pw")).unwrap(),
            expect: &["platforms.docker.files: src `pw`", "outside the project"],
            reject: &[],
        },
    ]
}

fn config_strings() -> Vec<Case> {
    vec![
        c(
            "env name with a newline",
            |s| with(s, "    env: {\"A\\nB\": x}\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.env",
                "A\\nB",
                "not a variable name",
            ],
        ),
        c(
            "env name with =",
            |s| with(s, "    env: {\"A=B\": x}\n"),
            &["pipeline.yaml:19:", "not a variable name"],
        ),
        c(
            "env name empty",
            |s| with(s, "    env: {\"\": x}\n"),
            &["pipeline.yaml:19:", "not a variable name"],
        ),
        c(
            "env value with a NUL",
            |s| with(s, "    env: {A: \"x\\0y\"}\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.env",
                "value holding a NUL",
            ],
        ),
        c(
            "label key with a bell",
            |s| with(s, "    labels: {\"a\\ab\": x}\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.labels",
                "not a label key",
            ],
        ),
        c(
            "label value with a NUL",
            |s| with(s, "    labels: {a: \"x\\0y\"}\n"),
            &["pipeline.yaml:19:", "value holding a NUL"],
        ),
        c(
            "user with a newline",
            |s| with(s, "    user: \"0\\n0\"\n"),
            &["pipeline.yaml:19:", "platforms.docker.user"],
        ),
        c(
            "entrypoint with a NUL",
            |s| with(s, "    entrypoint: [\"/bin/a\\0b\"]\n"),
            &["pipeline.yaml:19:", "platforms.docker.entrypoint", "NUL"],
        ),
    ]
}

/// Waits: a week at most (`Instant + Duration` panics near u64::MAX), polls not in a loop.
fn waits() -> Vec<Case> {
    [waits_1(), waits_2(), waits_3()]
        .into_iter()
        .flatten()
        .collect()
}

fn waits_1() -> Vec<Case> {
    vec![
        c(
            "docker verify_timeout_secs i64::MAX",
            |s| with(s, "    verify_timeout_secs: 9223372036854775807\n"),
            &[
                "pipeline.yaml:19:",
                "verify_timeout_secs",
                "must be at most 604800",
            ],
        ),
        c(
            "docker verify_timeout_secs -1",
            |s| with(s, "    verify_timeout_secs: -1\n"),
            &["pipeline.yaml:19:", "verify_timeout_secs", "at least 0"],
        ),
        c(
            "docker verify_timeout_secs garbage",
            |s| with(s, "    verify_timeout_secs: soon\n"),
            &["pipeline.yaml:19:", "verify_timeout_secs"],
        ),
        c(
            "docker timeout 0s",
            |s| with(s, "    timeout: 0s\n"),
            &[
                "pipeline.yaml:19:",
                "platforms.docker.timeout",
                "longer than 0",
            ],
        ),
        c(
            "docker timeout huge",
            |s| with(s, "    timeout: 99999999999999999999h\n"),
            &["pipeline.yaml:19:", "longer than a week"],
        ),
    ]
}

fn waits_2() -> Vec<Case> {
    vec![
        c(
            "docker timeout garbage",
            |s| with(s, "    timeout: \"30s; rm -rf /\"\n"),
            &["pipeline.yaml:19:", "not a duration"],
        ),
        c(
            "crates pace every_secs i64::MAX",
            |s| {
                section(s, "  crates:\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: http://127.0.0.1:9/api\n    pace: {new_versions: {burst: 1, every_secs: 9223372036854775807}}\n")
            },
            &[
                "pipeline.yaml:20:",
                "pace.new_versions.every_secs",
                "must be at most 604800",
            ],
        ),
        c(
            "crates pace burst negative",
            |s| {
                section(s, "  crates:\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: http://127.0.0.1:9/api\n    pace: {new_crates: {burst: -1, every_secs: 1}}\n")
            },
            &["pipeline.yaml:20:", "pace.new_crates.burst"],
        ),
        c(
            "crates index_wait_secs i64::MAX",
            |s| {
                section(s, "  crates:\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: http://127.0.0.1:9/api\n    index_wait_secs: 9223372036854775807\n")
            },
            &[
                "pipeline.yaml:20:",
                "index_wait_secs",
                "must be at most 604800",
            ],
        ),
        c(
            "crates index_poll_ms 0 (a request loop)",
            |s| {
                section(s, "  crates:\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: http://127.0.0.1:9/api\n    index_poll_ms: 0\n")
            },
            &["pipeline.yaml:20:", "index_poll_ms", "must be at least 10"],
        ),
    ]
}

fn waits_3() -> Vec<Case> {
    vec![
        c(
            "npm publish_interval_ms negative",
            |s| {
                section(
                    s,
                    "  npm:\n    registry: \"http://127.0.0.1:9/\"\n    publish_interval_ms: -5\n",
                )
            },
            &["pipeline.yaml:18:", "publish_interval_ms", "at least 0"],
        ),
        c(
            "npm publish_interval_ms i64::MAX",
            |s| {
                section(s, "  npm:\n    registry: \"http://127.0.0.1:9/\"\n    publish_interval_ms: 9223372036854775807\n")
            },
            &[
                "pipeline.yaml:18:",
                "publish_interval_ms",
                "must be at most 604800000",
            ],
        ),
        c(
            "npm stage not a boolean",
            |s| {
                section(
                    s,
                    "  npm:\n    registry: \"http://127.0.0.1:9/\"\n    stage: sometimes\n",
                )
            },
            &["pipeline.yaml:18:", "platforms.npm.stage"],
        ),
        c(
            "pypi verify_timeout_secs i64::MAX",
            |s| {
                section(s, "  pypi:\n    index_url: \"http://127.0.0.1:9/\"\n    verify_timeout_secs: 9223372036854775807\n")
            },
            &[
                "pipeline.yaml:18:",
                "verify_timeout_secs",
                "must be at most 604800",
            ],
        ),
        c(
            "github timeout negative",
            |s| hostile_common::gh(s, "    timeout: -5s"),
            &["pipeline.yaml:15:", "platforms.github.timeout"],
        ),
    ]
}

/// An adapter's own check prints the value it refuses: a password in it (any `://` value's
/// userinfo is registered before a problem prints) must show as `****` there too. The canary
/// scan of every run (stdout, stderr, dist/, the step summary) fails the case otherwise.
fn secrets() -> Vec<Case> {
    let c = |name, pipeline, expect| Case {
        name,
        pipeline,
        setup: hostile_common::nothing,
        expect,
        reject: &[CANARY],
    };
    vec![
        c(
            "docker image a URL with a password",
            |s| docker(s, &format!("http://u:{CANARY}@reg.example/acme"), ""),
            &["pipeline.yaml:17:", "platforms.docker.image", "****"],
        ),
        c(
            "github owner a URL with a password",
            |s| {
                let owner = format!("    owner: \"http://u:{CANARY}@h.example/x\"\n");
                hostile_common::edit(s, "    owner: acme\n", &owner)
            },
            &["pipeline.yaml:13:", "platforms.github.owner", "****"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_docker_setting_and_wait_exits_2_names_it_and_sends_nothing() {
    let all: Vec<Case> = [
        references(),
        sizes_and_files(),
        config_strings(),
        waits(),
        secrets(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(all.len() >= 40, "{} cases", all.len());
    let rows = all
        .into_iter()
        .map(|c| (c, vec!["release", "v1.0.0"]))
        .collect();
    run_table(rows, github_and_exec).await;
}
