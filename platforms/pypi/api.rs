//! The wire side of the pypi platform: reading which files an index lists (warehouse JSON,
//! PEP 691 JSON, PEP 503 HTML) and the legacy "forklift" upload, one multipart POST per file.
//! Status codes are mapped to outcomes here; deciding what to do with them is `mod.rs`'s job.
//! The PEP 503 HTML parser is also used by the pep503 platform.

use super::config::Readme;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Part, Request, Response};
use crate::platforms::wheel::{self, WheelMeta};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Accept header for the simple API: PEP 691 JSON first, HTML as the fallback.
pub const SIMPLE_ACCEPT: &str =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// A file an index lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub filename: String,
    /// Lowercase hex, when the index says.
    pub sha256: Option<String>,
    /// Absolute download URL, when known.
    pub url: Option<String>,
}

/// The warehouse per-version JSON. `Ok(None)` means the endpoint is not usable here (not a
/// warehouse, or the answer is unreadable) and the caller should ask the simple API.
pub async fn list_json(
    http: &Http,
    index: &str,
    name: &str,
    version: &str,
) -> Result<Option<Vec<Listed>>> {
    let url = format!("{index}pypi/{}/{version}/json", wheel::normalize(name));
    let resp = http
        .send(Request::get(&url)?.header("accept", "application/json"))
        .await?;
    match resp.status.as_u16() {
        200 => {}
        // Warehouse: no such release or project. Other servers (devpi, pypiserver) also 404
        // here for files they do have, so a 404 is confirmed with the simple API.
        404 => return Ok(None),
        401 | 403 => return Err(read_auth_error(&resp, &url)),
        _ => return Ok(None),
    }
    let Ok(v) = resp.json::<Value>() else {
        return Ok(None);
    };
    let Some(urls) = v.get("urls").and_then(Value::as_array) else {
        return Ok(None);
    };
    Ok(Some(
        urls.iter()
            .filter_map(|u| {
                Some(Listed {
                    filename: u.get("filename")?.as_str()?.to_string(),
                    sha256: u
                        .pointer("/digests/sha256")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_lowercase),
                    url: u.get("url").and_then(Value::as_str).map(str::to_string),
                })
            })
            .collect(),
    ))
}

/// The simple API project page `{root}{normalized}/`: PEP 691 JSON if the server offers it,
/// else PEP 503 HTML. A 404 means no files.
pub async fn list_simple(http: &Http, root: &str, name: &str) -> Result<Vec<Listed>> {
    let url = format!("{root}{}/", wheel::normalize(name));
    let resp = http
        .send(Request::get(&url)?.header("accept", SIMPLE_ACCEPT))
        .await?;
    match resp.status.as_u16() {
        200..=299 => {}
        404 => return Ok(Vec::new()),
        401 | 403 => return Err(read_auth_error(&resp, &url)),
        _ => return Err(resp.error(&format!("listing files of {name}"))),
    }
    let base = url::Url::parse(&resp.url)
        .or_else(|_| url::Url::parse(&url))
        .ok();
    let ctype = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.contains("json") {
        let v: Value = resp.json()?;
        return Ok(parse_simple_json(&v, base.as_ref()));
    }
    Ok(parse_simple_html(&resp.text(), base.as_ref()))
}

fn read_auth_error(resp: &Response, url: &str) -> Error {
    resp.error(&format!("reading {url}")).with_hint(
        "the index refuses anonymous reads; tagship checks without credentials, so use a readable index URL",
    )
}

fn resolve(base: Option<&url::Url>, href: &str) -> Option<String> {
    match base {
        Some(b) => b.join(href).ok().map(|u| u.to_string()),
        None => url::Url::parse(href).ok().map(|u| u.to_string()),
    }
}

/// PEP 691: `files[]` with `filename`, `url`, `hashes.sha256`.
pub fn parse_simple_json(v: &Value, base: Option<&url::Url>) -> Vec<Listed> {
    let files = v.get("files").and_then(Value::as_array);
    files
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some(Listed {
                filename: f.get("filename")?.as_str()?.to_string(),
                sha256: f
                    .pointer("/hashes/sha256")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase),
                url: f
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(|u| resolve(base, u)),
            })
        })
        .collect()
}

/// PEP 503: every `<a href="url#sha256=hex">filename</a>`. The text is the file name; the
/// hash comes from the URL fragment. Tolerant of attribute order, quoting and case.
pub fn parse_simple_html(html: &str, base: Option<&url::Url>) -> Vec<Listed> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<a") {
        let start = pos + i;
        let after = lower.as_bytes().get(start + 2).copied();
        pos = start + 2;
        if !matches!(after, Some(b' ' | b'\t' | b'\n' | b'\r' | b'>')) {
            continue;
        }
        let Some(gt) = lower[start..].find('>').map(|g| start + g) else {
            break;
        };
        let Some(end) = lower[gt..].find("</a").map(|e| gt + e) else {
            break;
        };
        let tag = &html[start..gt];
        let text = unescape(html[gt + 1..end].trim());
        pos = end;
        let Some(href) = attr(tag, "href") else {
            continue;
        };
        let href = unescape(&href);
        let (link, frag) = href.split_once('#').unwrap_or((&href, ""));
        let sha256 = frag
            .split('&')
            .find_map(|kv| kv.strip_prefix("sha256="))
            .map(str::to_ascii_lowercase);
        out.push(Listed {
            filename: text,
            sha256,
            url: resolve(base, link),
        });
    }
    out
}

/// The value of attribute `name` in an opening tag (`<a ...`), quoted or not.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let bytes = tag.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at > 0 && bytes[at - 1].is_ascii_whitespace();
        let rest = tag[at + name.len()..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let v = rest[1..].trim_start();
        return Some(match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or("").to_string(),
            _ => v
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_string(),
        });
    }
    None
}

/// Undoes the HTML escapes an index uses in names, URLs and `data-requires-python`.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Downloads a listed file and hashes it, for indexes that list no digest.
pub async fn digest_of(http: &Http, url: &str) -> Result<String> {
    let resp = http.send(Request::get(url)?).await?;
    if !resp.ok() {
        return Err(resp.error(&format!("downloading {url} to compare its sha256")));
    }
    Ok(hex::encode(Sha256::digest(&resp.body)))
}

/// One wheel to upload.
pub struct Upload<'a> {
    pub repository_url: &'a str,
    pub auth: Option<Auth>,
    pub path: PathBuf,
    pub filename: &'a str,
    pub sha256: &'a str,
    pub meta: &'a WheelMeta,
    /// Sent as `description` + `description_content_type` (the project page).
    pub readme: Option<&'a Readme>,
    /// `filetype`, `pyversion`, `metadata_version`: `bdist_wheel`, `py3`, 2.1 for our own
    /// wheels; from the file's name and METADATA in `mode: project` (`sdist`, `source`).
    pub kind: (&'a str, &'a str, &'a str),
}

/// What the index said about one upload.
#[derive(Debug, Clone)]
pub enum Uploaded {
    /// 2xx (or predicted under `--dry-run`).
    Ok,
    /// 409, or 400/403 saying the file already exists: the caller re-checks its bytes.
    AlreadyExists(String),
    /// 401/403 without "exists": the credential was rejected.
    Rejected(Response),
}

/// The forklift multipart form (PROTOCOLS.md §2 "Publish"). `requires_python` is always
/// sent, empty when unset, because GitLab requires the field (maturin does the same).
pub fn form(u: &Upload<'_>) -> Vec<Part> {
    let text = |n: &str, v: &str| Part::Text {
        name: n.to_string(),
        value: v.to_string(),
    };
    let m = u.meta;
    let mut parts = vec![
        text(":action", "file_upload"),
        text("protocol_version", "1"),
        text("filetype", u.kind.0),
        text("pyversion", u.kind.1),
        text("metadata_version", u.kind.2),
        text("name", &m.name),
        text("version", &m.version),
        text("summary", &m.summary),
        text(
            "requires_python",
            m.requires_python.as_deref().unwrap_or(""),
        ),
        text("sha256_digest", u.sha256),
    ];
    if let Some(h) = &m.home_page {
        parts.push(text("home_page", h));
    }
    if let Some(l) = &m.license {
        parts.push(text("license", l));
    }
    for (label, url) in &m.project_urls {
        parts.push(text("project_urls", &format!("{label}, {url}")));
    }
    if let Some(r) = u.readme {
        parts.push(text("description", &r.text));
        parts.push(text("description_content_type", &r.content_type));
    }
    parts.push(Part::File {
        name: "content".into(),
        filename: u.filename.to_string(),
        path: u.path.clone(),
        content_type: "application/octet-stream".into(),
    });
    parts
}

/// POSTs one wheel. A redirect is not followed (the shared HTTP layer never follows one for
/// a write) and comes back as an error with a hint, as twine does.
pub async fn upload(http: &Http, u: &Upload<'_>) -> Result<Uploaded> {
    let mut req = Request::post(u.repository_url)?
        .body(Body::Multipart(form(u)))
        .predict(json!({}));
    if let Some(a) = &u.auth {
        req = req.auth(a.clone());
    }
    let resp = http.send(req).await?;
    if resp.predicted {
        return Ok(Uploaded::Ok);
    }
    let status = resp.status.as_u16();
    let body = resp.text().to_ascii_lowercase();
    let exists = body.contains("already exist")
        || body.contains("already been taken")
        || body.contains("overwrite artifact");
    let what = format!("uploading {}", u.filename);
    Ok(match status {
        200..=299 => Uploaded::Ok,
        409 => Uploaded::AlreadyExists(resp.text()),
        400 | 403 if exists => Uploaded::AlreadyExists(resp.text()),
        // A 403 that names its cause is reported as that cause; a bare one is the token.
        401 | 403 if known(&detail(&resp.text())).is_none() => Uploaded::Rejected(resp),
        300..=399 => return Err(resp.error(&what)),
        _ => return Err(refusal(status, &resp.text(), resp.header("retry-after")).context(what)),
    })
}

/// The message of a warehouse error body. Warehouse raises pyramid HTTP exceptions whose
/// plain-text body is `"{status} {title}\n\n{explanation}\n\n{detail}"`; the detail is what
/// twine shows (it is also the status line's reason phrase). Other servers send plain text.
pub fn detail(body: &str) -> String {
    let paras: Vec<&str> = body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let titled = paras.first().is_some_and(|p| {
        p.len() > 4 && p.as_bytes()[..3].iter().all(u8::is_ascii_digit) && p.as_bytes()[3] == b' '
    });
    let text = if titled && paras.len() >= 3 {
        paras[2..].join(" ")
    } else {
        body.trim().to_string()
    };
    let mut text = text.replace('\n', " ");
    if text.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Warehouse refusals (forklift/legacy.py, decorators.py): a phrase of the detail → kind and
/// hint. The first match wins.
const KNOWN: &[(&str, ErrorKind, &str)] = &[
    ("read-only mode", ErrorKind::Server,
     "PyPI is in read-only mode (maintenance): nothing was uploaded; re-run when https://status.python.org says uploads are back"),
    ("new uploads are temporarily disabled", ErrorKind::Server,
     "PyPI has paused uploads: re-run later"),
    ("does not have two-factor authentication enabled", ErrorKind::Auth,
     "enable two-factor authentication on the PyPI account that owns the token, then re-run"),
    ("does not have a verified primary email", ErrorKind::Auth,
     "verify the primary email of the PyPI account that owns the token, then re-run"),
    ("isn't allowed to upload to project", ErrorKind::Auth,
     "the project name belongs to another user, or the token is scoped to another project: pick another `package` name or use a token of the owning account"),
    ("too similar to an existing project", ErrorKind::Conflict,
     "PyPI refuses names too close to an existing project: choose another `package` name"),
    ("isn't allowed", ErrorKind::Conflict,
     "PyPI refuses this project name: choose another `package` name"),
    ("too many new projects created", ErrorKind::RateLimited,
     "PyPI limits how many new projects an account creates and names no time to retry: re-run in a few hours (tagship only uploads the missing files)"),
    ("releases older than", ErrorKind::Conflict,
     "PyPI refuses new files for a release more than 14 days old, so a partial release cannot be resumed: the files already there stay; publish the missing wheels under a new version"),
    ("only one sdist may be uploaded", ErrorKind::Conflict,
     "the release already has an sdist and PyPI never replaces it (pypa/gh-action-pypi-publish#282): keep the live one, or release a new version"),
    ("file too large", ErrorKind::Input,
     "the wheel is over the project's size limit: make it smaller, or ask PyPI for a larger limit and set platforms.pypi.max_file_size"),
    ("project size too large", ErrorKind::Input,
     "the project is over its total size limit on PyPI: delete old files or ask PyPI for a larger limit"),
    ("failed to render", ErrorKind::Input,
     "the README does not render in its format: fix it (or set platforms.pypi.readme to another file)"),
];

fn known(detail: &str) -> Option<&'static (&'static str, ErrorKind, &'static str)> {
    let lower = detail.to_ascii_lowercase();
    KNOWN.iter().find(|(needle, ..)| lower.contains(needle))
}

/// Maps one index refusal to an error carrying the server's message and a hint for that
/// refusal. `retry_after` is the `Retry-After` header, if any.
pub fn refusal(status: u16, body: &str, retry_after: Option<&str>) -> Error {
    let d = detail(body);
    let msg = format!("the index answered HTTP {status}: {d}");
    if let Some((_, kind, hint)) = known(&d) {
        return Error::new(*kind, msg).with_hint(*hint);
    }
    match status {
        400 => Error::new(ErrorKind::Input, msg).with_hint(
            "the index refused a metadata field of the upload form; fix what it names in pipeline.yaml (project.*) or the platforms.pypi settings",
        ),
        429 => Error::new(ErrorKind::RateLimited, msg).with_hint(match retry_after {
            Some(at) => format!("rate limited until {at}; re-run then: tagship only uploads the missing files"),
            None => "rate limited without a time to retry; re-run later: tagship only uploads the missing files".into(),
        }),
        401 | 403 => Error::new(ErrorKind::Auth, msg),
        500..=599 => Error::new(ErrorKind::Server, msg)
            .with_hint("the index kept failing after retries; re-run later: tagship only uploads the missing files"),
        _ => Error::new(ErrorKind::Protocol, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pep503_html() {
        let html = r#"<!DOCTYPE html><html><body>
<a href="/packages/demo-1.0.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8">demo-1.0.0-py3-none-any.whl</a><br>
<A HREF='../../files/demo_x-2.0-py3-none-win_amd64.whl'>demo_x-2.0-py3-none-win_amd64.whl</A>
<abbr>not a link</abbr>
</body></html>"#;
        let base = url::Url::parse("http://h:1/simple/demo/").unwrap();
        let v = parse_simple_html(html, Some(&base));
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].filename, "demo-1.0.0-py3-none-any.whl");
        assert_eq!(v[0].sha256.as_deref(), Some("abcdef"));
        assert_eq!(
            v[0].url.as_deref(),
            Some("http://h:1/packages/demo-1.0.0-py3-none-any.whl")
        );
        assert_eq!(v[1].sha256, None);
        assert_eq!(
            v[1].url.as_deref(),
            Some("http://h:1/files/demo_x-2.0-py3-none-win_amd64.whl")
        );
        assert_eq!(
            attr(
                r#"<a data-x=1 href="u" data-requires-python="&gt;=3""#,
                "data-requires-python"
            )
            .as_deref(),
            Some("&gt;=3")
        );
    }

    #[test]
    fn parses_pep691_json() {
        let v = serde_json::json!({"meta":{"api-version":"1.0"},"name":"demo","files":[
            {"filename":"a.whl","url":"../../a.whl","hashes":{"sha256":"AA"}},
            {"filename":"b.whl","url":"http://x/b.whl","hashes":{}}]});
        let base = url::Url::parse("http://h/u/i/+simple/demo/").unwrap();
        let l = parse_simple_json(&v, Some(&base));
        assert_eq!(l[0].sha256.as_deref(), Some("aa"));
        assert_eq!(l[0].url.as_deref(), Some("http://h/u/i/a.whl"));
        assert_eq!(l[1].sha256, None);
    }

    /// Warehouse's real refusals, in pyramid's plain-text body shape.
    #[test]
    fn each_warehouse_refusal_has_its_own_hint() {
        let body = |status: &str, expl: &str, d: &str| format!("{status}\n\n{expl}\n\n{d}\n\n");
        let forbidden = |d: &str| body("403 Forbidden", "Access was denied to this resource.", d);
        let bad = |d: &str| {
            body("400 Bad Request", "The server could not comply with the request since it is either malformed or otherwise incorrect.", d)
        };
        let cases = [
            (403, forbidden("Read-only mode: Uploads are temporarily disabled."), ErrorKind::Server, "read-only"),
            (403, forbidden("User 'ann', associated with the API token used, does not have two-factor authentication enabled. Please enable two-factor authentication before attempting to upload to PyPI. See https://pypi.org/help/#two-factor-authentication for more information."), ErrorKind::Auth, "enable two-factor"),
            (403, forbidden("User 'ann', associated with the API token used, does not have a verified primary email address. Please add a verified primary email before attempting to upload to PyPI. See https://pypi.org/help/#verified-email for more information."), ErrorKind::Auth, "verify the primary email"),
            (403, forbidden("The user 'ann' isn't allowed to upload to project 'requests'. See https://pypi.org/help/#project-name for more information."), ErrorKind::Auth, "belongs to another user"),
            (429, body("429 Too Many Requests", "The server has received too many requests.", "Too many new projects created"), ErrorKind::RateLimited, "names no time to retry"),
            (400, bad("Uploading new files to releases older than 14 days is not allowed."), ErrorKind::Conflict, "partial release cannot be resumed"),
            (400, bad("'summary' must be a single line. See https://packaging.python.org/specifications/core-metadata for more information."), ErrorKind::Input, "metadata field"),
            (400, bad("File too large. Limit for project 'demo' is 100 MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information."), ErrorKind::Input, "max_file_size"),
        ];
        for (status, b, kind, hint) in cases {
            let e = refusal(status, &b, None);
            assert_eq!(e.kind, kind, "{e:?}");
            assert!(
                !e.message().contains("Access was denied"),
                "boilerplate dropped: {e:?}"
            );
            assert!(e.message().contains(&detail(&b)), "{e:?}");
            assert!(e.hint().unwrap().contains(hint), "{e:?}");
        }
        assert!(known(&detail(&forbidden("Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."))).is_none());
        assert_eq!(detail("plain words"), "plain words");
    }
}
