//! GitHub answers: a release, an asset list, an error body (mapped to an error with a hint
//! for any status), and the `Link` header tagship pages with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, Response};
use tagship::platforms::github::api::{next_link, Api, GhAsset, GhRelease};

fn api() -> &'static Api {
    static A: OnceLock<Api> = OnceLock::new();
    A.get_or_init(|| {
        let http = Http::new(HttpOptions::default(), Ledger::default()).unwrap();
        Api::new(http, "https://api.github.com", "o", "r").token_env("GITHUB_TOKEN")
    })
}

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (400 + u16::from(*s) % 200, rest),
        None => (500, data),
    };
    let resp = Response {
        status: status.try_into().unwrap(),
        headers: Default::default(),
        body: body.to_vec().into(),
        url: "https://api.github.com/repos/o/r/releases".into(),
        predicted: false,
    };
    let _ = resp.json::<GhRelease>();
    let _ = resp.json::<Vec<GhRelease>>();
    let _ = resp.json::<Vec<GhAsset>>();
    let _ = api().fail(&resp, "looking up the release");
    let _ = api().fail_write(&resp, "uploading", Some("demo.tar.gz"));
    let _ = next_link(&String::from_utf8_lossy(body));
});
