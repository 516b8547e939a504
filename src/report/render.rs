//! Renderers: the terminal table, Markdown (report.md and the GitHub step summary) and
//! GitHub `::error::` annotations. All are pure functions of the report.

use super::{OutcomeKind, Report};
use std::fmt::Write;

fn symbol(o: OutcomeKind) -> &'static str {
    match o {
        OutcomeKind::Published => "✔",
        OutcomeKind::AlreadyPublished => "=",
        OutcomeKind::Pending => "…",
        OutcomeKind::Skipped => "-",
        OutcomeKind::WouldPublish => "~",
        OutcomeKind::Unreachable => "?",
        OutcomeKind::Failed => "✘",
        OutcomeKind::Withdrawn => "↩",
        OutcomeKind::WouldWithdraw => "~",
        OutcomeKind::Manual => "!",
    }
}

fn detail(p: &super::PlatformReport) -> String {
    let mut d = p.reason.clone().unwrap_or_default();
    if d.is_empty() && !p.uploaded.is_empty() {
        d = format!("uploaded {}", p.uploaded.join(", "));
    }
    if !p.withheld.is_empty() {
        if !d.is_empty() {
            d.push_str("; ");
        }
        let _ = write!(d, "{} request(s) withheld", p.withheld.len());
    }
    d
}

/// The table printed at the end of a run.
pub fn terminal_table(r: &Report) -> String {
    let mut s = String::new();
    let mode = if r.dry_run { " (dry run)" } else { "" };
    let _ = writeln!(s, "tagship: {} {} ({}){mode}", r.project, r.version, r.tag);
    if let Some(super::BuildStep::Skipped { reason }) = &r.build {
        let _ = writeln!(s, "build: skipped ({reason})");
    }
    let _ = writeln!(s, "artifacts:");
    for a in &r.artifacts {
        if matches!(a.kind, crate::plan::ArtifactKind::Binary) {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<48} {:>10}  sha256:{}",
            a.name,
            a.size,
            &a.sha256[..16.min(a.sha256.len())]
        );
    }
    let w = r
        .platforms
        .iter()
        .map(|p| p.id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(s, "platforms:");
    for p in &r.platforms {
        let _ = writeln!(
            s,
            "  {} {:<w$}  {:<17}  {}",
            symbol(p.outcome),
            p.id,
            p.outcome.as_str(),
            detail(p)
        );
        if let Some(h) = &p.hint {
            let _ = writeln!(s, "    {:<w$}  hint: {h}", "");
        }
        for warn in &p.warnings {
            let _ = writeln!(s, "    {:<w$}  warning: {warn}", "");
        }
        for wh in &p.withheld {
            let _ = writeln!(s, "    {:<w$}  withheld: {} {}", "", wh.method, wh.target);
        }
    }
    let _ = writeln!(
        s,
        "requests: {} sent ({} mutating), {} withheld; exit code {}",
        r.requests.sent, r.requests.mutating_sent, r.requests.withheld, r.exit_code
    );
    s
}

/// report.md and the GitHub step summary.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let mode = if r.dry_run { " — dry run" } else { "" };
    let _ = writeln!(s, "## tagship: {} {}{mode}\n", r.project, r.version);
    if let Some(super::BuildStep::Skipped { reason }) = &r.build {
        let _ = writeln!(s, "Build skipped: {reason}.\n");
    }
    let _ = writeln!(s, "| platform | outcome | details |\n|---|---|---|");
    for p in &r.platforms {
        let mut d = detail(p).replace('|', "\\|");
        if let Some(h) = &p.hint {
            let _ = write!(d, "<br>hint: {}", h.replace('|', "\\|"));
        }
        for u in &p.urls {
            let _ = write!(d, "<br>{u}");
        }
        let _ = writeln!(
            s,
            "| {} | {} {} | {} |",
            p.id,
            symbol(p.outcome),
            p.outcome.as_str(),
            d
        );
    }
    let _ = writeln!(
        s,
        "\n### Artifacts\n\n| file | size | sha256 |\n|---|---|---|"
    );
    for a in &r.artifacts {
        if matches!(a.kind, crate::plan::ArtifactKind::Binary) {
            continue;
        }
        let _ = writeln!(s, "| {} | {} | `{}` |", a.name, a.size, a.sha256);
    }
    let withheld: Vec<_> = r.platforms.iter().flat_map(|p| &p.withheld).collect();
    if !withheld.is_empty() {
        let _ = writeln!(s, "\n### Withheld requests (dry run)\n");
        for w in withheld {
            let _ = writeln!(s, "- `{}` {} {}", w.platform, w.method, w.target);
        }
    }
    s
}

/// GitHub Actions workflow commands for failed platforms.
pub fn annotations(r: &Report) -> String {
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let mut s = String::new();
    for p in r
        .platforms
        .iter()
        .filter(|p| p.outcome == OutcomeKind::Failed)
    {
        let mut msg = p.reason.clone().unwrap_or_default();
        if let Some(h) = &p.hint {
            let _ = write!(msg, " (hint: {h})");
        }
        let _ = writeln!(s, "::error title=tagship {}::{}", p.id, esc(&msg));
    }
    s
}
