//! The end of every engine run: the report assembled (request counts, a republish's earlier
//! rows), written to dist/, shown, and the exit code decided.

use super::output::Out;
use crate::cli::RunArgs;
use crate::engine;
use crate::error::Error;
use crate::guard::Ledger;
use crate::platform::Release;
use crate::report::{BuildStep, Report, Requests};
use std::sync::Arc;
use std::time::Instant;

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What the engine did, with what the report needs besides.
pub(crate) struct Ended {
    pub result: engine::RunResult,
    pub ledger: Ledger,
    pub release: Arc<Release>,
    pub operation: engine::Operation,
    pub previous: Option<Report>,
    pub extra: Vec<crate::report::PlatformReport>,
    pub build: Option<BuildStep>,
    pub started: Instant,
    pub started_at: String,
}

/// The report of an ended run: written, shown, and its exit code returned.
pub(crate) fn conclude(e: Ended, args: &RunArgs, out: &Out) -> i32 {
    let (result, ledger, release) = (e.result, e.ledger, e.release);
    // The exit code speaks for this run only; a refused run published nothing.
    let exit_code = if result.refused {
        2
    } else {
        Report::compute_exit_code(&result.platforms)
    };
    let operation = match (e.operation, &e.previous) {
        (engine::Operation::Withdraw, _) => "rollback",
        (_, Some(_)) => "publish",
        (_, None) => "release",
    };
    let mut platforms = result.platforms;
    for p in &mut platforms {
        p.requests = ledger.counts_for(&p.id);
    }
    platforms.extend(e.extra);
    if let Some(prev) = e.previous {
        platforms = merge_previous(prev, platforms);
    }
    let report = Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: format!("tagship {}", env!("CARGO_PKG_VERSION")),
        operation: operation.into(),
        project: release.project.name.clone(),
        version: release.version.to_string(),
        tag: release.tag.clone(),
        commit: release.commit.clone(),
        dry_run: args.dry_run,
        started_at: e.started_at,
        duration_ms: e.started.elapsed().as_millis() as u64,
        exit_code,
        artifacts: release.artifacts.clone(),
        epoch: Some(release.epoch),
        build: e.build,
        platforms,
        requests: Requests {
            sent: ledger.sent(),
            mutating_sent: ledger.mutating_sent(),
            withheld: ledger.withheld().len() as u64,
        },
    };
    finish_report(&report, &release.dist, e.operation, args, out, exit_code)
}

/// Writes report.json/report.md (a rollback's into dist/rollback/, so the release's report that
/// `publish` reads stays), the step summary, and prints the table or JSON.
fn finish_report(
    report: &Report,
    dist: &std::path::Path,
    op: engine::Operation,
    args: &RunArgs,
    out: &Out,
    exit_code: i32,
) -> i32 {
    let dir = match op {
        engine::Operation::Withdraw => dist.join("rollback"),
        engine::Operation::Release => dist.to_path_buf(),
    };
    if let Err(e) = report.write(&dir) {
        return out.fatal(&[Error::io("writing the report", e)]);
    }
    if let Some(path) = &args.metrics {
        let text = crate::redact::redact(&crate::report::prometheus(report));
        if let Err(e) = std::fs::write(path, text) {
            out.message(&format!(
                "warning: could not write the metrics to {}: {e}",
                path.display()
            ));
        }
    }
    if let Err(e) = report.write_step_summary() {
        out.message(&format!(
            "warning: could not write GITHUB_STEP_SUMMARY: {e}"
        ));
    }
    out.report(report, args.json);
    if exit_code == 2 {
        eprintln!("error: packaging failed; nothing was published (see the table above)");
    }
    exit_code
}
/// A selective republish keeps the other platforms' earlier outcomes, marked as such.
fn merge_previous(
    prev: Report,
    mut now: Vec<crate::report::PlatformReport>,
) -> Vec<crate::report::PlatformReport> {
    let note = "from an earlier run; not part of this publish".to_string();
    let mut merged: Vec<_> = prev
        .platforms
        .into_iter()
        .filter(|p| !now.iter().any(|n| n.id == p.id))
        .map(|mut p| {
            if !p.warnings.contains(&note) {
                p.warnings.push(note.clone());
            }
            p
        })
        .collect();
    merged.append(&mut now);
    merged
}
