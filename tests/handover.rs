//! Issue 6, acceptance 3: a dependent platform (a test platform with `needs: github`) receives
//! the same typed assets — final, tag-based URLs with the release's sha256 and size — on a
//! first run, where github publishes, and on a re-run, where github is already live. Runs the
//! real engine with the real github adapter against the GitHub double.

mod support;

use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use support::github_double::harness::{release, setup, Opts, ARCHIVE, TAG};
use support::github_double::GithubDouble;
use tagship::engine::{self, EngineOptions, Layers, Operation, Selected};
use tagship::plan::Artifact;
use tagship::platform::{Checked, Cx, Handover, Live, Platform, Published};
use tagship::report::OutcomeKind;

/// Records the hand-over it gets while packaging and while publishing.
struct Formula {
    seen: Arc<Mutex<Vec<(String, Handover)>>>,
}

#[async_trait]
impl Platform for Formula {
    fn id(&self) -> &str {
        "formula"
    }
    fn needs(&self) -> Vec<String> {
        vec!["github".into()]
    }
    async fn package(&self, cx: &Cx) -> tagship::Result<Vec<Artifact>> {
        let h = cx.deps.get("github").cloned().unwrap_or_default();
        self.seen.lock().unwrap().push(("package".into(), h));
        Ok(vec![])
    }
    async fn check(&self, _: &Cx, _: &[Artifact]) -> tagship::Result<Checked> {
        // Live once it has published (the engine re-checks after publishing).
        let published = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(s, _)| s == "publish");
        Ok(if published {
            Live::Present
        } else {
            Live::Absent
        }
        .into())
    }
    async fn publish(&self, cx: &Cx, _: &Live, _: &[Artifact]) -> tagship::Result<Published> {
        let h = cx.deps.get("github").cloned().unwrap_or_default();
        self.seen.lock().unwrap().push(("publish".into(), h));
        Ok(Published::default())
    }
}

async fn run(d: &GithubDouble) -> (Vec<(String, Handover)>, Vec<OutcomeKind>) {
    let s = setup(d, Opts::default());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let gh: Arc<dyn Platform> = Arc::from(s.gh);
    let formula: Arc<dyn Platform> = Arc::new(Formula { seen: seen.clone() });
    let selected = vec![
        Selected {
            platform: formula,
            secrets: Default::default(),
            warnings: vec![],
            expected_packages: None,
        },
        Selected {
            platform: gh,
            secrets: s.cx.secrets.clone(),
            warnings: vec![],
            expected_packages: None,
        },
    ];
    let layers = Layers {
        release: Arc::new(release(s.dir.path(), &Opts::default())),
        http: s.cx.http.clone(),
        exec: s.cx.exec.clone(),
    };
    let opts = EngineOptions {
        dry_run: false,
        fail_fast: false,
        parallelism: 2,
        operation: Operation::Release,
        deadline: None,
    };
    let out = engine::run(selected, layers, &opts, Arc::new(tagship::progress::Quiet)).await;
    let seen = seen.lock().unwrap().clone();
    (seen, out.platforms.iter().map(|p| p.outcome).collect())
}

#[tokio::test]
async fn a_dependent_gets_the_same_typed_assets_on_first_run_and_rerun() {
    let d = GithubDouble::start("acme", "demo", support::github_double::harness::TOKEN).await;
    let (first, outcomes) = run(&d).await;
    assert_eq!(outcomes, [OutcomeKind::Published, OutcomeKind::Published]);
    let (again, outcomes) = run(&d).await;
    assert_eq!(
        outcomes,
        [OutcomeKind::Published, OutcomeKind::AlreadyPublished],
        "github is live on the re-run"
    );
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first, again, "identical input on a first run and a re-run");
    let (_, published) = &first[1];
    assert_eq!(
        first[0].1, *published,
        "packaged from the plan, published with the real data"
    );
    let asset = published
        .asset(ARCHIVE)
        .expect("the archive is handed over");
    assert!(
        asset
            .url
            .ends_with(&format!("/acme/demo/releases/download/{TAG}/{ARCHIVE}")),
        "{asset:?}"
    );
    let live = d.asset_bytes(TAG, ARCHIVE).unwrap();
    assert_eq!(asset.size, live.len() as u64);
    assert_eq!(
        asset.sha256,
        sha256(&live),
        "the sha256 of the bytes GitHub serves"
    );
    for (_, h) in &first {
        for a in &h.assets {
            assert!(
                !a.url.contains("untagged-"),
                "a draft URL reached a dependent: {a:?}"
            );
        }
    }
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}
