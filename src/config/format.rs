//! The `format` annotations of config schemas that the walker checks, so one mechanism covers
//! every platform section: a field marked `#[schemars(extend("format" = "http-url"))]` is
//! refused at load time, with file:line and the setting's name, when it is not an http(s) URL.
//! Other formats (`uint64`, ...) are schemars' own and are ignored here.

/// A URL tagship sends HTTP requests to (API roots, registries, upload endpoints).
pub const HTTP_URL: &str = "http-url";
/// A cargo sparse index: an http(s) URL, optionally written with cargo's `sparse+` prefix.
pub const SPARSE_INDEX_URL: &str = "sparse-index-url";
/// The name of an environment variable (or keyring entry) holding a credential.
pub const ENV_VAR_NAME: &str = "env-var-name";

/// Checks `value` against `format`: `Some((problem, hint))` when it does not conform. The
/// problem never repeats a URL (it may carry a password), only what is wrong with it.
pub(crate) fn check(format: &str, value: &str) -> Option<(String, String)> {
    match format {
        HTTP_URL => http_url(value),
        SPARSE_INDEX_URL => http_url(value.strip_prefix("sparse+").unwrap_or(value)),
        ENV_VAR_NAME => crate::creds::check_name(value).err().map(|why| {
            let shown = value.escape_debug();
            let hint = "write the name of an environment variable: ASCII letters, digits and \
                        `_`, not starting with a digit (e.g. `GITHUB_TOKEN`); its value is read \
                        from the environment or the OS keyring";
            (
                format!("`{shown}` is not a valid credential variable name: it {why}"),
                hint.to_string(),
            )
        }),
        _ => None,
    }
}

fn http_url(value: &str) -> Option<(String, String)> {
    let hint = "write an http:// or https:// URL, e.g. `https://registry.example.com/`";
    match url::Url::parse(value.trim()) {
        Err(e) => Some((format!("not a valid URL ({e})"), hint.into())),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Some((
            format!(
                "the URL scheme `{}` is not supported; tagship talks HTTP(S) only",
                u.scheme().escape_debug()
            ),
            hint.into(),
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let rows: &[(&str, &str, Option<&str>)] = &[
            (HTTP_URL, "https://api.github.com", None),
            (HTTP_URL, "http://127.0.0.1:8080/api/", None),
            (HTTP_URL, "ftp://example.com/", Some("scheme `ftp`")),
            (HTTP_URL, "file:///etc/passwd", Some("scheme `file`")),
            (HTTP_URL, "javascript:alert(1)", Some("scheme `javascript`")),
            (HTTP_URL, "http://u:pw-9876@h:99999/", Some("invalid port")),
            (HTTP_URL, "not a url", Some("not a valid URL")),
            (SPARSE_INDEX_URL, "sparse+https://index.crates.io/", None),
            (
                SPARSE_INDEX_URL,
                "sparse+ssh://h/index",
                Some("scheme `ssh`"),
            ),
            (ENV_VAR_NAME, "GITHUB_TOKEN", None),
            (ENV_VAR_NAME, "_X1", None),
            (ENV_VAR_NAME, "", Some("is empty")),
            (ENV_VAR_NAME, "GITHUB_TOKEN=x", Some("`=`")),
            (ENV_VAR_NAME, "A\0B", Some("`A\\0B`")),
            (ENV_VAR_NAME, "9LIVES", Some("digit")),
            ("uint64", "anything", None),
        ];
        for (format, value, want) in rows {
            let got = check(format, value);
            match (want, &got) {
                (None, None) => {}
                (Some(w), Some((msg, _))) => {
                    assert!(msg.contains(w), "{format} {value:?}: {msg}");
                    assert!(!msg.contains("pw-9876"), "{msg}");
                }
                _ => panic!("{format} {value:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
