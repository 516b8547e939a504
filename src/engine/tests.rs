//! Engine behaviour with scripted platforms: the phases (a packaging error anywhere refuses
//! the run before any publish), concurrency (proved with a barrier, not timing), `needs`
//! ordering and the typed hand-over (identical on a first run and a re-run), skip when a need
//! failed, unknown outcome → re-check, verify by re-checking, withdraw.

use super::*;
use crate::error::{Error, ErrorKind, Result};
use crate::guard::Ledger;
use crate::http::HttpOptions;
use crate::plan::{Artifact, Project};
use crate::platform::{Asset, Capabilities, Checked, Live, Published, Withdraw, Withdrawn};
use async_trait::async_trait;
use std::sync::Mutex;

type Log = Arc<Mutex<Vec<String>>>;

struct Fake {
    id: &'static str,
    needs: Vec<String>,
    /// Waited at by the first check only.
    barrier: Mutex<Option<Arc<tokio::sync::Barrier>>>,
    fail: bool,
    fail_package: bool,
    unknown_once: Mutex<bool>,
    /// Checks after a publish that still see the old state (an index lagging behind).
    lag: Mutex<u32>,
    log: Log,
    live: Mutex<Live>,
    caps: Capabilities,
}

impl Fake {
    fn new(id: &'static str, log: &Log) -> Fake {
        Fake {
            id,
            needs: vec![],
            barrier: Mutex::new(None),
            fail: false,
            fail_package: false,
            unknown_once: Mutex::new(false),
            lag: Mutex::new(0),
            log: log.clone(),
            live: Mutex::new(Live::Absent),
            caps: Capabilities {
                verify_within: Some(std::time::Duration::from_secs(5)),
                ..Capabilities::default()
            },
        }
    }
    fn note(&self, s: &str) {
        self.log.lock().unwrap().push(format!("{}:{s}", self.id));
    }
    fn handover(&self) -> Handover {
        Handover {
            urls: vec![format!("https://{}/page", self.id)],
            assets: vec![Asset {
                name: "x.tar.gz".into(),
                url: format!("https://{}/download/v1.0.0/x.tar.gz", self.id),
                sha256: "ab".repeat(32),
                size: 3,
            }],
        }
    }
    fn deps(&self, cx: &Cx, stage: &str) {
        for (id, h) in &cx.deps {
            self.note(&format!(
                "{stage}-dep={id}:{}",
                serde_json::to_string(h).unwrap()
            ));
        }
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
    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }
    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        self.note("package");
        self.deps(cx, "package");
        if self.fail_package {
            return Err(Error::input("the version cannot be represented here"));
        }
        Ok(vec![])
    }
    fn planned_handover(&self, _: &Cx, _: &[Artifact]) -> Handover {
        self.handover()
    }
    async fn check(&self, _: &Cx, _: &[Artifact]) -> Result<Checked> {
        let barrier = self.barrier.lock().unwrap().take();
        if let Some(b) = barrier {
            b.wait().await;
        }
        self.note("check");
        let mut lag = self.lag.lock().unwrap();
        if *lag > 0 && *self.live.lock().unwrap() == Live::Present {
            *lag -= 1;
            return Ok(Live::Absent.into());
        }
        let live = self.live.lock().unwrap().clone();
        let h = if live == Live::Present {
            self.handover()
        } else {
            Handover::default()
        };
        Ok(Checked::with(live, h))
    }
    async fn publish(&self, cx: &Cx, _: &Live, _: &[Artifact]) -> Result<Published> {
        self.note("publish");
        self.deps(cx, "publish");
        if self.fail {
            return Err(Error::new(ErrorKind::Server, "boom"));
        }
        *self.live.lock().unwrap() = Live::Present;
        let mut u = self.unknown_once.lock().unwrap();
        if *u {
            *u = false;
            // It did land: the re-check must see it and not publish again.
            return Err(Error::new(ErrorKind::OutcomeUnknown, "connection reset"));
        }
        Ok(Published {
            handover: self.handover(),
            ..Default::default()
        })
    }
    async fn withdraw(&self, _: &Cx) -> Result<Withdrawn> {
        self.note("withdraw");
        Ok(match self.caps.withdraw {
            Withdraw::Manual => Withdrawn::Manual {
                what: "no API".into(),
                url: "https://example.invalid/yank".into(),
            },
            _ => Withdrawn::Done("yanked demo 1.0.0".into()),
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

async fn run_op(platforms: Vec<Arc<Fake>>, parallelism: usize, op: Operation) -> RunResult {
    let ledger = Ledger::default();
    let http = Http::new(HttpOptions::default(), ledger.clone()).unwrap();
    let exec = Exec::new(false, ledger);
    let selected = platforms
        .into_iter()
        .map(|p| Selected {
            platform: p,
            secrets: Default::default(),
            warnings: vec![],
            expected_packages: None,
        })
        .collect();
    let opts = EngineOptions {
        dry_run: false,
        fail_fast: false,
        parallelism,
        operation: op,
        deadline: None,
    };
    let layers = Layers {
        release: release(),
        http,
        exec,
    };
    run(selected, layers, &opts, Arc::new(crate::progress::Quiet)).await
}

async fn run_all(platforms: Vec<Fake>, parallelism: usize) -> RunResult {
    let ps = platforms.into_iter().map(Arc::new).collect();
    run_op(ps, parallelism, Operation::Release).await
}

fn lines(log: &Log, prefix: &str) -> Vec<String> {
    let log = log.lock().unwrap();
    log.iter()
        .filter(|l| l.starts_with(prefix))
        .cloned()
        .collect()
}

#[tokio::test]
async fn checks_run_concurrently() {
    // Each check waits at a 3-party barrier: this only finishes if all three run at once.
    let log = Arc::new(Mutex::new(vec![]));
    let b = Arc::new(tokio::sync::Barrier::new(3));
    let ps: Vec<Fake> = ["a", "b", "c"]
        .into_iter()
        .map(|id| Fake {
            barrier: Mutex::new(Some(b.clone())),
            ..Fake::new(id, &log)
        })
        .collect();
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), run_all(ps, 1))
        .await
        .expect("checks did not run concurrently (even with --parallelism 1)");
    assert!(out
        .platforms
        .iter()
        .all(|r| r.outcome == OutcomeKind::Published));
}

#[tokio::test]
async fn a_packaging_error_anywhere_refuses_the_run_before_any_check_or_publish() {
    let log = Arc::new(Mutex::new(vec![]));
    let good = Fake::new("exec", &log);
    let bad = Fake {
        fail_package: true,
        ..Fake::new("pypi", &log)
    };
    let out = run_all(vec![good, bad], 2).await;
    assert!(out.refused, "a packaging error is exit 2");
    let log = log.lock().unwrap().clone();
    assert!(
        log.iter().all(|l| l.ends_with(":package")),
        "nothing but packaging ran: {log:?}"
    );
    let (exec, pypi) = (&out.platforms[0], &out.platforms[1]);
    assert_eq!(pypi.outcome, OutcomeKind::Failed);
    assert_eq!(pypi.error_kind.as_deref(), Some("input"));
    assert!(pypi
        .reason
        .as_ref()
        .unwrap()
        .contains("cannot be represented"));
    assert_eq!(exec.outcome, OutcomeKind::Skipped);
    assert!(exec
        .reason
        .as_ref()
        .unwrap()
        .contains("packaging failed for pypi"));
}

/// A dependent gets the same typed hand-over when its need publishes now and when its need
/// was already live (a re-run) — at packaging time (planned) and at publishing time (real).
#[tokio::test]
async fn a_dependent_gets_identical_typed_handover_on_first_run_and_rerun() {
    let mut seen = Vec::new();
    for already_live in [false, true] {
        let log = Arc::new(Mutex::new(vec![]));
        let gh = Fake {
            live: Mutex::new(if already_live {
                Live::Present
            } else {
                Live::Absent
            }),
            ..Fake::new("github", &log)
        };
        let brew = Fake {
            needs: vec!["github".into()],
            ..Fake::new("homebrew", &log)
        };
        // Dependent listed first, so order comes from `needs`, not from the list.
        let out = run_all(vec![brew, gh], 4).await;
        assert!(!out.refused);
        assert_eq!(
            out.platforms[0].id, "homebrew",
            "report keeps the configured order"
        );
        let deps = lines(&log, "homebrew:");
        let packaged = deps
            .iter()
            .find(|l| l.starts_with("homebrew:package-dep"))
            .cloned();
        let published = deps
            .iter()
            .find(|l| l.starts_with("homebrew:publish-dep"))
            .cloned();
        let (packaged, published) = (packaged.unwrap(), published.unwrap());
        assert!(
            published.contains("https://github/download/v1.0.0/x.tar.gz"),
            "{published}"
        );
        assert_eq!(packaged.replace("package-dep", "publish-dep"), published);
        let gh_report = &out.platforms[1];
        assert_eq!(
            gh_report.assets[0].url,
            "https://github/download/v1.0.0/x.tar.gz"
        );
        let log = log.lock().unwrap().clone();
        if !already_live {
            let gh_pub = log.iter().position(|l| l == "github:publish").unwrap();
            let brew_pub = log.iter().position(|l| l == "homebrew:publish").unwrap();
            assert!(gh_pub < brew_pub, "{log:?}");
        } else {
            assert!(!log.contains(&"github:publish".to_string()), "{log:?}");
        }
        seen.push(published);
    }
    assert_eq!(
        seen[0], seen[1],
        "first run and re-run hand over the same data"
    );
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
    let out = run_all(vec![gh, brew, other], 1).await.platforms;
    assert_eq!(out[0].outcome, OutcomeKind::Failed);
    assert_eq!(out[0].reason.as_deref(), Some("boom"));
    assert!(out[0].hint.is_some());
    assert_eq!(out[1].outcome, OutcomeKind::Skipped);
    assert!(out[1].reason.as_ref().unwrap().contains("github"));
    assert_eq!(out[2].outcome, OutcomeKind::Published);
    assert!(!lines(&log, "homebrew:").contains(&"homebrew:publish".to_string()));
}

#[tokio::test]
async fn unknown_outcome_rechecks_instead_of_resending() {
    let log = Arc::new(Mutex::new(vec![]));
    let p = Fake {
        unknown_once: Mutex::new(true),
        ..Fake::new("pypi", &log)
    };
    let out = run_all(vec![p], 1).await.platforms;
    assert_eq!(out[0].outcome, OutcomeKind::Published, "{:?}", out[0]);
    assert_eq!(
        lines(&log, "pypi:"),
        vec!["pypi:package", "pypi:check", "pypi:publish", "pypi:check"],
        "one publish, then a re-check"
    );
}

#[tokio::test]
async fn verify_rechecks_until_live_then_gives_up_as_pending() {
    let log = Arc::new(Mutex::new(vec![]));
    let lagging = Fake {
        lag: Mutex::new(2),
        ..Fake::new("crates", &log)
    };
    let out = run_all(vec![lagging], 1).await.platforms;
    assert_eq!(out[0].outcome, OutcomeKind::Published, "{:?}", out[0]);
    let checks = lines(&log, "crates:check").len();
    assert_eq!(checks, 4, "1 check, then re-checks until live");
    assert!(out[0].stages.contains_key("verify"), "{:?}", out[0].stages);

    let log = Arc::new(Mutex::new(vec![]));
    let mut never = Fake {
        lag: Mutex::new(u32::MAX),
        ..Fake::new("crates", &log)
    };
    never.caps.verify_within = Some(std::time::Duration::ZERO);
    let out = run_all(vec![never], 1).await.platforms;
    assert_eq!(
        out[0].outcome,
        OutcomeKind::Pending,
        "accepted but not visible"
    );
    assert!(out[0].reason.as_ref().unwrap().contains("not visible"));
}

#[tokio::test]
async fn live_states_decide_without_publishing() {
    for (live, outcome) in [
        (Live::Present, OutcomeKind::AlreadyPublished),
        (
            Live::Pending {
                reason: "awaiting moderation".into(),
            },
            OutcomeKind::Pending,
        ),
        (
            Live::Conflict {
                conflicts: vec!["x: live sha256 aa, ours bb".into()],
            },
            OutcomeKind::Failed,
        ),
    ] {
        let log = Arc::new(Mutex::new(vec![]));
        let p = Fake {
            live: Mutex::new(live),
            ..Fake::new("npm", &log)
        };
        let out = run_all(vec![p], 1).await.platforms;
        assert_eq!(out[0].outcome, outcome);
        assert_eq!(lines(&log, "npm:"), vec!["npm:package", "npm:check"]);
        if outcome == OutcomeKind::Failed {
            assert_eq!(out[0].error_kind.as_deref(), Some("conflict"));
            assert!(out[0].hint.as_ref().unwrap().contains("never overwrites"));
        }
    }
}

#[tokio::test]
async fn a_needs_cycle_refuses_the_run_instead_of_hanging() {
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
    assert!(out.refused);
    let out = out.platforms;
    assert_eq!(out[0].outcome, OutcomeKind::Failed);
    assert!(out[0].reason.as_ref().unwrap().contains("cycle"));
    assert_eq!(out[0].error_kind.as_deref(), Some("config"));
    assert_eq!(out[2].outcome, OutcomeKind::Skipped);
    assert!(lines(&log, "c:").iter().all(|l| l == "c:package"));
}

#[tokio::test]
async fn a_need_outside_the_run_is_a_stated_warning() {
    let log = Arc::new(Mutex::new(vec![]));
    let brew = Fake {
        needs: vec!["github".into()],
        ..Fake::new("homebrew", &log)
    };
    let out = run_all(vec![brew], 1).await.platforms;
    assert_eq!(out[0].outcome, OutcomeKind::Published);
    assert!(
        out[0].warnings[0].contains("github"),
        "{:?}",
        out[0].warnings
    );
}

#[tokio::test]
async fn withdraw_runs_through_the_same_engine() {
    let log = Arc::new(Mutex::new(vec![]));
    let mut crates = Fake::new("crates", &log);
    crates.caps.withdraw = Withdraw::Yank;
    let out = run_op(vec![Arc::new(crates)], 1, Operation::Withdraw).await;
    assert_eq!(out.platforms[0].outcome, OutcomeKind::Withdrawn);
    assert_eq!(lines(&log, "crates:"), vec!["crates:withdraw"]);
    assert!(out.platforms[0].stages.contains_key("yank"));
    assert_eq!(
        out.platforms[0].reason.as_deref(),
        Some("yanked demo 1.0.0")
    );
}

#[tokio::test]
async fn a_manual_rollback_says_where_and_is_not_a_success() {
    let log = Arc::new(Mutex::new(vec![]));
    let mut pypi = Fake::new("pypi", &log);
    pypi.caps.withdraw = Withdraw::Manual;
    let out = run_op(vec![Arc::new(pypi)], 1, Operation::Withdraw).await;
    let r = &out.platforms[0];
    assert_eq!(r.outcome, OutcomeKind::Manual);
    assert_eq!(
        r.hint.as_deref(),
        Some("do it at https://example.invalid/yank")
    );
    assert_eq!(crate::report::Report::compute_exit_code(&out.platforms), 1);
}
