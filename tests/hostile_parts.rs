//! Hostile dist parts for `tagship publish --merge` (issue 13's split builds, issue 10's
//! classes): a part.json that is no JSON, nested 10k deep, 2 GiB (sparse), a symlink, or
//! lists paths that climb out, are absolute, repeat, or point through symlinks; listed files
//! grown to 20 GiB (sparse: refused by size, never hashed), 300 unlisted files or 10k listed
//! missing ones (counted, not printed 10k times), non-UTF-8 names; parts that pass off one
//! target's archive as another's, leave the binary out, come from another pipeline.yaml or
//! tagship, or are the output directory. Every part is first built for real by `tagship
//! build --target linux-amd64`, then tampered with. Every case exits 2 under the hostile
//! limits (1 GiB, 30 s), names the part and the problem, sends nothing to the GitHub double
//! and publishes nothing with exec.

mod support;

use serde_json::{json, Value};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use support::cli::Project;

mod hostile_common;
use hostile_common::{case, github_and_exec, run_table, same, Case};

const PART: &str = "parts/x";
const ARCHIVE: &str = "demo_1.0.0_linux_amd64.tar.gz";
const BINARY: &str = "bin/linux-amd64/demo";

/// Builds the real part into parts/x.
fn built(p: &mut Project) {
    let r = p.run(&["build", "v1.0.0", "--target", "linux-amd64", "--dist", PART]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn dir(p: &Project) -> PathBuf {
    p.path().join(PART)
}

fn manifest(p: &Project) -> Value {
    serde_json::from_slice(&std::fs::read(dir(p).join("part.json")).unwrap()).unwrap()
}

fn rewrite(p: &Project, edit: impl FnOnce(&mut Value)) {
    let mut v = manifest(p);
    edit(&mut v);
    std::fs::write(dir(p).join("part.json"), v.to_string()).unwrap();
}

/// The listed file whose path is `path`.
fn file<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    v["files"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed"))
}

fn c(name: &'static str, setup: fn(&mut Project), expect: &'static [&'static str]) -> Case {
    case(name, same, setup, expect)
}

const INSIDE: &str = "must be a relative path inside the part";

fn manifests() -> Vec<Case> {
    [manifests_1(), manifests_2()]
        .into_iter()
        .flatten()
        .collect()
}

fn manifests_1() -> Vec<Case> {
    vec![
        c(
            "part.json not JSON",
            |p| {
                built(p);
                std::fs::write(dir(p).join("part.json"), "{not json").unwrap();
            },
            &["part parts/x: part.json: key must be a string"],
        ),
        c(
            "part.json nested 10k deep",
            |p| {
                built(p);
                let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
                std::fs::write(dir(p).join("part.json"), deep).unwrap();
            },
            &["part parts/x: part.json:", "at line 1 column"],
        ),
        c(
            "part.json of 2 GiB (sparse)",
            |p| {
                built(p);
                let f = std::fs::File::create(dir(p).join("part.json")).unwrap();
                f.set_len(2 << 30).unwrap();
            },
            &["part parts/x: part.json: is larger than 16 MiB"],
        ),
        c(
            "part.json a symlink",
            |p| {
                built(p);
                std::fs::rename(dir(p).join("part.json"), p.path().join("elsewhere.json")).unwrap();
                symlink(p.path().join("elsewhere.json"), dir(p).join("part.json")).unwrap();
            },
            &["part parts/x: part.json: is not a plain file"],
        ),
        c(
            "part.json missing",
            |p| {
                built(p);
                std::fs::remove_file(dir(p).join("part.json")).unwrap();
            },
            &["part parts/x: part.json: No such file"],
        ),
    ]
}

fn manifests_2() -> Vec<Case> {
    vec![
        c(
            "part.json schema 2",
            |p| {
                built(p);
                rewrite(p, |v| v["schema_version"] = json!(2));
            },
            &["schema_version 2"],
        ),
        c(
            "part.json unknown field",
            |p| {
                built(p);
                rewrite(p, |v| v["evil"] = json!(true));
            },
            &["unknown field `evil`"],
        ),
        c(
            "part.json from another tagship",
            |p| {
                built(p);
                rewrite(p, |v| v["tool"] = json!("tagship 0.0.0-evil"));
            },
            &["it was built by tagship 0.0.0-evil"],
        ),
        c(
            "pipeline.yaml changed after the build",
            |p| {
                built(p);
                let y = std::fs::read_to_string(p.path().join("pipeline.yaml")).unwrap();
                std::fs::write(p.path().join("pipeline.yaml"), y + "# edited\n").unwrap();
            },
            &["part parts/x: part.json says pipeline.yaml sha256"],
        ),
        c(
            "part.json epoch negative",
            |p| {
                built(p);
                rewrite(p, |v| v["epoch"] = json!(-1));
            },
            &["part parts/x: part.json:", "expected u64"],
        ),
    ]
}

fn paths() -> Vec<Case> {
    [paths_1(), paths_2(), paths_3()]
        .into_iter()
        .flatten()
        .collect()
}

fn paths_1() -> Vec<Case> {
    vec![
        c(
            "path ../",
            |p| {
                built(p);
                rewrite(p, |v| {
                    file(v, ARCHIVE)["path"] = json!(format!("../a/{ARCHIVE}"))
                });
            },
            &[INSIDE, "../a/"],
        ),
        c(
            "path absolute",
            |p| {
                built(p);
                let abs = dir(p).join(ARCHIVE);
                rewrite(p, |v| file(v, ARCHIVE)["path"] = json!(abs));
            },
            &[INSIDE],
        ),
        c(
            "path with a NUL",
            |p| {
                built(p);
                rewrite(p, |v| file(v, ARCHIVE)["name"] = json!("a\u{0}b"));
            },
            &[INSIDE],
        ),
        c(
            "listed twice",
            |p| {
                built(p);
                rewrite(p, |v| {
                    let again = file(v, ARCHIVE).clone();
                    v["files"].as_array_mut().unwrap().push(again);
                });
            },
            &["listed twice in part.json"],
        ),
        c(
            "archive replaced by a symlink",
            |p| {
                built(p);
                let a = dir(p).join(ARCHIVE);
                std::fs::rename(&a, p.path().join("moved.tar.gz")).unwrap();
                symlink(p.path().join("moved.tar.gz"), &a).unwrap();
            },
            &["is a symlink"],
        ),
    ]
}

fn paths_2() -> Vec<Case> {
    vec![
        c(
            "bin/ a symlink out of the part",
            |p| {
                built(p);
                std::fs::rename(dir(p).join("bin"), p.path().join("bin-out")).unwrap();
                symlink(p.path().join("bin-out"), dir(p).join("bin")).unwrap();
            },
            &["bin: is a symlink"],
        ),
        c(
            "listed binary grown to 20 GiB (sparse)",
            |p| {
                built(p);
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir(p).join(BINARY))
                    .unwrap();
                f.set_len(20 << 30).unwrap();
            },
            &["was changed: 21474836480 bytes"],
        ),
        c(
            "300 unlisted files",
            |p| {
                built(p);
                for i in 0..300 {
                    std::fs::write(dir(p).join(format!("f{i}")), "").unwrap();
                }
            },
            &["not listed in part.json", "280 more problems like these"],
        ),
        c(
            "10k listed files that are missing",
            |p| {
                built(p);
                rewrite(p, |v| {
                    let one = file(v, ARCHIVE).clone();
                    let files = v["files"].as_array_mut().unwrap();
                    for i in 0..10_000 {
                        let mut f = one.clone();
                        f["name"] = json!(format!("m{i}.tar.gz"));
                        f["path"] = json!(format!("m{i}.tar.gz"));
                        files.push(f);
                    }
                });
            },
            &["is missing", "more problems like these"],
        ),
    ]
}

fn paths_3() -> Vec<Case> {
    vec![c(
        "an unlisted non-UTF-8 file name",
        |p| {
            built(p);
            let name = std::ffi::OsStr::from_bytes(b"\xff\xfe.tar.gz");
            std::fs::write(dir(p).join(name), "x").unwrap();
        },
        &["not listed in part.json"],
    )]
}

fn plans() -> Vec<Case> {
    [plans_1(), plans_2()].into_iter().flatten().collect()
}

fn plans_1() -> Vec<Case> {
    vec![
        c(
            "the same part twice",
            built,
            &["carries linux-amd64, which part parts/x carries too"],
        ),
        c(
            "archive passed off as another target's",
            |p| {
                built(p);
                rewrite(p, |v| {
                    v["targets"] = json!(["linux-arm64"]);
                    for f in v["files"].as_array_mut().unwrap() {
                        f["target"] = json!("linux-arm64");
                    }
                });
            },
            &[
                "lists demo_1.0.0_linux_amd64.tar.gz for linux-arm64",
                "does not write for that target",
            ],
        ),
        c(
            "binary left out",
            |p| {
                built(p);
                std::fs::remove_file(dir(p).join(BINARY)).unwrap();
                rewrite(p, |v| {
                    v["files"]
                        .as_array_mut()
                        .unwrap()
                        .retain(|f| f["path"] != BINARY)
                });
            },
            &["does not list bin/linux-amd64/demo for linux-amd64"],
        ),
    ]
}

fn plans_2() -> Vec<Case> {
    vec![
        c(
            "archive renamed",
            |p| {
                built(p);
                std::fs::rename(dir(p).join(ARCHIVE), dir(p).join("evil.tar.gz")).unwrap();
                rewrite(p, |v| {
                    let f = file(v, ARCHIVE);
                    f["name"] = json!("evil.tar.gz");
                    f["path"] = json!("evil.tar.gz");
                });
            },
            &[
                "lists evil.tar.gz for linux-amd64",
                "does not write for that target",
            ],
        ),
        c(
            "binary as an archive",
            |p| {
                built(p);
                rewrite(p, |v| file(v, BINARY)["type"] = json!("archive"));
            },
            &[
                "lists bin/linux-amd64/demo",
                "does not write for that target",
            ],
        ),
        c(
            "a checksums file in a part",
            |p| {
                built(p);
                rewrite(p, |v| file(v, ARCHIVE)["type"] = json!("checksums"));
            },
            &["a part holds binaries and archives only"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_part_exits_2_names_it_and_sends_nothing() {
    let merge = |c: Case| {
        let args = if c.name == "the same part twice" {
            vec!["publish", "--merge", PART, PART]
        } else {
            vec!["publish", "--merge", PART]
        };
        (c, args)
    };
    let mut rows: Vec<(Case, Vec<&str>)> = [manifests(), paths(), plans()]
        .into_iter()
        .flatten()
        .map(merge)
        .collect();
    // The part is the output directory the merge writes.
    let into_dist = c(
        "the part is dist/",
        |p| {
            let r = p.run(&[
                "build",
                "v1.0.0",
                "--target",
                "linux-amd64",
                "--dist",
                "dist",
            ]);
            assert_eq!(r.code, 0, "{}", r.stderr);
        },
        &["part dist: holds the output directory"],
    );
    rows.push((into_dist, vec!["publish", "--merge", "dist"]));
    assert!(rows.len() >= 25, "{} cases", rows.len());
    run_table(rows, github_and_exec).await;
}
