//! Secrets never show. Every secret tagship loads is registered here; everything that leaves
//! the process (errors, logs, reports, panics, subprocess output we echo) passes `redact`.
//! `Secret` itself prints `****` through Debug and Display.
//!
//! A secret travels in more shapes than the one we read: percent-encoded in URLs and forms,
//! JSON-escaped in bodies, base64-encoded inside `Authorization: Basic` headers that servers
//! echo back in error pages. `register` records every such derived form, and the base64 forms
//! are recorded independently of what precedes the secret (any user name, any prefix), so an
//! echoed Basic header is scrubbed even when we did not build it ourselves.

use base64::Engine;
use std::fmt;
use std::sync::{Arc, RwLock};

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
/// The secrets as registered, for the percent-encoding pass (any encode set, any hex case).
static RAW: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a value to be scrubbed from all output. Short values (< 4 chars) and blank ones
/// are not registered: scrubbing them would mangle ordinary text and they are not real secrets.
pub fn register(value: &str) {
    if value.len() < 4 || value.trim().is_empty() {
        return;
    }
    {
        let mut raw = RAW.write().unwrap_or_else(|e| e.into_inner());
        if !raw.iter().any(|r| r == value) {
            raw.push(value.to_string());
        }
    }
    let mut forms = vec![value.to_string()];
    forms.extend(encoded_forms(value));
    // Long enough that a base64 fragment is unmistakably this secret, not ordinary text.
    if value.len() >= 6 {
        forms.extend(base64_cores(value.as_bytes()));
    }
    add(forms);
}

/// Registers the exact `Authorization: Basic` credential for `user:secret` (the base64 cores of
/// `secret` alone are registered by [`register`]; this adds the whole token).
pub fn register_basic(user: &str, secret: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    add(vec![enc.clone()]);
    register(secret);
    enc
}

/// Registers the password of every `scheme://user:password@host` found in `text` (parsed by
/// hand, so a URL that does not parse — a bad port, say — is covered too), its percent-decoded
/// form and the Basic credential an HTTP client derives from the userinfo.
pub fn register_url_credentials(text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let Some((user, password)) = authority[..at].split_once(':') else {
            continue;
        };
        register(password);
        let decoded = percent_decode(password);
        register(&decoded);
        if !password.is_empty() {
            register_basic(user, password);
            register_basic(&percent_decode(user), &decoded);
        }
    }
}

fn add(forms: Vec<String>) {
    let mut v = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in forms {
        if form.len() >= 4 && !v.contains(&form) {
            v.push(form);
        }
    }
    // Longest first, so a secret containing another is scrubbed whole.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Form-encoded and JSON-escaped (plain, `\/`, ASCII-only). Other percent-encodings are found
/// by `scrub_percent`, whatever set of characters the encoder escaped.
fn encoded_forms(value: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json[1..json.len().saturating_sub(1).max(1)].to_string();
    let slashed = json.replace('/', "\\/");
    let ascii = json_ascii(&json, false);
    let ascii_upper = json_ascii(&json, true);
    vec![form, json, slashed, ascii, ascii_upper]
}

/// JSON with every non-ASCII character as `\uXXXX` (Python's `ensure_ascii`, PHP's default).
fn json_ascii(json: &str, upper: bool) -> String {
    let mut out = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        for u in c.encode_utf16(&mut [0; 2]).iter() {
            out.push_str(&if upper {
                format!("\\u{u:04X}")
            } else {
                format!("\\u{u:04x}")
            });
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The base64 characters that depend only on `secret`'s bytes, for each of the three byte
/// alignments it can have inside a longer encoded string (standard and URL-safe alphabets).
/// Whatever precedes the secret (`user:` in a Basic header), one of these is in the encoding.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for k in 0..3usize {
        let mut buf = vec![0u8; k];
        buf.extend_from_slice(secret);
        let enc = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&buf);
        let first = (8 * k).div_ceil(6);
        let end = (8 * (k + secret.len())) / 6;
        if end > first {
            let core = enc[first..end].to_string();
            out.push(core.replace('+', "-").replace('/', "_"));
            out.push(core);
        }
    }
    out
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
    drop(v);
    if out.contains('%') {
        let raw = RAW.read().unwrap_or_else(|e| e.into_inner());
        for secret in raw.iter() {
            out = scrub_percent(&out, secret.as_bytes());
        }
    }
    out
}

/// Scrubs `secret` written with any mix of literal bytes and `%XX` escapes (upper or lower
/// case, `+` for a space): encoders disagree on which characters they escape.
fn scrub_percent(text: &str, secret: &[u8]) -> String {
    let t = text.as_bytes();
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        match encoded_match(t, i, secret) {
            Some(end) => {
                out.extend_from_slice(b"****");
                i = end;
            }
            None => {
                out.push(t[i]);
                i += 1;
            }
        }
    }
    // Matches start and end on character boundaries, so the bytes stay UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn encoded_match(t: &[u8], mut i: usize, secret: &[u8]) -> Option<usize> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut escaped = false;
    for &b in secret {
        match t.get(i..i + 3) {
            Some([b'%', h, l]) if hex(*h).zip(hex(*l)).map(|(h, l)| h * 16 + l) == Some(b) => {
                escaped = true;
                i += 3;
                continue;
            }
            _ => {}
        }
        match t.get(i) {
            Some(c) if *c == b || (b == b' ' && *c == b'+') => i += 1,
            _ => return None,
        }
    }
    // A literal occurrence was already scrubbed; only encoded ones are left to find.
    escaped.then_some(i)
}

/// At most `max` bytes of `text` (cut on a character boundary, `…` appended when cut), redacted
/// BEFORE it is cut: a cut first could split a secret and leave its start unrecognisable.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut s = redact(text);
    if s.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
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
#[path = "redact_tests.rs"]
mod tests;
