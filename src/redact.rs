//! Secrets never show. Every secret tagship loads is registered here; everything that leaves
//! the process (errors, logs, reports, panics, subprocess output we echo) passes `redact`.
//! `Secret` itself prints `****` through Debug and Display.

use std::fmt;
use std::sync::{Arc, RwLock};

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a value to be scrubbed from all output. Short values (< 4 chars) are not
/// registered: scrubbing them would mangle ordinary text and they are not real secrets.
pub fn register(value: &str) {
    if value.len() < 4 {
        return;
    }
    // The forms a secret takes on its way out: as is, percent-encoded (URLs, forms) and
    // JSON-escaped (report.json, request bodies).
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let mut v = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in [value.to_string(), encoded, json] {
        if !v.contains(&form) {
            v.push(form);
        }
    }
    // Longest first, so a secret containing another is scrubbed whole.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every registered secret in `s` with `****`.
pub fn redact(s: &str) -> String {
    let v = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = s.to_string();
    for secret in v.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "****");
        }
    }
    out
}

/// Installs a panic hook that redacts the panic message before printing it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("tagship: internal error{loc}: {}", redact(&msg));
    }));
}

/// A secret value. Debug and Display print `****`; use `expose` only to put it on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(Arc::from(value))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s} {s:?}"), "**** ****");
        assert_eq!(
            redact("token=hunter2-very-secret!"),
            "token=****!".to_string()
        );
        let odd = Secret::new("p@ss/w\"rd+1");
        let _ = odd;
        assert_eq!(redact("u=p%40ss%2Fw%22rd%2B1&x"), "u=****&x");
        assert_eq!(redact(r#"{"t":"p@ss/w\"rd+1"}"#), r#"{"t":"****"}"#);
    }
}
