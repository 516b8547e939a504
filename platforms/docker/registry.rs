//! The distribution API calls tagship makes, over the shared HTTP layer (retry, dry-run
//! guard, redaction live there): HEAD a manifest or a blob, upload a blob from disk (POST,
//! then PUT to the `Location` with `digest=` joined by `?` or `&`), PUT a manifest. Every call
//! goes through `Session::send`, which answers 401 challenges (`auth.rs`) and keeps the auth
//! it found for the next calls of this run, so a push asks for a token once and again only
//! when the registry stops accepting it.

use super::auth::{self, Creds};
use super::image;
use crate::error::{Error, Result};
use crate::http::{Auth, Body, Http, Request, Response};
use std::path::Path;
use std::sync::Mutex;

/// One repository on one registry, with the run's credentials.
pub struct Session<'a> {
    pub http: &'a Http,
    /// API base without trailing slash (`https://registry-1.docker.io`).
    pub base: String,
    pub repository: String,
    pub creds: Creds,
    /// The auth that worked last (shared by check and publish of one run).
    pub cached: &'a Mutex<Option<Auth>>,
}

/// What a manifest HEAD found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `sha256:<hex>`.
    pub digest: String,
}

impl Session<'_> {
    fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", self.base, self.repository)
    }

    fn scope(&self) -> String {
        format!("repository:{}:pull,push", self.repository)
    }

    fn current(&self) -> Option<Auth> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends `make()` with the current auth; on a 401 answers the challenge and sends it once
    /// more (a fresh token when the old one expired mid-push).
    async fn send(&self, make: &(dyn Fn() -> Result<Request> + Sync)) -> Result<Response> {
        let had = self.current();
        let with = |a: &Option<Auth>| -> Result<Request> {
            let r = make()?;
            Ok(match a {
                Some(a) => r.auth(a.clone()),
                None => r,
            })
        };
        let resp = self.http.send(with(&had)?).await?;
        if resp.status.as_u16() != 401 {
            return Ok(resp);
        }
        let challenge = resp.header("www-authenticate").map(str::to_string);
        let next = auth::answer(self.http, challenge.as_deref(), &self.creds, &self.scope(), had.as_ref()).await?;
        let Some(next) = next else {
            return Ok(resp);
        };
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(next.clone());
        self.http.send(with(&Some(next))?).await
    }

    /// Turns an unexpected answer into an error; 401/403 name the credentials.
    fn fail(&self, resp: &Response, what: &str) -> Error {
        match resp.status.as_u16() {
            401 | 403 => auth::refused(
                &format!("{what}: HTTP {} from {}: {}", resp.status, resp.url, resp.excerpt(200).trim()),
                &self.creds,
            ),
            _ => resp.error(what),
        }
    }

    /// The digest the registry holds under `reference` (a tag or a digest), if any. Every
    /// manifest type goes into `Accept`: without the OCI ones a registry may answer 404 for
    /// an OCI manifest that is there.
    pub async fn manifest(&self, reference: &str) -> Result<Option<Found>> {
        let url = self.url(&format!("manifests/{reference}"));
        let resp = self
            .send(&|| Ok(Request::head(&url)?.header("accept", image::ACCEPT)))
            .await?;
        match resp.status.as_u16() {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.fail(&resp, &format!("checking {}:{reference}", self.repository))),
        }
        if let Some(d) = resp.header("docker-content-digest") {
            return Ok(Some(Found { digest: d.to_string() }));
        }
        // No digest header (allowed by the spec): hash the bytes themselves.
        let resp = self
            .send(&|| Ok(Request::get(&url)?.header("accept", image::ACCEPT)))
            .await?;
        if !resp.ok() {
            return Err(self.fail(&resp, &format!("reading {}:{reference}", self.repository)));
        }
        use sha2::Digest;
        let hex = hex::encode(sha2::Sha256::digest(&resp.body));
        Ok(Some(Found { digest: format!("sha256:{hex}") }))
    }

    /// Whether the repository holds the blob `digest`.
    pub async fn has_blob(&self, digest: &str) -> Result<bool> {
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.send(&|| Request::head(&url)).await?;
        match resp.status.as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.fail(&resp, &format!("checking blob {digest}"))),
        }
    }

    /// Uploads the blob at `path`: POST opens an upload, PUT sends the file streamed from
    /// disk to its `Location` (relative or absolute, maybe with a query) plus `digest=`.
    pub async fn upload(&self, path: &Path, digest: &str) -> Result<()> {
        let start = self.url("blobs/uploads/");
        let resp = self.send(&|| Request::post(&start)).await?;
        if resp.status.as_u16() != 202 {
            return Err(self.fail(&resp, &format!("starting the upload of {digest}")));
        }
        let location = resp.header("location").ok_or_else(|| {
            Error::protocol(format!("the registry answered the upload of {digest} without a Location"))
        })?;
        let mut put = url::Url::parse(&start)
            .and_then(|u| u.join(location))
            .map_err(|e| Error::protocol(format!("upload Location `{location}`: {e}")))?;
        put.query_pairs_mut().append_pair("digest", digest);
        let put = put.to_string();
        // Not retried blindly after a reset: the engine re-checks the blob first.
        let resp = self
            .send(&|| {
                Ok(Request::put(&put)?
                    .body(Body::file(path, "application/octet-stream"))
                    .idempotent(false))
            })
            .await?;
        if resp.status.as_u16() != 201 {
            return Err(self.fail(&resp, &format!("uploading {digest}")));
        }
        Ok(())
    }

    /// PUTs a manifest or index (the exact bytes, so the digest is ours) as `reference`.
    pub async fn put_manifest(&self, reference: &str, bytes: &[u8], media_type: &str) -> Result<()> {
        let url = self.url(&format!("manifests/{reference}"));
        let data = bytes::Bytes::copy_from_slice(bytes);
        let resp = self
            .send(&|| {
                Ok(Request::put(&url)?
                    .body(Body::bytes(data.clone(), media_type))
                    .idempotent(false))
            })
            .await?;
        if resp.status.as_u16() != 201 {
            return Err(self.fail(&resp, &format!("pushing manifest {}:{reference}", self.repository)));
        }
        Ok(())
    }

    /// Every tag of the repository (`tags/list`, following `Link: <…>; rel="next"` pages);
    /// none when the repository does not exist yet.
    pub async fn tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Page {
            tags: Option<Vec<String>>,
        }
        let mut url = self.url("tags/list?n=1000");
        let mut out = Vec::new();
        // A bound, so a registry that links a page to itself cannot loop us forever.
        for _ in 0..1000 {
            let u = url.clone();
            let resp = self.send(&|| Request::get(&u)).await?;
            match resp.status.as_u16() {
                200 => {}
                404 => return Ok(out),
                _ => return Err(self.fail(&resp, &format!("listing the tags of {}", self.repository))),
            }
            out.extend(resp.json::<Page>()?.tags.unwrap_or_default());
            match resp.header("link").and_then(|l| next_page(&url, l)) {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(out)
    }
}

/// The `rel="next"` target of a `Link` header, resolved against `base`.
fn next_page(base: &str, link: &str) -> Option<String> {
    let part = link.split(',').find(|p| p.contains("rel=\"next\""))?;
    let target = part.split('<').nth(1)?.split('>').next()?;
    url::Url::parse(base).ok()?.join(target).ok().map(String::from)
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_page_links() {
        let base = "http://r:5000/v2/a/b/tags/list?n=1000";
        let link = r#"</v2/a/b/tags/list?last=1.0.0&n=1000>; rel="next""#;
        let next = super::next_page(base, link).unwrap();
        assert_eq!(next, "http://r:5000/v2/a/b/tags/list?last=1.0.0&n=1000");
        assert_eq!(super::next_page(base, r#"<x>; rel="prev""#), None);
    }
}
