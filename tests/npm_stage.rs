//! npm staged publishing (issue 13, "npm staged publishing", acceptance 2) through the real
//! binary against a double of npmjs's stage endpoints (tests/npm_common/stage.rs: verdaccio 6
//! has none). `stage: true` stages instead of publishing: `pending` with the approval command
//! and the package's URL; a re-run sends nothing and is still pending; `status` says pending;
//! the root is staged only once its platform package is approved; approved → present. Each
//! refusal the docs name gets its own message and hint, and a dry run sends nothing.

mod npm_common;
mod support;

use npm_common::stage::{Knobs, Stager};
use npm_common::*;
use serde_json::Value;
use support::cli::{platform_row, quick_pipeline, Project, Run};
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::{Live, Platform};

const PLAT: &str = "@acme/demo-linux-x64";
const ROOT: &str = "@acme/demo";

fn project(d: &Stager) -> Project {
    let section = format!(
        "  npm:\n    registry: {}\n    scope: \"@acme\"\n    stage: true\n    visibility_timeout: 5\n",
        d.url
    );
    Project::new(&quick_pipeline(&section))
}

fn release(p: &Project, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["release", "v1.2.3"];
    args.extend(extra);
    let run = p.run(&args);
    let row = platform_row(&run.report(&p.dist()), "npm").clone();
    (run, row)
}

fn stage_id(d: &Stager, name: &str) -> String {
    let items = d.staged();
    let it = items.iter().find(|i| i["packageName"] == name);
    it.unwrap_or_else(|| panic!("{name} is not staged: {items:#?}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A release run that must end `pending` (exit 0): its reason.
fn pending(p: &Project) -> String {
    let (run, row) = release(p, &[]);
    run.assert_code(0);
    assert_eq!(row["outcome"], "pending", "{row:#}\n{}", run.stderr);
    row["reason"].as_str().unwrap().to_string()
}

/// `tagship status v1.2.3 --json`: the npm row (exit 0: pending is not drift).
fn status(p: &Project) -> Value {
    let st = p.run(&["status", "v1.2.3", "--json"]);
    st.assert_code(0);
    let s: Value = serde_json::from_str(&st.stdout).unwrap();
    platform_row(&s, "npm").clone()
}

/// The first run's pending reason names the staged platform package, its approval command
/// and its page, and the root held back; only that one stage request was sent. Its id.
fn first_run(d: &Stager, reason: &str) -> String {
    let id = stage_id(d, PLAT);
    for part in [
        format!("staged {PLAT}@1.2.3"),
        format!("`npm stage approve {id}`"),
        format!("{}{PLAT}", d.url),
        format!("{ROOT} is staged only once"),
    ] {
        assert!(reason.contains(&part), "{part} not in {reason}");
    }
    let sent = vec![format!("POST /-/stage/package/@acme%2fdemo-linux-x64")];
    assert_eq!(d.mutations(), sent, "only the platform package is staged");
    assert_eq!(
        d.live(PLAT),
        ["0.0.0-stage"],
        "nothing live but npm's placeholder"
    );
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn staged_is_pending_until_approved_and_never_sent_twice() {
    let d = Stager::start(Knobs::default()).await;
    let p = project(&d);

    // First run: the platform package is staged; the root waits for its approval.
    let id = first_run(&d, &pending(&p));
    let sent = d.mutations();

    // A re-run sends nothing and is still pending, naming the same stage id; status agrees.
    assert!(pending(&p).contains(&id));
    assert_eq!(d.mutations(), sent, "a re-run never stages again");
    assert_eq!(status(&p)["presence"], "pending");

    // Approved: now the root can be staged (its platform package is installable).
    d.approve_all().await;
    let reason = pending(&p);
    let root_id = stage_id(&d, ROOT);
    let root_line = format!("staged {ROOT}@1.2.3; approve with `npm stage approve {root_id}`");
    assert!(reason.contains(&root_line), "{reason}");
    let mutations = d.mutations();
    assert_eq!(mutations.len(), 3, "{mutations:#?}"); // + approve (the double's) + the root
    assert_eq!(mutations[2], "POST /-/stage/package/@acme%2fdemo");
    pending(&p);
    assert_eq!(
        d.mutations(),
        mutations,
        "the staged root is not sent again"
    );
    // npm's public `0.0.0-stage` placeholder of the new root is not a release.
    assert_eq!(d.live(ROOT), ["0.0.0-stage"]);
    let row = status(&p);
    assert_eq!(row["presence"], "pending", "{row:#}");
    assert!(row.get("newest").is_none(), "{row:#}");

    // Both approved: present, nothing sent.
    d.approve_all().await;
    let (run, row) = release(&p, &[]);
    run.assert_code(0);
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(
        d.mutations().len(),
        mutations.len() + 1,
        "only the double's approval"
    );
    let row = status(&p);
    assert_eq!(
        (&row["presence"], &row["newest"]),
        (&"complete".into(), &"1.2.3".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_stages_nothing() {
    let d = Stager::start(Knobs::default()).await;
    let p = project(&d);
    let (run, row) = release(&p, &["--dry-run"]);
    run.assert_code(0);
    assert_eq!(row["outcome"], "would-publish", "{row:#}\n{}", run.stderr);
    assert_eq!(d.mutations(), Vec::<String>::new());
    assert!(d.staged().is_empty());
}

/// One refusal through the binary: exit 1, the server's words, and the hint for its cause.
async fn refused(knobs: Knobs, words: &str, hint: &str) {
    let d = Stager::start(knobs).await;
    let p = project(&d);
    let (run, row) = release(&p, &[]);
    run.assert_code(1);
    assert_eq!(row["outcome"], "failed", "{row:#}");
    let (reason, h) = (
        row["reason"].as_str().unwrap(),
        row["hint"].as_str().unwrap(),
    );
    assert!(reason.contains(words), "{reason}");
    assert!(h.contains(hint), "{h}");
    assert!(d.staged().is_empty(), "{:?}", d.staged());
}

#[tokio::test(flavor = "multi_thread")]
async fn each_refusal_has_its_own_message_and_hint() {
    let no_2fa = Knobs {
        no_2fa: true,
        ..Knobs::default()
    };
    refused(
        no_2fa,
        "two-factor authentication",
        "enable 2FA on the npm account",
    )
    .await;
    let denied = Knobs {
        denied: [PLAT.to_string()].into(),
        ..Knobs::default()
    };
    refused(
        denied,
        "do not have permission",
        "allow `npm stage publish` in the package's trusted publisher",
    )
    .await;
    let new = Knobs {
        refuse_new: true,
        ..Knobs::default()
    };
    refused(
        new,
        "is not in this registry",
        "publish its first version without `stage`",
    )
    .await;
}

/// The adapter for `@acme/demo` 1.2.3 against `d`, with its packages.
async fn adapter_setup(
    d: &Stager,
    tmp: &std::path::Path,
) -> (
    Box<dyn Platform>,
    tagship::platform::Cx,
    Vec<tagship::plan::Artifact>,
) {
    let bin = go_binary(tmp, "demo", "1.2.3", "");
    let r = npm_common::release(
        &tmp.join("dist"),
        npm_common::project("demo"),
        "1.2.3",
        &[(Target::parse("linux-amd64").unwrap(), &bin)],
    );
    let npm = adapter(
        serde_json::json!({"registry": d.url, "scope": "@acme", "stage": true}),
        &r.project.clone(),
    );
    let cx = cx(r, false, Some("tok-123"), &Ledger::default());
    let pkgs = npm.package(&cx).await.unwrap();
    (npm, cx, pkgs)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_staged_or_published_meanwhile_is_never_sent_again() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Stager::start(Knobs::default()).await;
    let (npm, cx, pkgs) = adapter_setup(&d, tmp.path()).await;
    let first = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    let id = stage_id(&d, PLAT);
    assert!(first.pending.as_deref().unwrap().contains(&id), "{first:?}");

    // A run that did not see it staged (trusted publishing lists nothing before its
    // exchange): npm answers 409, the listing names the stage id; still one staged version.
    let again = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    let pending = again.pending.as_deref().unwrap();
    assert!(
        pending.contains(&format!(
            "already staged {PLAT}@1.2.3; approve with `npm stage approve {id}`"
        )),
        "{pending}"
    );
    assert!(again.uploaded.is_empty(), "{again:?}");
    assert_eq!(d.staged().len(), 1);

    // Approved meanwhile: npm answers "cannot publish over"; the same bytes are success,
    // and now that the platform package is installable the root is staged.
    d.approve_all().await;
    let after = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(
        after.uploaded,
        vec!["acme-demo-1.2.3.tgz".to_string()],
        "{after:?}"
    );
    assert!(
        after
            .pending
            .as_deref()
            .unwrap()
            .contains(&format!("staged {ROOT}@1.2.3")),
        "{after:?}"
    );
    assert_eq!(
        d.live(PLAT),
        vec!["0.0.0-stage".to_string(), "1.2.3".to_string()]
    );
    let live = npm.check(&cx, &pkgs).await.unwrap().live;
    assert!(
        matches!(&live, Live::Pending { reason } if reason.contains(ROOT)),
        "{live:?}"
    );
}
