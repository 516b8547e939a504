//! Issue 13, acceptance 4: a split build. The five targets of examples/hello-go, each built
//! by its own `tagship build --target` process into its own directory, merged with
//! `tagship publish --merge` and published to the local registries (verdaccio, pypiserver,
//! the crates registry and a PEP 503 index; tests/registries_common), give the same report
//! and the same served bytes as one `tagship release` of the same tag to fresh registries;
//! and a tampered part, a missing target, a part of another version, commit or pipeline,
//! or a target twice, is exit 2 naming the part and the file, with 0 mutating requests at
//! any server (fault proxies' logs, the crates request log, the index's commits).
//! Needs `scripts/setup.d/30-registries.sh` and Go; fails naming them when missing.

#[path = "registries_common/mod.rs"]
mod common;
#[path = "split_support/mod.rs"]
mod split;
mod support;

use common::*;
use split::*;
use std::path::PathBuf;

#[test]
fn server_merged_parts_publish_the_same_report_and_bytes_as_one_release() {
    let whole = Registries::start();
    let p = project(&whole, &TARGETS);
    let run = p.run(&["release", TAG]);
    run.assert_code(0);
    let one = assert_outcomes(&run, &p, &ALL, "published");
    let one_files = published(&whole);
    drop(whole);

    let r = Registries::start();
    let q = project(&r, &TARGETS);
    let parts = build_parts(&q, TAG, "parts");
    let run = merge(&q, &parts, &[]);
    run.assert_code(0);
    let merged = assert_outcomes(&run, &q, &ALL, "published");
    assert_eq!(merged["operation"], "release", "{merged:#}");
    assert_eq!(merged["build"]["state"], "ran", "{merged:#}");
    assert_eq!(merged["artifacts"], one["artifacts"], "same build outputs");
    assert_eq!(outcomes(&merged), outcomes(&one));
    let files = published(&r);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        one_files.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &files {
        assert!(
            bytes == &one_files[name],
            "{name} differs from the one-machine release"
        );
    }

    // The merged dist/ is what `publish` republishes from: a re-run changes nothing.
    let since = mark(&r);
    q.run(&["publish"]).assert_code(0);
    assert_no_mutations(&r, since);
}

#[test]
fn server_bad_parts_are_refused_before_any_request() {
    let r = Registries::start();
    let p = project(&r, &TARGETS);
    let since = mark(&r);
    let parts = build_parts(&p, TAG, "parts");
    let other = build_parts_of(&p, "v1.0.1", "linux-amd64", "other-version");
    // Building contacts no platform.
    assert_eq!(r.npm_proxy.log().len() + r.pypi_proxy.log().len(), 0);
    assert_eq!(r.crates_log().len(), since.0);
    let refused = |dirs: &[PathBuf], wanted: &[&str]| assert_refused(&r, &p, since, dirs, wanted);
    let shown = |d: &Path| format!("part {}", d.display());
    let with = |i: usize, d: &PathBuf| {
        let mut dirs = parts.clone();
        dirs[i] = d.clone();
        dirs
    };

    let bad = tamper_archive(&p, &parts[1]);
    let changed = "hello_1.0.0_linux_arm64.tar.gz: was changed";
    refused(&with(1, &bad), &[&shown(&bad), changed]);

    let extra = p.path().join("extra/darwin-amd64");
    copy_part(&parts[2], &extra);
    std::fs::write(extra.join("bin/darwin-amd64/evil"), "x").unwrap();
    let unlisted = "bin/darwin-amd64/evil: not listed in part.json";
    refused(&with(2, &extra), &[&shown(&extra), unlisted]);

    refused(
        &parts[..4],
        &["no part carries windows-amd64", "pipeline.yaml"],
    );

    // A part really built from v1.0.1 in place of linux-amd64's.
    let mut dirs = parts[1..].to_vec();
    dirs.push(other.clone());
    let version = "part.json says version hello 1.0.1 (v1.0.1)";
    refused(&dirs, &[&shown(&other), version]);

    let forged = forge_origin(&p, &parts[0]);
    let commit = "part.json says commit 0123456789abcdef";
    refused(
        &with(0, &forged),
        &[&shown(&forged), commit, "pipeline.yaml sha256 0000"],
    );

    let twice = p.path().join("twice/linux-amd64");
    copy_part(&parts[0], &twice);
    let mut dirs = parts.clone();
    dirs.push(twice.clone());
    refused(&dirs, &[&shown(&twice), "carries linux-amd64, which part"]);

    // The intact parts publish: it was the refusals that held every request back.
    let run = merge(&p, &parts, &[]);
    run.assert_code(0);
    assert_outcomes(&run, &p, &ALL, "published");
}

/// Exit 2 saying every `wanted` text, no report, and no mutating request anywhere.
fn assert_refused(
    r: &Registries,
    p: &Project,
    since: (usize, usize),
    dirs: &[PathBuf],
    wanted: &[&str],
) {
    let run = merge(p, dirs, &[]);
    run.assert_code(2);
    for w in wanted {
        assert!(run.stderr.contains(w), "wanted {w:?} in:\n{}", run.stderr);
    }
    assert!(
        run.stderr.contains("nothing was published"),
        "{}",
        run.stderr
    );
    assert!(!p.dist().join("report.json").exists(), "no run, no report");
    assert_no_mutations(r, since);
}

/// A copy of `part` whose archive has one bit flipped.
fn tamper_archive(p: &Project, part: &Path) -> PathBuf {
    let bad = p.path().join("tampered").join(part.file_name().unwrap());
    copy_part(part, &bad);
    let archive = bad.join("hello_1.0.0_linux_arm64.tar.gz");
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&archive, bytes).unwrap();
    bad
}

/// A copy of `part` whose manifest claims another commit and pipeline.yaml (files intact).
fn forge_origin(p: &Project, part: &Path) -> PathBuf {
    let forged = p.path().join("forged").join(part.file_name().unwrap());
    copy_part(part, &forged);
    let manifest = forged.join("part.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["commit"] = json!("0123456789abcdef0123456789abcdef01234567");
    m["pipeline_sha256"] = json!("0".repeat(64));
    std::fs::write(&manifest, m.to_string()).unwrap();
    forged
}

/// One part of `target` built from `tag` into `<under>/<target>`.
fn build_parts_of(p: &Project, tag: &str, target: &str, under: &str) -> PathBuf {
    let dir = p.path().join(under).join(target);
    p.run(&[
        "build",
        tag,
        "--target",
        target,
        "--dist",
        dir.to_str().unwrap(),
    ])
    .assert_code(0);
    dir
}

/// Without servers: `build --target` validates before building (exit 2: a target no build
/// plans, no tag, a part directory already in use), writes a part without SHA256SUMS, and a
/// merge of it publishes through the exec platform with the whole SHA256SUMS.
#[test]
fn build_refuses_bad_input_and_a_single_part_merges() {
    let mut p = Project::new(&support::cli::quick_pipeline(&support::cli::exec_section()));
    p.env("EXEC_REGISTRY_TOKEN", "exec-token-value");
    let r = p.run(&["build", TAG, "--target", "darwin-arm64", "--dist", "part"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains(
            "--target darwin-arm64: no entry of `builds:` plans it (planned: linux-amd64)"
        ),
        "{}",
        r.stderr
    );
    let r = p.run(&["build", "--target", "linux-amd64", "--dist", "part"]);
    r.assert_code(2);
    assert!(r.stderr.contains("no version"), "{}", r.stderr);
    p.write("used/x", "x");
    let r = p.run(&["build", TAG, "--target", "linux-amd64", "--dist", "used"]);
    r.assert_code(2);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
    assert!(!p.path().join("part").exists(), "nothing built");

    p.run(&["build", TAG, "--target", "linux-amd64", "--dist", "part"])
        .assert_code(0);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("part/part.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["tag"], TAG);
    assert_eq!(manifest["targets"], json!(["linux-amd64"]));
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["bin/linux-amd64/demo", "demo_1.0.0_linux_amd64.tar.gz"]
    );
    assert!(!p.path().join("part/SHA256SUMS").exists());

    let run = merge(&p, &[p.path().join("part")], &[]);
    run.assert_code(0);
    let rep = run.report(&p.dist());
    assert_eq!(outcome(&rep, "exec")["outcome"], "published", "{rep:#}");
    let sums = std::fs::read_to_string(p.path().join("registry/1.0.0/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 1, "{sums}");
    assert!(
        sums.ends_with("  demo_1.0.0_linux_amd64.tar.gz\n"),
        "{sums}"
    );
    assert!(p
        .path()
        .join("registry/1.0.0/demo_1.0.0_linux_amd64.tar.gz")
        .is_file());
}
