//! Retry decisions. Retryable: connect errors, resets and timeouts (idempotent requests
//! only), 5xx and 429. `Retry-After` (seconds or HTTP date) and GitHub's `x-ratelimit-reset`
//! are honoured up to `max_wait`.
//!
//! A 429 that names no wait (no `Retry-After`, no `x-ratelimit-*`, no secondary-limit
//! message) is a quota, not a busy server: crates.io's "too many versions of this crate in
//! the last 24 hours", PyPI's "too many new projects created". A **mutation** refused that way
//! is returned at once, never retried blindly (a retry spends the quota again and can extend
//! the penalty); the adapter reports the server's message. A read is still retried. A non-idempotent request is retried only when the server
//! provably did not act on it (connect error, 429, 503, a rate limit); any other transport
//! failure after sending is an unknown outcome, reported as such so the engine re-checks live
//! state first.
//!
//! GitHub's secondary rate limit often comes as a bare 403/429 whose only sign is its message
//! ("You have exceeded a secondary rate limit"). GitHub's docs say: without `retry-after` or
//! `x-ratelimit-reset`, wait at least a minute, then back off exponentially, and give up after
//! a few tries. So the waits are 60 s, 120 s, 240 s … and a wait beyond `max_wait` gives up
//! (the response is returned and the adapter reports a rate limit). The first wait is
//! `min(60 s, max_wait)`, which lets tests shorten it through `TAGSHIP_HTTP_MAX_WAIT_SECS`.

use super::{Request, Response};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total attempts, including the first.
    pub attempts: u32,
    pub base: Duration,
    pub max_backoff: Duration,
    /// Longest server-requested wait we accept before giving up.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// Defaults, overridable by `TAGSHIP_HTTP_ATTEMPTS`, `TAGSHIP_HTTP_BACKOFF_MS` and
    /// `TAGSHIP_HTTP_MAX_WAIT_SECS` (tests use short backoffs).
    pub fn from_env() -> Self {
        let num = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        RetryPolicy {
            attempts: num("TAGSHIP_HTTP_ATTEMPTS", 4) as u32,
            base: Duration::from_millis(num("TAGSHIP_HTTP_BACKOFF_MS", 500)),
            max_backoff: Duration::from_secs(30),
            max_wait: Duration::from_secs(num("TAGSHIP_HTTP_MAX_WAIT_SECS", 120)),
        }
    }

    /// The wait before attempt `attempt + 1`; also used by the git kit, so that a git fetch
    /// or push is retried on the same schedule as an HTTP request.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
        let capped = exp.min(self.max_backoff);
        // Full jitter on the upper half keeps concurrent platforms from retrying in lockstep.
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }

    pub(super) fn decide(
        &self,
        req: &Request,
        outcome: &Result<Response, reqwest::Error>,
        attempt: u32,
    ) -> Decision {
        let last = attempt >= self.attempts;
        match outcome {
            Ok(resp) => {
                let s = resp.status.as_u16();
                let limited = rate_limited(resp);
                let retryable = s == 429 || (500..=599).contains(&s) || limited;
                if !retryable {
                    return Decision::Done;
                }
                if s == 429 && !limited && req.is_mutating() {
                    return Decision::GiveUp(resp.clone());
                }
                // A non-idempotent request that got a 500/502/504 may have been acted on.
                let safe = req.is_idempotent() || s == 429 || s == 503 || limited;
                if !safe || last {
                    return Decision::GiveUp(resp.clone());
                }
                match server_wait(resp).or_else(|| self.secondary_wait(resp, attempt)) {
                    Some(w) if w > self.max_wait => Decision::GiveUp(resp.clone()),
                    Some(w) => Decision::RetryAfter(w),
                    None => Decision::RetryAfter(self.backoff(attempt)),
                }
            }
            Err(e) => {
                let not_sent = e.is_connect();
                if last {
                    return if not_sent || req.is_idempotent() {
                        Decision::Done
                    } else {
                        Decision::Unknown
                    };
                }
                if not_sent || req.is_idempotent() {
                    Decision::RetryAfter(self.backoff(attempt))
                } else {
                    Decision::Unknown
                }
            }
        }
    }
}

impl RetryPolicy {
    /// The wait GitHub's docs ask for after the `attempt`-th secondary-rate-limit answer that
    /// names no wait: at least a minute (shortened to `max_wait` when that is lower), doubling.
    fn secondary_wait(&self, r: &Response, attempt: u32) -> Option<Duration> {
        if !secondary_message(r) {
            return None;
        }
        let first = SECONDARY_MIN_WAIT.min(self.max_wait);
        Some(first.saturating_mul(1u32 << attempt.clamp(1, 16).saturating_sub(1)))
    }
}

/// GitHub: "wait for at least one minute before retrying".
const SECONDARY_MIN_WAIT: Duration = Duration::from_secs(60);

pub(super) enum Decision {
    /// Return the outcome as it is.
    Done,
    /// A transport error after sending a non-idempotent request.
    Unknown,
    /// Retries exhausted or not allowed; return this (error-status) response.
    GiveUp(Response),
    RetryAfter(Duration),
}

/// A 403/429 that is a rate limit: it names a wait (`retry-after`, `x-ratelimit-remaining: 0`)
/// or says so in its message (GitHub's secondary limit often does only that).
fn rate_limited(r: &Response) -> bool {
    let s = r.status.as_u16();
    (s == 403 || s == 429)
        && (r.header("retry-after").is_some()
            || r.header("x-ratelimit-remaining") == Some("0")
            || secondary_message(r))
}

/// The messages GitHub sends with a secondary rate limit (older API: "abuse detection").
fn secondary_message(r: &Response) -> bool {
    let s = r.status.as_u16();
    if s != 403 && s != 429 {
        return false;
    }
    let body = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    body.contains("secondary rate limit") || body.contains("abuse detection mechanism")
}

fn server_wait(r: &Response) -> Option<Duration> {
    if let Some(v) = r.header("retry-after") {
        if let Ok(secs) = v.trim().parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(t) = httpdate(v) {
            return Some(t.duration_since(SystemTime::now()).unwrap_or_default());
        }
    }
    if r.header("x-ratelimit-remaining") == Some("0") {
        if let Some(reset) = r
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse::<u64>().ok())
        {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
            return Some(at.duration_since(SystemTime::now()).unwrap_or_default());
        }
    }
    None
}

fn httpdate(s: &str) -> Result<SystemTime, ()> {
    let fmt = time::format_description::well_known::Rfc2822;
    let t = time::OffsetDateTime::parse(s.trim().replace("GMT", "+0000").as_str(), &fmt)
        .map_err(|_| ())?;
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(t.unix_timestamp().max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_http_date() {
        let t = httpdate("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            1445412480
        );
    }
    fn secondary(body: &str, status: u16) -> Response {
        Response {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: bytes::Bytes::from(body.to_string()),
            url: "https://api.github.com/x".into(),
            predicted: false,
        }
    }

    fn policy(max_wait: u64) -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_wait: Duration::from_secs(max_wait),
        }
    }

    fn wait(d: Decision) -> Option<Duration> {
        match d {
            Decision::RetryAfter(w) => Some(w),
            _ => None,
        }
    }

    #[test]
    fn secondary_limit_by_message_waits_a_minute_then_doubles_then_gives_up() {
        let msg = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let post = Request::post("https://api.github.com/repos/o/r/releases").unwrap();
        let p = policy(120);
        for status in [403, 429] {
            let r = Ok(secondary(msg, status));
            assert_eq!(wait(p.decide(&post, &r, 1)), Some(Duration::from_secs(60)));
            assert_eq!(wait(p.decide(&post, &r, 2)), Some(Duration::from_secs(120)));
            assert!(
                matches!(p.decide(&post, &r, 3), Decision::GiveUp(_)),
                "240 s > max_wait"
            );
        }
        // A short max_wait shortens the first wait (tests), the doubling still gives up.
        let r = Ok(secondary(msg, 403));
        assert_eq!(
            wait(policy(1).decide(&post, &r, 1)),
            Some(Duration::from_secs(1))
        );
        assert!(matches!(
            policy(1).decide(&post, &r, 2),
            Decision::GiveUp(_)
        ));
        // A plain 403 (permissions) is not a rate limit and is not retried.
        let plain = Ok(secondary(
            r#"{"message":"Resource not accessible by integration"}"#,
            403,
        ));
        assert!(matches!(p.decide(&post, &plain, 1), Decision::Done));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_wait: Duration::from_secs(1),
        };
        assert!(p.backoff(1) <= Duration::from_millis(100));
        assert!(p.backoff(10) <= Duration::from_millis(300));
        assert!(p.backoff(10) >= Duration::from_millis(150));
    }
}
