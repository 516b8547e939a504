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
    /// Whether this run pushes here (`pull,push` tokens) or only reads (`pull`: a base image).
    pub push: bool,
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
    pub(super) fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", self.base, self.repository)
    }

    fn scope(&self) -> String {
        let actions = if self.push { "pull,push" } else { "pull" };
        format!("repository:{}:{actions}", self.repository)
    }

    fn current(&self) -> Option<Auth> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends `make()` with the current auth; on a 401 answers the challenge and sends it once
    /// more (a fresh token when the old one expired mid-push).
    pub(super) async fn send(&self, make: &(dyn Fn() -> Result<Request> + Sync)) -> Result<Response> {
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
    pub(super) fn fail(&self, resp: &Response, what: &str) -> Error {
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

    /// Uploads the blob at `path`: POST opens an upload, then the file goes up streamed
    /// from disk in one PUT, or, above `chunking.0` bytes, in PATCHes of `chunking.1` bytes
    /// and a closing PUT (`upload.rs`).
    pub async fn upload(&self, path: &Path, digest: &str, chunking: (u64, u64)) -> Result<()> {
        let start = self.url("blobs/uploads/");
        let resp = self.send(&|| Request::post(&start)).await?;
        if resp.status.as_u16() != 202 {
            return Err(self.fail(&resp, &format!("starting the upload of {digest}")));
        }
        let location = super::upload::location(&start, &resp, digest)?;
        super::upload::send(self, location, path, digest, chunking).await
    }

    /// Mounts `digest` from `from` (a repository of the same registry): `None` when mounted,
    /// else the upload session the registry opened instead (its `Location`).
    pub async fn mount(&self, digest: &str, from: &str) -> Result<Option<String>> {
        let mut u = url::Url::parse(&self.url("blobs/uploads/"))
            .map_err(|e| Error::protocol(format!("upload URL: {e}")))?;
        u.query_pairs_mut().append_pair("mount", digest).append_pair("from", from);
        let u = u.to_string();
        let resp = self.send(&|| Request::post(&u)).await?;
        match resp.status.as_u16() {
            201 => Ok(None),
            202 => super::upload::location(&u, &resp, digest).map(Some),
            _ => Err(self.fail(&resp, &format!("mounting {digest} from {from}"))),
        }
    }

    /// The bytes of a manifest (GET with every type in `Accept`), checked against
    /// `reference` when it is a digest; `None` when absent.
    pub async fn manifest_bytes(&self, reference: &str) -> Result<Option<bytes::Bytes>> {
        let url = self.url(&format!("manifests/{reference}"));
        let resp = self
            .send(&|| Ok(Request::get(&url)?.header("accept", image::ACCEPT)))
            .await?;
        match resp.status.as_u16() {
            200 => verified(reference, resp.body).map(Some),
            404 => Ok(None),
            _ => Err(self.fail(&resp, &format!("reading {}:{reference}", self.repository))),
        }
    }

    /// The bytes of a blob, checked against its digest; `None` when absent. Held in memory:
    /// used for configs and for the base layers copied from another registry.
    pub async fn blob_bytes(&self, digest: &str) -> Result<Option<bytes::Bytes>> {
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.send(&|| Request::get(&url)).await?;
        match resp.status.as_u16() {
            200 => verified(digest, resp.body).map(Some),
            404 => Ok(None),
            _ => Err(self.fail(&resp, &format!("reading blob {digest} of {}", self.repository))),
        }
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

/// `body`, when its sha256 is `reference` (or `reference` is a tag).
fn verified(reference: &str, body: bytes::Bytes) -> Result<bytes::Bytes> {
    use sha2::Digest;
    let Some(want) = reference.strip_prefix("sha256:") else {
        return Ok(body);
    };
    let got = hex::encode(sha2::Sha256::digest(&body));
    if got != want {
        return Err(Error::protocol(format!("the registry sent content with digest sha256:{got} for {reference}")));
    }
    Ok(body)
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
