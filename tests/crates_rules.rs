//! crates.io's publish rules, proven on both sides (issue #16): each manifest below breaks
//! one rule; tagship's preflight (`crates::rules`, run in `package`) refuses it naming the
//! field, AND the strict local registry (`scripts/servers/crates_registry/`, which enforces
//! crates.io's rules with crates.io's error texts) refuses the same `.crate` sent to it
//! directly with HTTP 400 (413 for size). The untouched manifest passes both.
//! Fails naming the setup script when the registry is missing.

mod support;

use std::io::{Read, Write};
use support::crates::Registry;
use tagship::platforms::crates::{self, frame, new_crate, rules, CrateContents};

const GOOD: &str = r#"[package]
name = "rules-demo"
version = "0.1.0"
edition = "2021"
description = "A crate that follows crates.io's rules"
license = "MIT OR Apache-2.0"
homepage = "https://example.invalid/home"
repository = "https://example.invalid/repo"
rust-version = "1.70"
keywords = ["cli", "c++"]
categories = ["command-line-utilities"]

[dependencies]
"#;

/// A gzip tar `.crate` holding `manifest` (plus `extra` bytes as a file, for size).
fn krate(manifest: &str, extra: usize) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let filler: Vec<u8> = (0..extra).map(|_| fastrand::u8(..)).collect();
    for (p, d) in [
        ("rules-demo-0.1.0/Cargo.toml", manifest.as_bytes()),
        ("rules-demo-0.1.0/src/lib.rs", b"".as_slice()),
        ("rules-demo-0.1.0/blob.bin", filler.as_slice()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, p, d).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// `PUT /api/v1/crates/new` with the raw token, as cargo sends it; (status, body).
fn put(api: &str, token: &str, body: &[u8]) -> (u16, String) {
    let hostport = api.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport).unwrap();
    let head = format!(
        "PUT /api/v1/crates/new HTTP/1.0\r\nHost: {hostport}\r\nAuthorization: {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

/// One case: `GOOD` with `from` replaced by `to` (or extra lines appended).
struct Case {
    from: &'static str,
    to: String,
    extra: usize,
    field: &'static str,
    server_says: &'static str,
}

fn case(
    from: &'static str,
    to: impl Into<String>,
    field: &'static str,
    says: &'static str,
) -> Case {
    Case {
        from,
        to: to.into(),
        extra: 0,
        field,
        server_says: says,
    }
}

fn cases(own_index: &str) -> Vec<Case> {
    [metadata_cases(), listing_cases(), limit_cases(own_index)]
        .into_iter()
        .flatten()
        .collect()
}

fn metadata_cases() -> Vec<Case> {
    vec![
        case(
            "description = \"A crate that follows crates.io's rules\"\n",
            "",
            "package.description",
            "missing or empty metadata fields: description",
        ),
        case(
            "A crate that follows crates.io's rules",
            "x".repeat(1001),
            "package.description",
            "The `description` is too long",
        ),
        case(
            "license = \"MIT OR Apache-2.0\"\n",
            "",
            "package.license",
            "missing or empty metadata fields: license",
        ),
        case(
            "MIT OR Apache-2.0",
            "MIT or Apache 2",
            "package.license",
            "unknown or invalid license expression",
        ),
        case(
            "https://example.invalid/home",
            "example.invalid/home",
            "package.homepage",
            "URL for field `homepage` must begin with http:// or https://",
        ),
        case(
            "homepage = ",
            "documentation = \"ftp://example.invalid/doc\"\nhomepage = ",
            "package.documentation",
            "URL for field `documentation`",
        ),
        case(
            "https://example.invalid/repo",
            "git@example.invalid:repo",
            "package.repository",
            "URL for field `repository`",
        ),
        case(
            "rust-version = \"1.70\"",
            "rust-version = \"1.70-nightly\"",
            "package.rust-version",
            "invalid `rust-version` value",
        ),
    ]
}

fn listing_cases() -> Vec<Case> {
    vec![
        case(
            "[\"cli\", \"c++\"]",
            "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]",
            "package.keywords",
            "expected at most 5 keywords per crate",
        ),
        case(
            "[\"cli\", \"c++\"]",
            "[\"abcdefghijklmnopqrstu\"]",
            "package.keywords",
            "keywords must have less than 20 characters",
        ),
        case(
            "[\"cli\", \"c++\"]",
            "[\"-cli\"]",
            "package.keywords",
            "\"-cli\" is an invalid keyword",
        ),
        case(
            "[\"command-line-utilities\"]",
            "[\"algorithms\", \"caching\", \"config\", \"email\", \"games\", \"gui\"]",
            "package.categories",
            "expected at most 5 categories per crate",
        ),
        case(
            "[\"command-line-utilities\"]",
            "[\"cli\"]",
            "package.categories",
            "category slugs are not currently supported on crates.io: cli",
        ),
    ]
}

fn limit_cases(own_index: &str) -> Vec<Case> {
    let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>().join("\n");
    let dep = |name: &str, req: &str, index: &str| {
        format!(
            "[dependencies]\n{name} = {{ version = \"{req}\", registry-index = \"{index}\" }}\n"
        )
    };
    vec![
        case(
            "[dependencies]\n",
            format!("[features]\n{}\n", many(301, &|i| format!("f{i} = []"))),
            "features",
            "maximum number of 300 features",
        ),
        case(
            "[dependencies]\n",
            format!(
                "[dependencies]\n{}\n",
                many(501, &|i| {
                    format!("d{i} = {{ version = \"1\", package = \"rules-dep\", registry-index = \"{own_index}\" }}")
                })
            ),
            "dependencies",
            "maximum number of 500 dependencies",
        ),
        case(
            "[dependencies]\n",
            dep("rules-dep", "*", own_index),
            "dependencies.rules-dep",
            "wildcard (`*`) dependency constraints are not allowed",
        ),
        case(
            "[dependencies]\n",
            dep("rules-dep", "1", "sparse+https://other.invalid/index/"),
            "dependencies.rules-dep",
            "Cross-registry dependencies are not permitted",
        ),
        Case {
            from: "",
            to: String::new(),
            extra: 10 * 1024 * 1024 + 1,
            field: "package (the .crate file)",
            server_says: "max upload size is: 10485760",
        },
    ]
}

#[test]
fn server_preflight_and_the_strict_registry_refuse_the_same_crates() {
    let reg = Registry::start();
    let index = reg.get("index");
    let cfg: crates::CratesConfig = serde_json::from_value(
        serde_json::json!({"registry": "local", "index": index, "rules": "crates-io"}),
    )
    .unwrap();
    let (api, token) = (reg.get("api"), reg.get("token"));
    for c in cases(&index) {
        let manifest = GOOD.replacen(c.from, &c.to, 1);
        let bytes = krate(&manifest, c.extra);
        let contents = CrateContents::read(&bytes).unwrap();
        let e = rules::check_crate(&cfg, &contents, bytes.len() as u64).unwrap_err();
        assert!(
            e.message().contains(&format!("Cargo.toml: `{}`", c.field)),
            "{}: {e:?}",
            c.field
        );
        let meta = serde_json::to_vec(&new_crate(&contents, &cfg.index_url()).unwrap()).unwrap();
        let (status, body) = put(&api, &token, &frame(&meta, &bytes));
        let want = if c.extra > 0 { 413 } else { 400 };
        assert_eq!(status, want, "{}: {body}", c.field);
        let detail: serde_json::Value = serde_json::from_str(&body).unwrap();
        let detail = detail["errors"][0]["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(c.server_says), "{}: {detail}", c.field);
    }
    // The untouched crate passes both: the refusals above were the rules, nothing else.
    let bytes = krate(GOOD, 0);
    let contents = CrateContents::read(&bytes).unwrap();
    rules::check_crate(&cfg, &contents, bytes.len() as u64).unwrap();
    let meta = serde_json::to_vec(&new_crate(&contents, &cfg.index_url()).unwrap()).unwrap();
    let (status, body) = put(&api, &token, &frame(&meta, &bytes));
    assert_eq!(status, 200, "{body}");
}
