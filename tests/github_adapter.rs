//! The GitHub Releases adapter driven directly (no engine) against the in-process double:
//! absent → publish → present, idempotent re-runs, partial repair, starter cleanup, dry run,
//! retries, pagination, conflicts and credential errors.

mod support;

use std::time::Duration;
use support::github_double::harness::{count, names, setup, Opts, ARCHIVE, TAG, TOKEN};
use support::github_double::GithubDouble;
use tagship::plan::Project;
use tagship::platform::Live;
use tagship::platforms::github;
use tagship::redact::Secret;
use tagship::ErrorKind;

#[tokio::test]
async fn absent_publish_present_and_rerun_is_a_noop() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);

    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&[ARCHIVE, "SHA256SUMS"]));
    assert!(
        p.handover.urls[0].ends_with("/acme/demo/releases/tag/v1.2.3"),
        "{:?}",
        p.handover.urls
    );
    let asset = p.handover.asset(ARCHIVE).unwrap();
    assert!(asset
        .url
        .ends_with("/releases/download/v1.2.3/demo_1.2.3_linux_amd64.tar.gz"));
    let rel = d.release(TAG).unwrap();
    assert_eq!(rel["draft"], false);
    assert_eq!(rel["prerelease"], false);
    assert_eq!(
        rel["target_commitish"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        d.asset_bytes(TAG, ARCHIVE).unwrap(),
        b"pretend this is a tarball\n"
    );
    // Safe order: create draft, upload both, publish last.
    let mutating: Vec<_> = d
        .requests()
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .collect();
    assert_eq!(mutating.len(), 4, "{mutating:?}");
    assert_eq!(mutating[0].0, "POST");
    assert!(mutating[1]
        .1
        .starts_with("/uploads/repos/acme/demo/releases/"));
    assert_eq!(mutating[3].0, "PATCH");

    let checked = s.gh.check(&s.cx, &[]).await.unwrap();
    assert_eq!(checked, Live::Present);
    assert_eq!(
        checked.handover, p.handover,
        "check hands over what publish did"
    );
    let before = d.mutating_count();
    let again = s.gh.publish(&s.cx, &Live::Present, &[]).await.unwrap();
    assert!(again.uploaded.is_empty());
    assert_eq!(again.handover, p.handover);
    assert_eq!(d.mutating_count(), before, "a re-run must not mutate");
    assert_eq!(s.ledger.mutating_sent(), before as u64);
}

#[tokio::test]
async fn a_removed_asset_is_partial_and_only_it_is_uploaded() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    d.remove_asset(TAG, "SHA256SUMS");
    let live = s.gh.check(&s.cx, &[]).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: names(&[ARCHIVE]),
            missing: names(&["SHA256SUMS"])
        }
    );
    d.clear_log();
    let p = s.gh.publish(&s.cx, &live, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&["SHA256SUMS"]));
    assert_eq!(d.mutating_count(), 1, "{:?}", d.requests());
    assert_eq!(count(&d, "POST", "assets?name=SHA256SUMS"), 1);
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn a_starter_asset_is_deleted_and_uploaded_again() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_release(TAG, true);
    d.add_asset(TAG, ARCHIVE, b"half", "starter");
    let s = setup(&d, Opts::default());
    let live = s.gh.check(&s.cx, &[]).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec![],
            missing: names(&[ARCHIVE, "SHA256SUMS"])
        }
    );
    let p = s.gh.publish(&s.cx, &live, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&[ARCHIVE, "SHA256SUMS"]));
    assert_eq!(count(&d, "DELETE", "/releases/assets/"), 1);
    assert_eq!(
        count(&d, "POST", "/repos/acme/demo/releases"),
        2,
        "no new release, two uploads"
    );
    assert_eq!(
        d.asset_bytes(TAG, ARCHIVE).unwrap(),
        b"pretend this is a tarball\n"
    );
    assert_eq!(d.release(TAG).unwrap()["draft"], false);
    assert_eq!(d.release_count(), 1);
}

#[tokio::test]
async fn a_draft_with_every_asset_only_needs_publishing() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            extra: serde_json::json!({"draft": true}),
            ..Default::default()
        },
    );
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(
        d.release(TAG).unwrap()["draft"],
        true,
        "draft: true leaves it a draft"
    );
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);

    let s = setup(&d, Opts::default());
    let live = s.gh.check(&s.cx, &[]).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: names(&[ARCHIVE, "SHA256SUMS"]),
            missing: vec![]
        }
    );
    d.clear_log();
    let p = s.gh.publish(&s.cx, &live, &[]).await.unwrap();
    assert!(p.uploaded.is_empty());
    assert_eq!(d.mutating_count(), 1);
    assert_eq!(count(&d, "PATCH", "/releases/"), 1);
    assert_eq!(d.release(TAG).unwrap()["draft"], false);
}

#[tokio::test]
async fn dry_run_sends_no_mutation_and_records_every_request() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            dry_run: true,
            ..Default::default()
        },
    );
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&[ARCHIVE, "SHA256SUMS"]));
    assert_eq!(d.mutating_count(), 0);
    assert!(!d.requests().is_empty(), "a dry run still probes");
    assert_eq!(d.release_count(), 0);
    let w = s.ledger.withheld_for("github");
    let methods: Vec<&str> = w.iter().map(|w| w.method.as_str()).collect();
    assert_eq!(methods, ["POST", "POST", "POST", "PATCH"], "{w:?}");
    assert!(w[0].target.ends_with("/repos/acme/demo/releases"));
    assert!(
        w[1].target
            .contains("assets?name=demo_1.2.3_linux_amd64.tar.gz"),
        "{w:?}"
    );
    assert!(w[2].target.contains("assets?name=SHA256SUMS"));
    assert!(w[1]
        .body
        .as_deref()
        .unwrap()
        .contains("application/octet-stream"));
}

#[tokio::test]
async fn dry_run_without_a_token_probes_anonymously() {
    // GitHub serves a public repository without a token (a private one answers 404).
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            dry_run: true,
            token: None,
            ..Default::default()
        },
    );
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    assert_eq!(d.mutating_count(), 0);
    assert!(d.requests().len() >= 2, "it did ask GitHub");
}

#[tokio::test]
async fn two_503s_then_success() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    d.fail_next(2, 503);
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded.len(), 2);
    assert_eq!(d.release_count(), 1, "no duplicate release");
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn a_503_on_an_upload_is_retried() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    d.fail_next_matching(2, 503, "POST /uploads/");
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded.len(), 2);
    assert_eq!(
        count(&d, "POST", &format!("assets?name={ARCHIVE}")),
        3,
        "{:?}",
        d.requests()
    );
    assert_eq!(
        d.asset_bytes(TAG, ARCHIVE).unwrap(),
        b"pretend this is a tarball\n"
    );
}

#[tokio::test]
async fn a_500_forever_is_a_server_error_with_a_hint() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.fail_always(500);
    let s = setup(&d, Opts::default());
    let e = s.gh.check(&s.cx, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server);
    assert!(e.hint().is_some(), "{e:?}");
    assert_eq!(
        d.requests().len(),
        4,
        "GETs are retried up to the attempt limit"
    );
    let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server);
    assert!(!format!("{e:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.rate_limit_next(1);
    let s = setup(&d, Opts::default());
    let t = std::time::Instant::now();
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "retry-after: 1 was honoured"
    );
    assert_eq!(
        d.requests()[0],
        d.requests()[1],
        "the same request was sent again"
    );
}

#[tokio::test]
async fn a_draft_on_a_later_page_is_found_and_reused() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let draft = d.add_release(TAG, true); // the oldest draft: listed after 120 newer ones
    d.add_releases("nightly-", 120, true);
    d.add_releases("v0.0.", 30, false);
    let s = setup(&d, Opts::default());
    let live = s.gh.check(&s.cx, &[]).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec![],
            missing: names(&[ARCHIVE, "SHA256SUMS"])
        }
    );
    assert!(count(&d, "GET", "page=2") >= 1, "{:?}", d.requests());
    s.gh.publish(&s.cx, &live, &[]).await.unwrap();
    assert_eq!(
        d.release_count(),
        151,
        "the draft was reused, not duplicated"
    );
    assert_eq!(d.release(TAG).unwrap()["id"], draft);
    assert_eq!(d.release(TAG).unwrap()["draft"], false);
}

#[tokio::test]
async fn a_release_created_meanwhile_is_reused() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.race_create_next();
    let s = setup(&d, Opts::default());
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded.len(), 2);
    assert_eq!(d.release_count(), 1);
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn same_name_with_different_content_is_a_conflict() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_release(TAG, false);
    d.add_asset(TAG, ARCHIVE, b"other bytes", "uploaded");
    let s = setup(&d, Opts::default());
    let e = s.gh.check(&s.cx, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(
        e.message()
            .contains(&format!("asset {ARCHIVE} exists with different content")),
        "{e:?}"
    );
    let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert_eq!(d.mutating_count(), 0, "never overwritten");
    assert_eq!(d.asset_bytes(TAG, ARCHIVE).unwrap(), b"other bytes");
}

#[tokio::test]
async fn immutable_releases_get_the_safe_order_and_a_clear_conflict() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.set_immutable(true);
    let s = setup(&d, Opts::default());
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(d.release(TAG).unwrap()["immutable"], true);
    d.remove_asset(TAG, "SHA256SUMS");
    let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(e.hint().unwrap().contains("immutable"), "{e:?}");

    // The 422 the uploads host answers is mapped the same way.
    let rel = d.release(TAG).unwrap();
    let api = github::api::Api::new(s.cx.http.clone(), &d.api_url(), "acme", "demo")
        .auth(Some(tagship::http::Auth::Bearer(Secret::new(TOKEN))));
    let up = github::api::Upload {
        name: "SHA256SUMS".into(),
        label: None,
        path: s.cx.release.dist.join("SHA256SUMS"),
        content_type: "application/octet-stream".into(),
        predicted: serde_json::json!({}),
    };
    let e = api
        .upload_asset(rel["upload_url"].as_str().unwrap(), &up)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(
        e.message()
            .contains("Cannot upload assets to an immutable release"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("immutable"));
}

#[tokio::test]
async fn prerelease_auto_follows_the_version() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            version: "1.2.3-rc.1",
            ..Default::default()
        },
    );
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(d.release(TAG).unwrap()["prerelease"], true);
}

#[tokio::test]
async fn a_rejected_token_is_an_auth_error_naming_the_variable() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            token: Some("ghp_wrong_token_value_3b8d"),
            ..Default::default()
        },
    );
    let e = s.gh.check(&s.cx, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(e.message().contains("GITHUB_TOKEN"), "{e:?}");
    assert!(e.hint().unwrap().contains("GITHUB_TOKEN"));
    let all = format!("{e:?} {} {}", e.chain(), e.hint().unwrap());
    assert!(!all.contains("ghp_wrong_token_value_3b8d"), "{all}");
    assert_eq!(d.requests().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn an_unknown_repo_hints_at_the_name_and_scope() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            extra: serde_json::json!({"repo": "dmeo"}),
            ..Default::default()
        },
    );
    let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let hint = e.hint().unwrap();
    assert!(
        hint.contains("acme/dmeo") && hint.contains("contents: write"),
        "{hint}"
    );
    assert!(!format!("{e:?}").contains(TOKEN));
}

#[test]
fn config_is_validated_and_declares_the_token() {
    let project = Project::default();
    let build = github::FACTORY.build;
    assert!(
        build(&serde_json::json!({"owner": "a"}), &project).is_err(),
        "repo is required"
    );
    let e = build(
        &serde_json::json!({"owner": "a", "repo": "b", "draf": true}),
        &project,
    )
    .err()
    .unwrap();
    assert_eq!(e.kind, ErrorKind::Config);
    let p = build(
        &serde_json::json!({"owner": "a", "repo": "b", "token_env": "GH_PAT"}),
        &project,
    )
    .unwrap();
    assert_eq!(
        p.requirements(),
        vec![tagship::platform::Requirement::Credential {
            var: "GH_PAT".into(),
            optional: false
        }]
    );
    let schema = serde_json::to_value((github::FACTORY.schema)()).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert!(tagship::platforms::find("github").is_some());
}
