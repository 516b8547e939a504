//! Credentials: an environment variable first, then the OS keyring (service `tagship`,
//! user = the variable name), then a clear error naming both ways. Values come back as
//! `Secret`, registered for redaction.

use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;

/// Looks a credential up in the process environment, then the OS keyring (unless
/// `TAGSHIP_NO_KEYRING` is set). `purpose` names what needs it, for the error message.
pub fn lookup(var: &str, purpose: &str) -> Result<Secret> {
    lookup_with_source(var, purpose).map(|(s, _)| s)
}

/// [`lookup`] with the environment and the keyring switch passed in (tests, embedding).
/// A value that is blank counts as missing; one that cannot travel as an HTTP header value
/// (line breaks, control or non-ASCII characters, surrounding whitespace) is refused before
/// anything is sent, naming the variable and never showing the value.
pub fn lookup_in(
    var: &str,
    purpose: &str,
    env: impl Fn(&str) -> Option<String>,
    use_keyring: bool,
) -> Result<Secret> {
    lookup_from(var, purpose, env, use_keyring).map(|(s, _)| s)
}

/// Where a credential was found (never its value): `tagship check` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The environment variable named like the credential.
    Env,
    /// The OS keyring: service `tagship`, user = the variable name.
    Keyring,
}

/// [`lookup`], also saying where the value came from.
pub fn lookup_with_source(var: &str, purpose: &str) -> Result<(Secret, Source)> {
    let use_keyring = std::env::var_os("TAGSHIP_NO_KEYRING").is_none();
    lookup_from(var, purpose, |k| std::env::var(k).ok(), use_keyring)
}

/// [`lookup_in`] with the source.
pub fn lookup_from(
    var: &str,
    purpose: &str,
    env: impl Fn(&str) -> Option<String>,
    use_keyring: bool,
) -> Result<(Secret, Source)> {
    if let Err(why) = check_name(var) {
        let shown = var.escape_debug();
        return Err(Error::new(
            ErrorKind::Config,
            format!("credential variable name `{shown}` (needed by {purpose}) {why}"),
        )
        .with_hint(NAME_RULE));
    }
    let mut blank = false;
    let mut found = |v: Option<String>, from: &str| -> Option<Result<Secret>> {
        let v = v.filter(|v| !v.is_empty())?;
        if v.trim().is_empty() {
            blank = true;
            return None;
        }
        Some(match unsendable(&v) {
            None => Ok(Secret::new(v)),
            Some(_) if is_key_block(&v) => Ok(key_block(v)),
            Some(why) => Err(refuse(var, purpose, from, &v, why)),
        })
    };
    if let Some(r) = found(env(var), "the environment variable") {
        return r.map(|s| (s, Source::Env));
    }
    if use_keyring {
        if let Some(r) = found(keyring_get(var), "the keyring entry") {
            return r.map(|s| (s, Source::Keyring));
        }
    }
    let why = if blank { " (it is set but blank)" } else { "" };
    Err(Error::new(
        ErrorKind::Credentials,
        format!("missing credential {var} (needed by {purpose}){why}"),
    )
    .with_hint(format!(
        "set the environment variable {var}, or store it in the OS keyring: service `tagship`, user `{var}`"
    )))
}

/// True when [`lookup`] failed only because the credential is not set (or blank), not
/// because its name or value is unusable.
pub fn is_missing(e: &Error) -> bool {
    e.kind == ErrorKind::Credentials && e.message().starts_with("missing credential")
}

const NAME_RULE: &str = "a credential is named by an environment variable: ASCII letters, digits \
     and `_`, not starting with a digit (e.g. `GITHUB_TOKEN`)";

/// Whether `var` can name an environment variable (POSIX portable names).
pub fn check_name(var: &str) -> std::result::Result<(), &'static str> {
    let mut chars = var.chars();
    match chars.next() {
        None => Err("is empty"),
        Some(c) if c.is_ascii_digit() => Err("starts with a digit"),
        _ if var.contains('=') => {
            Err("contains `=` (write the name only; the value goes in the environment)")
        }
        _ if var.contains('\0') => Err("contains a NUL character"),
        _ if !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Err("contains characters other than letters, digits and `_`")
        }
        _ => Ok(()),
    }
}

/// Why `v` cannot be sent as (part of) an HTTP header value, if it cannot.
fn unsendable(v: &str) -> Option<String> {
    let (i, c) = match v.char_indices().find(|(_, c)| !(' '..='~').contains(c)) {
        Some(found) => found,
        None if v.trim() != v => return Some("starts or ends with whitespace".into()),
        None => return None,
    };
    let what = match c {
        '\r' | '\n' if i + c.len_utf8() == v.len() => "ends with a line break",
        '\r' | '\n' => "contains a line break (a header injection would follow it)",
        c if c.is_control() => "contains a control character",
        _ => "contains a non-ASCII character",
    };
    Some(format!("{what} at byte {i}"))
}

/// An ssh/PEM private key (`-----BEGIN … PRIVATE KEY-----` … `-----END …-----`) is text of
/// several lines by nature. It never travels in a header (the git kit writes it to a 0600
/// file for ssh), so its line breaks are allowed; nothing else about it is.
fn is_key_block(v: &str) -> bool {
    let t = v.trim_end_matches(['\r', '\n']);
    t.starts_with("-----BEGIN ")
        && t.contains("PRIVATE KEY-----")
        && t.ends_with("-----")
        && t.lines().count() > 2
        && t.chars()
            .all(|c| (' '..='~').contains(&c) || c == '\n' || c == '\r')
}

/// The key as a secret, each of its lines registered for redaction too.
fn key_block(v: String) -> Secret {
    for line in v.lines().map(str::trim).filter(|l| l.len() >= 16) {
        crate::redact::register(line);
    }
    Secret::new(v)
}

fn refuse(var: &str, purpose: &str, from: &str, v: &str, why: String) -> Error {
    // The value is refused, but it is still a secret: parts of it may show elsewhere.
    crate::redact::register(v);
    for part in v.split(|c: char| c.is_control()) {
        crate::redact::register(part.trim());
    }
    Error::new(
        ErrorKind::Credentials,
        format!("credential {var} (needed by {purpose}) cannot be sent: {from} {why}"),
    )
    .with_hint(format!(
        "a credential must be one line of visible ASCII characters; set {var} again without \
         the stray characters (e.g. `export {var}=\"$(tr -d '\\r\\n' < token.txt)\"`)"
    ))
}

/// Stores `value` in the OS keyring as `var` (service `tagship`), where [`lookup`] finds it.
/// The value is checked like one read from the environment first: a token that could not be
/// sent is refused here, not at the next release.
pub fn keyring_store(var: &str, value: &str) -> Result<()> {
    let checked = lookup_in(var, "tagship login", |_| Some(value.to_string()), false)?;
    let entry = keyring_entry(var)?;
    entry
        .set_password(checked.expose())
        .map_err(|e| keyring_error("storing", var, e))
}

/// Removes `var` from the OS keyring; `Ok(false)` when there was nothing to remove.
pub fn keyring_remove(var: &str) -> Result<bool> {
    match keyring_entry(var)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(keyring_error("removing", var, e)),
    }
}

fn keyring_entry(var: &str) -> Result<keyring::Entry> {
    if let Err(why) = check_name(var) {
        return Err(
            Error::input(format!("credential name `{}` {why}", var.escape_debug()))
                .with_hint(NAME_RULE),
        );
    }
    keyring::Entry::new("tagship", var).map_err(|e| keyring_error("opening", var, e))
}

fn keyring_error(doing: &str, var: &str, e: keyring::Error) -> Error {
    Error::new(
        ErrorKind::Credentials,
        format!("{doing} {var} in the OS keyring failed: {e}"),
    )
    .with_hint(
        "tagship uses the Secret Service (GNOME Keyring, KWallet) on Linux: start one, or set the environment variable instead",
    )
}

/// Reads the OS keyring. Any keyring failure (no backend, no entry, locked) counts as
/// "not there": the env var is the primary path and the error names both.
fn keyring_get(var: &str) -> Option<String> {
    let entry = keyring::Entry::new("tagship", var).ok()?;
    entry.get_password().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ssh_private_key_keeps_its_lines() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nAAAAC3NzaC1lZDI1NTE5AAAAIO\n-----END OPENSSH PRIVATE KEY-----\n";
        let got = lookup_in("K", "aur", |_| Some(key.into()), false).unwrap();
        assert_eq!(got.expose(), key);
        // A header-like value with an injected line is still refused.
        let bad = "-----BEGIN X-----\nX-Injected: yes";
        assert!(lookup_in("K", "aur", |_| Some(bad.into()), false).is_err());
    }

    #[test]
    fn missing_names_both_ways() {
        let e = lookup_in("SURELY_UNSET", "unit test", |_| None, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Credentials);
        assert!(e.message().contains("SURELY_UNSET"));
        assert!(e.hint().unwrap().contains("keyring"));
    }

    #[test]
    fn env_wins_and_empty_counts_as_unset() {
        let got = lookup_in("V", "t", |_| Some("from-env-value".into()), false).unwrap();
        assert_eq!(got.expose(), "from-env-value");
        assert!(lookup_in("V", "t", |_| Some(String::new()), false).is_err());
    }

    /// Hostile values and names: refused with the variable named, the value never shown.
    #[test]
    fn unsendable_values_and_bad_names_are_refused() {
        let rows: &[(&str, &str, &str)] = &[
            ("V", "tok-123456\r\nX-Injected: yes", "line break"),
            ("V", "tok-123456\n", "ends with a line break"),
            ("V", "tok-123456\r", "ends with a line break"),
            ("V", "tok\t123456", "control character"),
            ("V", "tok\u{7f}123456", "control character"),
            ("V", "tök-123456", "non-ASCII"),
            ("V", "tok-123456\u{200b}", "non-ASCII"),
            ("V", " tok-123456", "whitespace"),
            ("V", "   ", "blank"),
            ("V", "\t \t", "blank"),
            ("", "x", "is empty"),
            ("GITHUB_TOKEN=x", "x", "contains `=`"),
            ("GITHUB\0TOKEN", "x", "NUL"),
            ("1TOKEN", "x", "digit"),
            ("MY-TOKEN", "x", "letters, digits"),
        ];
        for (var, value, want) in rows {
            let value = value.to_string();
            let e = lookup_in(var, "t", |_| Some(value.clone()), false).unwrap_err();
            let msg = e.message();
            assert!(msg.contains(want), "{var:?}={value:?}: {msg}");
            assert!(msg.contains(&var.escape_debug().to_string()), "{msg}");
            if value.trim().len() > 4 {
                assert!(!msg.contains("123456"), "value shown: {msg}");
            }
            assert!(e.kind.is_input() || e.kind == ErrorKind::Credentials);
        }
    }

    // The keyring path for real (Secret Service on a private D-Bus, through the binary) is
    // tests/keyring_secret_service.rs; it needs a daemon, so it is not a unit test here.
}
