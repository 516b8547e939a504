//! A registry's rules, checked before anything is sent: one broken rule is a [`Violation`]
//! (the file, the field, the rule, the fix) and every violation found goes into ONE error,
//! so the user fixes them all in one go (exit 2, nothing published). Used by the npm,
//! PyPI and crates.io platforms, which each know their own rules and wording.

use crate::error::{Error, Result};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file the field lives in (`pipeline.yaml`, `package.json`, `Cargo.toml`, a README).
    pub file: String,
    /// e.g. `project.description`, `dependencies.serde`.
    pub field: String,
    pub rule: String,
    pub hint: String,
}

impl Violation {
    pub fn new(
        file: impl Into<String>,
        field: impl Into<String>,
        rule: impl Into<String>,
        hint: impl Into<String>,
    ) -> Violation {
        Violation {
            file: file.into(),
            field: field.into(),
            rule: rule.into(),
            hint: hint.into(),
        }
    }
}

/// `Ok` when nothing was found; else one error made by `make` (the platform's error kind)
/// from `heading` and a line per violation (`file: \`field\`: rule`), with every hint.
pub fn refuse(found: &[Violation], heading: &str, make: fn(String) -> Error) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = found
        .iter()
        .map(|x| format!("{}: `{}`: {}", x.file, x.field, x.rule))
        .collect();
    let mut hints: Vec<&str> = Vec::new();
    for h in found.iter().map(|x| x.hint.as_str()) {
        if !hints.contains(&h) {
            hints.push(h);
        }
    }
    Err(make(format!("{heading}:\n  {}", lines.join("\n  "))).with_hint(hints.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_in_one_error_with_every_hint() {
        assert!(refuse(&[], "x", Error::input).is_ok());
        let found = [
            Violation::new("Cargo.toml", "package.description", "is missing", "add one"),
            Violation::new("Cargo.toml", "package.keywords", "has 6", "keep 5"),
        ];
        let e = refuse(&found, "crates.io would refuse", Error::input).unwrap_err();
        assert_eq!(
            e.message(),
            "crates.io would refuse:\n  Cargo.toml: `package.description`: is missing\n  \
             Cargo.toml: `package.keywords`: has 6"
        );
        assert_eq!(e.hint(), Some("add one; keep 5"));
        let twice = [found[0].clone(), found[0].clone()];
        let e = refuse(&twice, "x", Error::input).unwrap_err();
        assert_eq!(e.hint(), Some("add one"), "the same hint once");
    }
}
