//! A meeting point between the API and an outside process, so a test proves from the request
//! log alone what ran at the same time, with no timing threshold. The outside process (an exec
//! platform's command) sends `GET /__ping/<name>` (no auth, answered 204, logged):
//! - every mutating API request (not GET/HEAD) waits until `/__ping/start` has arrived, then
//!   is logged (reads never wait: every platform's check runs at once, by design);
//! - `/__ping/wait` returns (and is logged) only after an API request logged after `start`.
//!
//! When both sides run at once, an API request therefore always lies between `start` and
//! `wait` in the log. When they run one after the other, each wait gives up after `timeout`
//! and the log shows no API request inside the outside process's window.

use std::time::Duration;
use tokio::sync::watch;

pub(super) const PING: &str = "/__ping/";

pub(super) struct Meet {
    pub timeout: Duration,
    started: watch::Sender<bool>,
    api_after_start: watch::Sender<bool>,
}

impl Meet {
    pub fn new(timeout: Duration) -> Meet {
        Meet {
            timeout,
            started: watch::Sender::new(false),
            api_after_start: watch::Sender::new(false),
        }
    }

    /// Called when a request arrives: what it must wait for before it is logged.
    pub fn arrive(&self, method: &str, path: &str) -> Option<watch::Receiver<bool>> {
        match path.strip_prefix(PING) {
            Some("start") => {
                self.started.send_replace(true);
                None
            }
            Some("wait") => Some(self.api_after_start.subscribe()),
            Some(_) => None,
            None if matches!(method, "GET" | "HEAD") => None,
            None => Some(self.started.subscribe()),
        }
    }

    /// Called when a request is logged.
    pub fn logged(&self, path: &str) {
        if !path.starts_with(PING) && *self.started.borrow() {
            self.api_after_start.send_replace(true);
        }
    }
}

/// Waits until `rx` is true, or `timeout`.
pub(super) async fn wait(rx: Option<watch::Receiver<bool>>, timeout: Duration) {
    if let Some(mut rx) = rx {
        let _ = tokio::time::timeout(timeout, rx.wait_for(|v| *v)).await;
    }
}
