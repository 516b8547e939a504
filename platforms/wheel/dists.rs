//! Distribution files a project built itself (`mode: project`): their names (wheel names,
//! PEP 427 / the binary distribution format; sdist names, `{name}-{version}.tar.gz`, PEP 625)
//! and their core metadata (`.dist-info/METADATA` in a wheel, `PKG-INFO` at the top of an
//! sdist), parsed the way packaging's `email`-header reader does: `Field: value` lines, indented
//! continuation lines, then a blank line and the long description as the body.

use crate::error::{Error, ErrorKind, Result};
use std::io::Read;
use std::path::Path;

/// What kind of distribution a file name says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistKind {
    /// A wheel, with its python tag (`py3`, `cp312`, `py2.py3`): the upload's `pyversion`.
    Wheel { python: String },
    /// A source distribution (`.tar.gz`).
    Sdist,
}

/// A parsed distribution file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistName {
    /// The name as written in the file name (`hello_python`).
    pub name: String,
    pub version: String,
    pub kind: DistKind,
}

impl DistName {
    /// The legacy upload's `filetype` and `pyversion`.
    pub fn upload_kind(&self) -> (&'static str, String) {
        match &self.kind {
            DistKind::Wheel { python } => ("bdist_wheel", python.clone()),
            DistKind::Sdist => ("sdist", "source".into()),
        }
    }
}

fn name_ok(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || extra.contains(&c))
}

/// Parses `{name}-{ver}(-{build})?-{py}-{abi}-{plat}.whl` or `{name}-{ver}.tar.gz`; the error
/// says which rule the name breaks.
pub fn parse_filename(file: &str) -> std::result::Result<DistName, String> {
    if let Some(stem) = file.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        if !(parts.len() == 5 || parts.len() == 6) || parts.iter().any(|p| p.is_empty()) {
            return Err("is not a wheel name `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (5 or 6 non-empty parts, `-` only between them)".into());
        }
        if parts.len() == 6 && !parts[2].starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!(
                "has the build tag `{}`, which must start with a digit",
                parts[2]
            ));
        }
        if !name_ok(parts[0], &[]) {
            return Err(format!("has the name part `{}`: letters, digits, `_` and `.` only (a `-` in the project name is written `_`)", parts[0]));
        }
        let python = parts[parts.len() - 3].to_string();
        return Ok(DistName {
            name: parts[0].into(),
            version: parts[1].into(),
            kind: DistKind::Wheel { python },
        });
    }
    if let Some(stem) = file.strip_suffix(".tar.gz") {
        let Some((name, version)) = stem.rsplit_once('-') else {
            return Err("is not an sdist name `{name}-{version}.tar.gz`".into());
        };
        if !name_ok(name, &['-']) || version.is_empty() {
            return Err("is not an sdist name `{name}-{version}.tar.gz` (letters, digits, `_`, `.` in the name)".into());
        }
        return Ok(DistName {
            name: name.into(),
            version: version.into(),
            kind: DistKind::Sdist,
        });
    }
    Err("is neither a wheel (`.whl`) nor an sdist (`.tar.gz`)".into())
}

/// Core metadata: the header fields in order, and the body (the long description).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub fields: Vec<(String, String)>,
    pub body: String,
}

impl CoreMetadata {
    /// The first value of `field` (case-insensitive, as the format's readers treat names).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }
    pub fn all<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }
    /// The long description: the body, else the legacy `Description` field.
    pub fn description(&self) -> Option<&str> {
        let body = self.body.trim();
        match body.is_empty() {
            false => Some(&self.body),
            true => self.get("Description").filter(|d| !d.trim().is_empty()),
        }
    }
}

/// Parses METADATA / PKG-INFO text; the error names the line that is not a field.
pub fn parse_metadata(text: &str) -> std::result::Result<CoreMetadata, String> {
    let mut m = CoreMetadata::default();
    let mut rest = text;
    let mut n = 0;
    while !rest.is_empty() {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        n += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            m.body = next.to_string();
            break;
        }
        rest = next;
        if line.starts_with([' ', '\t']) {
            let Some((_, v)) = m.fields.last_mut() else {
                return Err(format!(
                    "line {n} continues a field, but no field came before it"
                ));
            };
            v.push('\n');
            v.push_str(line.trim_start());
            continue;
        }
        let Some((k, v)) = line.split_once(':').filter(|(k, _)| valid_key(k)) else {
            return Err(format!("line {n} is not `Field: value`: {line:?}"));
        };
        m.fields.push((k.to_string(), v.trim().to_string()));
    }
    for need in ["Metadata-Version", "Name", "Version"] {
        if m.get(need).map_or(true, str::is_empty) {
            return Err(format!("has no `{need}` field"));
        }
    }
    Ok(m)
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The metadata text of a wheel (`.dist-info/METADATA`) or an sdist (`{top}/PKG-INFO`).
pub fn read_metadata(path: &Path) -> Result<String> {
    if path.to_string_lossy().ends_with(".tar.gz") {
        return read_pkg_info(path);
    }
    super::read_metadata(path)
}

/// `{top}/PKG-INFO` of an sdist: the one at depth one (others are a vendored project's).
fn read_pkg_info(path: &Path) -> Result<String> {
    let err = |e: std::io::Error| Error::io(format!("reading {}", path.display()), e);
    let f = std::fs::File::open(path).map_err(err)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for entry in tar.entries().map_err(err)? {
        let mut e = entry.map_err(err)?;
        let p = e.path().map_err(err)?.to_string_lossy().into_owned();
        let p = p.trim_start_matches("./");
        if p.matches('/').count() == 1 && p.ends_with("/PKG-INFO") {
            let mut s = String::new();
            e.read_to_string(&mut s).map_err(err)?;
            return Ok(s);
        }
    }
    Err(Error::new(
        ErrorKind::Input,
        format!("{} has no {{name}}-{{version}}/PKG-INFO", path.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_and_sdist_names() {
        let w = parse_filename("hello_python-1.0.0-py3-none-any.whl").unwrap();
        assert_eq!(
            (w.name.as_str(), w.version.as_str()),
            ("hello_python", "1.0.0")
        );
        assert_eq!(w.upload_kind(), ("bdist_wheel", "py3".into()));
        let b = parse_filename("x-2.0-1build-cp312-cp312-manylinux_2_17_x86_64.whl").unwrap();
        assert_eq!(b.upload_kind(), ("bdist_wheel", "cp312".into()));
        let s = parse_filename("hello-python-1.0.0rc1.tar.gz").unwrap();
        assert_eq!(
            (s.name.as_str(), s.version.as_str()),
            ("hello-python", "1.0.0rc1")
        );
        assert_eq!(s.upload_kind(), ("sdist", "source".into()));
        for bad in [
            "x-1.0-py3-none.whl",
            "x-1.0-b-py3-none-any.whl",
            "x y-1.0-py3-none-any.whl",
            "x.tar.gz",
            "x-1.0.zip",
        ] {
            assert!(parse_filename(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_fields_continuations_and_body() {
        let m = parse_metadata(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense: MIT\n  and more\nClassifier: A\nClassifier: B\n\n# Title\n\ntext\n",
        )
        .unwrap();
        assert_eq!(m.get("version"), Some("1.0"));
        assert_eq!(m.get("License"), Some("MIT\nand more"));
        assert_eq!(m.all("Classifier").collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(m.description(), Some("# Title\n\ntext\n"));
        let e = parse_metadata("Metadata-Version: 2.1\nName: d\n").unwrap_err();
        assert!(e.contains("`Version`"), "{e}");
        let e = parse_metadata("Metadata-Version: 2.1\nthis is prose\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }
}
