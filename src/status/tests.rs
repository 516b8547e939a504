use super::*;

fn v(s: &str) -> semver::Version {
    semver::Version::parse(s).unwrap()
}

fn live(id: &str, newest: &str, presence: Option<Presence>) -> Observed {
    Observed {
        id: id.into(),
        answer: Ok(Answer {
            newest: Some(v(newest)),
            presence,
            ..Default::default()
        }),
    }
}

fn judge(version: Option<&str>, age_hours: Option<u64>) -> Judge {
    Judge {
        project: "demo".into(),
        version: version.map(v),
        tag_age_secs: age_hours.map(|h| h * 3600),
        stale_after_hours: 6,
        checked_at: "2026-11-28T12:00:00Z".into(),
    }
}

#[test]
fn in_sync_is_exit_0() {
    let s = assess(
        &judge(None, Some(1)),
        &[live("github", "1.1.19", None), live("npm", "1.1.19", None)],
    );
    assert_eq!(s.version, "1.1.19");
    assert_eq!(s.exit_code, 0);
    assert!(s.platforms.iter().all(|r| r.presence == Presence::Complete));
}

#[test]
fn a_platform_behind_is_drift_saying_how_far() {
    let s = assess(
        &judge(None, Some(1)),
        &[live("github", "1.1.19", None), live("npm", "1.1.17", None)],
    );
    assert_eq!(s.exit_code, 1);
    let npm = &s.platforms[1];
    assert_eq!(
        npm.drift.as_deref(),
        Some("2 patch behind: 1.1.17 < 1.1.19")
    );
    assert!(!npm.stale, "the tag is 1 h old, the window 6 h");
    let late = assess(
        &judge(None, Some(7)),
        &[live("github", "1.1.19", None), live("npm", "1.1.17", None)],
    );
    assert!(late.platforms[1].stale && !late.platforms[0].stale);
}

#[test]
fn pending_review_is_not_drift_until_stale_and_partial_is() {
    let obs = [
        live("github", "1.2.0", None),
        live("chocolatey", "1.1.0", Some(Presence::Pending)),
        live("pypi", "1.2.0", Some(Presence::Partial)),
    ];
    let s = assess(&judge(Some("1.2.0"), Some(1)), &obs);
    assert!(s.platforms[1].ok(), "{:?}", s.platforms[1]);
    assert_eq!(
        s.platforms[2].drift.as_deref(),
        Some("1.2.0 is only partly live")
    );
    let s = assess(&judge(Some("1.2.0"), Some(8)), &obs);
    assert!(s.platforms[1].stale, "pending for 8 h > 6 h");
}

#[test]
fn an_unreachable_platform_is_its_own_row_and_hides_nothing() {
    let obs = [
        live("github", "2.0.0", None),
        Observed {
            id: "npm".into(),
            answer: Err("HTTP 429: rate limited".into()),
        },
        live("crates", "1.9.0", None),
    ];
    let s = assess(&judge(None, None), &obs);
    assert_eq!(s.exit_code, 1);
    assert!(s.platforms[1].unreachable);
    assert_eq!(
        s.platforms[1].reason.as_deref(),
        Some("HTTP 429: rate limited")
    );
    assert_eq!(
        s.platforms[2].drift.as_deref(),
        Some("1 major behind: 1.9.0 < 2.0.0")
    );
    assert!(s.platforms[0].ok());
}

#[test]
fn an_older_version_asked_about_is_not_drift_where_a_newer_one_is_live() {
    let s = assess(&judge(Some("1.0.0"), None), &[live("npm", "1.1.0", None)]);
    assert_eq!(s.exit_code, 0, "{:?}", s.platforms);
}

#[test]
fn packages_are_judged_each_on_its_own_then_combined() {
    // core's platforms agree at 1.0.0; cli's pep503 lags its own 2.0.0.
    let core = assess(
        &judge(Some("1.0.0"), Some(1)),
        &[live("pypi", "1.0.0", None), live("pep503", "1.0.0", None)],
    );
    let cli = assess(
        &judge(Some("2.0.0"), Some(1)),
        &[live("pypi", "2.0.0", None), live("pep503", "1.0.0", None)],
    );
    let alone = serde_json::to_value(&core.platforms[0]).unwrap();
    let s = combine("mono", vec![("core".into(), core), ("cli".into(), cli)]);
    let ids: Vec<&str> = s.platforms.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["core/pypi", "core/pep503", "cli/pypi", "cli/pep503"]);
    let drift: Vec<bool> = s.platforms.iter().map(|r| r.drift.is_some()).collect();
    assert_eq!(drift, [false, false, false, true]);
    assert_eq!(s.platforms[3].package.as_deref(), Some("cli"));
    assert_eq!(s.platforms[3].version.as_deref(), Some("2.0.0"));
    assert_eq!((s.version.as_str(), s.exit_code), ("1.0.0, 2.0.0", 1));
    assert_eq!(s.newest.as_deref(), Some("2.0.0"));
    let md = markdown(&s);
    assert!(md.contains("cli/pep503"), "{md}");
    // The JSON keeps a plain row's shape: `package`/`version` only on package rows.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["platforms"][0]["package"], "core");
    assert_eq!(json["platforms"][0]["version"], "1.0.0");
    assert!(alone.get("package").is_none() && alone.get("version").is_none());
}
