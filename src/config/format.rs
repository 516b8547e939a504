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
/// A duration such as `30s`, `5m`, `1h30m` or `500ms` (Go's notation, as GoReleaser's
/// `--timeout`).
pub const DURATION: &str = "duration";

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
        DURATION => parse_duration(value).err().map(|why| {
            (
                format!("`{}` is not a duration: {why}", value.escape_debug()),
                "write a number with a unit, e.g. `30s`, `5m`, `1h30m` or `500ms`".to_string(),
            )
        }),
        _ => None,
    }
}

/// Parses `30s`, `5m`, `1h30m`, `500ms`: one or more `<digits><unit>` with units `ms`, `s`,
/// `m`, `h`. Zero and anything over a week are refused: neither is a deliberate timeout.
pub fn parse_duration(value: &str) -> Result<std::time::Duration, String> {
    let mut rest = value.trim();
    if rest.is_empty() {
        return Err("it is empty".into());
    }
    let mut ms: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err("each part must start with a number".into());
        }
        let n: u128 = rest[..digits]
            .parse()
            .map_err(|_| "the number is too large")?;
        rest = &rest[digits..];
        let unit_len = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
        let scale = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err("a unit is missing (ms, s, m or h)".into()),
            u => {
                return Err(format!(
                    "`{}` is not a unit (ms, s, m or h)",
                    u.escape_debug()
                ))
            }
        };
        rest = &rest[unit_len..];
        ms = ms.saturating_add(n.saturating_mul(scale));
    }
    const WEEK_MS: u128 = 7 * 24 * 3_600_000;
    match ms {
        0 => Err("it must be longer than 0".into()),
        m if m > WEEK_MS => Err("it is longer than a week".into()),
        m => Ok(std::time::Duration::from_millis(m as u64)),
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
    fn durations() {
        let d = |s| parse_duration(s).unwrap().as_millis();
        assert_eq!(d("1h30m"), 5_400_000);
        assert_eq!(d("2s500ms"), 2_500);
        assert_eq!(d(" 5m "), 300_000);
    }

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
            (DURATION, "30s", None),
            (DURATION, "1h30m", None),
            (DURATION, "250ms", None),
            (DURATION, "", Some("empty")),
            (DURATION, "0s", Some("longer than 0")),
            (DURATION, "30", Some("unit is missing")),
            (DURATION, "5 minutes", Some("is not a unit")),
            (DURATION, "-5s", Some("start with a number")),
            (DURATION, "9999999h", Some("week")),
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
