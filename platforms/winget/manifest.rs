//! The multi-file WinGet manifest (ManifestVersion 1.10.0), rendered by pure functions:
//! `{Id}.yaml` (version), `{Id}.locale.en-US.yaml` (defaultLocale) and `{Id}.installer.yaml`
//! (a `zip` per windows target holding a `portable` CLI). Same inputs → same bytes, so a re-run
//! compares byte for byte with what winget-pkgs holds. Validated against the official JSON
//! schemas in tests/winget_manifest.rs.

use super::config::Identity;

pub const MANIFEST_VERSION: &str = "1.10.0";
pub const LOCALE: &str = "en-US";

/// One zip of the release, for one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installer {
    /// `x64`, `arm64`, `x86` or `arm`.
    pub arch: &'static str,
    pub url: String,
    /// sha256 of the zip (hex).
    pub sha256: String,
    /// Executables inside the zip, relative (backslashes for folders), e.g. `demo.exe`.
    pub binaries: Vec<String>,
}

/// Everything a manifest is made of.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub id: &'a Identity,
    /// `PackageVersion`: the release version without a `v`.
    pub version: &'a str,
    pub installers: &'a [Installer],
    /// `ReleaseNotesUrl`: the release page.
    pub release_notes_url: Option<&'a str>,
}

/// One rendered file of the version folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub content: String,
}

/// The version folder in winget-pkgs: `manifests/a/Acme/Demo/1.0.0`.
pub fn folder(identifier: &str, version: &str) -> String {
    format!("{}/{version}", package_folder(identifier))
}

/// The package's folder in winget-pkgs, holding one folder per version: `manifests/a/Acme/Demo`.
pub fn package_folder(identifier: &str) -> String {
    let first = identifier
        .chars()
        .next()
        .map(|c| c.to_lowercase().to_string())
        .unwrap_or_default();
    format!("manifests/{first}/{}", identifier.replace('.', "/"))
}

/// The three files, in the order winget-pkgs lists them.
pub fn render(i: &Inputs) -> Vec<File> {
    let id = &i.id.identifier;
    vec![
        File {
            name: format!("{id}.installer.yaml"),
            content: installer(i),
        },
        File {
            name: format!("{id}.locale.{LOCALE}.yaml"),
            content: default_locale(i),
        },
        File {
            name: format!("{id}.yaml"),
            content: version(i),
        },
    ]
}

/// A YAML scalar: JSON's double-quoted form is valid YAML and never re-typed (`1.10` stays a
/// string, `yes` stays text).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn header(kind: &str) -> String {
    format!(
        "# Created with tagship\n# yaml-language-server: $schema=https://aka.ms/winget-manifest.{kind}.{MANIFEST_VERSION}.schema.json\n\n"
    )
}

fn footer(kind: &str) -> String {
    format!("ManifestType: {kind}\nManifestVersion: {MANIFEST_VERSION}\n")
}

fn ident(i: &Inputs) -> String {
    format!(
        "PackageIdentifier: {}\nPackageVersion: {}\n",
        q(&i.id.identifier),
        q(i.version)
    )
}

/// The `version` manifest.
pub fn version(i: &Inputs) -> String {
    format!(
        "{}{}DefaultLocale: {LOCALE}\n{}",
        header("version"),
        ident(i),
        footer("version")
    )
}

/// The `defaultLocale` manifest.
pub fn default_locale(i: &Inputs) -> String {
    let id = i.id;
    let mut s = header("defaultLocale") + &ident(i);
    s += &format!("PackageLocale: {LOCALE}\n");
    s += &format!("Publisher: {}\n", q(&id.publisher));
    s += &format!("PackageName: {}\n", q(&id.package_name));
    if let Some(u) = &id.homepage {
        s += &format!("PackageUrl: {}\n", q(u));
    }
    s += &format!("License: {}\n", q(&id.license));
    s += &format!("ShortDescription: {}\n", q(&id.short_description));
    if let Some(m) = &id.moniker {
        s += &format!("Moniker: {}\n", q(m));
    }
    if let Some(u) = i.release_notes_url {
        s += &format!("ReleaseNotesUrl: {}\n", q(u));
    }
    s + &footer("defaultLocale")
}

/// The `installer` manifest: one zip per architecture, each a portable CLI.
pub fn installer(i: &Inputs) -> String {
    let mut s = header("installer") + &ident(i);
    s += "InstallerType: zip\nNestedInstallerType: portable\nUpgradeBehavior: uninstallPrevious\nInstallers:\n";
    for inst in i.installers {
        s += &format!("- Architecture: {}\n  NestedInstallerFiles:\n", inst.arch);
        for b in &inst.binaries {
            s += &format!(
                "  - RelativeFilePath: {}\n    PortableCommandAlias: {}\n",
                q(b),
                q(&alias(b))
            );
        }
        s += &format!(
            "  InstallerUrl: {}\n  InstallerSha256: {}\n",
            q(&inst.url),
            inst.sha256.to_uppercase()
        );
    }
    s + &footer("installer")
}

/// The command a portable is called by: its file name without folder and `.exe`.
pub fn alias(relative: &str) -> String {
    let file = relative.rsplit(['\\', '/']).next().unwrap_or(relative);
    file.strip_suffix(".exe")
        .or_else(|| file.strip_suffix(".EXE"))
        .unwrap_or(file)
        .to_string()
}

/// The first `InstallerSha256` of each architecture in an installer manifest, for comparing a
/// live manifest with ours without a YAML parser dependency on the wire format's details.
pub fn installer_sha256s(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|l| l.trim().strip_prefix("InstallerSha256:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_uppercase())
        .collect()
}

/// Each installer's `(InstallerUrl, InstallerSha256)` in an installer manifest, in order (the
/// sha256 upper-cased), read line by line as `installer_sha256s` reads the sums.
pub fn installer_downloads(yaml: &str) -> Vec<(String, String)> {
    let value = |l: &str, key: &str| {
        let v = l.trim().trim_start_matches("- ").strip_prefix(key)?;
        Some(v.trim().trim_matches(['"', '\'']).to_string())
    };
    let mut out = Vec::new();
    let mut url = None;
    for l in yaml.lines() {
        if let Some(u) = value(l, "InstallerUrl:") {
            url = Some(u);
        } else if let Some(sha) = value(l, "InstallerSha256:") {
            out.push((url.take().unwrap_or_default(), sha.to_uppercase()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> (Identity, Vec<Installer>) {
        let id = Identity {
            identifier: "Acme.Demo".into(),
            publisher: "Acme".into(),
            package_name: "demo".into(),
            moniker: Some("demo".into()),
            license: "MIT".into(),
            short_description: "A demo tool".into(),
            homepage: Some("https://github.com/acme/demo".into()),
        };
        let inst = |arch, a: &str, sha: &str| Installer {
            arch,
            url: format!("https://github.com/acme/demo/releases/download/v1.10/demo_1.10_windows_{a}.zip"),
            sha256: sha.into(),
            binaries: vec!["demo.exe".into()],
        };
        let installers = vec![
            inst("x64", "amd64", &"ab".repeat(32)),
            inst("arm64", "arm64", &"cd".repeat(32)),
        ];
        (id, installers)
    }

    #[test]
    fn snapshots() {
        let (id, installers) = sample();
        let files = render(&Inputs {
            id: &id,
            version: "1.10",
            installers: &installers,
            release_notes_url: Some("https://github.com/acme/demo/releases/tag/v1.10"),
        });
        for f in files {
            insta::assert_snapshot!(f.name.clone(), f.content);
        }
    }

    #[test]
    fn folder_and_alias() {
        assert_eq!(folder("Acme.Demo", "1.2.3"), "manifests/a/Acme/Demo/1.2.3");
        assert_eq!(folder("acme.x.y", "1"), "manifests/a/acme/x/y/1");
        assert_eq!(alias("bin\\demo.exe"), "demo");
        assert_eq!(alias("demo"), "demo");
    }

    #[test]
    fn reads_back_the_sha256s() {
        let (id, installers) = sample();
        let yaml = installer(&Inputs {
            id: &id,
            version: "1.0.0",
            installers: &installers,
            release_notes_url: None,
        });
        assert_eq!(
            installer_sha256s(&yaml),
            vec!["AB".repeat(32), "CD".repeat(32)]
        );
        let url = |a: &str| format!("https://github.com/acme/demo/releases/download/v1.10/demo_1.10_windows_{a}.zip");
        assert_eq!(
            installer_downloads(&yaml),
            vec![(url("amd64"), "AB".repeat(32)), (url("arm64"), "CD".repeat(32))]
        );
    }
}
