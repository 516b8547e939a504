//! The pypi adapter's default path (pypi.org: warehouse JSON check + forklift upload) against
//! the warehouse double (`pypi_support/warehouse.rs`): check, upload, conflicts, a stale
//! listing, auth and redirect errors.

#[path = "oidc_support/mod.rs"]
mod oidc_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
#[path = "pypi_support/warehouse.rs"]
mod warehouse;
#[path = "pypi_support/warehouse_oidc.rs"]
mod warehouse_oidc;

use tagship::platform::Live;
use tagship::ErrorKind;
use warehouse::*;

#[tokio::test]
async fn warehouse_check_upload_and_conflicts() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let (cx, ledger, p, pkgs) =
        setup(&tmp.path().join("a"), &url, "legacy/", Some(TOKEN), b"A").await;
    let names: Vec<String> = pkgs.iter().map(|a| a.name.clone()).collect();
    assert_eq!(
        names,
        [
            "whdemo-0.9.0b1-py3-none-macosx_11_0_arm64.whl",
            "whdemo-0.9.0b1-py3-none-win_amd64.whl"
        ]
    );
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let pubd = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, names, "{:?}", st.lock().unwrap().log);
    assert_eq!(
        pubd.handover.urls,
        [format!("{url}project/whdemo/0.9.0b1/")]
    );
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);
    assert_eq!(ledger.mutating_sent(), 2);
    // Once the JSON API lists the release, the simple API is not asked.
    let log = st.lock().unwrap().log.clone();
    assert!(
        !log.iter()
            .any(|l| l.contains("/simple/") && l.contains("200")),
        "{log:?}"
    );

    // Other bytes, same names: the check reports a conflict naming the file.
    let (cx2, _, p2, pkgs2) =
        setup(&tmp.path().join("b"), &url, "legacy/", Some(TOKEN), b"B").await;
    let c = p2.check(&cx2, &pkgs2).await.unwrap();
    let Live::Conflict { conflicts } = c.live else {
        panic!("expected a conflict, got {c:?}")
    };
    assert!(conflicts[0].contains(&pkgs2[0].name), "{conflicts:?}");
    // With a stale listing the upload gets 400 "File already exists": still a conflict, never ok.
    st.lock().unwrap().stale = true;
    assert_eq!(p2.check(&cx2, &pkgs2).await.unwrap(), Live::Absent);
    let e = p2.publish(&cx2, &Live::Absent, &pkgs2).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains("already exist"), "{e:?}");
    // Identical bytes re-sent during the lag: warehouse answers 200, that is fine.
    let again = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(again.uploaded.len(), 2);
    // The engine's verify re-checks; while the listing lags the check says absent.
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
}

#[tokio::test]
async fn auth_and_redirect_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (_st, url) = start().await;
    let (cx, _, p, pkgs) = setup(
        &tmp.path().join("a"),
        &url,
        "legacy/",
        Some("pypi-wrong"),
        b"A",
    )
    .await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    // The server's own message is reported, not only "token rejected".
    let said = "Invalid or non-existent authentication information";
    assert!(e.message().contains(said), "{e:?}");
    assert!(
        e.hint()
            .unwrap()
            .contains(&format!("PYPI_TOKEN was rejected by {url}legacy/")),
        "{e:?}"
    );
    let (cx, _, p, pkgs) = setup(&tmp.path().join("b"), &url, "legacy/", None, b"A").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("PYPI_TOKEN is not set"), "{e:?}");
    // A redirected upload is not followed (a POST would turn into a GET) and is never taken
    // for success: the 301 is reported with a hint naming the redirect.
    let (cx, _, p, pkgs) = setup(&tmp.path().join("c"), &url, "legacy", Some(TOKEN), b"A").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert!(e.message().contains("301"), "{e:?}");
    assert!(
        e.hint().unwrap().contains("redirected a write to /legacy/"),
        "{e:?}"
    );
}
