//! Local registry servers for CLI tests: verdaccio (npm), pypiserver (PyPI), the crates
//! registry, the static PEP 503 server and the fault proxy, started with
//! `scripts/servers/*.sh` (see docs/test-servers.md) and stopped on drop with `stop.sh`.
//! A missing script or install FAILS naming `scripts/setup.d/30-registries.sh`: there is no
//! opt-out inside a test (a test that cannot run must not pass). Tests that use these servers
//! are named `server_*`, so `scripts/test.sh --fast` can leave them out, counted as skipped.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETUP: &str = "scripts/setup.d/30-registries.sh";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where 30-registries.sh installs verdaccio and the Python venv.
pub fn deps() -> PathBuf {
    std::env::var_os("TAGSHIP_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/test-deps"))
}

/// The registries venv's python (pip for installing into fresh venvs).
pub fn venv_python() -> PathBuf {
    deps().join("pyenv/bin/python")
}

/// Returns when every server script and install is there; otherwise a panic naming the setup
/// script.
pub fn require() {
    let mut missing = Vec::new();
    for s in [
        "verdaccio.sh",
        "pypiserver.sh",
        "crates.sh",
        "pep503.sh",
        "fault_proxy.sh",
        "stop.sh",
    ] {
        let p = repo().join("scripts/servers").join(s);
        if !p.is_file() {
            missing.push(p);
        }
    }
    for p in [
        deps().join("verdaccio/node_modules/.bin/verdaccio"),
        deps().join("pyenv/bin/pypi-server"),
        venv_python(),
    ] {
        if !p.exists() {
            missing.push(p);
        }
    }
    for tool in ["go", "npm", "git", "cargo", "python3", "htpasswd"] {
        if tagship::exec::resolve_program(tool, None).is_err() {
            missing.push(PathBuf::from(format!("`{tool}` on PATH")));
        }
    }
    assert!(
        missing.is_empty(),
        "missing for the registry tests: {missing:?}: run {SETUP} (scripts/setup.sh runs \
         every setup step)"
    );
}

/// A server started by `scripts/servers/<script>`: its JSON line, stopped on drop.
pub struct Server {
    pub info: Value,
    pub dir: PathBuf,
}

impl Server {
    /// Runs `<script> ARGS... DIR [PORT]` with `env`; `pre` goes before DIR (pep503's ROOT,
    /// the proxy's UPSTREAM), `post` after it (a port).
    pub fn start(
        script: &str,
        pre: &[&str],
        dir: &Path,
        post: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let path = repo().join("scripts/servers").join(script);
        let out = Command::new("bash")
            .arg(&path)
            .args(pre)
            .arg(dir)
            .args(post)
            .envs(env.iter().copied())
            .env("TAGSHIP_WATCH_PID", std::process::id().to_string())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e} (run {SETUP})", path.display()));
        let stop = || stop(dir);
        if !out.status.success() {
            stop();
            panic!(
                "{script} failed (did you run {SETUP}?):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let info: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            stop();
            panic!(
                "{script} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        Server {
            info,
            dir: dir.to_path_buf(),
        }
    }
    pub fn s(&self, k: &str) -> String {
        self.info[k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} in {}", self.info))
            .to_string()
    }
    pub fn port(&self) -> u16 {
        self.info["port"].as_u64().unwrap() as u16
    }
}

/// Stops every server whose pid file is in `dir` (or one level below).
pub fn stop(dir: &Path) {
    let _ = Command::new("bash")
        .arg(repo().join("scripts/servers/stop.sh"))
        .arg(dir)
        .output();
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&self.dir);
    }
}

/// The fault proxy in front of `upstream`.
pub struct Proxy {
    pub server: Server,
}

/// One line of the proxy's request log.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub status: Option<u64>,
    pub forwarded: bool,
    /// The request carried an `Authorization` header.
    pub authed: bool,
}

impl Proxy {
    pub fn start(upstream: &str, dir: &Path) -> Proxy {
        Proxy {
            server: Server::start("fault_proxy.sh", &[upstream], dir, &[], &[]),
        }
    }
    /// The proxy's base URL, with a trailing slash.
    pub fn url(&self) -> String {
        self.server.s("url")
    }
    fn control(&self, method: &str, what: &str, body: Option<&Value>) -> Value {
        let (status, text) = http(
            method,
            &format!("{}__proxy/{what}", self.url()),
            body.map(|b| b.to_string()).as_deref(),
        );
        assert_eq!(status, 200, "proxy {method} {what}: {text}");
        serde_json::from_str(&text).unwrap()
    }
    /// Adds a fault rule (see docs/test-servers.md).
    pub fn fault(&self, rule: Value) {
        self.control("POST", "faults", Some(&rule));
    }
    /// Drops the rules that still have answers left; keeps the log.
    pub fn clear_faults(&self) {
        self.control("DELETE", "faults", None);
    }
    /// Drops all rules and the log.
    pub fn reset(&self) {
        self.control("POST", "reset", Some(&Value::Null));
    }
    pub fn log(&self) -> Vec<Logged> {
        self.control("GET", "log", None)
            .as_array()
            .unwrap()
            .iter()
            .map(|l| Logged {
                method: l["method"].as_str().unwrap_or("").to_string(),
                path: l["path"].as_str().unwrap_or("").to_string(),
                status: l["status"].as_u64(),
                forwarded: l["forwarded"].as_bool().unwrap_or(false),
                authed: l["authed"].as_bool().unwrap_or(false),
            })
            .collect()
    }
    /// Every request that is not a GET or HEAD.
    pub fn mutations(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.method != "GET" && l.method != "HEAD")
            .collect()
    }
    pub fn reads(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.method == "GET" || l.method == "HEAD")
            .collect()
    }
}

/// `(method, path, status)` of every request in the crates registry's (or pep503 server's)
/// JSON-lines request log.
pub fn request_log(path: &str) -> Vec<(String, String, u64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|r| {
            (
                r["method"].as_str().unwrap_or("").to_string(),
                r["path"].as_str().unwrap_or("").to_string(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A minimal blocking HTTP/1.0 client for loopback test servers: `(status, body)`.
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let (status, bytes) = http_bytes(method, url, body);
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Like `http`, with the raw body bytes.
pub fn http_bytes(method: &str, url: &str, body: Option<&str>) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = std::net::TcpStream::connect(hostport)
        .unwrap_or_else(|e| panic!("connect {hostport}: {e}"));
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {hostport}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, buf[(split + 4).min(buf.len())..].to_vec())
}

/// The local registries of one test, each in a fresh data dir: verdaccio and pypiserver
/// behind their own fault proxy, the crates registry (its own request log counts requests),
/// and a bare git repository as the PEP 503 index. Stopped on drop.
pub struct Registries {
    pub npm: Server,
    pub npm_proxy: Proxy,
    pub pypi: Server,
    pub pypi_proxy: Proxy,
    pub crates: Server,
    /// Bare git repository the pep503 platform pushes its `gh-pages` branch to.
    pub bare: PathBuf,
    pub pypi_password: String,
    // Last: removed after every server above has been stopped.
    pub tmp: tempfile::TempDir,
}

impl Registries {
    /// Starts all of them (verdaccio takes ~4 s, so it starts in parallel with the rest).
    pub fn start() -> Registries {
        require();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let pypi_password = format!("pw-{}-{}", std::process::id(), fastrand::u64(..));
        let (npm, (pypi, crates)) = std::thread::scope(|s| {
            let n = s.spawn(|| Server::start("verdaccio.sh", &[], &root.join("npm"), &[], &[]));
            let p = Server::start(
                "pypiserver.sh",
                &[],
                &root.join("pypi"),
                &[],
                &[("PYPI_PASSWORD", &pypi_password)],
            );
            let c = Server::start("crates.sh", &[], &root.join("crates"), &[], &[]);
            (n.join().unwrap(), (p, c))
        });
        let npm_proxy = Proxy::start(&npm.s("url"), &root.join("npm-proxy"));
        let pypi_proxy = Proxy::start(&pypi.s("url"), &root.join("pypi-proxy"));
        let bare = root.join("index.git");
        let st = Command::new("git")
            .args(["init", "--quiet", "--bare"])
            .arg(&bare)
            .status()
            .unwrap();
        assert!(st.success());
        Registries {
            npm,
            npm_proxy,
            pypi,
            pypi_proxy,
            crates,
            bare,
            pypi_password,
            tmp,
        }
    }

    /// Commits on every branch of the bare PEP 503 repository.
    pub fn index_commits(&self) -> usize {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.bare)
            .args(["rev-list", "--count", "--all"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// A file from the `gh-pages` branch of the bare repository.
    pub fn index_file(&self, path: &str) -> Vec<u8> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.bare)
            .args(["show", &format!("gh-pages:{path}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git show gh-pages:{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Fails if any form of any of `secrets` (see `cli::forms`) is stored server-side: in
    /// verdaccio's storage, pypiserver's packages, the crates registry's data (index and
    /// .crate files), or any object of the PEP 503 repository (`git log -p --all` and every
    /// object `git cat-file --batch-all-objects` holds). The servers' own credential files
    /// and request logs are not publications, so they are not scanned.
    pub fn assert_nothing_stored(&self, secrets: &[&str]) {
        let dirs = [
            self.npm.dir.join("storage"),
            self.pypi_packages(),
            PathBuf::from(self.crates.s("data")),
        ];
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        for d in &dirs {
            assert!(d.is_dir(), "no storage at {}", d.display());
            for f in super::cli::walk(d) {
                blobs.push((
                    f.display().to_string(),
                    std::fs::read(&f).unwrap_or_default(),
                ));
            }
        }
        for args in [
            &["log", "-p", "--all"][..],
            &["cat-file", "--batch-all-objects", "--batch"][..],
        ] {
            let out = Command::new("git")
                .arg("-C")
                .arg(&self.bare)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}");
            blobs.push((format!("git {}", args.join(" ")), out.stdout));
        }
        for secret in secrets.iter().flat_map(|s| super::cli::forms(s)) {
            for (name, bytes) in &blobs {
                let hit = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!hit, "a credential is stored server-side in {name}");
            }
        }
    }

    /// pypiserver's package directory.
    pub fn pypi_packages(&self) -> PathBuf {
        PathBuf::from(self.pypi.s("packages"))
    }

    /// File names in pypiserver's package directory, sorted.
    pub fn pypi_files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.pypi_packages())
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// `(method, path, status)` of every request the crates registry saw.
    pub fn crates_log(&self) -> Vec<(String, String, u64)> {
        request_log(&self.crates.s("log"))
    }

    /// The crates registry's non-GET/HEAD requests.
    pub fn crates_mutations(&self) -> Vec<(String, String, u64)> {
        self.crates_log()
            .into_iter()
            .filter(|(m, _, _)| m != "GET" && m != "HEAD")
            .collect()
    }
}
