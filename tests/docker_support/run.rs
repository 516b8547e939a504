//! Running tagship on the bundled Go example against a registry, and the real clients that
//! check what it pushed (skopeo, umoci, the unpacked binary itself).

use super::Registry;
use crate::support::cli::{Project, Run};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// pipeline.yaml building the Go example for `targets` (`[linux-amd64, …]`) and publishing
/// to `image` through `registry_url`; `extra` is more of the docker section, indented 4.
pub fn pipeline(image: &str, registry_url: &str, targets: &str, extra: &str) -> String {
    format!(
        r#"project:
  name: hello
  description: hello
  license: MIT
  repository: https://example.com/acme/hello
builds:
  - command: [go, build, -trimpath, -buildvcs=false, -ldflags, "-s -w -X main.version={{version}}", -o, "build/{{target}}/hello", "."]
    binary: "build/{{target}}/hello"
    env: {{GOOS: "{{os}}", GOARCH: "{{arch}}", GOARM: "7", CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOPROXY: "off", GOTOOLCHAIN: "local"}}
    targets: {targets}
archives:
  files: [README.md]
platforms:
  docker:
    image: "{image}"
    registry_url: "{registry_url}"
{extra}"#
    )
}

/// The Go example with `pipeline`, the registry's credentials and quick retries.
pub fn go_project(pipeline: &str, r: &Registry) -> Project {
    let mut p = Project::new(pipeline);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-go");
    for f in ["main.go", "go.mod", "README.md"] {
        std::fs::copy(src.join(f), p.path().join(f)).unwrap();
    }
    let gocache = std::env::temp_dir().join("tagship-test-go");
    p.env("GOCACHE", gocache.join("cache").to_str().unwrap());
    p.env("GOPATH", gocache.join("path").to_str().unwrap());
    p.env("DOCKER_USERNAME", &r.user);
    p.env("DOCKER_PASSWORD", &r.password);
    p.env("TAGSHIP_HTTP_ATTEMPTS", "3");
    p.env("TAGSHIP_HTTP_BACKOFF_MS", "50");
    p
}

/// Runs tagship; the run, its report and the docker row.
pub fn tagship(p: &Project, args: &[&str]) -> (Run, Value, Value) {
    let run = p.run(args);
    let report = run.report(&p.dist());
    let entry = report["platforms"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == "docker").cloned())
        .unwrap_or_else(|| panic!("no docker entry: {report:#}\n{}", run.stderr));
    (run, report, entry)
}

/// Runs a tool that must succeed; its stdout.
pub fn sh(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pulls `image` (`docker://…`) for linux/amd64 alone with skopeo and `umoci unpack`s it (as
/// root) under `dir`; returns the rootfs.
pub fn unpack_amd64(dir: &Path, image: &str, creds: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let amd = format!("{}:amd64", dir.join("amd64").display());
    let dest = format!("oci:{amd}");
    let src_creds = format!("--src-creds={creds}");
    let pull = ["copy", "--override-os", "linux", "--override-arch", "amd64"];
    let args: Vec<&str> = pull
        .into_iter()
        .chain(["--src-tls-verify=false", &src_creds, image, &dest])
        .collect();
    sh("skopeo", &args);
    let bundle = dir.join("bundle");
    sh(
        "umoci",
        &["unpack", "--image", &amd, bundle.to_str().unwrap()],
    );
    bundle.join("rootfs")
}

/// What the registry serves for `image` (`skopeo inspect --raw`), byte for byte.
pub fn inspect_raw(image: &str, creds: &str) -> String {
    let args = [
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        creds,
        image,
    ];
    sh("skopeo", &args)
}

/// The sha256 hex of what the registry serves for `image`.
pub fn raw_digest(image: &str, creds: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(inspect_raw(image, creds).as_bytes()))
}

/// Releases 1.0.0 then 1.1.0 (linux-amd64) of `image`, stored as `repo` on `r`, with the
/// floating tags `latest` and `{{major}}` and more of the docker section in `extra`; returns
/// the project and both index digests (hex), having checked both floating tags follow 1.1.0.
pub fn two_releases(
    r: &Registry,
    image: &str,
    repo: &str,
    extra: &str,
) -> (Project, String, String) {
    let extra = format!("    floating_tags: [latest, \"{{{{major}}}}\"]\n{extra}");
    let yaml = pipeline(image, &r.url, "[linux-amd64]", &extra);
    let p = go_project(&yaml, r);
    let mut digests = Vec::new();
    for v in ["v1.0.0", "v1.1.0"] {
        let (run, _, entry) = tagship(&p, &["release", v]);
        run.assert_code(0);
        assert_eq!(entry["outcome"], "published", "{entry:#}\n{}", run.stderr);
        digests.push(r.files(repo)[&format!("tag {}", &v[1..])].clone());
    }
    let files = r.files(repo);
    let new = &digests[1];
    assert_eq!((&files["tag latest"], &files["tag 1"]), (new, new));
    (p, digests[0].clone(), digests[1].clone())
}
