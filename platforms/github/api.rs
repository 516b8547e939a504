//! GitHub Releases REST calls, each one request (or one paginated listing) through the shared
//! HTTP layer, plus the mapping of GitHub's error answers to `ErrorKind`s with hints.
//! No release logic lives here: `mod.rs` decides what to call. The header set is overridable
//! (`Api::accept`, `Api::per_page`) so that tests can replay octokit's recorded requests.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Request, Response};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The media type GitHub documents for the REST API.
pub const ACCEPT: &str = "application/vnd.github+json";
/// The REST API version this adapter was written against.
pub const API_VERSION: &str = "2022-11-28";
/// A server that links a page to itself must not keep us paging forever.
const MAX_PAGES: u32 = 1000;

/// A release as GitHub returns it (only the fields we read).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GhRelease {
    pub id: u64,
    #[serde(default)]
    pub tag_name: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub html_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`
    #[serde(default)]
    pub upload_url: Option<String>,
    /// Set on published releases of repositories with immutable releases on.
    #[serde(default)]
    pub immutable: Option<bool>,
    /// The assets, as `GET /releases/{id}` lists them.
    #[serde(default)]
    pub assets: Vec<GhAsset>,
}

/// A release asset.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GhAsset {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub size: u64,
    /// `uploaded`; anything else (`open` in the REST description, `starter` as seen in the
    /// wild) is a half-finished upload.
    #[serde(default)]
    pub state: String,
    /// `sha256:<hex>` (newer API versions only).
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub browser_download_url: String,
    #[serde(default)]
    pub label: Option<String>,
}

/// Outcome of creating a release.
#[derive(Debug)]
pub enum Created {
    Release(GhRelease),
    /// 422 `already_exists` on `tag_name`: someone else created it meanwhile.
    AlreadyExists,
}

/// Outcome of an upload.
#[derive(Debug)]
pub enum Uploaded {
    Asset(GhAsset),
    /// 422 `already_exists` on `name`.
    AlreadyExists,
}

/// One asset upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub label: Option<String>,
    pub path: PathBuf,
    pub content_type: String,
    /// What the upload is predicted to return under `--dry-run`.
    pub predicted: serde_json::Value,
}

/// A client for one repository.
#[derive(Clone)]
pub struct Api {
    http: Http,
    base: String,
    owner: String,
    repo: String,
    auth: Option<Auth>,
    accept: String,
    api_version: Option<String>,
    per_page: Option<u32>,
    token_env: String,
}

impl Api {
    /// `base` is the REST root, e.g. `https://api.github.com`.
    pub fn new(http: Http, base: &str, owner: &str, repo: &str) -> Api {
        Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            owner: owner.into(),
            repo: repo.into(),
            auth: None,
            accept: ACCEPT.into(),
            api_version: Some(API_VERSION.into()),
            per_page: Some(100),
            token_env: "GITHUB_TOKEN".into(),
        }
    }
    /// Credentials; `None` probes anonymously (dry run without a token).
    pub fn auth(mut self, auth: Option<Auth>) -> Api {
        self.auth = auth;
        self
    }
    /// Overrides `Accept` and `X-GitHub-Api-Version` (`None` omits the header).
    pub fn accept(mut self, accept: &str, api_version: Option<&str>) -> Api {
        self.accept = accept.into();
        self.api_version = api_version.map(str::to_string);
        self
    }
    /// Page size for listings; `None` sends no `per_page` (GitHub's default, 30).
    pub fn per_page(mut self, n: Option<u32>) -> Api {
        self.per_page = n;
        self
    }
    /// The variable the token came from, named in error hints.
    pub fn token_env(mut self, var: &str) -> Api {
        self.token_env = var.into();
        self
    }

    fn repo_url(&self, tail: &str) -> String {
        format!("{}/repos/{}/{}{tail}", self.base, self.owner, self.repo)
    }

    fn listing_url(&self, tail: &str) -> String {
        match self.per_page {
            Some(n) => format!("{}?per_page={n}", self.repo_url(tail)),
            None => self.repo_url(tail),
        }
    }

    fn request(&self, req: Request) -> Request {
        let mut req = req.header("accept", self.accept.clone());
        if let Some(v) = &self.api_version {
            req = req.header("x-github-api-version", v.clone());
        }
        match &self.auth {
            Some(a) => req.auth(a.clone()),
            None => req,
        }
    }

    /// `GET /releases/tags/{tag}`: published releases only (drafts answer 404).
    pub async fn release_by_tag(&self, tag: &str) -> Result<Option<GhRelease>> {
        let url = self.repo_url(&format!("/releases/tags/{}", encode(tag)));
        let resp = self.http.send(self.request(Request::get(&url)?)).await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            _ if resp.ok() => resp.json().map(Some),
            _ => Err(self.fail(&resp, &format!("looking up the release for {tag}"))),
        }
    }

    /// `GET /releases/latest`: the newest full release (not draft, not prerelease), if any.
    pub async fn latest_release(&self) -> Result<Option<GhRelease>> {
        let url = self.repo_url("/releases/latest");
        let resp = self.http.send(self.request(Request::get(&url)?)).await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            _ if resp.ok() => resp.json().map(Some),
            _ => Err(self.fail(&resp, "looking up the latest release")),
        }
    }

    /// Looks for a draft whose `tag_name` is `tag` in `GET /releases`. GitHub lists drafts
    /// first (newest first), so paging stops at the first page holding a published release.
    /// The listing ends at 1,000 results (a page beyond answers 422): that, too, ends the search.
    /// Without a token GitHub lists no drafts at all.
    pub async fn find_draft(&self, tag: &str) -> Result<Option<GhRelease>> {
        let mut next = Some(self.listing_url("/releases"));
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let resp = self.http.send(self.request(Request::get(&url)?)).await?;
            if resp.status.as_u16() == 422 && pages > 1 {
                return Ok(None); // past the 1,000-result cap: every draft was on earlier pages
            }
            if !resp.ok() {
                return Err(self.fail(&resp, "listing releases"));
            }
            let page: Vec<GhRelease> = resp.json()?;
            if let Some(d) = page.iter().find(|r| r.draft && r.tag_name == tag) {
                return Ok(Some(d.clone()));
            }
            if page.iter().any(|r| !r.draft) || pages >= MAX_PAGES {
                return Ok(None);
            }
            next = resp.header("link").and_then(next_link);
        }
        Ok(None)
    }

    /// The release for `tag`, published or draft.
    pub async fn find_release(&self, tag: &str) -> Result<Option<GhRelease>> {
        match self.release_by_tag(tag).await? {
            Some(r) => Ok(Some(r)),
            None => self.find_draft(tag).await,
        }
    }

    /// `GET /releases/{id}`.
    pub async fn get_release(&self, id: u64) -> Result<GhRelease> {
        let url = self.repo_url(&format!("/releases/{id}"));
        let resp = self.http.send(self.request(Request::get(&url)?)).await?;
        if !resp.ok() {
            return Err(self.fail(&resp, &format!("reading release {id}")));
        }
        resp.json()
    }

    /// `GET /releases/{id}/assets`, every page.
    pub async fn list_assets(&self, release_id: u64) -> Result<Vec<GhAsset>> {
        let url = self.listing_url(&format!("/releases/{release_id}/assets"));
        self.list(&url, "listing release assets").await
    }

    /// Follows `Link: <…>; rel="next"` until the last page.
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        first: &str,
        what: &str,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut next = Some(first.to_string());
        // A server that links a page to itself must not loop forever.
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::protocol(format!(
                    "{what}: more than {MAX_PAGES} pages"
                )));
            }
            let resp = self.http.send(self.request(Request::get(&url)?)).await?;
            if !resp.ok() {
                return Err(self.fail(&resp, what));
            }
            let page: Vec<T> = resp.json()?;
            out.extend(page);
            next = resp.header("link").and_then(next_link);
        }
        Ok(out)
    }

    /// `POST /releases`. `predicted` is what a dry run pretends GitHub answered.
    pub async fn create_release(
        &self,
        body: &serde_json::Value,
        predicted: serde_json::Value,
    ) -> Result<Created> {
        let req = Request::post(&self.repo_url("/releases"))?
            .json(body)
            .predict(predicted);
        let resp = self.http.send(self.request(req)).await?;
        if resp.status.as_u16() == 422 && already_exists(&resp, "tag_name") {
            return Ok(Created::AlreadyExists);
        }
        if !resp.ok() {
            let target = body["target_commitish"].as_str();
            return Err(self.fail_write(&resp, "creating the release", target));
        }
        resp.json().map(Created::Release)
    }

    /// `PATCH /releases/{id}`, e.g. `{"draft": false}` to publish.
    pub async fn update_release(
        &self,
        id: u64,
        body: &serde_json::Value,
        predicted: serde_json::Value,
    ) -> Result<GhRelease> {
        let url = self.repo_url(&format!("/releases/{id}"));
        let req = Request::patch(&url)?.json(body).predict(predicted);
        let resp = self.http.send(self.request(req)).await?;
        if !resp.ok() {
            return Err(self.fail_write(&resp, "updating the release", None));
        }
        resp.json()
    }

    /// Streams one file to `target`: the release's `upload_url` template
    /// (`…/assets{?name,label}`) or a plain `…/assets` URL.
    pub async fn upload_asset(&self, target: &str, up: &Upload) -> Result<Uploaded> {
        let url = expand_upload_url(target, &up.name, up.label.as_deref());
        let req = Request::post(&url)?
            .body(Body::file(&up.path, &up.content_type))
            .predict(up.predicted.clone());
        let resp = self.http.send(self.request(req)).await?;
        if resp.status.as_u16() == 422 && already_exists(&resp, "name") {
            return Ok(Uploaded::AlreadyExists);
        }
        if !resp.ok() {
            return Err(self.fail(&resp, &format!("uploading {}", up.name)));
        }
        resp.json().map(Uploaded::Asset)
    }

    /// `DELETE /releases/assets/{id}`.
    pub async fn delete_asset(&self, asset_id: u64, name: &str) -> Result<()> {
        let url = self.repo_url(&format!("/releases/assets/{asset_id}"));
        let req = Request::delete(&url)?.predict(serde_json::json!({}));
        let resp = self.http.send(self.request(req)).await?;
        if resp.ok() || resp.status.as_u16() == 404 {
            return Ok(());
        }
        Err(self.fail(&resp, &format!("deleting the unfinished asset {name}")))
    }

    /// Turns an unexpected GitHub answer into an error with a hint for the user.
    pub fn fail(&self, resp: &Response, what: &str) -> Error {
        let env = &self.token_env;
        let repo = format!("{}/{}", self.owner, self.repo);
        let message = gh_message(resp);
        match resp.status.as_u16() {
            401 => Error::new(
                ErrorKind::Auth,
                format!("{what}: {env} was rejected by GitHub (HTTP 401: {message})"),
            )
            .with_hint(format!(
                "the token in {env} is invalid or expired; create a token with `contents: write` on {repo} and set {env}"
            )),
            403 | 429 if rate_limited(resp, &message) => Error::new(
                ErrorKind::RateLimited,
                format!("{what}: GitHub rate limit (HTTP {}: {message})", resp.status.as_u16()),
            )
            .with_hint("GitHub's rate limit did not lift within the longest wait tagship accepts (TAGSHIP_HTTP_MAX_WAIT_SECS; for a secondary limit it waits at least a minute, then doubles the wait); re-run later: tagship only uploads what is missing"),
            403 => resp.error(what).with_hint(format!(
                "GitHub refused access to {repo}: the token in {env} needs `contents: write` on this repository"
            )),
            404 if self.auth.is_none() => resp.error(what).with_hint(format!(
                "{env} is not set, so tagship asked anonymously, and GitHub answers 404 for a private repository: set {env}, or check platforms.github.owner/repo (`{repo}`)"
            )),
            404 => resp.error(what).with_hint(format!(
                "check platforms.github.owner/repo (`{repo}`); GitHub also answers 404 when the token in {env} cannot see the repository (it needs `contents: write`)"
            )),
            422 if message.to_lowercase().contains("immutable") => Error::new(
                ErrorKind::Conflict,
                format!("{what}: GitHub refused: {message}"),
            )
            .with_hint("the release for this tag is published and immutable, so assets cannot be added; release a new version (tagship uploads to a draft and publishes last to avoid this)"),
            _ => resp.error(what),
        }
    }
}

impl Api {
    /// Like [`Api::fail`], for creating or publishing a release. The repository was already
    /// read (the release lookups succeed before any write), so a 404 here is not a wrong name:
    /// GitHub answers 404 (tokens) or 403 "Resource not accessible by integration" (App and
    /// Actions tokens) when the release's target commit changes `.github/workflows/` and the
    /// token lacks the workflow scope.
    pub fn fail_write(&self, resp: &Response, what: &str, target: Option<&str>) -> Error {
        let status = resp.status.as_u16();
        let message = gh_message(resp);
        let denied =
            status == 404 || (status == 403 && message.contains("not accessible by integration"));
        if !denied || rate_limited(resp, &message) {
            return self.fail(resp, what);
        }
        let commit = target.map_or("the release's target commit".into(), |t| {
            format!("the target commit {t}")
        });
        Error::new(
            ErrorKind::Auth,
            format!("{what}: GitHub refused with HTTP {status} ({message}) although {}/{} is readable", self.owner, self.repo),
        )
        .with_hint(format!(
            "if {commit} changes files under .github/workflows/, the token in {} needs the `workflow` scope (classic PAT) or `Workflows: write` (fine-grained PAT, GitHub App); Actions' GITHUB_TOKEN never has it. Otherwise it lacks `contents: write` on {}/{}",
            self.token_env, self.owner, self.repo
        ))
    }
}

/// GitHub's `message` field, or the raw body.
fn gh_message(resp: &Response) -> String {
    serde_json::from_slice::<serde_json::Value>(&resp.body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_else(|| resp.excerpt(200))
}

/// A 403/429 that is a rate limit: a named wait, or GitHub's secondary-limit message alone.
fn rate_limited(resp: &Response, message: &str) -> bool {
    let m = message.to_lowercase();
    resp.header("retry-after").is_some()
        || resp.header("x-ratelimit-remaining") == Some("0")
        || m.contains("secondary rate limit")
        || m.contains("abuse detection")
}

/// True for a 422 whose `errors[]` has `code: already_exists` on `field`.
fn already_exists(resp: &Response, field: &str) -> bool {
    let v: serde_json::Value = match serde_json::from_slice(&resp.body) {
        Ok(v) => v,
        Err(_) => return false,
    };
    v.get("errors")
        .and_then(|e| e.as_array())
        .is_some_and(|errs| {
            errs.iter().any(|e| {
                e.get("code").and_then(|c| c.as_str()) == Some("already_exists")
                    && e.get("field").and_then(|f| f.as_str()).unwrap_or(field) == field
            })
        })
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

/// Fills an `upload_url` template (`…/assets{?name,label}`) or appends the query to a plain URL.
pub fn expand_upload_url(template: &str, name: &str, label: Option<&str>) -> String {
    let base = template.split('{').next().unwrap_or(template);
    let mut url = format!("{base}?name={}", encode(name));
    if let Some(l) = label {
        url.push_str("&label=");
        url.push_str(&encode(l));
    }
    url
}

/// Percent-encodes everything but RFC 3986 unreserved characters (spaces become `%20`, `+`
/// becomes `%2B`: octocrab does not encode, which breaks such names).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let h = r#"<https://api.github.com/repositories/1/releases?page=2>; rel="next", <https://api.github.com/repositories/1/releases?page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/repositories/1/releases?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }

    #[test]
    fn upload_url_template() {
        let t = "https://uploads.github.com/repos/o/r/releases/7/assets{?name,label}";
        assert_eq!(
            expand_upload_url(t, "a b+c.tar.gz", Some("x")),
            "https://uploads.github.com/repos/o/r/releases/7/assets?name=a%20b%2Bc.tar.gz&label=x"
        );
        assert_eq!(
            expand_upload_url("http://h/assets", "n", None),
            "http://h/assets?name=n"
        );
    }
}
