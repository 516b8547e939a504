//! Talking to the remote through transient failures (issue 6, issue 10).
//!
//! A git fetch or push over HTTP meets the same 503s, 429s, resets and truncated answers as
//! any HTTP request, so it is retried by the same policy: [`RetryPolicy::from_env`] gives the
//! attempts and the backoff (`TAGSHIP_HTTP_ATTEMPTS`, `TAGSHIP_HTTP_BACKOFF_MS`); there is no
//! second set of retry settings for git.
//!
//! - **Reads** (fetch, ls-remote) are idempotent: a transient failure is simply run again.
//! - **A push** may have landed although git saw an error (a reset after the server
//!   updated the ref). It is never re-sent blindly: after any failed push the remote ref is
//!   read again, and the ref alone decides. At our commit: it landed. Moved elsewhere:
//!   someone else pushed, the caller re-fetches. Unchanged: it did not land, and a transient
//!   failure is pushed again after the backoff.
//! - **A refused credential** (401, 403, a prompt git may not show) is never retried, and the
//!   error names the variable the credential came from.

use super::{Snapshot, Spec};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect, Output};
use crate::http::RetryPolicy;

/// Low-speed abort for every git HTTP transfer: a server that stalls (sends less than one
/// byte a second for this long) fails the command as a transient error instead of holding
/// the run. git's default is to wait forever.
pub const LOW_SPEED_SECS: u64 = 30;

/// What a failed git command against the remote says about why it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// The server refused the credential (or git wanted to prompt for one).
    Denied,
    /// A 5xx, 429, reset, stall or cut answer: trying again may succeed.
    Transient,
    /// Anything else (a hook refused the push, a missing repository …).
    Other,
}

/// Reads git's stderr. Denials are checked first: curl's 401 also says "RPC failed".
pub(super) fn classify(out: &Output) -> Failure {
    const DENIED: &[&str] = &[
        "Authentication failed",
        "could not read Username",
        "could not read Password",
        "Permission denied",
        "Host key verification failed",
        "returned error: 401",
        "returned error: 403",
        "HTTP 401",
        "HTTP 403",
    ];
    const TRANSIENT: &[&str] = &[
        "returned error: 5",
        "returned error: 429",
        "HTTP 5",
        "HTTP 429",
        "Connection reset",
        "Empty reply from server",
        "unexpected disconnect",
        "remote end hung up",
        "transfer closed with",
        "Operation too slow",
        "timed out",
        "Failed to connect",
        "Could not connect",
        "Connection refused",
        "early EOF",
        "curl 18",
        "curl 52",
        "curl 56",
        "protocol error",
        "bad pack header",
        "index-pack failed",
        "expected flush after",
        "expected packfile",
    ];
    let text = &out.stderr;
    if DENIED.iter().any(|d| text.contains(d)) {
        Failure::Denied
    } else if TRANSIENT.iter().any(|t| text.contains(t)) {
        Failure::Transient
    } else {
        Failure::Other
    }
}

/// The refused-credential error, naming where the credential comes from.
pub(super) fn denied(spec: &Spec, what: &str, out: &Output) -> Error {
    let source = match &spec.credential {
        Some(var) => format!("the credential in {var}"),
        None => "git's own credentials (ssh key, credential helper)".to_string(),
    };
    Error::new(
        ErrorKind::Auth,
        format!("{} refused our credentials ({what}): {}", spec.url, out.tail()),
    )
    .with_hint(format!(
        "check {source}: it must be valid and allowed to read and push branch {} of this repository",
        spec.branch
    ))
}

impl Snapshot {
    /// Runs a command that only reads the remote; a transient failure is run again on the
    /// shared retry policy's schedule. Returns the last output, failed or not.
    pub(super) async fn read_remote(&self, cmd: &Cmd) -> Result<Output> {
        let policy = RetryPolicy::from_env();
        let mut attempt = 1;
        loop {
            let out = self.exec.run(cmd).await?;
            if out.success() || attempt >= policy.attempts || classify(&out) != Failure::Transient {
                return Ok(out);
            }
            self.wait(&policy, attempt, "read", &out).await;
            attempt += 1;
        }
    }

    async fn wait(&self, policy: &RetryPolicy, attempt: u32, what: &str, out: &Output) {
        let wait = policy.backoff(attempt);
        let why = format!(
            "git {what} of {} failed ({}); trying again",
            self.spec.url,
            out.tail().lines().last().unwrap_or("")
        );
        crate::progress::pause("git", wait, &why).await;
    }

    /// The remote's branch tip as it is now (`None`: no such branch), read with retries.
    pub(super) async fn remote_tip(&self) -> Result<Option<String>> {
        let args = ["ls-remote", "--heads", "origin", self.spec.branch.as_str()];
        let out = self.read_remote(&self.cmd(Effect::Local, &args)).await?;
        if !out.success() {
            return Err(match classify(&out) {
                Failure::Denied => denied(&self.spec, "reading the branch", &out),
                _ => super::unreachable(&self.spec, &out),
            });
        }
        let want = format!("refs/heads/{}", self.spec.branch);
        Ok(out.stdout.lines().find_map(|l| {
            let (oid, name) = l.split_once('\t')?;
            (name.trim() == want).then(|| oid.trim().to_string())
        }))
    }

    /// Pushes `commit` to the branch. `Ok(false)`: the branch moved since this snapshot (the
    /// caller re-fetches and tries again). Every failed push is settled by reading the remote
    /// ref, so a push that landed behind an error is reported as pushed, never sent twice.
    pub async fn push(&self, commit: &str) -> Result<bool> {
        let refspec = format!("{commit}:refs/heads/{}", self.spec.branch);
        let push = self.cmd(Effect::SideEffect, &["push", "--quiet", "origin", &refspec]);
        let policy = RetryPolicy::from_env();
        let mut attempt = 1;
        loop {
            let out = self.exec.run(&push).await?;
            if out.success() {
                return Ok(true);
            }
            let now = self
                .remote_tip()
                .await
                .map_err(|e| self.unsettled(e, &out))?;
            if now.as_deref() == Some(commit) {
                return Ok(true);
            }
            if now != self.tip {
                return Ok(false);
            }
            match classify(&out) {
                Failure::Transient if attempt < policy.attempts => {
                    self.wait(&policy, attempt, "push", &out).await;
                    attempt += 1;
                }
                Failure::Transient => return Err(self.gave_up(attempt, &out)),
                Failure::Denied => return Err(denied(&self.spec, "git push", &out)),
                Failure::Other => return Err(self.refused(&out)),
            }
        }
    }

    /// A failed push whose result could not be read back: it may or may not have landed.
    fn unsettled(&self, read: Error, push: &Output) -> Error {
        Error::new(
            ErrorKind::OutcomeUnknown,
            format!(
                "git push to {} failed ({}) and the branch could not be read back: {}",
                self.spec.url,
                push.tail().lines().last().unwrap_or(""),
                read.message()
            ),
        )
        .with_hint("re-run: tagship reads the branch first and pushes only what is missing")
    }

    fn gave_up(&self, attempts: u32, out: &Output) -> Error {
        Error::new(
            ErrorKind::Unreachable,
            format!(
                "git push to {} (branch {}) failed {attempts} times, the branch is unchanged: {}",
                self.spec.url,
                self.spec.branch,
                out.tail()
            ),
        )
        .with_hint(
            "the git server keeps failing; re-run later (TAGSHIP_HTTP_ATTEMPTS sets the attempts)",
        )
    }

    fn refused(&self, out: &Output) -> Error {
        Error::new(
            ErrorKind::Auth,
            format!(
                "git push to {} (branch {}) was refused: {}",
                self.spec.url,
                self.spec.branch,
                out.tail()
            ),
        )
        .with_hint("check that the credentials may push to this branch (token scope, deploy key with write access, branch protection)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(stderr: &str) -> Output {
        Output {
            code: Some(1),
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn git_failures_are_classified() {
        let denied = [
            "error: RPC failed; HTTP 401 curl 22 The requested URL returned error: 401",
            "fatal: could not read Username for 'http://h': terminal prompts disabled",
            "fatal: Authentication failed for 'https://h/x.git/'",
        ];
        for d in denied {
            assert_eq!(classify(&failed(d)), Failure::Denied, "{d}");
        }
        let transient = [
            "error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503",
            "error: RPC failed; HTTP 429 curl 22 The requested URL returned error: 429",
            "error: RPC failed; curl 56 Recv failure: Connection reset by peer",
            "fatal: unable to access 'http://h/': Empty reply from server",
            "error: RPC failed; curl 18 transfer closed with 10 bytes remaining to read",
            "fatal: unable to access 'http://h/': Operation too slow. Less than 1 bytes/sec",
            "fatal: early EOF",
        ];
        for t in transient {
            assert_eq!(classify(&failed(t)), Failure::Transient, "{t}");
        }
        let other = " ! [remote rejected] HEAD -> gh-pages (pre-receive hook declined)";
        assert_eq!(classify(&failed(other)), Failure::Other);
    }
}
