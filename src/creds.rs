//! Credentials: an environment variable first, then the OS keyring (service `tagship`,
//! user = the variable name), then a clear error naming both ways. Values come back as
//! `Secret`, registered for redaction.

use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;

/// Looks a credential up in the process environment, then the OS keyring (unless
/// `TAGSHIP_NO_KEYRING` is set). `purpose` names what needs it, for the error message.
pub fn lookup(var: &str, purpose: &str) -> Result<Secret> {
    let use_keyring = std::env::var_os("TAGSHIP_NO_KEYRING").is_none();
    lookup_in(var, purpose, |k| std::env::var(k).ok(), use_keyring)
}

/// [`lookup`] with the environment and the keyring switch passed in (tests, embedding).
pub fn lookup_in(
    var: &str,
    purpose: &str,
    env: impl Fn(&str) -> Option<String>,
    use_keyring: bool,
) -> Result<Secret> {
    if let Some(v) = env(var).filter(|v| !v.is_empty()) {
        return Ok(Secret::new(v));
    }
    if use_keyring {
        if let Some(v) = keyring_get(var) {
            return Ok(Secret::new(v));
        }
    }
    Err(Error::new(
        ErrorKind::Credentials,
        format!("missing credential {var} (needed by {purpose})"),
    )
    .with_hint(format!(
        "set the environment variable {var}, or store it in the OS keyring: service `tagship`, user `{var}`"
    )))
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

    // The keyring path for real (Secret Service on a private D-Bus, through the binary) is
    // tests/keyring_secret_service.rs; it needs a daemon, so it is not a unit test here.
}
