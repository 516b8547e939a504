//! One conformance suite (issue 6): the same story, through the real `tagship` binary,
//! against every platform on its real local server (GitHub: the in-process double; npm:
//! verdaccio; pypi: pypiserver; pep503: a bare git repository over git smart HTTP; crates:
//! the local crates registry; exec: check/publish scripts over a directory). Mutations are counted by the
//! SERVER (proxy log, double log, registry log, git commits, the exec script's write log).
//!
//! One `#[test]` per platform runs every case in order on one server and one project:
//! the platform's cases never restart a server and build tiny artifacts (a 64-byte ELF per
//! target). Each case that fails is named `platform × case` in the final panic, with the
//! whole table; a case a platform cannot show (by its `Traits`) is listed as n/a.
//!
//! **Adding a platform is one line in `platforms!` below**, pointing at its fixture file
//! `tests/conformance/<id>.rs` (see `Fixture` / `Server` in tests/conformance/mod.rs).

mod support;

#[path = "conformance/mod.rs"]
mod common;

use common::{Fixture, Server, Traits, TAG};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use support::cli::{Project, Run};

/// One test per platform, and the list of covered ids, from one line per platform.
macro_rules! platforms {
    ($($id:ident: $file:literal => $fixture:ident,)*) => {
        $(
            #[path = $file]
            mod $id;
        )*
        /// Named `server_*`: they need the local servers (`scripts/test.sh --fast` skips them).
        mod server_conformance {
            $(
                #[test]
                fn $id() {
                    super::run_suite(stringify!($id), &super::$id::$fixture);
                }
            )*
        }
        const COVERED: &[&str] = &[$(stringify!($id)),*];
    };
}

platforms! {
    github: "conformance/github.rs" => Github,
    npm: "conformance/npm.rs" => Npm,
    pypi: "conformance/pypi.rs" => Pypi,
    pep503: "conformance/pep503.rs" => Pep503,
    crates: "conformance/crates.rs" => Crates,
    docker: "conformance/docker.rs" => Docker,
    exec: "conformance/exec.rs" => Exec,
    homebrew: "conformance/homebrew.rs" => Homebrew,
    winget: "conformance/winget.rs" => Winget,
    chocolatey: "conformance/chocolatey.rs" => Chocolatey,
    snap: "conformance/snap.rs" => Snap,
    aur: "conformance/aur.rs" => Aur,
}

/// A platform tagship knows but the suite does not run is a gap: fail.
#[test]
fn every_registered_platform_is_in_the_suite() {
    let missing: Vec<&str> = tagship::platforms::ALL
        .iter()
        .map(|f| f.id)
        .filter(|id| !COVERED.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "platforms without a conformance line: {missing:?}"
    );
}

/// What the cases share for one platform.
struct Ctx<'a> {
    id: &'a str,
    server: &'a dyn Server,
    traits: Traits,
    project: Project,
}

/// One step of the story. `applies` gates it by the platform's traits.
struct Case {
    name: &'static str,
    applies: fn(&Traits) -> bool,
    run: fn(&Ctx),
}

fn always(_: &Traits) -> bool {
    true
}
fn http(t: &Traits) -> bool {
    t.http
}

/// In order: each case starts from the state the previous one left.
const CASES: &[Case] = &[
    Case {
        name: "dry run sends 0",
        applies: always,
        run: dry_run_sends_nothing,
    },
    Case {
        name: "absent -> publish -> present",
        applies: always,
        run: absent_publish_present,
    },
    Case {
        name: "re-run sends 0",
        applies: always,
        run: rerun_sends_nothing,
    },
    Case {
        name: "deleted file re-sent alone",
        applies: always,
        run: deleted_file_is_resent_alone,
    },
    Case {
        name: "503, 503, 200 retried",
        applies: http,
        run: retried_past_two_503s,
    },
    Case {
        name: "401 names the credential",
        applies: http,
        run: refused_credential_is_named,
    },
    Case {
        name: "reset after upload: re-check, nothing twice",
        applies: http,
        run: reset_after_upload_is_rechecked,
    },
    Case {
        name: "other bytes -> conflict, nothing overwritten",
        applies: always,
        run: other_bytes_conflict,
    },
];

fn run_suite(id: &str, fixture: &dyn Fixture) {
    common::require_servers();
    let dir = tempfile::tempdir().unwrap();
    let server = fixture.start(dir.path());
    let ctx = Ctx {
        id,
        server: &*server,
        traits: fixture.traits(),
        project: common::project(&*server),
    };
    let mut table = Vec::new();
    for case in CASES {
        if !(case.applies)(&ctx.traits) {
            table.push((case.name, "n/a".to_string()));
            continue;
        }
        if let Some(p) = server.proxy() {
            p.reset();
        }
        let got = catch_unwind(AssertUnwindSafe(|| (case.run)(&ctx)));
        let cell = match got {
            Ok(()) => "pass".to_string(),
            Err(e) => format!("FAIL: {}", panic_text(&*e)),
        };
        table.push((case.name, cell));
    }
    let lines: Vec<String> = table
        .iter()
        .map(|(name, cell)| format!("{id} × {name}: {cell}"))
        .collect();
    eprintln!("conformance {id}:\n{}", lines.join("\n"));
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains(": FAIL: ")).collect();
    assert!(
        failed.is_empty(),
        "{id}: {} case(s) failed (a later case may fail because an earlier one did):\n{}",
        failed.len(),
        lines.join("\n")
    );
}

/// The panic's message on one line, cut short: the full message is printed above it (by the
/// panic hook) when the case fails.
fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    let text = e
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into());
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(240).collect()
}

// ---------------------------------------------------------------------------------------
// Helpers shared by the cases.

impl Ctx<'_> {
    /// Runs `tagship ARGS` (canary-checked) and returns the run and this platform's entry.
    fn tagship(&self, args: &[&str]) -> (Run, Value, Value) {
        let run = self.project.run(args);
        let report = run.report(&self.project.dist());
        let entry = report["platforms"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["id"] == self.id).cloned())
            .unwrap_or_else(|| panic!("no {} in the report: {report:#}", self.id));
        (run, report, entry)
    }
    fn release(&self, extra: &[&str]) -> (Run, Value, Value) {
        let mut args = vec!["release", TAG];
        args.extend_from_slice(extra);
        self.tagship(&args)
    }
    fn publish(&self) -> (Run, Value, Value) {
        self.tagship(&["publish"])
    }
    fn mark(&self) -> usize {
        self.server.mutations().len()
    }
    /// Mutations the server saw since `mark`.
    fn since(&self, mark: usize) -> Vec<String> {
        self.server.mutations()[mark..].to_vec()
    }
    fn proxy(&self) -> &support::registries::Proxy {
        self.server
            .proxy()
            .expect("an HTTP platform has a fault proxy")
    }
    /// `uploaded` is exactly `name` where the platform reports per file.
    fn assert_uploaded(&self, entry: &Value, name: &str) {
        if self.traits.per_file_report {
            assert_eq!(entry["uploaded"], json!([name]), "{entry:#}");
        }
    }
}

fn outcome(entry: &Value) -> &str {
    entry["outcome"].as_str().unwrap_or("")
}

fn assert_outcome(run: &Run, entry: &Value, want: &str) {
    assert_eq!(
        outcome(entry),
        want,
        "{entry:#}\n--- stderr\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// The cases.

fn dry_run_sends_nothing(c: &Ctx) {
    let m = c.mark();
    let (run, report, entry) = c.release(&["--dry-run"]);
    run.assert_code(0);
    assert_outcome(&run, &entry, "would-publish");
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(c.since(m), Vec::<String>::new(), "the server was mutated");
    assert!(c.server.files().is_empty(), "{:?}", c.server.files());
}

fn absent_publish_present(c: &Ctx) {
    let m = c.mark();
    let (run, _, entry) = c.release(&[]);
    run.assert_code(0);
    assert_outcome(&run, &entry, "published");
    assert!(!c.since(m).is_empty(), "the server saw no mutation");
    let files = c.server.files();
    assert!(!files.is_empty(), "nothing is live: {files:?}");
    if c.traits.per_file_report {
        for name in entry["uploaded"].as_array().unwrap() {
            // `path#entry` names an entry inside a served file (pep503's index pages).
            let name = name.as_str().unwrap().split('#').next().unwrap();
            assert!(
                files.contains_key(name),
                "{name} not on the server: {files:?}"
            );
        }
    }
}

fn rerun_sends_nothing(c: &Ctx) {
    let before = c.server.files();
    let m = c.mark();
    let (run, report, entry) = c.publish();
    run.assert_code(0);
    assert_outcome(&run, &entry, "already-published");
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(c.since(m), Vec::<String>::new(), "the server was mutated");
    assert_eq!(c.server.files(), before);
}

/// Deletes one file and checks it is gone; returns its name and the full file list.
fn delete_one(c: &Ctx) -> (String, std::collections::BTreeMap<String, String>) {
    let full = c.server.files();
    let name = c.server.delete_one();
    let now = c.server.files();
    assert!(now.len() < full.len(), "{name} was not deleted: {now:?}");
    (name, full)
}

fn deleted_file_is_resent_alone(c: &Ctx) {
    let (name, full) = delete_one(c);
    let m = c.mark();
    let (run, _, entry) = c.publish();
    assert_eq!(
        outcome(&entry),
        "published",
        "{name} was deleted on the server: the check must see it missing and send it\n{entry:#}"
    );
    run.assert_code(0);
    c.assert_uploaded(&entry, &name);
    let sent = c.since(m);
    assert_eq!(sent.len(), 1, "exactly one write for {name}: {sent:?}");
    assert_eq!(
        c.server.files(),
        full,
        "{name} restored with the same bytes"
    );
}

fn retried_past_two_503s(c: &Ctx) {
    let (name, full) = delete_one(c);
    let rule = json!({"match": c.server.upload_match(), "responses": [503, 503]});
    c.proxy().fault(rule);
    let m = c.mark();
    let (run, _, entry) = c.publish();
    run.assert_code(0);
    assert_outcome(&run, &entry, "published");
    c.assert_uploaded(&entry, &name);
    let faults: Vec<_> = c
        .proxy()
        .log()
        .into_iter()
        .filter(|l| !l.forwarded)
        .collect();
    assert_eq!(faults.len(), 2, "both 503s were answered: {faults:?}");
    assert_eq!(common::faults_left(c.proxy()), json!([]));
    let sent = c.since(m);
    assert_eq!(sent.len(), 1, "one upload reached the server: {sent:?}");
    assert_eq!(c.server.files(), full, "{name} restored, one copy");
}

fn refused_credential_is_named(c: &Ctx) {
    let (name, _) = delete_one(c);
    let rule = json!({"match": c.server.upload_match(), "responses": [401]});
    c.proxy().fault(rule);
    let m = c.mark();
    let (run, _, entry) = c.publish();
    run.assert_code(1);
    assert_outcome(&run, &entry, "failed");
    assert_eq!(entry["error_kind"], "auth", "{entry:#}");
    let var = c.server.credential();
    let hint = entry["hint"].as_str().unwrap_or("");
    assert!(hint.contains(var), "the hint names {var}: {entry:#}");
    assert_eq!(
        common::faults_left(c.proxy()),
        json!([]),
        "the 401 was answered"
    );
    assert_eq!(
        c.since(m),
        Vec::<String>::new(),
        "nothing reached the server"
    );
    assert!(
        !c.server.files().contains_key(&name),
        "{name} stays missing"
    );
}

/// Starts with the file that the 401 case left missing.
fn reset_after_upload_is_rechecked(c: &Ctx) {
    let missing = c.server.files();
    let rule = json!({"match": c.server.upload_match(), "responses": ["forward_reset"]});
    c.proxy().fault(rule);
    let m = c.mark();
    let (run, _, entry) = c.publish();
    run.assert_code(0);
    assert_outcome(&run, &entry, "published");
    assert_eq!(
        common::faults_left(c.proxy()),
        json!([]),
        "the reset happened"
    );
    let sent = c.since(m);
    assert_eq!(
        sent.len(),
        1,
        "the upload reached the server once: {sent:?}"
    );
    let now = c.server.files();
    assert_eq!(now.len(), missing.len() + 1, "{now:?}");
}

fn other_bytes_conflict(c: &Ctx) {
    let before = c.server.files();
    common::change_bytes(&c.project, c.server);
    let m = c.mark();
    // A plain re-run whose every file is listed ends at the name-level probe without
    // building (issue 11); comparing content is what `--verify-content` asks for.
    let (run, report, entry) = c.release(&["--verify-content"]);
    run.assert_code(1);
    assert_outcome(&run, &entry, "failed");
    if c.traits.conflict_kind {
        assert_eq!(entry["error_kind"], "conflict", "{entry:#}");
    }
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(c.since(m), Vec::<String>::new(), "the server was mutated");
    assert_eq!(c.server.files(), before, "nothing was overwritten");
}
