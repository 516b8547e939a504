//! PEP 503 (HTML) and PEP 691 (JSON) simple pages as a server might send them, read by the
//! pypi adapter; and a PEP 503 index's own pages and packages.json, read by pep503's survey.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagship::platforms::pep503::index::parse_manifest;
use tagship::platforms::pep503::survey::{survey, Seen, Want};
use tagship::platforms::pypi::api::{parse_simple_html, parse_simple_json, unescape};

const WHEEL: &str = "demo-1.0.0-py3-none-any.whl";

fn want() -> Want {
    Want {
        name: WHEEL.into(),
        local: WHEEL.into(),
        sha256: "ab".repeat(32),
        size: 3,
        blob: "cd".repeat(20),
        metadata: "Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n".into(),
        metadata_blob: "ef".repeat(20),
        metadata_sha256: "01".repeat(32),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let base = url::Url::parse("https://pypi.example/simple/demo/").ok();
    let _ = parse_simple_html(&text, base.as_ref());
    let _ = parse_simple_html(&text, None);
    let _ = unescape(&text);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parse_simple_json(&v, base.as_ref());
    }
    // pep503's own index: the same bytes as project page, root page and packages.json.
    let wants = [want()];
    let manifest = parse_manifest(Some(&text)).unwrap_or_default();
    let seen = Seen {
        blobs: Default::default(),
        manifest,
        page: Some(text.to_string()),
        root: Some(text.to_string()),
    };
    let _ = survey("demo", "", &wants, &seen);
});
