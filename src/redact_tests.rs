//! Every derived form of a registered secret is scrubbed: raw, percent-encoded, JSON-escaped,
//! base64 inside a Basic header built by anyone, passwords inside URLs, and cut excerpts.

use super::*;
use base64::Engine;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

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

/// One table: (what, a registered secret, the text a server or a log could show, how many
/// characters of it may survive). Base64 keeps the characters that encode the user name plus
/// at most two on each edge of the secret, which carry a few bits of it, never a character.
#[test]
fn derived_forms_table() {
    let rows: Vec<Row> = [base64_rows(), escaped_rows()].concat();
    for (what, secret, (shown, allowed)) in rows {
        register(secret);
        let out = redact(&format!("<{shown}>"));
        let visible = out.trim_matches(['<', '>']).replace("****", "");
        assert!(out.contains("****"), "{what}: {out}");
        assert!(
            visible.len() <= allowed,
            "{what}: `{visible}` survived ({out})"
        );
    }
}

/// (what, secret, (shown, characters allowed to survive)).
type Row = (&'static str, &'static str, (String, usize));

/// A Basic header's base64 of `user:secret`, and what may survive of it.
fn basic(user: &str, secret: &str) -> (String, usize) {
    (
        b64(&format!("{user}:{secret}")),
        (user.len() + 1) * 4 / 3 + 4,
    )
}

fn base64_rows() -> Vec<Row> {
    vec![
        (
            "basic, any user",
            "tok-basic-1aa",
            basic("someone", "tok-basic-1aa"),
        ),
        (
            "basic, 1-byte user",
            "tok-basic-2bb",
            basic("u", "tok-basic-2bb"),
        ),
        (
            "basic, 2-byte user",
            "tok-basic-3cc",
            basic("uu", "tok-basic-3cc"),
        ),
        (
            "basic, __token__",
            "pypi-AgEIcHlwaS5vcmc",
            basic("__token__", "pypi-AgEIcHlwaS5vcmc"),
        ),
        (
            "git extraHeader",
            "ghs_git_token_4dd",
            basic("x-access-token", "ghs_git_token_4dd"),
        ),
        ("base64 alone", "tok-alone-5ee", (b64("tok-alone-5ee"), 4)),
    ]
}

fn escaped_rows() -> Vec<Row> {
    vec![
        (
            "percent upper",
            "t0k/with+sym=6",
            ("t0k%2Fwith%2Bsym%3D6".into(), 0),
        ),
        (
            "percent lower",
            "t0k/with+sym=7",
            ("t0k%2fwith%2bsym%3d7".into(), 0),
        ),
        (
            "form encoded",
            "t0k with space8",
            ("t0k+with+space8".into(), 0),
        ),
        (
            "json slash",
            "t0k/slash/9999",
            (r"t0k\/slash\/9999".into(), 0),
        ),
        (
            "json quote",
            "t0k\"quote\"10",
            (r#"t0k\"quote\"10"#.into(), 0),
        ),
        (
            "json non-ascii",
            "tök-ünïcode-11",
            (r"t\u00f6k-\u00fcn\u00efcode-11".into(), 0),
        ),
        (
            "json upper hex",
            "tök-ünïcode-12",
            (r"t\u00F6k-\u00FCn\u00EFcode-12".into(), 0),
        ),
        (
            "percent non-ascii",
            "tök-ünïcode-13",
            ("t%C3%B6k-%C3%BCn%C3%AFcode-13".into(), 0),
        ),
        (
            "percent, every byte",
            "tok_every_14",
            ("%74%6f%6b%5F%65%76%65%72%79%5f%31%34".into(), 0),
        ),
        (
            "percent, mixed set",
            "tok_mixed/15!",
            ("tok%5fmixed%2F15%21".into(), 0),
        ),
    ]
}

#[test]
fn url_passwords_even_in_urls_that_do_not_parse() {
    register_url_credentials("api_url: http://bob:url-pw-S3cr3t@127.0.0.1:99999/api");
    let out = redact("invalid URL `http://bob:url-pw-S3cr3t@127.0.0.1:99999/api`: invalid port");
    assert!(!out.contains("url-pw-S3cr3t"), "{out}");
    let basic = b64("bob:url-pw-S3cr3t");
    assert_eq!(redact(&format!("Basic {basic}")), "Basic ****");
    register_url_credentials("https://u:enc%2Fpw%40x99@h/");
    assert!(!redact("enc/pw@x99 and enc%2Fpw%40x99").contains("pw"));
    // No userinfo, or a user without a password: nothing registered, nothing mangled.
    register_url_credentials("https://plain.example/path@x https://user@host/");
    assert_eq!(redact("plain.example user@host"), "plain.example user@host");
}

#[test]
fn excerpts_are_redacted_before_they_are_cut() {
    register("cut-me-0123456789abcdef");
    let body = format!("{}cut-me-0123456789abcdef tail", "x".repeat(290));
    let e = excerpt(&body, 300);
    assert!(!e.contains("cut-me"), "{e}");
    assert!(e.contains("****"), "{e}");
    assert!(excerpt("short", 300) == "short");
    let long = "é".repeat(400);
    assert!(excerpt(&long, 301).ends_with('…'));
}

#[test]
fn short_and_blank_values_are_not_registered() {
    register("   ");
    register("\t\t\t\t");
    register("abc");
    assert_eq!(redact("a    b\t\t\t\tc abc"), "a    b\t\t\t\tc abc");
}
