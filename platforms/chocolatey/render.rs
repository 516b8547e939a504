//! The text parts of a `.nupkg`, from pure functions (snapshot-tested in
//! platforms/chocolatey/snapshots/): the nuspec, tools/chocolateyinstall.ps1 for both modes,
//! tools/VERIFICATION.txt, and the three OPC parts strict readers need (`[Content_Types].xml`,
//! `_rels/.rels`, the core-properties `.psmdcp`; PROTOCOLS §5, OctopusDeploy/cli#632). No
//! dates and no random GUIDs: the relationship and part ids derive from id + version, so
//! the same release renders the same bytes.

use sha2::{Digest, Sha256};

/// The nuspec namespace. The 2010/07 one, not the 2015/06 one Chocolatey's templates use:
/// every NuGet and Chocolatey client reads it, and NuGet v2 servers that match on it (minchoc,
/// TEST-SERVERS §9) find no field under 2015/06.
pub const NUSPEC_NS: &str = "http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd";

/// What the nuspec and the core properties say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub id: String,
    /// Already mapped to Chocolatey's form (`config::choco_version`).
    pub version: String,
    pub title: String,
    pub authors: Vec<String>,
    pub description: String,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub release_notes: Option<String>,
    pub project_url: Option<String>,
    pub license_url: Option<String>,
    pub copyright: Option<String>,
}

/// The windows zip an install script downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub url: String,
    pub sha256: String,
}

/// Where an embedded binary comes from, for VERIFICATION.txt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// File name under tools/ (`demo.exe`).
    pub file: String,
    pub sha256: String,
    /// Where the same binary can be downloaded (release page or project page).
    pub source: String,
    /// The release archive holding it (`demo_1.0.0_windows_amd64.zip`).
    pub archive: String,
}

/// XML text and attribute escaping.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A PowerShell single-quoted string literal.
fn ps(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn element(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        out.push_str(&format!("    <{name}>{}</{name}>\n", xml(v)));
    }
}

/// `<id>.nuspec`.
pub fn nuspec(m: &Meta) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str(&format!("<package xmlns=\"{NUSPEC_NS}\">\n  <metadata>\n"));
    let authors = m.authors.join(", ");
    let tags = m.tags.join(" ");
    element(&mut s, "id", Some(&m.id));
    element(&mut s, "version", Some(&m.version));
    element(&mut s, "title", Some(&m.title));
    element(&mut s, "authors", Some(&authors));
    element(&mut s, "owners", Some(&authors));
    element(&mut s, "projectUrl", m.project_url.as_deref());
    element(&mut s, "licenseUrl", m.license_url.as_deref());
    s.push_str("    <requireLicenseAcceptance>false</requireLicenseAcceptance>\n");
    element(&mut s, "copyright", m.copyright.as_deref());
    element(&mut s, "tags", Some(&tags));
    element(&mut s, "summary", m.summary.as_deref());
    element(&mut s, "description", Some(&m.description));
    element(&mut s, "releaseNotes", m.release_notes.as_deref());
    s.push_str("  </metadata>\n</package>\n");
    s
}

/// tools/chocolateyinstall.ps1 of `mode: download`: the release's windows zip, checked with
/// its sha256, unpacked into the package folder (Chocolatey shims every .exe found there).
pub fn install_download(d: &Download) -> String {
    format!(
        "$ErrorActionPreference = 'Stop'\n\
         $toolsDir = \"$(Split-Path -parent $MyInvocation.MyCommand.Definition)\"\n\
         $packageArgs = @{{\n\
         \x20 packageName    = $env:ChocolateyPackageName\n\
         \x20 unzipLocation  = $toolsDir\n\
         \x20 url64bit       = {}\n\
         \x20 checksum64     = {}\n\
         \x20 checksumType64 = 'sha256'\n\
         }}\n\
         Install-ChocolateyZipPackage @packageArgs\n",
        ps(&d.url),
        ps(&d.sha256)
    )
}

/// tools/chocolateyinstall.ps1 of `mode: embed`: the binary is already in tools/, where
/// Chocolatey shims it; the script only fails loudly if it went missing.
pub fn install_embed(e: &Embedded) -> String {
    format!(
        "$ErrorActionPreference = 'Stop'\n\
         $toolsDir = \"$(Split-Path -parent $MyInvocation.MyCommand.Definition)\"\n\
         # {file} ships in this package (see VERIFICATION.txt); Chocolatey shims it onto PATH.\n\
         if (-not (Test-Path (Join-Path $toolsDir {lit}))) {{ throw {missing} }}\n",
        file = e.file,
        lit = ps(&e.file),
        missing = ps(&format!("{} is missing from the package", e.file)),
    )
}

/// tools/VERIFICATION.txt, as the community repository requires for embedded binaries.
pub fn verification(m: &Meta, e: &Embedded) -> String {
    format!(
        "VERIFICATION\n\
         Verification is intended to assist the Chocolatey moderators and community\n\
         in verifying that this package's contents are trustworthy.\n\
         \n\
         tools/{file} is the windows-amd64 binary of {id} {version}, unchanged.\n\
         It is the same file as {file} inside the release archive {archive},\n\
         published at:\n\
         \x20 {source}\n\
         \n\
         To verify it, download that archive, extract {file} and compare its SHA256 with\n\
         the one below, or run on the installed file:\n\
         \x20 Get-FileHash tools\\{file} -Algorithm SHA256\n\
         \n\
         \x20 SHA256: {sha}\n",
        file = e.file,
        id = m.id,
        version = m.version,
        archive = e.archive,
        source = e.source,
        sha = e.sha256.to_uppercase(),
    )
}

/// A stable id for an OPC part of this package (`R` + 16 hex digits).
fn part_id(m: &Meta, part: &str) -> String {
    let h = Sha256::digest(format!("{}\n{}\n{part}", m.id, m.version));
    format!("R{}", &hex::encode(h)[..16])
}

/// The core-properties part's name: a GUID-shaped hex name that is stable for id + version.
pub fn psmdcp_name(m: &Meta) -> String {
    let h = hex::encode(Sha256::digest(format!("{}\n{}\npsmdcp", m.id, m.version)));
    format!("package/services/metadata/core-properties/{}.psmdcp", &h[..32])
}

/// `_rels/.rels`: the nuspec as the package's manifest, and the core properties.
pub fn rels(m: &Meta) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Type=\"http://schemas.microsoft.com/packaging/2010/07/manifest\" Target=\"/{id}.nuspec\" Id=\"{r1}\" />\
         <Relationship Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"/{core}\" Id=\"{r2}\" />\
         </Relationships>\n",
        id = xml(&m.id),
        core = psmdcp_name(m),
        r1 = part_id(m, "manifest"),
        r2 = part_id(m, "core-properties"),
    )
}

/// `[Content_Types].xml`: one Default per file extension in the package (`exts`, sorted).
pub fn content_types(exts: &[String]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    );
    for e in exts {
        let ct = match e.as_str() {
            "rels" => "application/vnd.openxmlformats-package.relationships+xml",
            "psmdcp" => "application/vnd.openxmlformats-package.core-properties+xml",
            _ => "application/octet",
        };
        s.push_str(&format!("<Default Extension=\"{}\" ContentType=\"{ct}\" />", xml(e)));
    }
    s.push_str("</Types>\n");
    s
}

/// The core-properties part (`.psmdcp`).
pub fn core_properties(m: &Meta) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <coreProperties xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\">\
         <dc:creator>{authors}</dc:creator><dc:description>{description}</dc:description>\
         <dc:identifier>{id}</dc:identifier><version>{version}</version>\
         <keywords>{tags}</keywords><lastModifiedBy>tagship</lastModifiedBy></coreProperties>\n",
        authors = xml(&m.authors.join(", ")),
        description = xml(&m.description),
        id = xml(&m.id),
        version = xml(&m.version),
        tags = xml(&m.tags.join(" ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn meta() -> Meta {
        Meta {
            id: "demo".into(),
            version: "1.2.3-rc0002".into(),
            title: "Demo <CLI>".into(),
            authors: vec!["Ada".into(), "Bob & Co".into()],
            description: "A demo tool.\nSecond line.".into(),
            summary: Some("Demo".into()),
            tags: vec!["cli".into(), "demo".into()],
            release_notes: Some("https://github.com/acme/demo/releases/tag/v1.2.3-rc.2".into()),
            project_url: Some("https://github.com/acme/demo".into()),
            license_url: Some("https://spdx.org/licenses/MIT.html".into()),
            copyright: None,
        }
    }

    fn embedded() -> Embedded {
        Embedded {
            file: "demo.exe".into(),
            sha256: "ab".repeat(32),
            source: "https://github.com/acme/demo/releases/tag/v1.2.3-rc.2".into(),
            archive: "demo_1.2.3-rc.2_windows_amd64.zip".into(),
        }
    }

    #[test]
    fn nuspec_snapshot() {
        insta::assert_snapshot!(nuspec(&meta()));
    }

    #[test]
    fn install_scripts_snapshot() {
        let d = Download {
            url: "https://github.com/acme/demo/releases/download/v1.2.3/demo_1.2.3_windows_amd64.zip".into(),
            sha256: "cd".repeat(32),
        };
        insta::assert_snapshot!("install_download", install_download(&d));
        insta::assert_snapshot!("install_embed", install_embed(&embedded()));
        insta::assert_snapshot!("verification", verification(&meta(), &embedded()));
    }

    #[test]
    fn opc_parts_snapshot() {
        let m = meta();
        let exts: Vec<String> = ["exe", "nuspec", "ps1", "psmdcp", "rels", "txt"].map(String::from).into();
        insta::assert_snapshot!("rels", rels(&m));
        insta::assert_snapshot!("content_types", content_types(&exts));
        insta::assert_snapshot!("core_properties", core_properties(&m));
        assert_eq!(psmdcp_name(&m), psmdcp_name(&meta()), "stable for id + version");
    }

    #[test]
    fn quoting() {
        assert_eq!(ps("it's"), "'it''s'");
        assert_eq!(xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
