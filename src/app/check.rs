//! `tagship check`: validates pipeline.yaml, the tag, the build tools and the selected
//! platforms' preflight, all problems at once (exit 2). It also says where each credential a
//! platform needs was found — the environment variable, the OS keyring, or OIDC in CI —
//! never its value, in the terminal and in `--json`.

use super::{env_map, load, output::Out, packages as pkgs, select};
use crate::cli::CheckArgs;
use crate::creds::{self, Source};
use crate::error::ErrorKind;
use crate::platform::{Platform, Requirement};
use serde::Serialize;
use std::sync::Arc;

/// One credential of one platform, and where it was found.
#[derive(Debug, Serialize)]
struct Found {
    platform: String,
    /// The variable (or, for OIDC, the ID-token request variable) that names it.
    name: String,
    /// `env`, `keyring`, `oidc`, `missing` or `unusable` (set, but refused: see problems).
    source: &'static str,
    /// The same for a person, e.g. "environment variable GITHUB_TOKEN".
    detail: String,
    optional: bool,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    config: String,
    ok: bool,
    version: Option<String>,
    platforms: Vec<String>,
    credentials: &'a [Found],
    problems: Vec<String>,
}

pub fn check(a: CheckArgs, out: &Out) -> i32 {
    let l = match load(&a.scope.config, a.scope.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut problems = Vec::new();
    let (mut version, mut tag) = (None, None);
    match crate::version::resolve(a.tag.as_deref(), &l.pipeline.version, &l.root, &env_map()) {
        Ok(v) => {
            out.message(&format!("version {} (from {})", v.version, v.source));
            version = Some(v.version.to_string());
            tag = Some(v.tag);
        }
        Err(e)
            if a.tag.is_some()
                || e.kind != ErrorKind::Input
                || !e.message().starts_with("no version") =>
        {
            problems.push(e)
        }
        Err(e) => out.message(&format!("note: {e}")),
    }
    let mut ids = Vec::new();
    let mut found = Vec::new();
    if !l.pipeline.packages.is_empty() {
        let checked = packages(&l, tag.as_deref(), &a.scope, out);
        (ids, found) = (checked.ids, checked.found);
        problems.extend(checked.problems);
        if problems.is_empty() {
            out.message(&format!("ok: {} — {}", l.path.display(), ids.join(", ")));
        }
        return finish(&a, &l, (version, ids, &found), problems, out);
    }
    problems.extend(select::build_tools(&l.pipeline, &l.root));
    match select::select(&l.pipeline, &a.scope.only, &a.scope.skip) {
        Ok(chosen) => {
            ids = chosen.iter().map(|p| p.id().to_string()).collect();
            out.message(&select::capability_table(&chosen));
            found = sources(&chosen);
            out.message(&table(&found));
            let (_, p) = select::preflight(chosen, false);
            problems.extend(p);
            if problems.is_empty() {
                out.message(&format!(
                    "ok: {} — platforms: {}",
                    l.path.display(),
                    ids.join(", ")
                ));
            }
        }
        Err(p) => problems.extend(p),
    }
    finish(&a, &l, (version, ids, &found), problems, out)
}

/// Prints the JSON when asked; the exit code.
fn finish(
    a: &CheckArgs,
    l: &crate::config::Loaded,
    (version, ids, found): (Option<String>, Vec<String>, &[Found]),
    problems: Vec<crate::error::Error>,
    out: &Out,
) -> i32 {
    if a.json {
        let j = CheckJson {
            config: l.path.display().to_string(),
            ok: problems.is_empty(),
            version,
            platforms: ids,
            credentials: found,
            problems: problems.iter().map(|e| e.chain()).collect(),
        };
        let text = serde_json::to_string_pretty(&j).unwrap_or_default();
        println!("{}", crate::redact::redact(&text));
    }
    if problems.is_empty() {
        0
    } else {
        out.fatal(&problems)
    }
}

/// Where each credential of `chosen` is found, looked up the way a run looks it up.
fn sources(chosen: &[Arc<dyn Platform>]) -> Vec<Found> {
    let mut out = Vec::new();
    for p in chosen {
        for req in p.requirements() {
            let row = |name: &str, source, detail: String, optional| Found {
                platform: p.id().to_string(),
                name: name.to_string(),
                source,
                detail,
                optional,
            };
            match req {
                Requirement::Credential { var, optional } => {
                    let (source, detail) = match creds::lookup_with_source(&var, p.id()) {
                        Ok((_, Source::Env)) => ("env", format!("environment variable {var}")),
                        Ok((_, Source::Keyring)) => (
                            "keyring",
                            format!("OS keyring (service `tagship`, user `{var}`)"),
                        ),
                        Err(e) if creds::is_missing(&e) => ("missing", "not found".into()),
                        Err(_) => ("unusable", "set, but refused (see the problems)".into()),
                    };
                    out.push(row(&var, source, detail, optional));
                }
                Requirement::Oidc => {
                    let (source, detail) = match crate::oidc::preflight(p.id()) {
                        Ok(_) => (
                            "oidc",
                            "OIDC: the GitHub Actions ID token (trusted publishing)".into(),
                        ),
                        Err(_) => ("missing", "OIDC: no ID-token variables".into()),
                    };
                    out.push(row(crate::oidc::TOKEN_VAR, source, detail, false));
                }
                Requirement::Tool { .. } => {}
            }
        }
    }
    out
}

/// The credentials table `check` prints.
fn table(found: &[Found]) -> String {
    use std::fmt::Write;
    let mut s = format!("{:<12} {:<32} found in\n", "platform", "credential");
    for f in found {
        let opt = if f.optional { " (optional)" } else { "" };
        let _ = writeln!(s, "{:<12} {:<32} {}{opt}", f.platform, f.name, f.detail);
    }
    s.trim_end().to_string()
}

/// What `check` found across the packages of a `packages:` pipeline.
struct Checked {
    /// `<package>/<platform>` of every platform checked.
    ids: Vec<String>,
    found: Vec<Found>,
    problems: Vec<crate::error::Error>,
}

/// Every package as `release` would take it: its platforms (`--only`/`--skip`), their
/// preflight and credentials, its build tools, and its version (the run's tag, which its
/// own files must agree with, or the one they state for `version: own`). Each problem is
/// named after its package.
fn packages(
    l: &crate::config::Loaded,
    tag: Option<&str>,
    scope: &crate::cli::Scope,
    out: &Out,
) -> Checked {
    let mut c = Checked {
        ids: Vec::new(),
        found: Vec::new(),
        problems: Vec::new(),
    };
    let scope = (&scope.only[..], &scope.skip[..]);
    let chosen = match pkgs::choose(&l.pipeline.packages, &[], scope) {
        Ok(chosen) => chosen,
        Err(p) => {
            c.problems = p;
            return c;
        }
    };
    let env = env_map();
    for cfg in chosen {
        let named = |e: crate::error::Error| e.context(format!("package `{}`", cfg.name));
        let view = pkgs::view(&l.pipeline, &cfg);
        let root = l.root.join(&cfg.dir);
        let mut problems = select::build_tools(&view, &root);
        let own = cfg.version == crate::config::PackageVersion::Own;
        if own || tag.is_some() {
            match pkgs::version_of(l, &cfg, tag, &env) {
                Ok((v, t)) => out.message(&format!("package {}: version {v} (tag {t})", cfg.name)),
                Err(e) => problems.push(e),
            }
        }
        match pkgs::select_in(&view, &cfg, scope) {
            Ok(Some(chosen)) => {
                let unit = |id: &str| crate::engine::unit_id(&cfg.name, id);
                c.ids.extend(chosen.iter().map(|p| unit(p.id())));
                c.found.extend(sources(&chosen).into_iter().map(|mut f| {
                    f.platform = unit(&f.platform);
                    f
                }));
                problems.extend(select::preflight(chosen, false).1);
            }
            Ok(None) => {}
            Err(p) => c.problems.extend(p),
        }
        c.problems.extend(problems.into_iter().map(named));
    }
    if !c.found.is_empty() {
        out.message(&table(&c.found));
    }
    c
}
