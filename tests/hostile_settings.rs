//! Hostile settings, found when the config loads or the credentials resolve, before anything
//! is built or sent: URL settings with another scheme than http(s) (in pipeline.yaml and in
//! `TAGSHIP__…` overrides, naming the setting), malformed `timeout` settings and `--timeout`
//! values, and an optional credential (NPM_OTP) that is set but cannot be sent. Every case
//! exits 2 under the hostile limits (1 GiB, 30 s), names the problem, sends nothing to the
//! GitHub double and publishes nothing with exec.

mod support;

mod hostile_common;
use hostile_common::{case, gh, github_and_exec, nothing, run_table, same, Case};

/// The pipeline with an npm section (pointing nowhere) next to exec.
fn npm(s: String) -> Vec<u8> {
    s.replace(
        "  exec:\n",
        "  npm:\n    registry: \"http://127.0.0.1:9/\"\n  exec:\n",
    )
    .into_bytes()
}

fn rel() -> Vec<&'static str> {
    vec!["release", "v1.0.0"]
}

fn cases() -> Vec<(Case, Vec<&'static str>)> {
    [cases_1(), cases_2(), cases_3(), cases_4()]
        .into_iter()
        .flatten()
        .collect()
}

fn cases_1() -> Vec<(Case, Vec<&'static str>)> {
    vec![
        (
            case(
                "github upload_url ftp",
                |s| gh(s, "    upload_url: \"ftp://uploads.example/\""),
                nothing,
                &[
                    "pipeline.yaml:15",
                    "platforms.github.upload_url",
                    "scheme `ftp`",
                ],
            ),
            rel(),
        ),
        (
            case(
                "pypi index_url file",
                |s| {
                    s.replace(
                        "  exec:\n",
                        "  pypi:\n    index_url: file:///srv/pypi/\n  exec:\n",
                    )
                    .into_bytes()
                },
                nothing,
                &["platforms.pypi.index_url", "scheme `file`"],
            ),
            rel(),
        ),
        (
            case(
                "pypi simple_url gopher",
                |s| {
                    s.replace(
                        "  exec:\n",
                        "  pypi:\n    simple_url: gopher://h/simple/\n  exec:\n",
                    )
                    .into_bytes()
                },
                nothing,
                &["platforms.pypi.simple_url", "scheme `gopher`"],
            ),
            rel(),
        ),
    ]
}

fn cases_2() -> Vec<(Case, Vec<&'static str>)> {
    vec![
        (
            case(
                "crates api ssh",
                |s| {
                    s.replace("  exec:\n", "  crates:\n    registry: local\n    index: sparse+http://127.0.0.1:9/index/\n    api: ssh://h/api\n  exec:\n").into_bytes()
                },
                nothing,
                &["platforms.crates.api", "scheme `ssh`"],
            ),
            rel(),
        ),
        (
            case(
                "pep503 base_url javascript",
                |s| {
                    s.replace("  exec:\n", "  pep503:\n    repo: /nonexistent.git\n    base_url: \"javascript:alert(1)\"\n  exec:\n").into_bytes()
                },
                nothing,
                &["platforms.pep503.base_url", "scheme `javascript`"],
            ),
            rel(),
        ),
        (
            case(
                "upload_url override ftp",
                same,
                |p| {
                    p.env("TAGSHIP__PLATFORMS__GITHUB__UPLOAD_URL", "ftp://u.example/");
                },
                &["TAGSHIP__PLATFORMS__GITHUB__UPLOAD_URL", "scheme `ftp`"],
            ),
            rel(),
        ),
        (
            case(
                "timeout a number",
                |s| gh(s, "    timeout: 30"),
                nothing,
                &["pipeline.yaml:15", "platforms.github.timeout"],
            ),
            rel(),
        ),
    ]
}

fn cases_3() -> Vec<(Case, Vec<&'static str>)> {
    vec![
        (
            case(
                "timeout in words",
                |s| gh(s, "    timeout: 5 minutes"),
                nothing,
                &["pipeline.yaml:15", "is not a unit"],
            ),
            rel(),
        ),
        (
            case(
                "timeout zero",
                |s| gh(s, "    timeout: 0s"),
                nothing,
                &["pipeline.yaml:15", "longer than 0"],
            ),
            rel(),
        ),
        (
            case(
                "timeout override",
                same,
                |p| {
                    p.env("TAGSHIP__PLATFORMS__GITHUB__TIMEOUT", "soon");
                },
                &["TAGSHIP__PLATFORMS__GITHUB__TIMEOUT", "not a duration"],
            ),
            rel(),
        ),
        (
            case(
                "NPM_OTP with a newline",
                npm,
                |p| {
                    p.env("NPM_OTP", "123456\n");
                },
                &["NPM_OTP", "cannot be sent"],
            ),
            rel(),
        ),
    ]
}

fn cases_4() -> Vec<(Case, Vec<&'static str>)> {
    vec![
        (
            case(
                "NPM_OTP with header injection",
                npm,
                |p| {
                    p.env("NPM_OTP", "1\r\nX-Injected: yes");
                },
                &["NPM_OTP", "cannot be sent"],
            ),
            rel(),
        ),
        (
            case(
                "renamed otp_env, non-ASCII",
                |s| {
                    s.replace("  exec:\n", "  npm:\n    registry: \"http://127.0.0.1:9/\"\n    otp_env: MY_OTP\n  exec:\n").into_bytes()
                },
                |p| {
                    p.env("MY_OTP", "12\u{e9}456");
                },
                &["MY_OTP", "cannot be sent"],
            ),
            rel(),
        ),
        (
            case(
                "--timeout zero",
                same,
                nothing,
                &["--timeout", "longer than 0"],
            ),
            vec!["release", "v1.0.0", "--timeout", "0s"],
        ),
        (
            case(
                "--timeout without a unit",
                same,
                nothing,
                &["--timeout", "unit is missing"],
            ),
            vec!["release", "v1.0.0", "--timeout", "30"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_setting_exits_2_names_it_and_sends_nothing() {
    let all = cases();
    assert!(all.len() >= 14, "{} cases", all.len());
    run_table(all, github_and_exec).await;
}
