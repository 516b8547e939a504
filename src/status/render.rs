//! The terminal table and Markdown (the step summary) of `tagship status`: pure functions.

use super::{Presence, Row, Status};
use std::fmt::Write as _;

/// The word a row shows for its state.
pub(super) fn state(r: &Row) -> &'static str {
    if r.unreachable {
        "unreachable"
    } else if r.stale {
        "stale"
    } else if r.drift.is_some() {
        "behind"
    } else {
        match r.presence {
            Presence::Pending => "pending",
            Presence::Unknown => "unknown",
            _ => "in sync",
        }
    }
}

/// What a row says beyond its state.
pub(super) fn detail(r: &Row) -> String {
    let mut parts = Vec::new();
    if r.presence == Presence::Pending && !r.unreachable {
        parts.push("accepted, awaiting review".into());
    }
    if let Some(d) = &r.drift {
        parts.push(d.clone());
    }
    if r.stale {
        parts.push("missing past the staleness window".into());
    }
    if let Some(reason) = &r.reason {
        parts.push(reason.clone());
    }
    if let Some(p) = &r.published_at {
        parts.push(format!("published {p}"));
    }
    parts.join("; ")
}

/// The table `tagship status` prints.
pub fn terminal_table(s: &Status) -> String {
    let mut out = String::new();
    let newest = s.newest.as_deref().unwrap_or("none");
    let _ = writeln!(
        out,
        "tagship status: {} {} (newest live anywhere: {newest})",
        s.project, s.version
    );
    let w = s
        .platforms
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(8)
        .max(8);
    for r in &s.platforms {
        let line = format!(
            "  {:<w$}  {:<11}  {:<12}  {}",
            r.id,
            state(r),
            r.newest.as_deref().unwrap_or("-"),
            detail(r)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let verdict = match s.exit_code {
        0 => "every platform is in sync",
        _ => "drift: see the rows above",
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// The Markdown summary (also the GitHub step summary).
pub fn markdown(s: &Status) -> String {
    let mut out = format!("## tagship status: {} {}\n\n", s.project, s.version);
    out.push_str("| platform | state | newest live | details |\n|---|---|---|---|\n");
    for r in &s.platforms {
        let mut d = detail(r).replace('|', "\\|");
        if let Some(u) = &r.url {
            let _ = write!(d, "{}{u}", if d.is_empty() { "" } else { "<br>" });
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.id,
            state(r),
            r.newest.as_deref().unwrap_or("-"),
            d
        );
    }
    let _ = writeln!(out, "\nChecked {}.", s.checked_at);
    out
}
