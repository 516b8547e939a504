//! The static HTML dashboard: one file, no external assets (styles inline, badges inline),
//! with every platform, its live version, drift and links. It is what a project puts on
//! GitHub Pages. A pure function of the status.

use super::render::{detail, state};
use super::Status;
use std::fmt::Write as _;

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;min-width:40rem}th,td{border-bottom:1px solid #ddd;padding:.4rem .8rem;text-align:left}\
tr.ok td.state{color:#2a7d2a}tr.bad td.state{color:#c0392b;font-weight:bold}tr.pending td.state{color:#a67c00}\
.overall{margin:1rem 0}";

/// The dashboard page.
pub fn dashboard(s: &Status) -> String {
    let title = format!("{} release status", s.project);
    let mut rows = String::new();
    for r in &s.platforms {
        let class = match (r.ok(), state(r)) {
            (true, "pending") => "pending",
            (true, _) => "ok",
            (false, _) => "bad",
        };
        let link = match &r.url {
            Some(u) => {
                let host = url::Url::parse(u)
                    .ok()
                    .and_then(|x| x.host_str().map(String::from))
                    .unwrap_or_else(|| u.clone());
                format!("<a href=\"{}\">{}</a>", html(u), html(&host))
            }
            None => String::new(),
        };
        let _ = writeln!(
            rows,
            "      <tr class=\"{class}\" data-platform=\"{id}\"><td class=\"platform\">{id}</td><td class=\"state\">{st}</td><td class=\"newest\">{newest}</td><td class=\"detail\">{detail}</td><td class=\"link\">{link}</td></tr>",
            id = html(&r.id),
            st = state(r),
            newest = html(r.newest.as_deref().unwrap_or("-")),
            detail = html(&detail(r)),
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>{t}</title>\n  <style>{STYLE}</style>\n</head>\n<body>\n  <h1>{t}</h1>\n  <div class=\"overall\" id=\"overall\" data-exit-code=\"{code}\">{badge}</div>\n  <p>Version <strong id=\"version\">{v}</strong>; newest live anywhere: {newest}. Checked {at}.</p>\n  <table id=\"platforms\">\n    <thead><tr><th>platform</th><th>state</th><th>newest live</th><th>details</th><th>link</th></tr></thead>\n    <tbody>\n{rows}    </tbody>\n  </table>\n</body>\n</html>\n",
        t = html(&title),
        code = s.exit_code,
        badge = super::overall_badge(s),
        v = html(&s.version),
        newest = html(s.newest.as_deref().unwrap_or("none")),
        at = html(&s.checked_at),
    )
}
