//! The homebrew platform through the real `tagship` binary (issue 8, acceptance 2 and 3): the
//! tap is a bare git repository served over git's smart HTTP with a token
//! (`scripts/servers/pep503.sh --git`), the release is on the GitHub double — the same world
//! as the conformance fixture (tests/conformance/homebrew.rs), reused here. Proves: a dry run
//! makes 0 commits and shows the withheld push; a release makes one commit whose formula the
//! real `ruby -c` and the DSL harness accept, pointing at the release's archives; a re-run
//! makes 0; a formula re-published while github was already live is byte-identical; other
//! sums under the version are a conflict (0 commits); rollback is one commit restoring the
//! previous formula, or one commit removing it when that version added it; a backport
//! (an older version than the tap's) is refused with a hint unless `allow_downgrade`; bad
//! input is exit 2 with nothing pushed; an unreachable tap is
//! `unreachable` in a dry run and a failure with a hint in a real run.

mod support;

#[path = "conformance/mod.rs"]
mod common;
#[path = "conformance/homebrew.rs"]
mod fixture;

use common::{Fixture, Server};
use fixture::git;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::cli::{platform_row, Project, Run};

struct World {
    dir: tempfile::TempDir,
    server: Box<dyn Server>,
    p: Project,
}

impl World {
    fn start() -> World {
        common::require_servers();
        let dir = tempfile::tempdir().unwrap();
        let server = fixture::Homebrew.start(dir.path());
        let p = common::project(&*server);
        World { dir, server, p }
    }
    fn bare(&self) -> PathBuf {
        self.dir.path().join("homebrew-repos/homebrew-tap.git")
    }
    fn commits(&self) -> usize {
        self.server.mutations().len()
    }
    /// The formula at the tip of the tap's `main`.
    fn formula(&self) -> String {
        git(&self.bare(), &["show", "main:Formula/demo.rb"])
    }
    fn run(&self, args: &[&str]) -> (Run, Value) {
        let run = self.p.run(args);
        let report = match args[0] {
            "rollback" => run.report(&self.p.dist().join("rollback")),
            _ => run.report(&self.p.dist()),
        };
        (run, report)
    }
    /// Replaces `from` with `to` in pipeline.yaml.
    fn edit_pipeline(&self, from: &str, to: &str) {
        let path = self.p.path().join("pipeline.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} not in {text}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }
    /// Someone else's commit on the tap replacing `from` with `to` in the formula.
    fn hand_edit(&self, from: &str, to: &str) {
        let work = self.dir.path().join("hand");
        let _ = std::fs::remove_dir_all(&work);
        let (bare, w) = (self.bare(), work.to_str().unwrap().to_string());
        git(
            self.dir.path(),
            &["clone", "-q", "-b", "main", bare.to_str().unwrap(), &w],
        );
        let f = work.join("Formula/demo.rb");
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, text.replacen(from, to, 1)).unwrap();
        git(&work, &["commit", "-qam", "hand edit"]);
        git(&work, &["push", "-q", "origin", "main"]);
    }
}

fn outcome(report: &Value, id: &str) -> String {
    platform_row(report, id)["outcome"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// `ruby -c` and the DSL harness on the tap's formula: each OS × arch downloads the archive
/// the release built for it, with the sha256 of the bytes in dist/ and the URL github handed
/// over.
fn assert_formula_matches_release(w: &World, report: &Value) {
    let f = w.dir.path().join("demo.rb");
    std::fs::write(&f, w.formula()).unwrap();
    let ruby = tagship::exec::resolve_program("ruby", None)
        .unwrap_or_else(|_| panic!("ruby is missing: run scripts/setup.d/70-ruby.sh"));
    let out = Command::new(&ruby).arg("-c").arg(&f).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let harness =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/homebrew/eval_formula.rb");
    let out = Command::new(&ruby).arg(harness).arg(&f).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["class"], "Demo");
    let assets = platform_row(report, "github")["assets"]
        .as_array()
        .unwrap()
        .clone();
    for (target, sim) in [
        ("darwin_amd64", "macos-intel"),
        ("darwin_arm64", "macos-arm"),
        ("linux_amd64", "linux-intel"),
        ("linux_arm64", "linux-arm"),
    ] {
        let a = assets
            .iter()
            .find(|a| a["name"].as_str().unwrap().contains(target))
            .unwrap_or_else(|| panic!("no {target} asset: {assets:?}"));
        let name = a["name"].as_str().unwrap();
        let local = sha256_file(&w.p.dist().join(name));
        let p = &got["platforms"][sim];
        assert_eq!(p["url"], serde_json::json!([a["url"]]), "{sim}: {p}");
        assert_eq!(p["sha256"], serde_json::json!([local]), "{sim}: {p}");
        assert_eq!(p["version"], common::V);
        assert_eq!(p["installed"], serde_json::json!(["demo"]));
    }
}

#[test]
fn server_homebrew_publishes_once_and_republishes_byte_identical() {
    let w = World::start();
    dry_run_commits_nothing(&w);
    let first = published_once(&w);
    rerun_commits_nothing(&w);

    // Gone behind tagship's back: re-published while github is already live, so the formula
    // is rendered from github's check hand-over this time — and is the same bytes.
    w.server.delete_one();
    let (run, report) = w.run(&["release", common::TAG, "--verify-content"]);
    run.assert_code(0);
    assert_eq!(
        outcome(&report, "github"),
        "already-published",
        "{report:#}"
    );
    assert_eq!(outcome(&report, "homebrew"), "published", "{report:#}");
    assert_eq!(w.commits(), 3, "the deletion and one restoring commit");
    assert_eq!(w.formula(), first, "byte-identical formula");
}

fn dry_run_commits_nothing(w: &World) {
    let (run, report) = w.run(&["release", common::TAG, "--dry-run"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "would-publish", "{report:#}");
    let withheld = platform_row(&report, "homebrew")["withheld"].to_string();
    assert!(
        withheld.contains("push") && withheld.contains(":refs/heads/main"),
        "{withheld}"
    );
    assert_eq!(w.commits(), 0, "a dry run commits nothing");
}

/// The formula committed once, exactly as packaged and matching the release; returns it.
fn published_once(w: &World) -> String {
    let (run, report) = w.run(&["release", common::TAG]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "published", "{report:#}");
    assert_eq!(w.commits(), 1);
    let first = w.formula();
    let packaged = std::fs::read_to_string(w.p.dist().join("homebrew/demo.rb")).unwrap();
    assert_eq!(
        first, packaged,
        "the tap holds exactly the packaged formula"
    );
    assert_eq!(
        git(&w.bare(), &["log", "-1", "--format=%s", "main"]).trim(),
        "demo 1.0.0"
    );
    assert_formula_matches_release(w, &report);
    first
}

fn rerun_commits_nothing(w: &World) {
    let (run, report) = w.run(&["publish"]);
    run.assert_code(0);
    assert_eq!(
        outcome(&report, "homebrew"),
        "already-published",
        "{report:#}"
    );
    assert_eq!(w.commits(), 1, "a re-run commits nothing");
    // A re-run of the release: github and the tap answer the version-level probe, so
    // nothing is built and nothing is sent.
    let (run, report) = w.run(&["release", common::TAG]);
    run.assert_code(0);
    assert_eq!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(
        outcome(&report, "homebrew"),
        "already-published",
        "{report:#}"
    );
    assert_eq!(w.commits(), 1);
}

#[test]
fn server_homebrew_conflict_then_rollback_restores_the_previous_formula() {
    let w = World::start();
    w.run(&["release", "v1.0.0"]).0.assert_code(0);
    let v1 = w.formula();
    w.run(&["release", "v1.1.0"]).0.assert_code(0);
    assert_eq!(w.commits(), 2);
    assert!(w.formula().contains("version \"1.1.0\""));

    // Someone else's sums under 1.1.0: a conflict, nothing overwritten.
    let sha = w
        .formula()
        .lines()
        .find(|l| l.contains("sha256"))
        .unwrap()
        .to_string();
    let sum = sha.split('"').nth(1).unwrap().to_string();
    w.hand_edit(&sum, &"0".repeat(64));
    let edited = w.formula();
    let (run, report) = w.run(&["release", "v1.1.0", "--verify-content"]);
    run.assert_code(1);
    let row = platform_row(&report, "homebrew");
    assert_eq!(
        (row["outcome"].as_str(), row["error_kind"].as_str()),
        (Some("failed"), Some("conflict")),
        "{row:#}"
    );
    assert_eq!((w.commits(), w.formula()), (3, edited.clone()), "no commit");

    // Rollback: planned (0 commits), then one commit back to 1.0.0's formula, then nothing.
    let (run, report) = w.run(&["rollback", "v1.1.0", "--only", "homebrew", "--dry-run"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "would-withdraw", "{report:#}");
    assert_eq!(w.commits(), 3);
    let (run, report) = w.run(&["rollback", "v1.1.0", "--only", "homebrew"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "withdrawn", "{report:#}");
    assert_eq!(w.commits(), 4);
    assert_eq!(w.formula(), v1, "the previous formula, byte for byte");
    let msg = git(&w.bare(), &["log", "-1", "--format=%s", "main"]);
    assert_eq!(msg.trim(), "demo: back to 1.0.0 (rollback of 1.1.0)");
    let (run, report) = w.run(&["rollback", "v1.1.0", "--only", "homebrew"]);
    run.assert_code(0);
    let reason = platform_row(&report, "homebrew")["reason"].to_string();
    assert!(reason.contains("nothing to take back"), "{report:#}");
    assert_eq!(w.commits(), 4);

    assert_rollback_removes_the_formula_it_added(&w);
}

/// 1.0.0 created the formula: rolling it back removes the file, in one commit (the git kit's
/// path removal), and a second rollback finds nothing to take back.
fn assert_rollback_removes_the_formula_it_added(w: &World) {
    let (run, report) = w.run(&["rollback", "v1.0.0", "--only", "homebrew"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "withdrawn", "{report:#}");
    assert_eq!(w.commits(), 5);
    let files = git(&w.bare(), &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!files.contains("Formula/demo.rb"), "{files}");
    let msg = git(&w.bare(), &["log", "-1", "--format=%s", "main"]);
    assert_eq!(
        msg.trim(),
        "demo: removed (rollback of 1.0.0, which added it)"
    );
    let (run, report) = w.run(&["rollback", "v1.0.0", "--only", "homebrew"]);
    run.assert_code(0);
    let reason = platform_row(&report, "homebrew")["reason"].to_string();
    assert!(reason.contains("nothing to take back"), "{report:#}");
    assert_eq!(w.commits(), 5);
}

#[test]
fn server_homebrew_a_backport_never_moves_the_formula_back() {
    let w = World::start();
    w.run(&["release", "v1.1.0"]).0.assert_code(0);
    let newer = w.formula();
    // 1.0.5 after 1.1.0: refused with the setting in the hint, nothing committed.
    let (run, report) = w.run(&["release", "v1.0.5"]);
    run.assert_code(1);
    let row = platform_row(&report, "homebrew");
    assert_eq!(row["error_kind"], "conflict", "{row:#}");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("newer version 1.1.0"),
        "{row:#}"
    );
    assert!(
        row["hint"].as_str().unwrap().contains("allow_downgrade"),
        "{row:#}"
    );
    assert_eq!(outcome(&report, "github"), "published", "{report:#}");
    assert_eq!((w.commits(), w.formula()), (1, newer));
    // Allowed on purpose: the formula moves to 1.0.5.
    w.edit_pipeline("  homebrew:\n", "  homebrew:\n    allow_downgrade: true\n");
    let (run, report) = w.run(&["release", "v1.0.5"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "published", "{report:#}");
    assert_eq!(w.commits(), 2);
    assert!(w.formula().contains("version \"1.0.5\""), "{}", w.formula());
}

/// Exit 2, no commit, no GitHub write, and the message names the problem.
fn assert_refused(w: &World, args: &[&str], needle: &str) {
    let run = w.p.run(args);
    run.assert_code(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains(needle), "{needle} not in:\n{all}");
    assert_eq!(w.commits(), 0);
}

#[test]
fn server_homebrew_bad_input_is_refused_before_anything_is_pushed() {
    let mut w = World::start();
    let release = ["release", common::TAG];
    w.edit_pipeline(
        "targets: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64]",
        "targets: [windows-amd64]",
    );
    assert_refused(&w, &release, "no darwin or linux");
    w.edit_pipeline("targets: [windows-amd64]", "targets: [linux-amd64]");
    w.edit_pipeline("  homebrew:\n", "  homebrew:\n    formula: My_Tool\n");
    assert_refused(&w, &release, "platforms.homebrew.formula `My_Tool`");
    w.edit_pipeline("    formula: My_Tool\n", "");
    w.p.unset("HOMEBREW_TAP_TOKEN");
    assert_refused(&w, &release, "HOMEBREW_TAP_TOKEN");
}

#[test]
fn server_homebrew_unreachable_tap() {
    let w = World::start();
    let section = w.server.section();
    let tap = section
        .split("repo: \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    w.edit_pipeline(tap, "http://127.0.0.1:9/homebrew-tap.git");
    let (run, report) = w.run(&["release", common::TAG, "--dry-run"]);
    run.assert_code(0);
    assert_eq!(outcome(&report, "homebrew"), "unreachable", "{report:#}");
    assert!(run.stdout.contains("check `repo`"), "{}", run.stdout);
    let (run, report) = w.run(&["release", common::TAG]);
    run.assert_code(1);
    let row = platform_row(&report, "homebrew");
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert!(
        row["hint"].as_str().unwrap_or("").contains("repo"),
        "{row:#}"
    );
}
