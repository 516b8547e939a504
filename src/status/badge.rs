//! SVG badges (shields.io's flat style), rendered by tagship: one per platform (its newest
//! live version, coloured by state) and one overall. Valid standalone SVG, no external assets.

use super::render::state;
use super::{Row, Status};

/// Approximate width of `s` in Verdana 11px, as shields.io estimates it.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' | '|' => 4,
            'm' | 'w' | 'M' | 'W' => 10,
            c if c.is_uppercase() => 8,
            _ => 7,
        })
        .sum::<usize>()
        + 10
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn colour(r: &Row) -> &'static str {
    match state(r) {
        "in sync" => "#4c1",
        "pending" => "#dfb317",
        "unknown" => "#9f9f9f",
        _ => "#e05d44",
    }
}

/// A two-part badge: `label | message` on `colour`.
fn svg(label: &str, message: &str, colour: &str) -> String {
    let (lw, mw) = (width(label), width(message));
    let total = lw + mw;
    let (label, message) = (xml(label), xml(message));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {message}">
  <title>{label}: {message}</title>
  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
  <clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="{lw}" height="20" fill="#555"/>
    <rect x="{lw}" width="{mw}" height="20" fill="{colour}"/>
    <rect width="{total}" height="20" fill="url(#s)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="{lx}" y="14">{label}</text>
    <text x="{mx}" y="14">{message}</text>
  </g>
</svg>
"##,
        lx = lw / 2,
        mx = lw + mw / 2,
    )
}

/// One platform's badge: `npm | 1.1.17 behind`.
pub fn badge(r: &Row) -> String {
    let version = r.newest.as_deref().unwrap_or("none");
    let message = match state(r) {
        "in sync" => version.to_string(),
        s => format!("{version} {s}"),
    };
    svg(&r.id, &message, colour(r))
}

/// The overall badge: `release | 1.2.0` when in sync, else what drifted.
pub fn overall_badge(s: &Status) -> String {
    let bad: Vec<&str> = s
        .platforms
        .iter()
        .filter(|r| !r.ok())
        .map(|r| r.id.as_str())
        .collect();
    if bad.is_empty() {
        svg("release", &s.version, "#4c1")
    } else {
        svg("release", &format!("drift: {}", bad.join(", ")), "#e05d44")
    }
}
