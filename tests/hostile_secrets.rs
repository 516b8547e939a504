//! Servers that echo credentials back: the Basic header a client derives from a password in
//! `api_url`, the Bearer token at the point where an error body is cut, and the token in
//! percent-encoded and JSON-escaped forms. At every verbosity, no form of a secret may reach
//! stdout, stderr, dist/ or the step summary, and nothing but reads may be sent.

mod support;

mod hostile_common;

use base64::Engine;
use hostile_common::run_limited;
use std::sync::{Arc, Mutex};
use support::cli::{quick_pipeline, Project, CANARY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the echo server answers to every request.
#[derive(Clone, Copy, Debug)]
enum Echo {
    /// 401 with GitHub's JSON shape, `message` quoting every Authorization header.
    Json401,
    /// 500, plain text: 290 bytes of filler, then the Bearer token (cut at 300 in errors).
    CutAt300,
    /// 500, plain text: the token lower-case percent-encoded and JSON-escaped with `\/`.
    Encoded,
}

/// Starts the server; returns its address and the request methods it saw.
async fn echo_server(mode: Echo) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let method = head.split(' ').next().unwrap_or("").to_string();
                log.lock().unwrap().push(method);
                let auth: Vec<&str> = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.trim())
                    .collect();
                let (status, body) = answer(mode, &auth);
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (addr, seen)
}

fn answer(mode: Echo, auth: &[&str]) -> (&'static str, String) {
    let bearer = auth
        .iter()
        .find_map(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("token "))
        })
        .unwrap_or("");
    match mode {
        Echo::Json401 => {
            let msg = format!("Bad credentials; you sent {}", auth.join(" and "));
            (
                "401 Unauthorized",
                serde_json::json!({ "message": msg }).to_string(),
            )
        }
        Echo::CutAt300 => (
            "500 Internal Server Error",
            format!("{}{bearer} end", "x".repeat(290)),
        ),
        Echo::Encoded => {
            let pct = pct_lower(bearer);
            let json = serde_json::to_string(bearer).unwrap().replace('/', "\\/");
            (
                "500 Internal Server Error",
                format!("token={pct} echo={json}"),
            )
        }
    }
}

/// Every byte but letters, digits and `-` as lower-case `%xx` (an over-eager encoder).
fn pct_lower(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Every file under `dir`, read lossily.
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&b).into_owned(),
            ));
        }
    }
    out
}

const URL_PW: &str = "url-pw-0c9d8e7f6a5b";
/// A token with characters that encode differently in URLs and JSON.
const ODD_TOKEN: &str = "ghp_odd/tok+en=\"q\"/9f8e7d6c";

struct Case {
    name: &'static str,
    mode: Echo,
    userinfo: bool,
    token: &'static str,
    verbosity: &'static [&'static str],
    expect: &'static str,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for verbosity in [&[][..], &["-v"][..], &["-vv"][..]] {
        out.push(Case {
            name: "basic from URL userinfo, echoed in JSON",
            mode: Echo::Json401,
            userinfo: true,
            token: CANARY,
            verbosity,
            expect: "401",
        });
        out.push(Case {
            name: "bearer echoed at the cut",
            mode: Echo::CutAt300,
            userinfo: false,
            token: CANARY,
            verbosity,
            expect: "500",
        });
        out.push(Case {
            name: "percent- and JSON-escaped echo",
            mode: Echo::Encoded,
            userinfo: false,
            token: ODD_TOKEN,
            verbosity,
            expect: "500",
        });
    }
    out
}

/// The forms of the secrets that must not show anywhere.
fn forbidden(token: &str) -> Vec<String> {
    let basic = b64(&format!("bob:{URL_PW}"));
    vec![
        token.to_string(),
        token[..10].to_string(),
        URL_PW.to_string(),
        basic[8..20].to_string(),
        pct_lower(token),
        serde_json::to_string(token).unwrap().replace('/', "\\/"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn echoed_credentials_never_show_in_any_form() {
    let all = cases();
    let mut failures = Vec::new();
    for c in &all {
        let (addr, seen) = echo_server(c.mode).await;
        let api = match c.userinfo {
            true => format!("http://bob:{URL_PW}@{addr}"),
            false => format!("http://{addr}"),
        };
        let mut p = Project::new(&quick_pipeline(&format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{api}\"\n"
        )));
        let summary = p.path().join("step-summary.md");
        p.env("GITHUB_TOKEN", c.token);
        p.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
        let mut args = vec!["release", "v1.0.0"];
        args.extend(c.verbosity);
        let r = tokio::task::block_in_place(|| run_limited(&p, &args));
        let mut why = Vec::new();
        if r.code != 1 {
            why.push(format!("exit code {} (want 1)", r.code));
        }
        if !r.stderr.contains(c.expect) && !r.stdout.contains(c.expect) {
            why.push(format!("output lacks HTTP {}", c.expect));
        }
        let mut streams = vec![
            ("stdout".to_string(), r.stdout.clone()),
            ("stderr".into(), r.stderr.clone()),
        ];
        streams.extend(
            files(p.path())
                .into_iter()
                .filter(|(n, _)| n.contains("dist") || n.contains("step-summary")),
        );
        for form in forbidden(c.token) {
            for (name, text) in &streams {
                if text.contains(&form) {
                    why.push(format!("{form:?} shows in {name}"));
                }
            }
        }
        let writes: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|m| !matches!(m.as_str(), "GET" | "HEAD"))
            .cloned()
            .collect();
        if !writes.is_empty() {
            why.push(format!("mutating requests sent: {writes:?}"));
        }
        if seen.lock().unwrap().is_empty() {
            why.push("the echo server saw no request".into());
        }
        if !why.is_empty() {
            failures.push(format!(
                "{} {:?}: {}\n--- stderr\n{}",
                c.name,
                c.verbosity,
                why.join("; "),
                r.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}
