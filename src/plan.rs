//! Release plan types shared by build, engine, platforms and the report: targets and
//! artifacts. These are serialized into report.json, so fields are additive only.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Operating system of a build target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Darwin,
    Windows,
    Freebsd,
}

/// CPU architecture of a build target (Go naming, as used in archive names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Amd64,
    Arm64,
    Arm,
    I386,
}

/// A build target: os + arch. Parsed from `linux-amd64`, `linux/amd64` or a Rust triple such as
/// `x86_64-unknown-linux-gnu` / `aarch64-apple-darwin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub os: Os,
    pub arch: Arch,
}

impl Os {
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Darwin => "darwin",
            Os::Windows => "windows",
            Os::Freebsd => "freebsd",
        }
    }
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Arm => "arm",
            Arch::I386 => "386",
        }
    }
}

fn parse_os(s: &str) -> Option<Os> {
    Some(match s {
        "linux" => Os::Linux,
        "darwin" | "macos" | "apple" => Os::Darwin,
        "windows" | "win" => Os::Windows,
        "freebsd" => Os::Freebsd,
        _ => return None,
    })
}

fn parse_arch(s: &str) -> Option<Arch> {
    Some(match s {
        "amd64" | "x86_64" | "x64" => Arch::Amd64,
        "arm64" | "aarch64" => Arch::Arm64,
        "arm" | "armv7" | "armv7l" => Arch::Arm,
        "386" | "i386" | "i686" | "x86" => Arch::I386,
        _ => return None,
    })
}

impl Target {
    /// Parses a target spelled `os-arch`, `os/arch` or as a Rust target triple.
    pub fn parse(s: &str) -> Result<Target, String> {
        let parts: Vec<&str> = s.split(['-', '/']).collect();
        if parts.len() == 2 {
            if let (Some(os), Some(arch)) = (parse_os(parts[0]), parse_arch(parts[1])) {
                return Ok(Target { os, arch });
            }
        }
        // Rust triple: arch-vendor-os[-env]
        if parts.len() >= 3 {
            if let Some(arch) = parse_arch(parts[0]) {
                let os = parts[1..].iter().find_map(|p| parse_os(p));
                if let Some(os) = os {
                    return Ok(Target { os, arch });
                }
            }
        }
        Err(format!(
            "unknown target `{s}`: write it as os-arch (linux-amd64, darwin-arm64, windows-amd64) or as a Rust triple"
        ))
    }
    /// Canonical id, e.g. `linux-amd64`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.os.as_str(), self.arch.as_str())
    }
    pub fn exe_suffix(&self) -> &'static str {
        if self.os == Os::Windows {
            ".exe"
        } else {
            ""
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Target::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What an artifact is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum ArtifactKind {
    /// A built binary (inside dist/, not uploaded by itself).
    Binary,
    /// A tar.gz or zip of a binary plus extra files.
    Archive,
    /// The SHA256SUMS file.
    Checksums,
    /// A platform-specific package (wheel, npm tarball, .crate, ...).
    Package { platform: String },
}

/// A file in dist/ with its checksum. `path` is relative to the dist directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Artifact {
    pub name: String,
    pub path: PathBuf,
    #[serde(flatten)]
    pub kind: ArtifactKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    pub sha256: String,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_spellings() {
        for (s, id) in [
            ("linux-amd64", "linux-amd64"),
            ("linux/arm64", "linux-arm64"),
            ("x86_64-unknown-linux-gnu", "linux-amd64"),
            ("aarch64-apple-darwin", "darwin-arm64"),
            ("x86_64-pc-windows-msvc", "windows-amd64"),
        ] {
            assert_eq!(Target::parse(s).unwrap().id(), id, "{s}");
        }
        assert!(Target::parse("plan9-mips").is_err());
    }
}

/// Project metadata from pipeline.yaml (`project:`), shared by every manifest renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Package name, used for archives and every platform unless overridden there.
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub homepage: Option<String>,
    /// SPDX license expression, e.g. `MIT` or `MIT OR Apache-2.0`.
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    /// Source repository URL.
    #[serde(default)]
    pub repository: Option<String>,
}

impl schemars::JsonSchema for Target {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Target".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "os-arch (linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64) or a Rust target triple",
            "examples": ["linux-amd64", "darwin-arm64", "windows-amd64", "x86_64-unknown-linux-gnu"]
        })
    }
}
