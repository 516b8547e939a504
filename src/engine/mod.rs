//! The fan-out: every selected platform runs `package → check → publish → verify` at the same
//! time, bounded by `parallelism`. A platform that `needs` another waits for exactly that one
//! and gets its `Published`. One failure does not cancel the others unless `--fail-fast`.
//! Each platform ends in exactly one `PlatformReport`.

mod drive;

use crate::exec::Exec;
use crate::http::Http;
use crate::platform::{Cx, Platform, Published, Release};
use crate::progress::Reporter;
use crate::redact::Secret;
use crate::report::{OutcomeKind, PlatformReport};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{watch, Semaphore};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub dry_run: bool,
    pub fail_fast: bool,
    pub parallelism: usize,
}

/// A platform selected for this run, with its resolved credentials.
pub struct Selected {
    pub platform: Arc<dyn Platform>,
    pub secrets: BTreeMap<String, Secret>,
    /// Preflight notes (a dry run with a missing credential, ...), copied into the report.
    pub warnings: Vec<String>,
    /// `tagship publish`: the packages the release built for this platform (from report.json).
    pub expected_packages: Option<Vec<crate::plan::Artifact>>,
}

/// What dependents see of a finished platform: its `Published` or nothing (it did not succeed).
type DoneTx = watch::Sender<Option<Option<Published>>>;
type DoneRx = watch::Receiver<Option<Option<Published>>>;

/// Runs all selected platforms and returns one report per platform, in the input order.
pub async fn run(
    selected: Vec<Selected>,
    release: Arc<Release>,
    http: Http,
    exec: Exec,
    opts: &EngineOptions,
    progress: Arc<dyn Reporter>,
) -> Vec<PlatformReport> {
    let order: Vec<String> = selected
        .iter()
        .map(|s| s.platform.id().to_string())
        .collect();
    let mut txs: BTreeMap<String, DoneTx> = BTreeMap::new();
    let mut rxs: BTreeMap<String, DoneRx> = BTreeMap::new();
    for id in &order {
        let (tx, rx) = watch::channel(None);
        txs.insert(id.clone(), tx);
        rxs.insert(id.clone(), rx);
    }
    let shared = Shared {
        release,
        http,
        exec,
        sem: Arc::new(Semaphore::new(opts.parallelism.max(1))),
        cancelled: Arc::new(AtomicBool::new(false)),
        progress: progress.clone(),
        opts: opts.clone(),
        cyclic: cycles(&selected),
    };
    let mut set = tokio::task::JoinSet::new();
    let mut task_ids = BTreeMap::new();
    for s in selected {
        let id = s.platform.id().to_string();
        let done = txs.remove(&id).expect("one sender per platform");
        let h = set.spawn(shared.task(s, &rxs, done).run());
        task_ids.insert(h.id(), id);
    }
    let mut reports = collect(set, &task_ids, &*progress).await;
    order
        .iter()
        .map(|id| {
            reports.remove(id).unwrap_or_else(|| {
                PlatformReport::new(id, OutcomeKind::Failed).reason("no outcome was recorded")
            })
        })
        .collect()
}

/// What every task of one run shares.
struct Shared {
    release: Arc<Release>,
    http: Http,
    exec: Exec,
    sem: Arc<Semaphore>,
    cancelled: Arc<AtomicBool>,
    progress: Arc<dyn Reporter>,
    opts: EngineOptions,
    cyclic: Vec<String>,
}

impl Shared {
    fn task(&self, s: Selected, rxs: &BTreeMap<String, DoneRx>, done: DoneTx) -> Task {
        let id = s.platform.id().to_string();
        let mut warnings = s.warnings;
        let mut needs: Vec<(String, DoneRx)> = Vec::new();
        for n in s.platform.needs() {
            match rxs.get(&n) {
                Some(rx) => needs.push((n, rx.clone())),
                None => warnings.push(format!(
                    "needs {n}, which is not part of this run; going on without its output"
                )),
            }
        }
        let cyclic = self.cyclic.contains(&id);
        if cyclic {
            // Waiting would never end: these fail loudly instead.
            needs.clear();
        }
        Task {
            cx: Cx {
                platform: id.clone(),
                http: self.http.for_platform(&id),
                exec: self.exec.for_platform(&id),
                release: self.release.clone(),
                secrets: s.secrets,
                deps: BTreeMap::new(),
            },
            platform: s.platform,
            warnings,
            needs,
            cyclic,
            expected: s.expected_packages,
            fail_fast: self.opts.fail_fast,
            done,
            sem: self.sem.clone(),
            cancelled: self.cancelled.clone(),
            dry_run: self.opts.dry_run,
            progress: self.progress.clone(),
        }
    }
}

/// Waits for every task; a task that panicked still yields a failed report for its platform.
async fn collect(
    mut set: tokio::task::JoinSet<PlatformReport>,
    task_ids: &BTreeMap<tokio::task::Id, String>,
    progress: &dyn Reporter,
) -> BTreeMap<String, PlatformReport> {
    let mut reports = BTreeMap::new();
    while let Some(joined) = set.join_next_with_id().await {
        let report = match joined {
            Ok((_, r)) => r,
            Err(e) => {
                let id = task_ids.get(&e.id()).cloned().unwrap_or_default();
                let mut r = PlatformReport::new(&id, OutcomeKind::Failed).reason(format!(
                    "internal error: {}",
                    crate::redact::redact(&e.to_string())
                ));
                r.hint = Some("this is a tagship bug; please report it with the log".into());
                progress.finish(&id, r.outcome.as_str(), r.reason.as_deref().unwrap_or(""));
                r
            }
        };
        reports.insert(report.id.clone(), report);
    }
    reports
}

/// Platforms whose `needs` lead back to themselves.
fn cycles(selected: &[Selected]) -> Vec<String> {
    let needs: BTreeMap<String, Vec<String>> = selected
        .iter()
        .map(|s| (s.platform.id().to_string(), s.platform.needs()))
        .collect();
    let reaches_itself = |start: &String| {
        let mut stack = needs.get(start).cloned().unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(n) = stack.pop() {
            if &n == start {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(needs.get(&n).cloned().unwrap_or_default());
            }
        }
        false
    };
    needs
        .keys()
        .filter(|id| reaches_itself(id))
        .cloned()
        .collect()
}

struct Task {
    cx: Cx,
    platform: Arc<dyn Platform>,
    warnings: Vec<String>,
    needs: Vec<(String, DoneRx)>,
    cyclic: bool,
    expected: Option<Vec<crate::plan::Artifact>>,
    fail_fast: bool,
    done: DoneTx,
    sem: Arc<Semaphore>,
    cancelled: Arc<AtomicBool>,
    dry_run: bool,
    progress: Arc<dyn Reporter>,
}

impl Task {
    async fn run(mut self) -> PlatformReport {
        let id = self.cx.platform.clone();
        let waited = if self.cyclic {
            let mut r = PlatformReport::new(&id, OutcomeKind::Failed)
                .reason("its `needs` form a cycle with other platforms");
            r.hint = Some("a platform cannot wait for itself, directly or through others".into());
            Err(r)
        } else {
            self.wait_for_needs().await
        };
        let (mut report, out) = match waited {
            Err(r) => (r, None),
            Ok(()) => {
                let _permit = self.sem.clone().acquire_owned().await;
                if self.cancelled.load(Ordering::SeqCst) {
                    let r = PlatformReport::new(&id, OutcomeKind::Skipped)
                        .reason("cancelled by --fail-fast");
                    (r, None)
                } else {
                    let o = drive::DriveOpts {
                        dry_run: self.dry_run,
                        expected: self.expected.as_deref(),
                        cancelled: &self.cancelled,
                    };
                    drive::drive(&*self.platform, &self.cx, &o, &*self.progress).await
                }
            }
        };
        report.warnings.extend(self.warnings);
        if self.fail_fast && report.outcome == OutcomeKind::Failed {
            // Platforms not yet publishing stop before their publish; running publishes
            // finish, so the report never misstates what is live.
            self.cancelled.store(true, Ordering::SeqCst);
        }
        let published = matches!(
            report.outcome,
            OutcomeKind::Published | OutcomeKind::AlreadyPublished | OutcomeKind::WouldPublish
        )
        .then(|| out.unwrap_or_else(|| drive::published_of(&report)));
        let _ = self.done.send(Some(published));
        self.progress.finish(
            &id,
            report.outcome.as_str(),
            report.reason.as_deref().unwrap_or(""),
        );
        report
    }

    /// Waits for every needed platform; a needed platform that did not succeed skips this one.
    async fn wait_for_needs(&mut self) -> Result<(), PlatformReport> {
        for (need, rx) in &mut self.needs {
            self.progress
                .stage(&self.cx.platform, &format!("waiting for {need}"));
            let got = rx.wait_for(|v| v.is_some()).await.map(|v| v.clone());
            match got {
                Ok(Some(Some(p))) => {
                    self.cx.deps.insert(need.clone(), p);
                }
                _ => {
                    return Err(PlatformReport::new(&self.cx.platform, OutcomeKind::Skipped)
                        .reason(format!(
                            "{need} did not publish, and this platform needs it"
                        )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
