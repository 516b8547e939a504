//! The dry-run guard's ledger, shared by the HTTP and exec layers. Under `--dry-run` every
//! mutating request or side-effecting subprocess is recorded here instead of being sent, and
//! the report lists them per platform. It also counts what was really sent, so tests and the
//! report can prove "0 mutating requests".

use serde::{Deserialize, Serialize};
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
}

impl Ledger {
    pub fn withhold(&self, w: Withheld) {
        self.inner
            .withheld
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(w);
    }
    pub fn note_sent(&self, mutating: bool) {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        if mutating {
            self.inner.mutating_sent.fetch_add(1, Ordering::Relaxed);
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
