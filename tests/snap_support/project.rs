//! The scratch project the snap tests release: examples/hello-go (a real Go program that prints
//! its version) built for linux-amd64 and linux-arm64, publishing to a store double that runs
//! on its own tokio runtime so the real `tagship` binary can reach it.

use super::StoreDouble;
use crate::support::cli::Project;
use std::path::Path;

/// The double and the runtime serving it (dropped last).
pub struct Store {
    pub double: StoreDouble,
    _rt: tokio::runtime::Runtime,
}

impl std::ops::Deref for Store {
    type Target = StoreDouble;
    fn deref(&self) -> &StoreDouble {
        &self.double
    }
}

/// Fails loudly when the tools the snap tests use are missing: they are never skipped.
pub fn require_tools() {
    for tool in ["mksquashfs", "unsquashfs", "go"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{tool}` is missing: run scripts/setup.sh (scripts/setup.d/73-snap.sh, 10-base.sh)"
        );
    }
}

/// `snap` from the extracted snapd package (scripts/setup.d/73-snap.sh).
pub fn snap_tool() -> std::path::PathBuf {
    let p = crate::support::registries::deps().join("snapd/usr/bin/snap");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.d/73-snap.sh",
        p.display()
    );
    p
}

pub fn start_store(name: &str) -> Store {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(StoreDouble::start(name));
    Store { double, _rt: rt }
}

/// The `platforms.snap` section for a store at `url` (dashboard `url`, storage `url/storage`).
pub fn section(url: &str, extra: &str) -> String {
    let url = url.trim_end_matches('/');
    format!(
        "  snap:\n    summary: Says hello and knows its version\n    store_url: \"{url}\"\n    upload_url: \"{url}/storage\"\n    info_url: \"{url}\"\n    poll_interval_ms: 20\n    review_wait_secs: 5\n{extra}"
    )
}

/// hello-go for `targets`, with `section` under `platforms:`.
pub fn hello(section: &str, targets: &str) -> Project {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pipeline = format!(
        r#"project:
  name: hello
  description: A tiny Go program that says hello and knows its version
  license: MIT
builds:
  - command: [go, build, -trimpath, -buildvcs=false, -ldflags, "-s -w -X main.version={{version}}", -o, "build/{{target}}/hello{{exe}}", "."]
    binary: "build/{{target}}/hello{{exe}}"
    env: {{GOOS: "{{os}}", GOARCH: "{{arch}}", CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOPROXY: "off", GOTOOLCHAIN: "local"}}
    targets: [{targets}]
archives:
  files: [README.md]
platforms:
{section}"#
    );
    let p = Project::new(&pipeline);
    for f in ["main.go", "go.mod"] {
        let text = std::fs::read_to_string(repo.join("examples/hello-go").join(f)).unwrap();
        p.write(f, &text);
    }
    p
}

/// A project whose credential is the double's exported login.
pub fn with_login(mut p: Project, store: &StoreDouble) -> Project {
    p.env("SNAPCRAFT_STORE_CREDENTIALS", &store.login.exported);
    p
}
