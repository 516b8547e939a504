//! crates.io's publish rules, checked in `package` (the validation phase) on the metadata
//! built from the normalized Cargo.toml inside the `.crate`: the same data crates.io reads.
//! A crate that breaks one is refused with exit 2 before any platform publishes, naming the
//! manifest, the field and the rule. Source: `rust-lang/crates.io`
//! `src/controllers/krate/publish.rs` and `src/config/publish_limits.rs` (issue #16).

use super::categories;
use super::config::CratesConfig;
use super::meta::{new_crate, NewCrate};
use super::spdx;
use super::CrateContents;
use crate::error::{Error, Result};
use crate::kit::rules::{self, Violation};

/// crates.io's default `publish_limits.upload_size` (10 MiB; answered with 413).
pub const MAX_UPLOAD: u64 = 10 * 1024 * 1024;
/// `MAX_DESCRIPTION_LENGTH`.
pub const MAX_DESCRIPTION: usize = 1000;
/// `publish_limits.features` and `publish_limits.dependencies`.
pub const MAX_FEATURES: usize = 300;
pub const MAX_DEPENDENCIES: usize = 500;
pub const MAX_KEYWORDS: usize = 5;
pub const MAX_KEYWORD_LEN: usize = 20;
pub const MAX_CATEGORIES: usize = 5;

/// A violation of the packaged Cargo.toml; `refusal` names the file.
fn v(field: impl Into<String>, rule: impl Into<String>, hint: impl Into<String>) -> Violation {
    Violation::new("", field, rule, hint)
}

/// The adapter's call at the end of `package`: checks the packaged crate when the config's
/// rule set is crates.io's; every violation goes into one input error (exit 2).
pub fn check_crate(cfg: &CratesConfig, c: &CrateContents, size: u64) -> Result<()> {
    refuse_all(&found(cfg, cfg.manifest_name(), c, size)?)
}

/// The rules the packaged crate breaks (none when the rule set is not crates.io's), each
/// naming `file`, the crate's Cargo.toml as the user knows it.
pub fn found(cfg: &CratesConfig, file: &str, c: &CrateContents, size: u64) -> Result<Vec<Violation>> {
    if !cfg.crates_io_rules() {
        return Ok(Vec::new());
    }
    let meta = new_crate(c, &cfg.index_url())?;
    Ok(violations(&meta, size)
        .into_iter()
        .map(|x| Violation {
            file: file.into(),
            ..x
        })
        .collect())
}

/// `Ok` when nothing was found; else one error naming the file, each field and rule, with
/// every hint.
pub fn refuse(file: &str, found: &[Violation]) -> Result<()> {
    let named: Vec<Violation> = found
        .iter()
        .map(|x| Violation {
            file: file.into(),
            ..x.clone()
        })
        .collect();
    refuse_all(&named)
}

/// One error for every violation of every crate (each names its own file).
pub fn refuse_all(found: &[Violation]) -> Result<()> {
    let heading = "crates.io would refuse this crate (checked on the packaged Cargo.toml)";
    rules::refuse(found, heading, Error::input)
}

/// Every crates.io rule `m` (and a `.crate` of `size` bytes) breaks.
pub fn violations(m: &NewCrate, size: u64) -> Vec<Violation> {
    let mut out = Vec::new();
    if size > MAX_UPLOAD {
        out.push(v(
            "package (the .crate file)",
            format!("the packaged crate is {size} bytes; crates.io accepts at most {MAX_UPLOAD} (10 MiB)"),
            "shrink the package: add large files to `exclude` in [package] (check with `cargo package --list`)",
        ));
    }
    describe(m, &mut out);
    urls(m, &mut out);
    keywords(m, &mut out);
    categories_rule(m, &mut out);
    limits(m, &mut out);
    out
}

fn describe(m: &NewCrate, out: &mut Vec<Violation>) {
    match m.description.as_deref().map(str::trim) {
        None | Some("") => out.push(v(
            "package.description",
            "is missing: crates.io requires a description",
            "add `description = \"...\"` to [package] in Cargo.toml",
        )),
        Some(d) if d.chars().count() > MAX_DESCRIPTION => out.push(v(
            "package.description",
            format!(
                "is {} characters; crates.io allows at most {MAX_DESCRIPTION}",
                d.chars().count()
            ),
            "shorten the description; long text belongs in the README",
        )),
        Some(_) => {}
    }
    let no_file = m.license_file.as_deref().map_or(true, str::is_empty);
    match m.license.as_deref() {
        None | Some("") if no_file => out.push(v(
            "package.license",
            "is missing: crates.io requires `license` (an SPDX expression) or `license-file`",
            "add e.g. `license = \"MIT OR Apache-2.0\"` to [package], or `license-file` for a non-standard license",
        )),
        Some(l) if !l.is_empty() => {
            if let Err(why) = spdx::check(l) {
                out.push(v(
                    "package.license",
                    format!("`{l}` is not a valid SPDX license expression ({why})"),
                    "use SPDX identifiers (https://spdx.org/licenses/) joined with AND/OR, or `license-file` for a non-standard license",
                ));
            }
        }
        _ => {}
    }
    if let Some(rv) = &m.rust_version {
        let plain = !rv.is_empty() && rv.chars().all(|c| c.is_ascii_digit() || c == '.');
        if !plain || semver::VersionReq::parse(rv).is_err() {
            out.push(v(
                "package.rust-version",
                format!("`{rv}` is not a plain version of digits and dots"),
                "write the minimum Rust version as e.g. `1.70` or `1.70.0`",
            ));
        }
    }
}

fn urls(m: &NewCrate, out: &mut Vec<Violation>) {
    for (field, val) in [
        ("homepage", &m.homepage),
        ("documentation", &m.documentation),
        ("repository", &m.repository),
    ] {
        let Some(u) = val else { continue };
        let http = u.starts_with("http://") || u.starts_with("https://");
        if !http || url::Url::parse(u).is_err() {
            out.push(v(
                format!("package.{field}"),
                format!("`{u}` must be an http:// or https:// URL"),
                format!("set `{field}` to a full web address, e.g. https://github.com/OWNER/REPO"),
            ));
        }
    }
}

fn keywords(m: &NewCrate, out: &mut Vec<Violation>) {
    if m.keywords.len() > MAX_KEYWORDS {
        out.push(v(
            "package.keywords",
            format!(
                "has {} keywords; crates.io allows at most {MAX_KEYWORDS}",
                m.keywords.len()
            ),
            "keep the 5 most useful keywords",
        ));
    }
    for k in &m.keywords {
        let mut chars = k.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'));
        if k.chars().count() > MAX_KEYWORD_LEN {
            out.push(v(
                "package.keywords",
                format!("keyword `{k}` is longer than {MAX_KEYWORD_LEN} characters"),
                "shorten the keyword to 20 characters or fewer",
            ));
        } else if !first_ok || !rest_ok {
            out.push(v(
                "package.keywords",
                format!("keyword `{k}` must start with a letter or digit and contain only ASCII letters, digits, `_`, `-` or `+`"),
                "use ASCII words such as `cli` or `http-client`",
            ));
        }
    }
}

fn categories_rule(m: &NewCrate, out: &mut Vec<Violation>) {
    if m.categories.len() > MAX_CATEGORIES {
        out.push(v(
            "package.categories",
            format!(
                "has {} categories; crates.io allows at most {MAX_CATEGORIES}",
                m.categories.len()
            ),
            "keep the 5 most fitting categories",
        ));
    }
    let unknown: Vec<&str> = m
        .categories
        .iter()
        .map(String::as_str)
        .filter(|c| !categories::is_known(c))
        .collect();
    if !unknown.is_empty() {
        out.push(v(
            "package.categories",
            format!(
                "unknown category slug(s): {} (crates.io refuses unknown slugs)",
                unknown.join(", ")
            ),
            "use slugs from https://crates.io/category_slugs, e.g. `command-line-utilities`",
        ));
    }
}

fn limits(m: &NewCrate, out: &mut Vec<Violation>) {
    if m.features.len() > MAX_FEATURES {
        out.push(v(
            "features",
            format!(
                "declares {} features; crates.io allows at most {MAX_FEATURES}",
                m.features.len()
            ),
            "merge features, or ask help@crates.io for a higher limit",
        ));
    }
    if m.deps.len() > MAX_DEPENDENCIES {
        out.push(v(
            "dependencies",
            format!(
                "declares {} dependencies; crates.io allows at most {MAX_DEPENDENCIES}",
                m.deps.len()
            ),
            "remove dependencies, or ask help@crates.io for a higher limit",
        ));
    }
    for d in &m.deps {
        let key = d.explicit_name_in_toml.as_deref().unwrap_or(&d.name);
        let table = match d.kind.as_str() {
            "dev" => "dev-dependencies",
            "build" => "build-dependencies",
            _ => "dependencies",
        };
        let field = format!("{table}.{key}");
        if semver::VersionReq::parse(&d.version_req).ok() == Some(semver::VersionReq::STAR) {
            out.push(v(
                field.clone(),
                "has the wildcard requirement `*`, which crates.io refuses",
                format!("give `{key}` a real version requirement, e.g. the version you test with"),
            ));
        }
        if let Some(r) = &d.registry {
            out.push(v(
                field,
                format!("comes from another registry ({r}); crates.io refuses cross-registry dependencies"),
                format!("publish `{}` to the same registry first, or depend on a crate from it", d.name),
            ));
        }
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
