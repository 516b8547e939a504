//! The dry-run guard's ledger, shared by the HTTP and exec layers. Under `--dry-run` every
//! mutating request or side-effecting subprocess is recorded here instead of being sent, and
//! the report lists them per platform. It also counts what was really sent, so tests and the
//! report can prove "0 mutating requests".

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One request or command that the dry-run guard withheld.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Withheld {
    pub platform: String,
    /// `POST`, `PUT`, ... or `exec`.
    pub method: String,
    /// URL (credentials stripped) or the command line.
    pub target: String,
    /// Body summary: content type and size, file names; never content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Shared, cheap to clone.
#[derive(Clone, Default)]
pub struct Ledger {
    inner: Arc<LedgerInner>,
}

#[derive(Default)]
struct LedgerInner {
    withheld: Mutex<Vec<Withheld>>,
    sent: AtomicU64,
    mutating_sent: AtomicU64,
    per_platform: Mutex<BTreeMap<String, Counts>>,
}

/// What one platform sent, for the report and `--metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counts {
    /// Requests and side-effecting commands really sent (retries included).
    pub requests: u64,
    /// Of those, the mutating ones.
    pub mutating: u64,
    /// Attempts that were retried (5xx, 429, transport errors).
    pub retries: u64,
    /// Request body bytes sent (retries included).
    pub bytes_sent: u64,
    /// Mutations withheld by a dry run.
    pub withheld: u64,
}

impl Ledger {
    pub fn withhold(&self, w: Withheld) {
        self.inner
            .withheld
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(w);
    }
    pub fn note_sent(&self, platform: &str, mutating: bool, bytes: u64) {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        if mutating {
            self.inner.mutating_sent.fetch_add(1, Ordering::Relaxed);
        }
        self.count(platform, |c| {
            c.requests += 1;
            c.mutating += u64::from(mutating);
            c.bytes_sent += bytes;
        });
    }
    /// An attempt of `platform`'s that is about to be retried.
    pub fn note_retry(&self, platform: &str) {
        self.count(platform, |c| c.retries += 1);
    }
    fn count(&self, platform: &str, f: impl FnOnce(&mut Counts)) {
        let mut m = self
            .inner
            .per_platform
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(m.entry(platform.to_string()).or_default());
    }
    /// Everything `platform` sent, retried and had withheld.
    pub fn counts_for(&self, platform: &str) -> Counts {
        let m = self
            .inner
            .per_platform
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        Counts {
            withheld: self.withheld_for(platform).len() as u64,
            ..m.get(platform).cloned().unwrap_or_default()
        }
    }
    pub fn withheld(&self) -> Vec<Withheld> {
        self.inner
            .withheld
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    pub fn withheld_for(&self, platform: &str) -> Vec<Withheld> {
        self.withheld()
            .into_iter()
            .filter(|w| w.platform == platform)
            .collect()
    }
    pub fn sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }
    pub fn mutating_sent(&self) -> u64 {
        self.inner.mutating_sent.load(Ordering::Relaxed)
    }
}
