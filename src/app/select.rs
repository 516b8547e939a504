//! Turning pipeline.yaml's `platforms:` plus `--only`/`--skip` into adapters, and the preflight
//! that checks every credential and tool up front (all problems at once; exit 2 in a real run).

use crate::config::Pipeline;
use crate::engine::Selected;
use crate::error::Error;
use crate::platform::{Platform, Requirement};
use crate::platforms;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Builds the adapters selected by `only`/`skip`, in registry order.
pub fn select(
    p: &Pipeline,
    only: &[String],
    skip: &[String],
) -> Result<Vec<Arc<dyn Platform>>, Vec<Error>> {
    if !p.packages.is_empty() {
        // release, publish (from dist/), status, rollback, check and login select per
        // package, on each package's view (app/packages.rs); `publish --merge` does not yet.
        let e = Error::input(
            "this command does not handle `packages:` yet (release, publish, status, rollback, check and login do)",
        )
        .with_hint(
            "`tagship release --dry-run` preflights every package (credentials, tools, versions); \
             narrow it with --package, --only or --skip",
        );
        return Err(vec![e]);
    }
    let mut problems = Vec::new();
    let configured: Vec<&String> = p.platforms.keys().collect();
    for id in only.iter().chain(skip) {
        if !p.platforms.contains_key(id) {
            let known = if platforms::find(id).is_some() {
                format!("platform `{id}` is not configured in pipeline.yaml")
            } else {
                format!("unknown platform `{id}`")
            };
            problems.push(Error::input(known).with_hint(format!(
                "configured platforms: {}",
                configured.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for id in only.iter().filter(|o| skip.contains(o)) {
        problems.push(
            Error::input(format!("platform `{id}` is in both --only and --skip"))
                .with_hint("name it in one of them: together they select nothing"),
        );
    }
    let mut out = Vec::new();
    for f in platforms::ALL {
        let Some(section) = p.platforms.get(f.id) else {
            continue;
        };
        if (!only.is_empty() && !only.iter().any(|o| o == f.id)) || skip.iter().any(|s| s == f.id) {
            continue;
        }
        match (f.build)(section, &p.project) {
            Ok(b) => out.push(Arc::from(b)),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Each configured platform's `timeout` setting (validated at load time).
pub fn timeouts(p: &Pipeline) -> BTreeMap<String, std::time::Duration> {
    p.platforms
        .iter()
        .filter_map(|(id, section)| {
            let t = section.get("timeout")?.as_str()?;
            let d = crate::config::format::parse_duration(t).ok()?;
            Some((id.clone(), d))
        })
        .collect()
}

/// Resolves credentials and looks for tools. In a real run every problem is fatal; in a dry
/// run they become warnings on the platform and it probes anonymously.
pub fn preflight(platforms: Vec<Arc<dyn Platform>>, dry_run: bool) -> (Vec<Selected>, Vec<Error>) {
    let mut problems = Vec::new();
    let mut selected = Vec::new();
    for p in platforms {
        let mut secrets = BTreeMap::new();
        let mut warnings = Vec::new();
        for req in p.requirements() {
            let err = match req {
                Requirement::Credential { var, optional } => {
                    match crate::creds::lookup(&var, p.id()) {
                        Ok(s) => {
                            secrets.insert(var, s);
                            None
                        }
                        // An optional credential may be absent; one that is set but
                        // cannot be sent (a newline in NPM_OTP) is refused like any other.
                        Err(e) if optional && crate::creds::is_missing(&e) => None,
                        Err(e) => Some(e),
                    }
                }
                Requirement::Tool { program } => crate::exec::resolve_program(&program, None).err(),
                Requirement::Oidc => match crate::oidc::preflight(p.id()) {
                    Ok(s) => {
                        secrets.insert(crate::oidc::TOKEN_VAR.to_string(), s);
                        None
                    }
                    Err(e) => Some(e),
                },
            };
            if let Some(e) = err {
                if dry_run {
                    warnings.push(format!("{e} — a real run would stop here with exit code 2"));
                } else {
                    problems.push(e.context(p.id()));
                }
            }
        }
        selected.push(Selected {
            expected_packages: None,
            platform: p,
            secrets,
            warnings,
        });
    }
    (selected, problems)
}

/// Checks that every build command's program is installed.
pub fn build_tools(p: &Pipeline, root: &std::path::Path) -> Vec<Error> {
    let mut problems = Vec::new();
    for b in &p.builds {
        if let Some(prog) = b.command.first() {
            let dir = b.dir.as_ref().map_or(root.to_path_buf(), |d| root.join(d));
            if let Err(e) = crate::exec::resolve_program(prog, Some(&dir)) {
                problems.push(e);
            }
        }
    }
    problems
}

/// `tagship check`'s table of what each selected platform can do.
pub fn capability_table(chosen: &[Arc<dyn Platform>]) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "{:<12} {:<9} {:<10} {:<24} needs\n",
        "platform", "withdraw", "verify", "pending states"
    );
    for p in chosen {
        let c = p.capabilities();
        let verify = c
            .verify_within
            .map_or("-".to_string(), |d| format!("≤{}s", d.as_secs()));
        let pending = if c.pending_states.is_empty() {
            "-".to_string()
        } else {
            c.pending_states.join(", ")
        };
        let needs = p.needs();
        let needs = if needs.is_empty() {
            "-".into()
        } else {
            needs.join(", ")
        };
        let _ = writeln!(
            s,
            "{:<12} {:<9} {:<10} {:<24} {needs}",
            p.id(),
            c.withdraw.as_str(),
            verify,
            pending
        );
    }
    s.trim_end().to_string()
}
