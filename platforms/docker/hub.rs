//! Docker Hub's own API, for the one thing its registry API refuses: deleting a tag (the
//! registry answers every DELETE with 405). Used by rollback for images on docker.io, at
//! `hub_api_url` (default https://hub.docker.com), through the shared HTTP layer, so a dry run
//! withholds both writes and the PAT and the access token are redacted everywhere.
//!
//! - Log in: `POST /v2/auth/token` with `{"identifier": <user>, "secret": <PAT>}` (the Hub
//!   API's "Create access token"; `POST /v2/users/login` is deprecated) → `{"access_token"}`,
//!   a JWT that lives 10 minutes. 401 `{"detail", "message"}`: bad user name or token.
//! - Delete: `DELETE /v2/repositories/<namespace>/<repository>/tags/<tag>/` with `Authorization:
//!   Bearer <access_token>` → 204. The published OpenAPI spec (docker/docs
//!   `content/reference/api/hub/latest.yaml`) lists the namespaces form of the tag path for
//!   reads only; this form is the one Docker's own hub-tool sends (`DeleteTagURL`). 401: the
//!   token was refused; 403: the PAT may not delete (its scope is below "Read, Write &
//!   Delete", `repo:admin`) or the account may not in this repository; 404: no such tag.
//!
//! Deleting a tag removes that tag only: the image stays, untagged, under Hub's retention.

use super::auth::{Creds, PASSWORD_VAR, USER_VAR};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, Request, Response};
use crate::redact::{self, Secret};
use serde_json::json;

/// Where Docker Hub's API answers.
pub const DEFAULT_URL: &str = "https://hub.docker.com";

/// One Docker Hub repository, seen through the Hub API.
pub struct Hub<'a> {
    pub http: &'a Http,
    /// Without trailing slash.
    pub base: String,
    /// `acme/hello`: the namespace, then the repository.
    pub repository: String,
    pub creds: Creds,
}

/// What a tag DELETE found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// 204: the tag is gone.
    Done,
    /// 404: Docker Hub knows no such tag (what it said).
    Unknown(String),
}

impl Hub<'_> {
    /// An access token for the PAT (`POST /v2/auth/token`).
    pub async fn login(&self) -> Result<Secret> {
        let Some((user, pat)) = &self.creds else {
            return Err(Error::new(
                ErrorKind::Credentials,
                "deleting a tag through Docker Hub's API needs a Docker Hub login",
            )
            .with_hint(format!(
                "set {USER_VAR} and {PASSWORD_VAR} (a personal access token with Read, Write & Delete scope)"
            )));
        };
        let url = format!("{}/v2/auth/token", self.base);
        let body = json!({"identifier": user, "secret": pat.expose()});
        let req = Request::post(&url)?
            .header("accept", "application/json")
            .json(&body)
            .predict(json!({"access_token": "dry-run-hub-access-token"}));
        let resp = self.http.send(req).await?;
        match resp.status.as_u16() {
            200 | 201 => {}
            401 | 403 => {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "Docker Hub refused the login with {USER_VAR} and {PASSWORD_VAR} at {url} (HTTP {}: {})",
                        resp.status,
                        said(&resp)
                    ),
                )
                .with_hint(format!(
                    "check {USER_VAR} (the Docker Hub user name, not the e-mail address) and {PASSWORD_VAR} (a personal access token of that account that is neither revoked nor expired)"
                )))
            }
            _ => return Err(resp.error("logging in to Docker Hub's API")),
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: Option<String>,
            token: Option<String>,
        }
        let a: Answer = resp.json()?;
        a.access_token
            .or(a.token)
            .filter(|t| !t.is_empty())
            .map(Secret::new)
            .ok_or_else(|| Error::protocol(format!("{url} answered without an access_token")))
    }

    /// `DELETE /v2/repositories/<ns>/<repo>/tags/<tag>/`.
    pub async fn delete_tag(&self, token: &Secret, tag: &str) -> Result<Deleted> {
        let url = format!(
            "{}/v2/repositories/{}/tags/{tag}/",
            self.base, self.repository
        );
        let req = Request::delete(&url)?
            .header("accept", "application/json")
            .auth(Auth::Bearer(token.clone()))
            .predict(json!({}));
        let resp = self.http.send(req).await?;
        let what = format!("deleting docker.io/{}:{tag}", self.repository);
        match resp.status.as_u16() {
            200..=299 => Ok(Deleted::Done),
            404 => Ok(Deleted::Unknown(said(&resp))),
            401 => Err(Error::new(
                ErrorKind::Auth,
                format!("{what}: Docker Hub's API refused the access token it had just issued (HTTP 401: {})", said(&resp)),
            )
            .with_hint(format!(
                "run the rollback again; if it persists, the account behind {USER_VAR} may have lost access to {}",
                self.repository
            ))),
            403 => Err(Error::new(
                ErrorKind::Auth,
                format!("{what}: Docker Hub forbids it (HTTP 403: {})", said(&resp)),
            )
            .with_hint(format!(
                "{PASSWORD_VAR} must be a personal access token with the \"Read, Write & Delete\" scope (a Read & Write token can push but not delete; create one at https://app.docker.com/settings/personal-access-tokens), and the account must be allowed to delete in {} (in an organisation: a team with admin access to it); or delete the tag on the repository's Tags page",
                self.repository
            ))),
            _ => Err(resp.error(&what)),
        }
    }
}

/// Docker Hub's error text: the `detail` (or `message`) of its `{"detail", "message"}` body,
/// else the body itself; redacted and cut.
fn said(resp: &Response) -> String {
    let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    match v["detail"].as_str().or(v["message"].as_str()) {
        Some(s) if !s.is_empty() => redact::excerpt(s, 200),
        _ => resp.excerpt(200).trim().to_string(),
    }
}

/// A 404 from the Hub API for a tag the registry still serves: the two disagree about the
/// repository, so the tag is not gone and saying "already deleted" would hide it.
pub fn unknown_but_served(repository: &str, tag: &str, said: &str, base: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "Docker Hub's API at {base} knows no tag {tag} in {repository} (HTTP 404: {said}), yet the registry still serves docker.io/{repository}:{tag}"
        ),
    )
    .with_hint(format!(
        "check that `image` names the repository as Docker Hub does (<namespace>/<repository>) and that `hub_api_url` is Docker Hub's API ({DEFAULT_URL}); or delete the tag on https://hub.docker.com/r/{repository}/tags"
    ))
}
