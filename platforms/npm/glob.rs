//! The subset of minimatch that npm-packlist's ignore rules use (options `matchBase`, `dot`,
//! `nocase`, `flipNegate`): `!` negation, `{a,b}` braces, `*`, `?`, `[…]`/`[^…]` classes,
//! `**` across segments, a leading `/` anchoring, and partial matches of a directory that
//! rules may match inside. Written from minimatch's documented behaviour (`matchOne`).

/// One compiled rule line.
#[derive(Debug, Clone)]
pub struct Rule {
    pub negate: bool,
    /// Brace expansions, each split on `/` (a leading `/` gives an empty first segment).
    pub parts: Vec<Vec<String>>,
}

impl Rule {
    pub fn new(line: &str) -> Rule {
        let mut s = line.trim();
        let mut negate = false;
        while let Some(rest) = s.strip_prefix('!') {
            negate = !negate;
            s = rest;
        }
        let parts = braces(s)
            .into_iter()
            .map(|p| {
                let mut segs: Vec<String> = p.split('/').map(str::to_lowercase).collect();
                segs.dedup_by(|a, b| a == "**" && b == "**");
                // `a/./b` is `a/b` (minimatch drops `.` segments).
                let first_empty = segs.first().is_some_and(|f| f.is_empty());
                // `a//b` is `a/b` too: empty segments count only first (anchor) and last
                // (a trailing slash).
                let last = segs.len().saturating_sub(1);
                let mut i = 0;
                segs.retain(|x| {
                    i += 1;
                    x != "." && (i == 1 || i - 1 == last || !x.is_empty())
                });
                if first_empty && segs.first().is_some_and(|f| !f.is_empty()) {
                    segs.insert(0, String::new());
                }
                segs
            })
            .collect();
        Rule { negate, parts }
    }

    /// True if a part is one segment (or one plus a trailing slash): ignore-walk then also
    /// tries it against the entry's basename.
    pub fn is_relative(&self) -> bool {
        self.parts.iter().any(|p| {
            let limit = if p.last().is_some_and(|l| !l.is_empty()) {
                1
            } else {
                2
            };
            p.len() <= limit
        })
    }

    /// minimatch `match(path, partial)` with flipNegate: whether the pattern (without `!`)
    /// matches `path`.
    pub fn matches(&self, path: &str, partial: bool) -> bool {
        let lower = path.to_lowercase();
        let file: Vec<&str> = lower.split('/').collect();
        self.parts.iter().any(|p| {
            if p.len() == 1 {
                // matchBase: a slash-less pattern is matched against the basename.
                let base = file.iter().rev().find(|s| !s.is_empty()).copied();
                return base.is_some_and(|b| seg(p[0].as_bytes(), b.as_bytes()));
            }
            match_one(&file, p, partial)
        })
    }
}

/// Expands the first `{a,b,…}` group (recursively for the rest of the string).
fn braces(s: &str) -> Vec<String> {
    let Some(open) = s.find('{') else {
        return vec![s.to_string()];
    };
    let Some(close) = s[open..].find('}').map(|c| open + c) else {
        return vec![s.to_string()];
    };
    let (pre, body, post) = (&s[..open], &s[open + 1..close], &s[close + 1..]);
    if !body.contains(',') {
        return vec![s.to_string()];
    }
    body.split(',')
        .flat_map(|alt| braces(&format!("{pre}{alt}{post}")))
        .collect()
}

fn match_one(file: &[&str], pat: &[String], partial: bool) -> bool {
    match (file.first(), pat.first()) {
        (None, None) => true,
        // The path ended: a partial match is one that could continue below it.
        (None, Some(_)) => partial,
        // The pattern ended: `a` also matches `a/`.
        (Some(f), None) => file.len() == 1 && f.is_empty(),
        (Some(_), Some(p)) if p == "**" => {
            if pat.len() == 1 {
                return !file.iter().any(|s| *s == "." || *s == "..");
            }
            (0..=file.len()).any(|i| {
                file[..i].iter().all(|s| *s != "." && *s != "..")
                    && match_one(&file[i..], &pat[1..], partial)
            })
        }
        (Some(f), Some(p)) => seg(p.as_bytes(), f.as_bytes()) && match_one(&file[1..], &pat[1..], partial),
    }
}

/// One segment: `*`, `?`, `[…]`, `\x`, literal (both lowercased by the caller).
fn seg(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => seg(&p[1..], s) || (!s.is_empty() && seg(p, &s[1..])),
        Some(b'?') => !s.is_empty() && seg(&p[1..], &s[1..]),
        Some(b'[') => match (class(&p[1..]), s.first()) {
            (Some((ok, len)), Some(c)) => ok(*c) && seg(&p[1 + len..], &s[1..]),
            (Some(_), None) => false,
            (None, Some(c)) => *c == b'[' && seg(&p[1..], &s[1..]),
            (None, None) => false,
        },
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && seg(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && seg(&p[1..], &s[1..]),
    }
}

/// A character class after its `[`: a predicate and how many bytes it used (with `]`).
#[allow(clippy::type_complexity)]
fn class(p: &[u8]) -> Option<(Box<dyn Fn(u8) -> bool>, usize)> {
    let (neg, start) = match p.first() {
        Some(b'^') | Some(b'!') => (true, 1),
        _ => (false, 0),
    };
    let end = start + 1 + p.get(start + 1..)?.iter().position(|&c| c == b']')?;
    let body = p[start..end].to_vec();
    let f = move |c: u8| {
        let mut i = 0;
        let mut hit = false;
        while i < body.len() {
            if i + 2 < body.len() && body[i + 1] == b'-' {
                hit |= (body[i]..=body[i + 2]).contains(&c);
                i += 3;
            } else {
                hit |= body[i] == c;
                i += 1;
            }
        }
        hit != neg
    };
    Some((Box::new(f), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimatch_like() {
        assert!(Rule::new("*.orig").matches("a/b.orig", false));
        assert!(Rule::new("/build/config.gypi").matches("/build/config.gypi", false));
        assert!(!Rule::new("/build/config.gypi").matches("x/build/config.gypi", false));
        assert!(Rule::new("**/.git").matches("a/.git", false));
        assert!(Rule::new("lib/**").matches("lib/a/b.js", false));
        assert!(Rule::new("lib/**").matches("lib", true));
        assert!(!Rule::new("lib/**").matches("lib", false));
        assert!(Rule::new("lib").matches("lib/", false));
        assert!(Rule::new("!/readme{,.*[^~$]}").matches("/README.md", false));
        assert!(!Rule::new("!/readme{,.*[^~$]}").matches("/readme.md~", false));
        assert!(Rule::new("!/readme{,.*[^~$]}").negate);
        assert!(Rule::new("a/b/c.js").matches("a", true));
        assert!(Rule::new("/bin//**").matches("/bin/helper.js", false));
    }
}
