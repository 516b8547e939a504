//! PyPI's form rules and refusals against the warehouse double (issue #16): each bad form
//! sent straight to the double (no `package`, so no preflight) is refused with warehouse's
//! 400 and mapped to its own message; each account-level refusal (read-only, 2FA, email,
//! name owned by another user, too many new projects, a release older than 14 days) reaches
//! the adapter's error with the server's words and its own hint; the README is sent as the
//! long description.

#[path = "oidc_support/mod.rs"]
mod oidc_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
#[path = "pypi_support/warehouse.rs"]
mod warehouse;
#[path = "pypi_support/warehouse_oidc.rs"]
mod warehouse_oidc;

use pypi_support::{cx, release};
use sha2::{Digest, Sha256};
use tagship::platform::Live;
use tagship::ErrorKind;
use warehouse::*;

/// A valid form for the double (name whdemo, version 0.9.0b1), changed by `change`, POSTed
/// straight to it with tagship's form builder: no `package`, so no preflight.
async fn send_direct(
    url: &str,
    root: &std::path::Path,
    change: impl FnOnce(&mut tagship::platforms::wheel::WheelMeta),
) -> tagship::Result<tagship::platforms::pypi::api::Uploaded> {
    use tagship::platforms::pypi::api::{upload, Upload};
    let mut meta = tagship::platforms::wheel::WheelMeta {
        name: "whdemo".into(),
        version: "0.9.0b1".into(),
        summary: "A demo".into(),
        home_page: Some("https://example.invalid/demo".into()),
        project_urls: vec![("Source".into(), "https://example.invalid/demo.git".into())],
        license: Some("MIT".into()),
        requires_python: None,
    };
    change(&mut meta);
    let file = root.join("whdemo-0.9.0b1-py3-none-any.whl");
    std::fs::write(&file, b"not really a wheel, twenty+ bytes").unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(&file).unwrap()));
    let r = release(root, "whdemo", "0.9.0-beta.1", &[]);
    let (cx, _) = cx("pypi", r, false, &[]);
    let auth = tagship::http::Auth::Basic("__token__".into(), tagship::redact::Secret::new(TOKEN));
    let u = Upload {
        repository_url: &format!("{url}legacy/"),
        auth: Some(auth),
        path: file.clone(),
        filename: "whdemo-0.9.0b1-py3-none-any.whl",
        sha256: &sha,
        meta: &meta,
        readme: None,
        kind: ("bdist_wheel", "py3", "2.1"),
    };
    upload(&cx.http, &u).await
}

#[tokio::test]
async fn the_double_refuses_each_bad_form_sent_directly() {
    use tagship::platforms::pypi::api::Uploaded;
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    type Change = Box<dyn FnOnce(&mut tagship::platforms::wheel::WheelMeta)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "summary with a newline",
            Box::new(|m: &mut tagship::platforms::wheel::WheelMeta| m.summary = "A demo\n".into()),
            "'summary' must be a single line",
        ),
        (
            "summary of 513 characters",
            Box::new(|m: &mut tagship::platforms::wheel::WheelMeta| m.summary = "x".repeat(513)),
            "512 characters or less",
        ),
        (
            "home_page without a scheme",
            Box::new(|m: &mut tagship::platforms::wheel::WheelMeta| {
                m.home_page = Some("example.org".into())
            }),
            "'example.org' is not a valid url",
        ),
        (
            "project_urls not http",
            Box::new(|m: &mut tagship::platforms::wheel::WheelMeta| {
                m.project_urls = vec![("Source".into(), "git@github.com:a/b".into())]
            }),
            "is not a valid url",
        ),
    ];
    for (i, (what, change, said)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let e = send_direct(&url, &dir, change).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input, "{what}: {e:?}");
        assert!(e.message().contains(said), "{what}: {e:?}");
        assert!(
            !e.message().contains("could not comply"),
            "{what}: boilerplate kept: {e:?}"
        );
    }
    st.lock().unwrap().max_file = 10;
    let e = send_direct(&url, tmp.path(), |_| {}).await.unwrap_err();
    assert!(e.message().contains("File too large"), "{e:?}");
    assert!(e.hint().unwrap().contains("max_file_size"), "{e:?}");
    st.lock().unwrap().max_file = 0;
    // The same form without the broken field is accepted: the refusals were the rules.
    assert!(matches!(
        send_direct(&url, tmp.path(), |_| {}).await.unwrap(),
        Uploaded::Ok
    ));
}

#[tokio::test]
async fn each_warehouse_refusal_reaches_the_report_with_its_own_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let cases = [
        (pyramid(403, "Read-only mode: Uploads are temporarily disabled."), ErrorKind::Server, "read-only"),
        (pyramid(403, "User 'ann', associated with the API token used, does not have two-factor authentication enabled. Please enable two-factor authentication before attempting to upload to PyPI. See https://pypi.org/help/#two-factor-authentication for more information."), ErrorKind::Auth, "two-factor"),
        (pyramid(403, "User 'ann', associated with the API token used, does not have a verified primary email address. Please add a verified primary email before attempting to upload to PyPI. See https://pypi.org/help/#verified-email for more information."), ErrorKind::Auth, "verify the primary email"),
        (pyramid(403, "The user 'ann' isn't allowed to upload to project 'whdemo'. See https://pypi.org/help/#project-name for more information."), ErrorKind::Auth, "belongs to another user"),
        (pyramid(429, "Too many new projects created"), ErrorKind::RateLimited, "names no time to retry"),
        (pyramid(400, "Uploading new files to releases older than 14 days is not allowed."), ErrorKind::Conflict, "partial release cannot be resumed"),
    ];
    let (cx, _, p, pkgs) = setup(&tmp.path().join("a"), &url, "legacy/", Some(TOKEN), b"A").await;
    for ((status, body), kind, hint) in cases {
        st.lock().unwrap().refuse = Some((status, body.clone()));
        let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
        assert_eq!(e.kind, kind, "{e:?}");
        let said = body.split("\n\n").nth(2).unwrap();
        assert!(e.message().contains(said), "the server's words: {e:?}");
        assert!(e.hint().unwrap().contains(hint), "{e:?}");
    }
}

#[tokio::test]
async fn the_readme_is_sent_as_the_long_description() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let root = tmp.path().join("a");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("README.md"), "# whdemo\n\nA demo CLI.\n").unwrap();
    let (cx, _, p, pkgs) = setup(&root, &url, "legacy/", Some(TOKEN), b"A").await;
    p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    let sent = st.lock().unwrap().readme.clone();
    assert_eq!(
        sent,
        Some((
            "# whdemo\n\nA demo CLI.\n".to_string(),
            "text/markdown".to_string()
        ))
    );
}
