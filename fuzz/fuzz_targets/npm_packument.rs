//! An npm registry's version document (`GET /{name}/{version}`), through the adapter's real
//! read path: tagship's HTTP client against a loopback server answering with the input (the
//! first byte picks the status; 5xx are left out because they are retried, not parsed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex, OnceLock};
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions};
use tagship::platforms::npm::api::{Api, Creds};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Rig {
    rt: tokio::runtime::Runtime,
    api: Api,
    answer: Arc<Mutex<(u16, Vec<u8>)>>,
}

/// Answers every request on one keep-alive connection with the current `answer`.
async fn serve(listener: tokio::net::TcpListener, answer: Arc<Mutex<(u16, Vec<u8>)>>) {
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                buf.drain(..end);
                let (status, body) = answer.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if s.write_all(head.as_bytes()).await.is_err() || s.write_all(&body).await.is_err()
                {
                    return;
                }
            }
        });
    }
}

fn rig() -> &'static Rig {
    static R: OnceLock<Rig> = OnceLock::new();
    R.get_or_init(|| {
        // One attempt: a retry's backoff would only slow the fuzzer down.
        std::env::set_var("TAGSHIP_HTTP_ATTEMPTS", "1");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let answer = Arc::new(Mutex::new((200, Vec::new())));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(serve(listener, answer.clone()));
        let http = Http::new(HttpOptions::default(), Ledger::default()).unwrap();
        let creds = Creds {
            token: None,
            token_env: "NPM_TOKEN".into(),
            otp: None,
            otp_env: "NPM_OTP".into(),
        };
        let api = Api::new(http, &format!("http://127.0.0.1:{port}/"), creds);
        Rig { rt, api, answer }
    })
}

fuzz_target!(|data: &[u8]| {
    let r = rig();
    let statuses = [200, 200, 200, 404, 400, 401, 403, 409];
    let (status, body) = match data.split_first() {
        Some((s, rest)) => (statuses[usize::from(*s) % statuses.len()], rest),
        None => (200, data),
    };
    *r.answer.lock().unwrap() = (status, body.to_vec());
    let _ = r.rt.block_on(r.api.version("@scope/demo", "1.0.0"));
});
