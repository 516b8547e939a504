//! Credentials: an environment variable first, then the OS keyring (service `tagship`,
//! user = the variable name), then a clear error naming both ways. Values come back as
//! `Secret`, registered for redaction.

use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;

/// Looks a credential up. `purpose` names what needs it, for the error message.
pub fn lookup(var: &str, purpose: &str) -> Result<Secret> {
    if let Ok(v) = std::env::var(var) {
        if !v.is_empty() {
            return Ok(Secret::new(v));
        }
    }
    if let Some(v) = keyring_get(var) {
        return Ok(Secret::new(v));
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
    if std::env::var_os("TAGSHIP_NO_KEYRING").is_some() {
        return None;
    }
    let entry = keyring::Entry::new("tagship", var).ok()?;
    entry.get_password().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn missing_names_both_ways() {
        std::env::set_var("TAGSHIP_NO_KEYRING", "1");
        let e = lookup("TAGSHIP_TEST_SURELY_UNSET_VAR", "unit test").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Credentials);
        assert!(e.message().contains("TAGSHIP_TEST_SURELY_UNSET_VAR"));
        assert!(e.hint().unwrap().contains("keyring"));
    }
}
