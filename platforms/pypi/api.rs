//! The wire side of the pypi platform: reading which files an index lists (warehouse JSON,
//! PEP 691 JSON, PEP 503 HTML) and the legacy "forklift" upload, one multipart POST per file.
//! Status codes are mapped to outcomes here; deciding what to do with them is `mod.rs`'s job.
//! The PEP 503 HTML parser is also used by the pep503 platform.

use crate::error::{Error, Result};
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
        text("filetype", "bdist_wheel"),
        text("pyversion", "py3"),
        text("metadata_version", wheel::METADATA_VERSION),
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
    Ok(match status {
        200..=299 => Uploaded::Ok,
        409 => Uploaded::AlreadyExists(resp.text()),
        400 | 403 if exists => Uploaded::AlreadyExists(resp.text()),
        401 | 403 => Uploaded::Rejected(resp),
        _ => return Err(resp.error(&format!("uploading {}", u.filename))),
    })
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
}
