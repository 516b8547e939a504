//! Engine behaviour with scripted platforms: concurrency (proved with a barrier, not timing),
//! `needs` ordering and data hand-over, skip when a need failed, unknown outcome → re-check.

use super::*;
use crate::error::{Error, ErrorKind, Result};
use crate::guard::Ledger;
use crate::http::HttpOptions;
use crate::plan::{Artifact, Project};
use crate::platform::Live;
use async_trait::async_trait;
use std::sync::Mutex;

struct Fake {
    id: &'static str,
    needs: Vec<String>,
    barrier: Option<Arc<tokio::sync::Barrier>>,
    fail: bool,
    unknown_once: Mutex<bool>,
    log: Arc<Mutex<Vec<String>>>,
    live: Mutex<Live>,
}

impl Fake {
    fn new(id: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Fake {
        Fake {
            id,
            needs: vec![],
            barrier: None,
            fail: false,
            unknown_once: Mutex::new(false),
            log: log.clone(),
            live: Mutex::new(Live::Absent),
        }
    }
    fn note(&self, s: &str) {
        self.log.lock().unwrap().push(format!("{}:{s}", self.id));
    }
}

#[async_trait]
impl Platform for Fake {
    fn id(&self) -> &str {
        self.id
    }
    fn needs(&self) -> Vec<String> {
        self.needs.clone()
    }
    async fn check(&self, cx: &Cx, _: &[Artifact]) -> Result<Live> {
        if let Some(b) = &self.barrier {
            b.wait().await;
        }
        if let Some(dep) = cx.deps.values().next() {
            self.note(&format!("dep-url={}", dep.urls.join(",")));
        }
        self.note("check");
        Ok(self.live.lock().unwrap().clone())
    }
    async fn publish(&self, _: &Cx, _: &Live, _: &[Artifact]) -> Result<Published> {
        self.note("publish");
        if self.fail {
            return Err(Error::new(ErrorKind::Server, "boom"));
        }
        let mut u = self.unknown_once.lock().unwrap();
        if *u {
            *u = false;
            // It did land: the re-check must see it and not publish again.
            *self.live.lock().unwrap() = Live::Present;
            return Err(Error::new(ErrorKind::OutcomeUnknown, "connection reset"));
        }
        Ok(Published {
            urls: vec![format!("https://{}/x", self.id)],
            ..Default::default()
        })
    }
}

fn release() -> Arc<Release> {
    Arc::new(Release {
        project: Project {
            name: "demo".into(),
            ..Default::default()
        },
        version: semver::Version::new(1, 0, 0),
        tag: "v1.0.0".into(),
        commit: None,
        dist: std::env::temp_dir(),
        artifacts: vec![],
        root: std::env::temp_dir(),
        epoch: 315_532_800,
    })
}

async fn run_all(platforms: Vec<Fake>, parallelism: usize) -> Vec<PlatformReport> {
    let ledger = Ledger::default();
    let http = Http::new(HttpOptions::default(), ledger.clone()).unwrap();
    let exec = Exec::new(false, ledger);
    let selected = platforms
        .into_iter()
        .map(|p| Selected {
            platform: Arc::new(p),
            secrets: Default::default(),
            warnings: vec![],
            expected_packages: None,
        })
        .collect();
    let opts = EngineOptions {
        dry_run: false,
        fail_fast: false,
        parallelism,
    };
    run(
        selected,
        release(),
        http,
        exec,
        &opts,
        Arc::new(crate::progress::Quiet),
    )
    .await
}

#[tokio::test]
async fn platforms_run_concurrently() {
    // Each check waits at a 3-party barrier: this only finishes if all three run at once.
    let log = Arc::new(Mutex::new(vec![]));
    let b = Arc::new(tokio::sync::Barrier::new(3));
    let ps: Vec<Fake> = ["a", "b", "c"]
        .into_iter()
        .map(|id| Fake {
            barrier: Some(b.clone()),
            ..Fake::new(id, &log)
        })
        .collect();
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), run_all(ps, 3))
        .await
        .expect("platforms did not run concurrently");
    assert!(out.iter().all(|r| r.outcome == OutcomeKind::Published));
}

#[tokio::test]
async fn a_dependent_waits_for_exactly_its_need_and_gets_its_data() {
    let log = Arc::new(Mutex::new(vec![]));
    let gh = Fake::new("github", &log);
    let brew = Fake {
        needs: vec!["github".into()],
        ..Fake::new("homebrew", &log)
    };
    // Dependent listed first, so order comes from `needs`, not from the list.
    let out = run_all(vec![brew, gh], 4).await;
    let log = log.lock().unwrap().clone();
    let gh_pub = log.iter().position(|l| l == "github:publish").unwrap();
    let brew_check = log.iter().position(|l| l == "homebrew:check").unwrap();
    assert!(gh_pub < brew_check, "{log:?}");
    assert!(
        log.contains(&"homebrew:dep-url=https://github/x".to_string()),
        "{log:?}"
    );
    assert_eq!(out[0].id, "homebrew", "report keeps the configured order");
    assert!(out.iter().all(|r| r.outcome == OutcomeKind::Published));
}

#[tokio::test]
async fn a_failed_need_skips_the_dependent_and_others_finish() {
    let log = Arc::new(Mutex::new(vec![]));
    let gh = Fake {
        fail: true,
        ..Fake::new("github", &log)
    };
    let brew = Fake {
        needs: vec!["github".into()],
        ..Fake::new("homebrew", &log)
    };
    let other = Fake::new("npm", &log);
    let out = run_all(vec![gh, brew, other], 1).await;
    assert_eq!(out[0].outcome, OutcomeKind::Failed);
    assert_eq!(out[0].reason.as_deref(), Some("boom"));
    assert!(out[0].hint.is_some());
    assert_eq!(out[1].outcome, OutcomeKind::Skipped);
    assert!(out[1].reason.as_ref().unwrap().contains("github"));
    assert_eq!(out[2].outcome, OutcomeKind::Published);
    assert!(!log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("homebrew:")));
}

#[tokio::test]
async fn unknown_outcome_rechecks_instead_of_resending() {
    let log = Arc::new(Mutex::new(vec![]));
    let p = Fake {
        unknown_once: Mutex::new(true),
        ..Fake::new("pypi", &log)
    };
    let out = run_all(vec![p], 1).await;
    assert_eq!(out[0].outcome, OutcomeKind::Published, "{:?}", out[0]);
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        vec!["pypi:check", "pypi:publish", "pypi:check"],
        "one publish, then a re-check"
    );
}

#[tokio::test]
async fn already_live_is_not_published() {
    let log = Arc::new(Mutex::new(vec![]));
    let p = Fake {
        live: Mutex::new(Live::Present),
        ..Fake::new("npm", &log)
    };
    let out = run_all(vec![p], 1).await;
    assert_eq!(out[0].outcome, OutcomeKind::AlreadyPublished);
    assert_eq!(log.lock().unwrap().clone(), vec!["npm:check"]);
}

#[tokio::test]
async fn a_needs_cycle_fails_loudly_instead_of_hanging() {
    let log = Arc::new(Mutex::new(vec![]));
    let a = Fake {
        needs: vec!["b".into()],
        ..Fake::new("a", &log)
    };
    let b = Fake {
        needs: vec!["a".into()],
        ..Fake::new("b", &log)
    };
    let c = Fake::new("c", &log);
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        run_all(vec![a, b, c], 2),
    )
    .await
    .expect("a cycle must not hang");
    assert_eq!(out[0].outcome, OutcomeKind::Failed);
    assert!(out[0].reason.as_ref().unwrap().contains("cycle"));
    assert_eq!(out[1].outcome, OutcomeKind::Failed);
    assert_eq!(out[2].outcome, OutcomeKind::Published);
}

#[tokio::test]
async fn a_need_outside_the_run_is_a_stated_warning() {
    let log = Arc::new(Mutex::new(vec![]));
    let brew = Fake {
        needs: vec!["github".into()],
        ..Fake::new("homebrew", &log)
    };
    let out = run_all(vec![brew], 1).await;
    assert_eq!(out[0].outcome, OutcomeKind::Published);
    assert!(
        out[0].warnings[0].contains("github"),
        "{:?}",
        out[0].warnings
    );
}
