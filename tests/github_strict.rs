//! The GitHub adapter against the double where the double is as strict as GitHub (issue 15):
//! draft asset links, secondary rate limits, the 1,000-release cap, anonymous access, the
//! workflow-scope 404, asset-name rewriting, unfinished uploads and tags with a slash.
//! Each test failed before the adapter and the double were brought in line with GitHub.

mod support;

use std::time::Duration;
use support::github_double::harness::{count, names, setup, Opts, ARCHIVE, TAG, TOKEN};
use support::github_double::GithubDouble;
use tagship::platform::{Live, Published};
use tagship::ErrorKind;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Every URL a dependent or the report can see.
fn handed_over(p: &Published) -> Vec<String> {
    let h = &p.handover;
    h.urls
        .iter()
        .chain(h.assets.iter().map(|a| &a.url))
        .cloned()
        .collect()
}

fn assert_final(p: &Published, tag_segment: &str) {
    for u in handed_over(p) {
        assert!(
            !u.contains("untagged-"),
            "a draft link was handed over: {u}"
        );
    }
    let h = &p.handover;
    assert!(
        h.urls[0].ends_with(&format!("/releases/tag/{tag_segment}")),
        "{:?}",
        h.urls
    );
    for a in &h.assets {
        assert!(
            a.url
                .contains(&format!("/releases/download/{tag_segment}/")),
            "{}: {}",
            a.name,
            a.url
        );
    }
}

#[tokio::test]
async fn dependents_get_the_final_urls_not_the_drafts() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    // The double did serve draft links while uploading, as GitHub does...
    let served = format!("{:?}", d.served());
    assert!(served.contains("/releases/download/untagged-"), "{served}");
    // ...and the adapter handed over the links that work once published.
    assert_final(&p, TAG);
    assert_eq!(p.handover.assets.len(), 2, "{:?}", p.handover);
    let rel = d.release(TAG).unwrap();
    let live: Vec<&str> = rel["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["browser_download_url"].as_str().unwrap())
        .collect();
    for url in p.handover.assets.iter().map(|a| &a.url) {
        assert!(live.contains(&url.as_str()), "{url} not in {live:?}");
    }
    let reread = format!("/repos/acme/demo/releases/{}", rel["id"]);
    let reads = d
        .requests()
        .into_iter()
        .filter(|(m, p)| m == "GET" && *p == reread);
    assert_eq!(reads.count(), 1, "re-read once after publishing");
}

#[tokio::test]
async fn a_kept_draft_and_a_dry_run_hand_over_final_urls_too() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let draft = setup(
        &d,
        Opts {
            extra: serde_json::json!({"draft": true}),
            ..Default::default()
        },
    );
    let p = draft
        .gh
        .publish(&draft.cx, &Live::Absent, &[])
        .await
        .unwrap();
    assert_eq!(d.release(TAG).unwrap()["draft"], true);
    assert_final(&p, TAG);

    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let dry = setup(
        &d,
        Opts {
            dry_run: true,
            ..Default::default()
        },
    );
    let p = dry.gh.publish(&dry.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(d.mutating_count(), 0);
    assert_final(&p, TAG);
}

#[tokio::test]
async fn a_secondary_rate_limit_without_headers_is_waited_out() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let quick = || Opts {
        max_wait: Duration::from_secs(1),
        ..Default::default()
    };
    let s = setup(&d, quick());
    d.secondary_limit_next(1, 403);
    let t = std::time::Instant::now();
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "waited (min(60 s, max_wait))"
    );
    assert_eq!(d.requests()[0], d.requests()[1], "the same request again");
    // 429 with the same message counts as well.
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, quick());
    d.secondary_limit_next(1, 429);
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(d.release(TAG).unwrap()["draft"], false);
}

#[tokio::test]
async fn a_persisting_secondary_rate_limit_is_reported_as_one() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(
        &d,
        Opts {
            max_wait: Duration::from_secs(1),
            ..Default::default()
        },
    );
    d.secondary_limit_next(100, 403);
    let e = s.gh.check(&s.cx, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e:?}");
    assert!(e.message().contains("secondary rate limit"), "{e:?}");
    let hint = e.hint().unwrap();
    assert!(!hint.contains("contents: write"), "wrong hint: {hint}");
    assert!(hint.contains("TAGSHIP_HTTP_MAX_WAIT_SECS"), "{hint}");
    assert_eq!(
        d.requests().len(),
        2,
        "one wait, then the doubled wait exceeds the max"
    );
}

#[tokio::test]
async fn more_than_1000_releases_do_not_break_the_check() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_releases("v0.0.", 1100, false);
    let s = setup(&d, Opts::default());
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    assert_eq!(
        count(&d, "GET", "/repos/acme/demo/releases?"),
        1,
        "drafts come first: a page with a published release ends the search"
    );
    // A draft for the tag is found on the first page, whatever the history behind it.
    d.add_release(TAG, true);
    let live = s.gh.check(&s.cx, &[]).await.unwrap();
    assert!(matches!(live.live, Live::Partial { .. }), "{live:?}");
}

#[tokio::test]
async fn the_listing_ends_at_1000_results() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_releases("nightly-", 1010, true);
    let s = setup(&d, Opts::default());
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    assert_eq!(count(&d, "GET", "&page=10"), 1);
    assert_eq!(
        count(&d, "GET", "&page=11"),
        0,
        "the last link stops at 1,000"
    );
    // Beyond the cap GitHub (and the double) answer 422.
    let url = format!(
        "{}/repos/acme/demo/releases?per_page=100&page=11",
        d.api_url()
    );
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("first 1000 results"));
}

#[tokio::test]
async fn a_public_repository_is_checked_without_a_token() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_release(TAG, true); // invisible without a token
    let s = setup(
        &d,
        Opts {
            dry_run: true,
            token: None,
            ..Default::default()
        },
    );
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Absent);
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&[ARCHIVE, "SHA256SUMS"]));
    assert_eq!(d.mutating_count(), 0);
    assert_final(&p, TAG);
}

#[tokio::test]
async fn a_private_repository_answers_404_without_a_token() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.set_private(true);
    let s = setup(
        &d,
        Opts {
            dry_run: true,
            token: None,
            ..Default::default()
        },
    );
    let e = s.gh.check(&s.cx, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(
        e.hint().unwrap().contains("GITHUB_TOKEN is not set"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_workflow_change_without_the_scope_names_the_real_reason() {
    for status in [404, 403] {
        let d = GithubDouble::start("acme", "demo", TOKEN).await;
        d.workflow_change_at(COMMIT);
        d.deny_workflow_changes(status);
        let s = setup(&d, Opts::default());
        let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
        let hint = e.hint().unwrap();
        assert!(
            hint.contains(".github/workflows/") && hint.contains("`workflow` scope"),
            "{hint}"
        );
        assert!(
            hint.contains(COMMIT) && hint.contains("GITHUB_TOKEN"),
            "{hint}"
        );
        assert!(
            !hint.contains("check platforms.github.owner/repo"),
            "{hint}"
        );
        assert_eq!(d.release_count(), 0);
    }
}

#[tokio::test]
async fn asset_names_are_predicted_as_github_stores_them() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let odd = "demo 1.2.3 (linux~x64).tar.gz";
    let s = setup(
        &d,
        Opts {
            files: vec![(odd, &b"odd name\n"[..])],
            ..Default::default()
        },
    );
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert!(d.asset_bytes(TAG, "demo.1.2.3.linux.x64.tar.gz").is_some());
    assert!(p
        .handover
        .asset(odd)
        .unwrap()
        .url
        .ends_with("/releases/download/v1.2.3/demo.1.2.3.linux.x64.tar.gz"));
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
    let before = d.mutating_count();
    s.gh.publish(&s.cx, &Live::Present, &[]).await.unwrap();
    assert_eq!(
        d.mutating_count(),
        before,
        "nothing looks missing on a re-run"
    );
}

#[tokio::test]
async fn an_upload_that_leaves_an_unfinished_asset_is_repaired() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.fail_uploads_leaving_starter(1);
    let s = setup(&d, Opts::default());
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(p.uploaded, names(&[ARCHIVE, "SHA256SUMS"]));
    assert_eq!(count(&d, "POST", &format!("assets?name={ARCHIVE}")), 2);
    assert_eq!(count(&d, "DELETE", "/releases/assets/"), 1);
    assert_eq!(
        d.asset_bytes(TAG, ARCHIVE).unwrap(),
        b"pretend this is a tarball\n"
    );
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn repairing_unfinished_uploads_is_bounded() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.fail_uploads_leaving_starter(100);
    let s = setup(&d, Opts::default());
    let e = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server, "{e:?}");
    assert!(e.message().contains("gave up after 3 attempts"), "{e:?}");
    assert_eq!(count(&d, "POST", &format!("assets?name={ARCHIVE}")), 3);
    assert_eq!(count(&d, "DELETE", "/releases/assets/"), 3);
    assert_eq!(
        d.release(TAG).unwrap()["draft"],
        true,
        "never published half-done"
    );
}

#[tokio::test]
async fn a_tag_with_a_slash_is_sent_encoded_and_decoded_like_github() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let tag = "release/v1.2.3";
    let s = setup(
        &d,
        Opts {
            tag,
            ..Default::default()
        },
    );
    let p = s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(d.release(tag).unwrap()["draft"], false);
    assert_final(&p, "release%2Fv1.2.3");
    d.clear_log();
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
    assert_eq!(
        d.requests()[0],
        (
            "GET".to_string(),
            "/repos/acme/demo/releases/tags/release%2Fv1.2.3".to_string()
        )
    );
    // An unencoded slash is another path: GitHub (and the double) answer 404.
    let raw = reqwest::get(format!(
        "{}/repos/acme/demo/releases/tags/{tag}",
        d.api_url()
    ))
    .await
    .unwrap();
    assert_eq!(raw.status(), 404);
}
