//! Hangs: a server that accepts the connection and never answers, a check command that never
//! ends, a build that never ends. With a platform's `timeout` setting or the run's
//! `--timeout`, the run ends on its own (under the hostile 30 s kill, so a hang shows as exit
//! 137), exit 1, each stuck platform failed with a reason naming the limit, report.json
//! written, and no mutating request sent.

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::cli::{quick_pipeline, Project, Run};

mod hostile_common;
use hostile_common::run_limited;

/// Accepts connections and reads what arrives, but never writes a byte back.
struct Stall {
    url: String,
    /// The request line of every request received.
    lines: Arc<Mutex<Vec<String>>>,
}

impl Stall {
    fn start() -> Stall {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        std::thread::spawn(move || {
            for conn in l.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut conn = conn;
                    let mut head = Vec::new();
                    let mut recorded = false;
                    let mut buf = [0u8; 4096];
                    // Each connection carries one request (no answer ever comes): record its
                    // request line, then read until the peer gives up.
                    while let Ok(n) = conn.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if recorded {
                            continue;
                        }
                        head.extend_from_slice(&buf[..n]);
                        if let Some(end) = head.windows(2).position(|w| w == b"\r\n") {
                            let line = String::from_utf8_lossy(&head[..end]).into_owned();
                            seen.lock().unwrap().push(line);
                            recorded = true;
                        }
                    }
                });
            }
        });
        Stall { url, lines }
    }
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
    fn mutating(&self) -> Vec<String> {
        let reads = ["GET ", "HEAD ", "OPTIONS "];
        self.lines()
            .into_iter()
            .filter(|l| !reads.iter().any(|r| l.starts_with(r)))
            .collect()
    }
}

fn github(url: &str, extra: &str) -> String {
    format!("  github:\n    owner: acme\n    repo: demo\n    api_url: \"{url}\"\n{extra}")
}

/// Exit 1, `expect` in the output, report.json with every platform failed, and the stall
/// server saw requests but no mutating one.
fn assert_ended(r: &Run, p: &Project, stall: &Stall, expect: &[&str]) -> serde_json::Value {
    let both = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "exit code\n{both}");
    for e in expect {
        assert!(both.contains(e), "output lacks {e:?}\n{both}");
    }
    assert!(!stall.lines().is_empty(), "the stall server saw nothing");
    assert_eq!(
        stall.mutating(),
        Vec::<String>::new(),
        "mutating requests sent"
    );
    let report = r.report(&p.dist());
    for pr in report["platforms"].as_array().unwrap() {
        assert_eq!(pr["outcome"], "failed", "{pr}");
    }
    report
}

#[test]
fn a_platform_timeout_ends_a_stalled_check() {
    let stall = Stall::start();
    let p = Project::new(&quick_pipeline(&github(&stall.url, "    timeout: 1s\n")));
    let r = run_limited(&p, &["release", "v1.0.0"]);
    let report = assert_ended(&r, &p, &stall, &["timed out", "no answer within 1s"]);
    let hint = report["platforms"][0]["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("platforms.github.timeout"), "{hint}");
}

#[test]
fn a_platform_timeout_set_by_override_applies() {
    let stall = Stall::start();
    let mut p = Project::new(&quick_pipeline(&github(&stall.url, "")));
    p.env("TAGSHIP__PLATFORMS__GITHUB__TIMEOUT", "500ms");
    let r = run_limited(&p, &["release", "v1.0.0"]);
    assert_ended(&r, &p, &stall, &["no answer within 0.5s"]);
}

#[test]
fn the_run_deadline_fails_every_platform_still_running_and_writes_the_report() {
    let stall = Stall::start();
    // github waits on a server that never answers (default 120 s per request); exec's check
    // never ends. Both are still running when --timeout passes.
    let exec = "  exec:\n    check: [sleep, '25']\n    publish: [touch, published-marker]\n";
    let p = Project::new(&quick_pipeline(&github(&stall.url, exec)));
    let r = run_limited(&p, &["release", "v1.0.0", "--timeout", "2s"]);
    let report = assert_ended(&r, &p, &stall, &["--timeout 2s"]);
    for pr in report["platforms"].as_array().unwrap() {
        assert_eq!(pr["error_kind"], "deadline", "{pr}");
        let reason = pr["reason"].as_str().unwrap_or_default();
        // Stopped in the version-level probe (before the build) or in the check.
        assert!(reason.contains("what is live"), "{reason}");
    }
    assert!(!p.path().join("published-marker").exists());
}

#[test]
fn the_run_deadline_stops_a_build_that_never_ends() {
    let p = Project::new(
        &quick_pipeline(
            "  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n",
        )
        .replace(
            r#"command: [install, -D, -m, "0755", /bin/true, "build/{target}/demo{exe}"]"#,
            "command: [sleep, '25']",
        ),
    );
    let r = run_limited(&p, &["release", "v1.0.0", "--timeout", "1s"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("passed while building"), "{}", r.stderr);
    assert!(r.stderr.contains("--timeout 1s"), "{}", r.stderr);
    assert!(!p.path().join("published-marker").exists());
}

#[test]
fn the_run_deadline_stops_packaging_that_never_ends_and_nothing_is_published() {
    // pypi's `mode: project` packages by running the project's own build command, here one
    // that never ends: --timeout fails pypi in packaging (exit 1: no input was at fault), and
    // exec, which packaged fine, publishes nothing because a platform did not package.
    let stall = Stall::start();
    let pypi = format!(
        "  pypi:\n    mode: project\n    repository_url: \"{}/legacy/\"\n    \
         build:\n      command: [sleep, '25']\n",
        stall.url
    );
    let exec = "  exec:\n    check: [sh, -c, 'exit 10']\n    publish: [touch, published-marker]\n";
    let mut p = Project::new(&quick_pipeline(&format!("{pypi}{exec}")));
    p.env("PYPI_TOKEN", "pypi-deadline-test-token");
    let r = run_limited(&p, &["release", "v1.0.0", "--timeout", "2s"]);
    let both = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "{both}");
    assert!(both.contains("passed while packaging"), "{both}");
    assert!(both.contains("--timeout 2s"), "{both}");
    let report = r.report(&p.dist());
    let pypi = support::cli::platform_row(&report, "pypi");
    assert_eq!(pypi["outcome"], "failed", "{pypi}");
    assert_eq!(pypi["error_kind"], "deadline", "{pypi}");
    let exec = support::cli::platform_row(&report, "exec");
    assert_eq!(exec["outcome"], "skipped", "{exec}");
    let why = exec["reason"].as_str().unwrap_or_default();
    assert!(why.contains("nothing was published"), "{why}");
    assert!(!p.path().join("published-marker").exists());
    assert_eq!(stall.lines(), Vec::<String>::new(), "pypi was contacted");
}
