//! Pure renderers: the package.json of every platform package and of the root package, the
//! Node launcher, and the registry's publish document. No I/O here, so everything is
//! snapshot-tested (tests/npm_manifest.rs).

use super::tarball::Digests;
use crate::http::Body;
use crate::plan::{Arch, Os, Project, Target};
use serde_json::{json, Map, Value};

/// npm's `process.platform` for a target OS.
pub fn npm_os(os: Os) -> &'static str {
    match os {
        Os::Linux => "linux",
        Os::Darwin => "darwin",
        Os::Windows => "win32",
        Os::Freebsd => "freebsd",
    }
}

/// npm's `process.arch` for a target architecture.
pub fn npm_cpu(arch: Arch) -> &'static str {
    match arch {
        Arch::Amd64 => "x64",
        Arch::Arm64 => "arm64",
        Arch::Arm => "arm",
        Arch::I386 => "ia32",
    }
}

/// One generated platform package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformPkg {
    /// `@acme/demo-linux-x64`.
    pub name: String,
    pub target: Target,
    /// `glibc` / `musl`; `None` for a static binary or a non-Linux target.
    pub libc: Option<&'static str>,
    /// Path of the binary inside the package, e.g. `bin/demo` or `bin/demo.exe`.
    pub bin_path: String,
}

impl PlatformPkg {
    /// Names it `{prefix}-{os}-{cpu}`, with `-musl` appended for a musl-linked binary so it
    /// can sit next to a glibc one (biome's naming).
    pub fn new(prefix: &str, bin: &str, target: Target, libc: Option<&'static str>) -> Self {
        let musl = if libc == Some("musl") { "-musl" } else { "" };
        PlatformPkg {
            name: format!(
                "{prefix}-{}-{}{musl}",
                npm_os(target.os),
                npm_cpu(target.arch)
            ),
            target,
            libc,
            bin_path: format!("bin/{bin}{}", target.exe_suffix()),
        }
    }
    pub fn os(&self) -> &'static str {
        npm_os(self.target.os)
    }
    pub fn cpu(&self) -> &'static str {
        npm_cpu(self.target.arch)
    }
}

/// The fields every package shares, taken from `project:`.
fn common(m: &mut Map<String, Value>, p: &Project) {
    if let Some(l) = &p.license {
        m.insert("license".into(), json!(l));
    }
    if let Some(h) = &p.homepage {
        m.insert("homepage".into(), json!(h));
    }
    if let Some(r) = &p.repository {
        m.insert("repository".into(), json!({"type": "git", "url": r}));
    }
    if let Some(a) = p.authors.first() {
        m.insert("author".into(), json!(a));
    }
}

/// package.json of a platform package: exact `os`/`cpu` (and `libc`), `preferUnplugged` so
/// Yarn PnP extracts the binary, and no scripts or dependencies.
pub fn platform_manifest(project: &Project, version: &str, root: &str, pkg: &PlatformPkg) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(pkg.name));
    m.insert("version".into(), json!(version));
    m.insert(
        "description".into(),
        json!(format!("The {}-{} binary for {root}", pkg.os(), pkg.cpu())),
    );
    common(&mut m, project);
    m.insert("os".into(), json!([pkg.os()]));
    m.insert("cpu".into(), json!([pkg.cpu()]));
    if let Some(l) = pkg.libc {
        m.insert("libc".into(), json!([l]));
    }
    m.insert("preferUnplugged".into(), json!(true));
    Value::Object(m)
}

/// Path of the launcher inside the root package.
pub fn launcher_path(bin: &str) -> String {
    format!("bin/{bin}.js")
}

/// package.json of the root package: `bin` is the launcher, and every platform package is
/// an optional dependency pinned to exactly this version.
pub fn root_manifest(
    project: &Project,
    version: &str,
    root: &str,
    bin: &str,
    pkgs: &[PlatformPkg],
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(root));
    m.insert("version".into(), json!(version));
    let description = if project.description.is_empty() {
        format!("The {bin} command-line tool")
    } else {
        project.description.clone()
    };
    m.insert("description".into(), json!(description));
    common(&mut m, project);
    m.insert("bin".into(), json!({ bin: launcher_path(bin) }));
    let mut deps: Vec<&PlatformPkg> = pkgs.iter().collect();
    deps.sort_by(|a, b| a.name.cmp(&b.name));
    let opt: Map<String, Value> = deps
        .iter()
        .map(|p| (p.name.clone(), json!(version)))
        .collect();
    m.insert("optionalDependencies".into(), Value::Object(opt));
    Value::Object(m)
}

/// The override variable: `DEMO_CLI_BINARY_PATH` for bin `demo-cli`.
pub fn override_env(bin: &str) -> String {
    let up: String = bin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{up}_BINARY_PATH")
}

/// The Node launcher (`bin/<bin>.js`) with its package table filled in.
pub fn launcher(root: &str, version: &str, bin: &str, pkgs: &[PlatformPkg]) -> String {
    let packages: Vec<Value> = pkgs
        .iter()
        .map(|p| {
            json!({"os": p.os(), "cpu": p.cpu(), "libc": p.libc, "name": p.name, "bin": p.bin_path})
        })
        .collect();
    let config = json!({
        "root": root,
        "version": version,
        "bin": bin,
        "env": override_env(bin),
        "packages": packages,
    });
    let config = serde_json::to_string_pretty(&config).expect("a JSON value serializes");
    include_str!("launcher.js").replace("__TAGSHIP_CONFIG__", &config)
}

/// The version npm publishes: `+build` metadata dropped, as npm's `semver.clean` does
/// (`1.2.3+abc` is published as `1.2.3`).
pub fn npm_version(v: &semver::Version) -> String {
    let mut v = v.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v.to_string()
}

/// [`npm_version`] of a version string (without parsing: `1.2.3+abc` → `1.2.3`).
pub fn clean_version(v: &str) -> String {
    v.trim().trim_start_matches(['v', '=']).split('+').next().unwrap_or_default().to_string()
}

/// `@scope/name` → `@scope%2fname` (only the slash is escaped, as npm-package-arg does).
pub fn escaped_name(name: &str) -> String {
    name.replace('/', "%2f")
}

/// The file name `npm pack` gives a package: `acme-demo-1.2.3.tgz` for `@acme/demo`.
pub fn tarball_file_name(name: &str, version: &str) -> String {
    let flat = name.trim_start_matches('@').replace('/', "-");
    format!("{flat}-{version}.tgz")
}

/// The canonical tarball URL the registry serves: `{registry}{name}/-/{base}-{version}.tgz`.
pub fn tarball_url(registry_base: &str, name: &str, version: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    format!("{registry_base}{name}/-/{base}-{version}.tgz")
}

/// Options of one publish document besides the manifest and the bytes.
pub struct DocOptions<'a> {
    pub registry_base: &'a str,
    pub tag: &'a str,
    /// `public` / `restricted`, or `None` to send `null` (registry default).
    pub access: Option<&'a str>,
}

/// Where the tarball's base64 goes in [`publish_document`]: [`publish_body`] streams the file
/// into its place.
pub const ATTACHMENT_DATA: &str = "\u{0}tagship:attachment-data\u{0}";

/// The body of `PUT {registry}/{escapedName}`, as libnpmpublish builds it, with the
/// attachment's `data` left as [`ATTACHMENT_DATA`] (the tarball is streamed in on sending).
pub fn publish_document(manifest: &Value, tgz: &Digests, o: &DocOptions) -> Value {
    let name = manifest["name"].as_str().unwrap_or_default();
    let version = &clean_version(manifest["version"].as_str().unwrap_or_default());
    let mut v = manifest.as_object().cloned().unwrap_or_default();
    v.insert("version".into(), json!(version));
    v.insert("_id".into(), json!(format!("{name}@{version}")));
    v.insert(
        "dist".into(),
        json!({
            "integrity": tgz.integrity,
            "shasum": tgz.shasum,
            "tarball": tarball_url(o.registry_base, name, version),
        }),
    );
    json!({
        "_id": name,
        "name": name,
        "description": manifest.get("description").cloned().unwrap_or(Value::Null),
        "dist-tags": { o.tag: version },
        "versions": { version: Value::Object(v) },
        "access": o.access,
        "_attachments": {
            format!("{name}-{version}.tgz"): {
                "content_type": "application/octet-stream",
                "data": ATTACHMENT_DATA,
                "length": tgz.size,
            }
        }
    })
}

/// The publish document as a request body: its JSON with the tarball at `path` base64-encoded
/// into the attachment's `data` while it is sent (memory stays flat with the tarball's size).
pub fn publish_body(doc: &Value, path: &std::path::Path) -> crate::error::Result<Body> {
    let text = serde_json::to_string(doc).expect("a JSON value serializes");
    let mark = serde_json::to_string(ATTACHMENT_DATA).expect("a string serializes");
    let at = text.find(&mark).ok_or_else(|| {
        crate::error::Error::new(
            crate::error::ErrorKind::Other,
            "npm: the publish document has no attachment placeholder",
        )
    })?;
    Ok(Body::Base64File {
        head: format!("{}\"", &text[..at]).into_bytes().into(),
        path: path.to_path_buf(),
        tail: format!("\"{}", &text[at + mark.len()..]).into_bytes().into(),
        content_type: "application/json".into(),
    })
}
