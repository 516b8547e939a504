//! Test support for the chocolatey platform: the real local NuGet v2 feed (minchoc, started by
//! scripts/servers/nuget.sh), the real `nuget` client (Debian's NuGet.exe on mono) installing
//! from it, and the community-feed double (`double.rs`). A missing install FAILS naming
//! scripts/setup.d/72-nuget.sh: never a skip.

#![allow(dead_code)]

pub mod double;

use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETUP: &str = "scripts/setup.d/72-nuget.sh";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deps() -> PathBuf {
    std::env::var_os("TAGSHIP_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/test-deps"))
}

/// Panics, naming the setup script, unless minchoc, its start script and `nuget` are there.
pub fn require() {
    let mut missing = Vec::new();
    for p in [
        repo().join("scripts/servers/nuget.sh"),
        deps().join("nuget/venv/bin/python"),
    ] {
        if !p.exists() {
            missing.push(p.display().to_string());
        }
    }
    if tagship::exec::resolve_program("nuget", None).is_err() {
        missing.push("`nuget` on PATH".into());
    }
    assert!(
        missing.is_empty(),
        "missing for the chocolatey tests: {missing:?}: run {SETUP}"
    );
}

/// A running minchoc feed with one user.
pub struct Feed {
    pub url: String,
    pub key: String,
    _server: Server,
}

/// Stops the feed on drop.
struct Server(PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/servers/stop.sh"))
            .arg(&self.0)
            .output();
    }
}

impl Feed {
    pub fn start(dir: &Path) -> Feed {
        require();
        let out = Command::new("bash")
            .arg(repo().join("scripts/servers/nuget.sh"))
            .arg(dir)
            .env("TAGSHIP_WATCH_PID", std::process::id().to_string())
            .output()
            .unwrap();
        let server = Server(dir.to_path_buf());
        assert!(
            out.status.success(),
            "nuget.sh failed (run {SETUP}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        Feed {
            url: info["url"].as_str().unwrap().into(),
            key: info["api_key"].as_str().unwrap().into(),
            _server: server,
        }
    }

    /// The package bytes the feed serves for `id` `version`, if it has them.
    pub fn package(&self, id: &str, version: &str) -> Option<Vec<u8>> {
        let url = format!("{}package/{id}/{version}", self.url);
        let (status, body) = http_bytes("GET", &url, None);
        (status == 200).then_some(body)
    }

    /// Deletes `id` `version` behind tagship's back: the site's admin purge (a NuGet DELETE
    /// only unlists, as on the gallery).
    pub fn delete(&self, id: &str, version: &str) {
        let url = format!("{}admin/purge/{id}/{version}", self.root());
        let (status, _) = http_bytes("DELETE", &url, Some(&self.key));
        assert_eq!(status, 204, "DELETE {url}");
    }

    /// `http://127.0.0.1:P/`.
    fn root(&self) -> String {
        self.url.trim_end_matches("api/v2/").to_string()
    }
}

/// A blocking HTTP/1.0 request to a loopback server; `key` goes in `X-NuGet-ApiKey`.
pub fn http_bytes(method: &str, url: &str, key: Option<&str>) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let auth = key.map_or(String::new(), |k| format!("X-NuGet-ApiKey: {k}\r\n"));
    write!(s, "{method} /{path} HTTP/1.0\r\nHost: {host}\r\n{auth}\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, buf[split + 4..].to_vec())
}

/// `Packages(Id=,Version=)`'s entry on the feed at `feed` (`…/api/v2/`), as text; `None`
/// on 404.
pub fn feed_entry(feed: &str, id: &str, version: &str) -> Option<String> {
    let url = format!("{feed}Packages(Id='{id}',Version='{version}')");
    let (status, body) = http_bytes("GET", &url, None);
    (status == 200).then(|| String::from_utf8_lossy(&body).into_owned())
}

/// The versions the feed's `Search()` lists for `term` (listed ones only, as on the gallery).
pub fn feed_search(feed: &str, term: &str, prerelease: bool) -> Vec<String> {
    let url = format!("{feed}Search()?searchTerm='{term}'&includePrerelease={prerelease}");
    let (status, body) = http_bytes("GET", &url, None);
    assert_eq!(status, 200, "GET {url}");
    let text = String::from_utf8_lossy(&body).into_owned();
    text.split("<d:Version>")
        .skip(1)
        .filter_map(|t| t.split('<').next().map(str::to_string))
        .collect()
}

/// `nuget install ID -Version V -Source FEED` into `out` with the real client (bounded: mono
/// can hang after its work, TEST-SERVERS §12e); returns the unpacked package folder.
pub fn nuget_install(feed: &str, id: &str, version: &str, out: &Path) -> PathBuf {
    let home = out.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let run = Command::new("timeout")
        .args([
            "300", "nuget", "install", id, "-Version", version, "-Source", feed,
        ])
        .arg("-OutputDirectory")
        .arg(out)
        .args(["-NonInteractive", "-NoCache"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("MONO_REGISTRY_PATH", home.join(".mono"))
        .output()
        .expect("running nuget (run scripts/setup.d/72-nuget.sh)");
    let dir = out.join(format!("{id}.{version}"));
    assert!(
        dir.is_dir(),
        "nuget install made no {} (rc {:?}):\n{}\n{}",
        dir.display(),
        run.status.code(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    dir
}

/// `name → bytes` of every entry of a zip (a .nupkg).
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}
