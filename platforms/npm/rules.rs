//! npm's rules that a publish would otherwise meet only on registry.npmjs.org, checked before
//! anything is sent: from pipeline.yaml when the config loads (so `tagship check` and a dry
//! run both refuse with exit 2), from package.json while packaging (`mode: package_json`).
//! - Unscoped platform package names (`tool-linux-x64`) are refused by npmjs's spam detection
//!   (403 "Package name triggered spam detection"); esbuild, biome and turbo moved theirs to a
//!   scope. Other registries (verdaccio, a company mirror) have no such check.
//! - A dist-tag that parses as a semver range (`1`, `v2`, `1.x`, `^1.2`) is refused by npm
//!   ("Tag name must not be a valid SemVer range", npm/cli `lib/commands/publish.js`), and a
//!   tag is part of registry URLs, so it must be URL-safe.

use super::config::{Mode, NpmConfig};
use crate::error::{Error, Result};
use crate::kit::rules::{self, Violation};
use crate::plan::Project;

fn v(file: &str, field: &str, rule: String, hint: String) -> Violation {
    Violation::new(file, field, rule, hint)
}

/// Every violation in one config error (exit 2).
pub fn refuse(found: Vec<Violation>) -> Result<()> {
    rules::refuse(&found, "npm would refuse the publish", Error::config)
}

/// True for registry.npmjs.org (the registry whose spam detection refuses unscoped names).
pub fn is_npmjs(registry: &str) -> bool {
    url::Url::parse(registry)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case("registry.npmjs.org")))
        .unwrap_or(false)
}

/// The rules pipeline.yaml alone decides.
pub fn config_violations(cfg: &NpmConfig, project: &Project) -> Vec<Violation> {
    let y = "pipeline.yaml";
    let mut out = Vec::new();
    if let Some(t) = &cfg.tag {
        out.extend(tag_violation(y, "platforms.npm.tag", t));
    }
    let prefix = cfg.platform_prefix(project);
    if cfg.mode == Mode::Binary && !prefix.starts_with('@') && is_npmjs(&cfg.registry) {
        out.push(v(
            y,
            "platforms.npm.scope",
            format!(
                "the platform packages would be unscoped (`{prefix}-linux-x64`, …); npmjs's spam detection refuses such names \
                 (403 \"Package name triggered spam detection\") or as \"too similar\" to existing ones"
            ),
            "set platforms.npm.scope (e.g. \"@yourorg\"): esbuild, biome and turbo moved their platform packages to a scope; \
             the root package may stay unscoped (set platforms.npm.package)"
                .into(),
        ));
    }
    out
}

/// The rules package.json decides in `mode: package_json`: its `publishConfig` (which npm
/// honours) must name a valid dist-tag and the registry tagship publishes to.
pub fn package_json_violations(file: &str, pj: &serde_json::Value, cfg: &NpmConfig) -> Vec<Violation> {
    let pc = &pj["publishConfig"];
    let mut out = Vec::new();
    if let Some(t) = pc["tag"].as_str() {
        out.extend(tag_violation(file, "publishConfig.tag", t));
    }
    if let Some(a) = pc["access"].as_str() {
        if !matches!(a, "public" | "restricted") {
            out.push(v(file, "publishConfig.access", format!("`{a}` is neither `public` nor `restricted`"), "set it to public or restricted".into()));
        }
    }
    if let Some(r) = pc["registry"].as_str() {
        let norm = |x: &str| x.trim_end_matches('/').to_ascii_lowercase();
        if norm(r) != norm(&cfg.registry) {
            out.push(v(
                file,
                "publishConfig.registry",
                format!("npm would publish to {r}, but platforms.npm.registry is {}", cfg.registry),
                "make platforms.npm.registry and publishConfig.registry the same registry".into(),
            ));
        }
    }
    out
}

/// npm's dist-tag rules for `tag` found in `file` at `field`.
pub fn tag_violation(file: &str, field: &str, tag: &str) -> Option<Violation> {
    let hint = || "use a name such as `next`, `beta`, `legacy` or `release-1`".to_string();
    if is_semver_range(tag) {
        return Some(v(
            file,
            field,
            format!("the dist-tag `{tag}` parses as a semver range; npm refuses such tags (\"Tag name must not be a valid SemVer range\")"),
            hint(),
        ));
    }
    if !tag
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    {
        return Some(v(
            file,
            field,
            format!("the dist-tag `{tag}` is not URL-safe (letters, digits, `-`, `.`, `_`, `~`)"),
            hint(),
        ));
    }
    None
}

/// node-semver's `validRange` (strict): `||`-separated sets of comparators (`<`, `<=`, `>`,
/// `>=`, `=`, `~`, `^`, or none) on partial versions (`1`, `v1.x`, `1.2.*`), or hyphen ranges.
pub fn is_semver_range(s: &str) -> bool {
    s.split("||").all(|set| range_set(set.trim()))
}

fn range_set(set: &str) -> bool {
    if set.is_empty() {
        return true;
    }
    if let Some((a, b)) = set.split_once(" - ") {
        return partial(a.trim()) && partial(b.trim());
    }
    let toks: Vec<&str> = set.split_whitespace().collect();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let rest = t.trim_start_matches(['<', '>', '=', '~', '^']);
        let op = &t[..t.len() - rest.len()];
        if !matches!(op, "" | "<" | ">" | "<=" | ">=" | "=" | "~" | "~>" | "^") {
            return false;
        }
        let version = if rest.is_empty() && !op.is_empty() {
            i += 1;
            toks.get(i).copied().unwrap_or("")
        } else {
            rest
        };
        if !partial(version) {
            return false;
        }
        i += 1;
    }
    true
}

/// `v?X(.Y(.Z(-pre)?(+build)?)?)?` where each of X/Y/Z is a number or `x`/`X`/`*`.
fn partial(s: &str) -> bool {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (core, build) = s.split_once('+').map_or((s, None), |(a, b)| (a, Some(b)));
    let (core, pre) = core
        .split_once('-')
        .map_or((core, None), |(a, b)| (a, Some(b)));
    let ident = |x: &str| {
        !x.is_empty()
            && x.split('.').all(|p| {
                !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    let parts: Vec<&str> = core.split('.').collect();
    let part_ok = |p: &&str| {
        matches!(*p, "x" | "X" | "*")
            || (!p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0')))
    };
    (1..=3).contains(&parts.len())
        && parts.iter().all(part_ok)
        && (parts.len() == 3 || (pre.is_none() && build.is_none()))
        && pre.map_or(true, ident)
        && build.map_or(true, ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_ranges_as_node_semver_sees_them() {
        for r in [
            "1", "v1", "1.x", "1.2.*", "*", "x", "^1.2.3", "~1.2", ">=1 <2", "1 - 2", "1.2.3-rc.1",
            "1 || 2", ">= 1.0.0", "=1.0.0", "1.0.0+build",
        ] {
            assert!(is_semver_range(r), "{r} is a range");
        }
        for t in [
            "latest", "next", "beta", "legacy", "release-1", "v1-legacy", "1a", "01", "rc",
        ] {
            assert!(!is_semver_range(t), "{t} is not a range");
        }
    }

    #[test]
    fn npmjs_is_recognised() {
        assert!(is_npmjs("https://registry.npmjs.org/"));
        assert!(is_npmjs("https://REGISTRY.npmjs.org"));
        assert!(!is_npmjs("http://127.0.0.1:4873/"));
    }
}
