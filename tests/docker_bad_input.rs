//! The docker platform's refusals through the real binary: exit 2, the problem named, and
//! nothing sent (the registry URL is a closed loopback port, so any request would show as
//! unreachable instead of a refusal).

mod support;

use support::cli::{quick_pipeline, Project};

fn project(section: &str, creds: bool) -> Project {
    let mut p = Project::new(&quick_pipeline(section));
    p.write("README.md", "# demo\n");
    if creds {
        p.env("DOCKER_USERNAME", "u");
        p.env("DOCKER_PASSWORD", "pw-not-a-secret");
    } else {
        p.unset("DOCKER_USERNAME").unset("DOCKER_PASSWORD");
    }
    p
}

fn section(extra: &str, image: &str) -> String {
    format!("  docker:\n    image: \"{image}\"\n    registry_url: \"http://127.0.0.1:9\"\n{extra}")
}

fn refused(p: &Project, args: &[&str], needle: &str) {
    let run = p.run(args);
    run.assert_code(2);
    assert!(
        run.stderr.contains(needle),
        "expected `{needle}` in:\n{}",
        run.stderr
    );
}

#[test]
fn uppercase_image_is_refused() {
    let p = project(&section("", "127.0.0.1:9/Acme/demo"), true);
    refused(&p, &["release", "v1.0.0"], "uppercase");
}

#[test]
fn image_with_a_tag_is_refused() {
    let p = project(&section("", "127.0.0.1:9/acme/demo:latest"), true);
    refused(&p, &["release", "v1.0.0"], "must not carry a tag");
}

#[test]
fn a_base_image_not_pinned_by_digest_is_refused() {
    let p = project(
        &section("    base: alpine:3.20\n", "127.0.0.1:9/acme/demo"),
        true,
    );
    refused(&p, &["release", "v1.0.0"], "is not pinned by digest");
}

#[test]
fn an_extra_file_outside_the_project_is_refused() {
    // A symlink inside the project that leads out of it.
    let files = "    files:\n      - {src: link.txt, dst: /etc/x}\n";
    let p = project(&section(files, "127.0.0.1:9/acme/demo"), true);
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("secret.txt"), "x").unwrap();
    std::os::unix::fs::symlink(other.path().join("secret.txt"), p.path().join("link.txt")).unwrap();
    refused(
        &p,
        &["release", "v1.0.0"],
        "resolves outside the project directory",
    );
}

#[test]
fn an_extra_file_with_a_relative_destination_is_refused() {
    let files = "    files:\n      - {src: README.md, dst: etc/x}\n";
    let p = project(&section(files, "127.0.0.1:9/acme/demo"), true);
    refused(&p, &["release", "v1.0.0"], "must be an absolute file path");
}

#[test]
fn missing_credentials_are_refused_in_a_real_run() {
    let p = project(&section("", "127.0.0.1:9/acme/demo"), false);
    refused(&p, &["release", "v1.0.0"], "DOCKER_USERNAME");
}

#[test]
fn build_metadata_becomes_an_underscore_in_the_tag() {
    let p = project(&section("", "127.0.0.1:9/acme/demo"), true);
    let run = p.run(&["release", "v1.0.0+build.5", "--dry-run"]);
    let index = std::fs::read_to_string(p.dist().join("docker/index.json"))
        .unwrap_or_else(|e| panic!("{e}\n{}", run.stderr));
    assert!(
        index.contains("\"org.opencontainers.image.ref.name\":\"1.0.0_build.5\""),
        "{index}"
    );
}
