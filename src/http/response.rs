//! A response as adapters read it: status, headers and the whole body, with the one mapping
//! from an unexpected status to an [`Error`] (kind, redacted excerpt, and a hint for
//! redirected writes, failing servers and rate limits).

use crate::error::{Error, ErrorKind, Result};
use crate::redact;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// A fully read response. Non-2xx statuses are returned, not errors: adapters decide what a
/// 404 or a 409 means. Use [`Response::error`] to turn an unexpected status into an `Error`.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub url: String,
    /// True when this response was predicted by the dry-run guard, not received.
    pub predicted: bool,
}

impl Response {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::protocol(format!(
                "unexpected response from {} ({}): {e}",
                self.url, self.status
            ))
        })
    }
    /// The body for an error message: redacted first, then cut to `max` bytes (a body cut
    /// first could end inside a secret, and the cut start would no longer match it).
    pub fn excerpt(&self, max: usize) -> String {
        redact::excerpt(&self.text(), max)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Maps a status to an error with a kind the report understands. `what` describes the
    /// operation ("uploading hello.tar.gz").
    pub fn error(&self, what: &str) -> Error {
        let kind = match self.status.as_u16() {
            401 | 403 => ErrorKind::Auth,
            404 | 410 => ErrorKind::NotFound,
            409 | 422 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Protocol,
        };
        let body = self.excerpt(300);
        let e = Error::new(
            kind,
            format!(
                "{what}: HTTP {} from {}: {}",
                self.status,
                self.url,
                body.trim()
            ),
        );
        if self.status.is_redirection() {
            return e.with_hint(format!(
                "the server redirected a write to {}; tagship does not follow redirects for uploads: configure the final URL (https, trailing slash)",
                self.header("location").unwrap_or("another URL")
            ));
        }
        match kind {
            ErrorKind::Server => e.with_hint("the server kept failing after retries; re-run later: tagship only publishes what is missing"),
            ErrorKind::RateLimited => e.with_hint(self.rate_limit_hint()),
            _ => e,
        }
    }

    /// What a rate-limited answer asks for: the wait it named (longer than tagship waits,
    /// or tagship would have waited), or none (a quota: a write is not retried blindly).
    fn rate_limit_hint(&self) -> String {
        let tail = "tagship only publishes what is missing, so a re-run finishes the release";
        match self.header("retry-after") {
            Some(wait) => format!(
                "the server asks to wait {} (Retry-After); tagship waits at most \
                 TAGSHIP_HTTP_MAX_WAIT_SECS (120 s by default) over TAGSHIP_HTTP_ATTEMPTS tries; \
                 re-run after that: {tail}",
                wait_words(wait)
            ),
            None => format!(
                "the server named no time to retry, which usually means a quota \
                 (tagship does not retry a write blindly); re-run after the limit resets: {tail}"
            ),
        }
    }
}

/// `Retry-After` as words: "3600 s" or the HTTP date as given.
fn wait_words(v: &str) -> String {
    match v.trim().parse::<u64>() {
        Ok(secs) => format!("{secs} s"),
        Err(_) => format!("until {}", v.trim()),
    }
}
