//! What warehouse checks in the upload *form* (not only in METADATA), checked in `package`
//! (the validation phase) on the exact fields `api::form` will send, so a dry run catches
//! what PyPI would refuse with 400 and a real run refuses with exit 2 before anything is
//! published. Source: `pypi/warehouse` `forklift/legacy.py` and `forklift/metadata.py`
//! (`_LENGTH_LIMITS`, URL checks, `upload_limit_size`) and packaging's single-line summary
//! rule (issue #16).

use super::config::{PypiConfig, Readme};
use crate::error::{Error, Result};
use crate::kit::rules::{self, Violation};
use crate::plan::Artifact;
use crate::platforms::wheel::WheelMeta;

/// warehouse `_LENGTH_LIMITS["summary"]`.
pub const MAX_SUMMARY: usize = 512;

fn v(file: &str, field: &str, rule: String, hint: &str) -> Violation {
    Violation::new(file, field, rule, hint)
}

/// The adapter's call at the end of `package`: every violation in one input error (exit 2).
pub fn check(
    cfg: &PypiConfig,
    meta: &WheelMeta,
    readme: Option<&Readme>,
    wheels: &[Artifact],
) -> Result<()> {
    let found = violations(cfg, meta, readme, wheels);
    rules::refuse(&found, "the index would refuse the upload form", Error::input)
}

/// Every form rule the upload of `wheels` with `meta` (and `readme`) breaks.
pub fn violations(
    cfg: &PypiConfig,
    meta: &WheelMeta,
    readme: Option<&Readme>,
    wheels: &[Artifact],
) -> Vec<Violation> {
    let mut out = summary_violations(&meta.summary);
    out.extend(url_violations(meta));
    if let Some(r) = readme {
        if r.text.trim().is_empty() {
            out.push(v(
                &r.file,
                "platforms.pypi.readme",
                "is empty: the PyPI project page would be blank".into(),
                "write the README, or point platforms.pypi.readme at another file",
            ));
        }
    }
    for w in wheels.iter().filter(|w| w.size > cfg.max_file_size) {
        out.push(v(&w.name, "platforms.pypi.max_file_size", format!(
            "the wheel is {} bytes; the index accepts at most {} per file",
            w.size, cfg.max_file_size
        ), "make the binary smaller (strip it), or raise max_file_size once PyPI has granted this project a larger limit"));
    }
    out
}

/// warehouse's form rule for `summary`: one line, at most 512 characters.
fn summary_violations(s: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let y = "pipeline.yaml";
    if s.contains(['\n', '\r']) {
        out.push(v(y, "project.description", format!(
            "is sent as the upload's `summary`, which must be one line (it has {} lines{})",
            s.lines().count().max(1),
            if s.ends_with('\n') { ", or ends in a newline: a YAML `>` or `|` block adds one" } else { "" }
        ), "write project.description on one line (use `>-` instead of `>` for a folded YAML block)"));
    }
    if s.chars().count() > MAX_SUMMARY {
        out.push(v(y, "project.description", format!(
            "is sent as the upload's `summary`, which PyPI limits to {MAX_SUMMARY} characters (it has {})",
            s.chars().count()
        ), "shorten project.description; the README is the place for long text"));
    }
    out
}

/// warehouse's form rule for `home_page` and `project_urls`: http(s) URLs.
fn url_violations(meta: &WheelMeta) -> Vec<Violation> {
    let mut out = Vec::new();
    let y = "pipeline.yaml";
    if let Some(h) = &meta.home_page {
        if !is_http_url(h) {
            out.push(v(
                y,
                "project.homepage",
                format!("`{h}` (sent as `home_page`) must be an http(s) URL"),
                "write the full address, e.g. https://example.org/tool",
            ));
        }
    }
    for (label, u) in &meta.project_urls {
        if !is_http_url(u) {
            let field = if label == "Source" {
                "project.repository"
            } else {
                "project.homepage"
            };
            out.push(v(
                y,
                field,
                format!("`{u}` (sent as project_urls `{label}`) must be an http(s) URL"),
                "write the full address, e.g. https://github.com/OWNER/REPO",
            ));
        }
    }
    out
}

/// warehouse `http.is_valid_uri(url, require_authority=False)` with the http(s) schemes.
fn is_http_url(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ArtifactKind;

    fn meta() -> WheelMeta {
        WheelMeta {
            name: "demo".into(),
            version: "1.0.0".into(),
            summary: "A demo".into(),
            home_page: Some("https://example.org".into()),
            project_urls: vec![("Source".into(), "https://example.org/src".into())],
            license: Some("MIT".into()),
            requires_python: None,
        }
    }

    fn cfg() -> PypiConfig {
        serde_json::from_value(serde_json::json!({"max_file_size": 100})).unwrap()
    }

    fn wheel(size: u64) -> Artifact {
        Artifact {
            name: "demo-1.0.0-py3-none-any.whl".into(),
            path: "wheels/demo-1.0.0-py3-none-any.whl".into(),
            kind: ArtifactKind::Package {
                platform: "pypi".into(),
            },
            target: None,
            sha256: String::new(),
            size,
        }
    }

    fn fields(change: impl FnOnce(&mut WheelMeta), size: u64) -> Vec<String> {
        let mut m = meta();
        change(&mut m);
        violations(&cfg(), &m, None, &[wheel(size)])
            .into_iter()
            .map(|x| x.field)
            .collect()
    }

    #[test]
    fn each_form_rule_names_its_field() {
        assert_eq!(fields(|_| {}, 100), Vec::<String>::new());
        assert_eq!(
            fields(|m| m.summary = "A demo\n".into(), 1),
            ["project.description"]
        );
        assert_eq!(
            fields(|m| m.summary = "x".repeat(513), 1),
            ["project.description"]
        );
        assert_eq!(
            fields(|m| m.home_page = Some("example.org".into()), 1),
            ["project.homepage"]
        );
        let src = |m: &mut WheelMeta| {
            m.project_urls = vec![("Source".into(), "git@github.com:a/b".into())]
        };
        assert_eq!(fields(src, 1), ["project.repository"]);
        assert_eq!(fields(|_| {}, 101), ["platforms.pypi.max_file_size"]);
        let empty = Readme {
            file: "README.md".into(),
            text: " \n".into(),
            content_type: "text/markdown".into(),
        };
        let found = violations(&cfg(), &meta(), Some(&empty), &[]);
        assert_eq!(found[0].file, "README.md");
    }

    #[test]
    fn the_error_names_file_field_and_rule() {
        let mut m = meta();
        m.summary = "folded\n".into();
        let e = check(&cfg(), &m, None, &[]).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Input);
        assert!(
            e.message().contains("pipeline.yaml: `project.description`"),
            "{e:?}"
        );
        assert!(e.message().contains("must be one line"), "{e:?}");
        assert!(e.hint().unwrap().contains(">-"), "{e:?}");
    }
}
