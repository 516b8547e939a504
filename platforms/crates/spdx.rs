//! SPDX license expressions as crates.io parses them (`src/licenses.rs`: the `spdx` crate in
//! a lax mode: `/` means OR, `GPL-3.0+` is allowed, deprecated ids are allowed, unknown ids
//! are not). The ids come from `spdx.txt` (source in its header). `LicenseRef-*` and
//! `DocumentRef-*:LicenseRef-*` are user-defined references and always valid.

const LIST: &str = include_str!("spdx.txt");

fn listed(kind: &str, id: &str) -> bool {
    LIST.lines().any(|l| {
        l.strip_prefix(kind)
            .and_then(|r| r.strip_prefix(' '))
            .is_some_and(|x| x.eq_ignore_ascii_case(id))
    })
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Open,
    Close,
    And,
    Or,
    With,
    Id(&'a str),
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        let mut rest = word;
        while !rest.is_empty() {
            let (tok, len) = match rest.as_bytes()[0] {
                b'(' => (Tok::Open, 1),
                b')' => (Tok::Close, 1),
                b'/' => (Tok::Or, 1),
                _ => {
                    let end = rest.find(['(', ')', '/']).unwrap_or(rest.len());
                    let w = &rest[..end];
                    let t = match w {
                        "AND" => Tok::And,
                        "OR" => Tok::Or,
                        "WITH" => Tok::With,
                        _ => Tok::Id(w),
                    };
                    (t, end)
                }
            };
            out.push(tok);
            rest = &rest[len..];
        }
    }
    out
}

fn license_ok(id: &str) -> bool {
    let user_ref = id.starts_with("LicenseRef-")
        || (id.starts_with("DocumentRef-") && id.contains(":LicenseRef-"));
    user_ref || listed("license", id.strip_suffix('+').unwrap_or(id))
}

/// Parses `expr := term ((AND|OR) term)*`, `term := '(' expr ')' | id [WITH exception]`.
struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<&Tok<'a>> {
        let t = self.toks.get(self.at);
        self.at += 1;
        t
    }
    fn expr(&mut self) -> Result<(), String> {
        self.term()?;
        while matches!(self.toks.get(self.at), Some(Tok::And | Tok::Or)) {
            self.at += 1;
            self.term()?;
        }
        Ok(())
    }
    fn term(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Tok::Open) => {
                self.expr()?;
                match self.next() {
                    Some(Tok::Close) => Ok(()),
                    _ => Err("a `(` is not closed".into()),
                }
            }
            Some(Tok::Id(id)) => {
                let id = *id;
                if !license_ok(id) {
                    return Err(format!("`{id}` is not an SPDX license identifier"));
                }
                if self.toks.get(self.at) == Some(&Tok::With) {
                    self.at += 1;
                    match self.next() {
                        Some(Tok::Id(e)) if listed("exception", e) => {}
                        Some(Tok::Id(e)) => {
                            return Err(format!("`{e}` is not an SPDX license exception"))
                        }
                        _ => return Err("WITH needs an exception identifier".into()),
                    }
                }
                Ok(())
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("the expression ends too early".into()),
        }
    }
}

/// `Ok` when crates.io would accept `expr` as a `license`; else why not.
pub fn check(expr: &str) -> Result<(), String> {
    let mut p = Parser {
        toks: tokens(expr),
        at: 0,
    };
    p.expr()?;
    match p.toks.get(p.at) {
        None => Ok(()),
        Some(t) => Err(format!("unexpected {t:?} after a complete expression")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_crates_io_accepts() {
        for ok in [
            "MIT",
            "MIT OR Apache-2.0",
            "MIT/Apache-2.0",
            "MIT AND Apache-2.0",
            "MIT OR (Apache-2.0 AND MIT)",
            "GPL-3.0+",
            "GPL-2.0",
            "Apache-2.0 WITH LLVM-exception",
            "LicenseRef-Proprietary",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_crates_io_refuses() {
        for bad in [
            "apache 2.0",
            "MIT OR",
            "(MIT",
            "MIT Apache-2.0",
            "Apache-2.0 WITH Nope",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
