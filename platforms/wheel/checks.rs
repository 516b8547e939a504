//! What `mode: project` checks in the files the project built, before anything is published
//! (the package phase: a refusal is exit 2 with nothing sent anywhere). Every file's name
//! parses (wheel or sdist); the name and version in the file name and in its METADATA /
//! PKG-INFO are the package's and the release's (PEP 440, as `pep440` maps the tag); the
//! metadata parses; at most one sdist (PyPI keeps one per release); warehouse's form rules on
//! the fields the upload sends; and the README renders as its content type says — the
//! `twine check` rules: Markdown and plain text always render, reStructuredText (also what a
//! missing or unknown content type means) must render without errors through
//! `readme_renderer`, PyPI's own renderer, run through the exec layer (`RST_CHECK`).

use super::dists::{self, CoreMetadata};
use super::project::ProjectBuild;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::kit::rules::{self, Violation};
use crate::plan::Artifact;
use crate::platform::Cx;

/// The package's name and the platform's limits the files are checked against.
pub struct Limits<'a> {
    /// The distribution name configured (`package:`, default the project name).
    pub package: &'a str,
    /// The largest file the index accepts (pypi's `max_file_size`), if it has a limit.
    pub max_file_size: Option<u64>,
}

/// One built file, parsed: what the upload form and the index need from it.
#[derive(Debug, Clone)]
pub struct Dist {
    pub name: dists::DistName,
    pub meta: CoreMetadata,
}

/// Parses a built file's name and metadata (both were validated in `package`).
pub fn read(cx: &Cx, a: &Artifact) -> Result<Dist> {
    let bad = |why: String| Error::input(format!("{}: {why}", a.name));
    let name = dists::parse_filename(&a.name).map_err(bad)?;
    let text = dists::read_metadata(&cx.release.path(a))?;
    let meta = dists::parse_metadata(&text).map_err(bad)?;
    Ok(Dist { name, meta })
}

/// Every rule of the module header, on every file; all violations in one input error.
pub async fn validate(cx: &Cx, b: &ProjectBuild, l: &Limits<'_>, files: &[Artifact]) -> Result<()> {
    let version = super::pep440(&cx.release.version)?;
    let want = Expect {
        package: l.package,
        version: &version,
        tag: &cx.release.tag,
    };
    let mut found = Vec::new();
    let mut rst = Vec::new();
    for a in files {
        if let Some(d) = check_file(cx, l, &want, a, &mut found)? {
            rst.push((a.name.clone(), d));
        }
    }
    let sdists: Vec<&str> = files
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| n.ends_with(".tar.gz"))
        .collect();
    if sdists.len() > 1 {
        found.push(Violation::new(
            sdists.join(", "),
            "sdist",
            "are several sdists; PyPI keeps exactly one per release".to_string(),
            "empty the build's out_dir, or build one sdist",
        ));
    }
    for (file, text) in dedup(rst) {
        if let Some(why) = rst_errors(cx, b, &text).await? {
            found.push(Violation::new(file, "Description (reStructuredText)", format!("does not render, so PyPI would refuse the upload (twine check fails): {why}"),
                "fix the README's markup at the line docutils names, or declare it Markdown (readme = \"README.md\" / Description-Content-Type: text/markdown)"));
        }
    }
    rules::refuse(
        &found,
        "the distributions the project built would be refused",
        Error::input,
    )
}

/// One file's rules; returns its description when it must render as reStructuredText.
fn check_file(
    cx: &Cx,
    l: &Limits<'_>,
    want: &Expect<'_>,
    a: &Artifact,
    found: &mut Vec<Violation>,
) -> Result<Option<String>> {
    let meta_file = match a.name.ends_with(".whl") {
        true => "METADATA",
        false => "PKG-INFO",
    };
    let v = |field: &str, rule: String, hint: &str| Violation::new(&a.name, field, rule, hint);
    if let Some(max) = l.max_file_size.filter(|m| a.size > *m) {
        found.push(v("size", format!("is {} bytes; the index accepts at most {max} per file", a.size),
            "make it smaller, or raise max_file_size once PyPI has granted this project a larger limit"));
    }
    let name = match dists::parse_filename(&a.name) {
        Ok(n) => n,
        Err(rule) => {
            let hint = "publish the files a standard build backend writes, unrenamed";
            found.push(v("file name", rule, hint));
            return Ok(None);
        }
    };
    want.name_and_version(found, &a.name, "file name", (&name.name, &name.version));
    let text = dists::read_metadata(&cx.release.path(a))?;
    let meta = match dists::parse_metadata(&text) {
        Ok(m) => m,
        Err(rule) => {
            found.push(v(meta_file, rule, "rebuild with a current build backend"));
            return Ok(None);
        }
    };
    let got = (
        meta.get("Name").unwrap_or(""),
        meta.get("Version").unwrap_or(""),
    );
    want.name_and_version(found, &a.name, meta_file, got);
    form_rules(found, &a.name, &meta);
    Ok(needs_rst_check(&meta).map(str::to_string))
}

/// What the files must say: the package's name and the release's version.
struct Expect<'a> {
    package: &'a str,
    version: &'a str,
    tag: &'a str,
}

impl Expect<'_> {
    fn name_and_version(
        &self,
        found: &mut Vec<Violation>,
        file: &str,
        field: &str,
        (name, version): (&str, &str),
    ) {
        if super::normalize(name) != super::normalize(self.package) {
            found.push(Violation::new(file, format!("{field}: name"), format!("is `{name}`, not the package `{}`", self.package),
                "set `package:` in the platform section to the project's name, or fix the name in pyproject.toml"));
        }
        if version != self.version {
            found.push(Violation::new(file, format!("{field}: version"),
                format!("is {version}, but the release {} is {} in PEP 440", self.tag, self.version),
                format!("set the project's version (pyproject.toml) to {}, or tag the release that the project says", self.version)));
        }
    }
}

/// warehouse's form checks (forklift/metadata.py) on the fields the upload sends from this
/// metadata: a one-line summary of at most 512 characters, http(s) URLs.
fn form_rules(found: &mut Vec<Violation>, file: &str, m: &CoreMetadata) {
    let summary = m.get("Summary").unwrap_or("");
    if summary.contains('\n')
        || summary.chars().count() > crate::platforms::pypi::rules::MAX_SUMMARY
    {
        found.push(Violation::new(
            file,
            "Summary",
            "must be one line of at most 512 characters".to_string(),
            "shorten the project's description",
        ));
    }
    let urls = m.get("Home-page").into_iter().map(str::to_string).chain(
        m.all("Project-URL")
            .filter_map(|v| v.split_once(',').map(|(_, u)| u.trim().to_string())),
    );
    for u in urls {
        if !url::Url::parse(&u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) {
            found.push(Violation::new(
                file,
                "Project-URL",
                format!("`{u}` must be an http(s) URL"),
                "write the full address in pyproject.toml [project.urls]",
            ));
        }
    }
}

/// The description to render as reStructuredText, if any: twine's choice of renderer is
/// by content type, and a missing or unknown type is rendered as reStructuredText.
pub fn needs_rst_check(m: &CoreMetadata) -> Option<&str> {
    let ctype = m.get("Description-Content-Type").unwrap_or("text/x-rst");
    let base = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "text/markdown" | "text/plain" => None,
        _ => m.description().filter(|d| d.trim() != "UNKNOWN"),
    }
}

fn dedup(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|(_, text)| seen.insert(text.clone()));
    v
}

/// Renders with `readme_renderer.rst` as twine and PyPI do; exit 1 = it reported errors
/// (printed), exit 3 = the module is not installed.
const RST_CHECK: &str = r#"import io, sys
try:
    import readme_renderer.rst as r
except ImportError:
    sys.exit(3)
s = io.StringIO()
with open(sys.argv[1], encoding="utf-8") as f:
    out = r.render(f.read(), stream=s)
if out is None:
    sys.stdout.write(s.getvalue() or "docutils reported an error")
    sys.exit(1)
"#;

/// `Some(docutils' messages)` when `text` does not render as reStructuredText.
async fn rst_errors(cx: &Cx, b: &ProjectBuild, text: &str) -> Result<Option<String>> {
    let scratch = crate::git::Scratch::new("tagship-readme")?;
    let path = scratch.path().join("README.rst");
    std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    let cmd = Cmd::new(&b.python, Effect::Local)
        .arg("-c")
        .arg(RST_CHECK)
        .arg(path.display().to_string());
    let o = cx.exec.run(&cmd).await?;
    match o.code {
        Some(0) => Ok(None),
        Some(1) => Ok(Some(o.stdout.trim().replace("<string>:", "line ").replace('\n', " "))),
        Some(3) => Err(Error::new(ErrorKind::MissingTool, format!("`{}` has no readme_renderer, which checks a reStructuredText README as PyPI renders it", b.python))
            .with_hint(format!("`{} -m pip install readme_renderer`, or set build.python to a Python that has it (twine brings it)", b.python))),
        _ => Err(Error::new(ErrorKind::MissingTool, format!("checking the reStructuredText README with `{}` failed: {}", b.python, o.tail()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(extra: &str, body: &str) -> CoreMetadata {
        dists::parse_metadata(&format!(
            "Metadata-Version: 2.4\nName: d\nVersion: 1\n{extra}\n{body}"
        ))
        .unwrap()
    }

    #[test]
    fn twine_picks_the_renderer_by_content_type() {
        assert_eq!(
            needs_rst_check(&meta("Description-Content-Type: text/markdown\n", "*x")),
            None
        );
        assert_eq!(
            needs_rst_check(&meta("Description-Content-Type: text/plain\n", "*x")),
            None
        );
        assert_eq!(
            needs_rst_check(&meta(
                "Description-Content-Type: text/x-rst; charset=UTF-8\n",
                "*x"
            )),
            Some("*x")
        );
        assert_eq!(
            needs_rst_check(&meta("", "*x")),
            Some("*x"),
            "missing type = rst"
        );
        assert_eq!(
            needs_rst_check(&meta("", "")),
            None,
            "no README: twine only warns"
        );
    }

    #[test]
    fn form_rules_on_the_file_metadata() {
        let mut found = Vec::new();
        form_rules(
            &mut found,
            "f.whl",
            &meta(
                "Summary: ok\nProject-URL: Source, git@h:o/r\nHome-page: https://x.org\n",
                "",
            ),
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].rule.contains("git@h:o/r"), "{found:?}");
    }
}
