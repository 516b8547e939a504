//! The probe phase with scripted platforms: a dependent is probed after its need and sees
//! the need's probe hand-over; one platform that cannot tell means the caller builds.

use super::*;
use crate::error::Result;
use crate::guard::Ledger;
use crate::http::HttpOptions;
use crate::plan::{Artifact, Project};
use crate::platform::{Checked, Live, Planned, Probe, Published};
use async_trait::async_trait;

struct Scripted {
    id: &'static str,
    needs: Vec<String>,
    /// `None`: the default answer (`Unknown`).
    answer: Option<Handover>,
}

#[async_trait]
impl Platform for Scripted {
    fn id(&self) -> &str {
        self.id
    }
    fn needs(&self) -> Vec<String> {
        self.needs.clone()
    }
    async fn probe(&self, cx: &Cx, _plan: &Planned) -> Result<Probe> {
        // A dependent is live only when it was handed its need's probe hand-over.
        let fed = self.needs.iter().all(|n| cx.deps.get(n) == Some(&page(n)));
        Ok(match &self.answer {
            Some(h) if fed => Probe::Live(h.clone()),
            Some(_) => Probe::Missing("need not handed over".into()),
            None => Probe::Unknown,
        })
    }
    async fn check(&self, _: &Cx, _: &[Artifact]) -> Result<Checked> {
        Ok(Live::Absent.into())
    }
    async fn publish(&self, _: &Cx, _: &Live, _: &[Artifact]) -> Result<Published> {
        Ok(Published::default())
    }
}

fn page(id: &str) -> Handover {
    Handover::urls(vec![format!("https://{id}/page")])
}

async fn probe(platforms: Vec<Scripted>) -> Option<Vec<PlatformReport>> {
    let ledger = Ledger::default();
    let layers = Layers {
        release: Arc::new(Release {
            project: Project::default(),
            version: semver::Version::new(1, 0, 0),
            tag: "v1.0.0".into(),
            commit: None,
            dist: std::env::temp_dir(),
            artifacts: vec![],
            root: std::env::temp_dir(),
            epoch: 315_532_800,
        }),
        http: Http::new(HttpOptions::default(), ledger.clone()).unwrap(),
        exec: Exec::new(false, ledger),
    };
    let selected: Vec<Selected> = platforms
        .into_iter()
        .map(|p| Selected {
            platform: Arc::new(p),
            secrets: Default::default(),
            warnings: vec![],
            expected_packages: None,
        })
        .collect();
    probe_all(
        &selected,
        &layers,
        &Planned::default(),
        &crate::progress::Quiet,
    )
    .await
}

#[tokio::test]
async fn a_dependent_is_probed_with_its_needs_hand_over() {
    let dependent = Scripted {
        id: "tap",
        needs: vec!["gh".into()],
        answer: Some(page("tap")),
    };
    let need = Scripted {
        id: "gh",
        needs: vec![],
        answer: Some(page("gh")),
    };
    let reports = probe(vec![dependent, need]).await.expect("all live");
    let ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["tap", "gh"], "reports keep the input order");
    for r in &reports {
        assert_eq!(r.outcome, OutcomeKind::AlreadyPublished);
        assert_eq!(r.reason.as_deref(), Some(PROBED_LIVE));
        assert_eq!(r.urls, page(&r.id).urls);
        assert!(r.stages.contains_key("probe"));
    }
}

#[tokio::test]
async fn one_platform_that_cannot_tell_means_build() {
    let live = Scripted {
        id: "a",
        needs: vec![],
        answer: Some(page("a")),
    };
    let unknown = Scripted {
        id: "b",
        needs: vec![],
        answer: None,
    };
    assert!(probe(vec![live, unknown]).await.is_none());
    assert!(
        probe(vec![]).await.is_none(),
        "nothing selected: nothing to skip"
    );
}
