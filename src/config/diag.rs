//! Diagnostics for pipeline.yaml: where a problem is (file:line:col, or the environment
//! variable that caused it), what it is, and a hint. Validation collects every problem before
//! reporting, so the user fixes the whole file in one pass instead of one error per run.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in the config, with a 1-based position. `line == 0` means "no position": the
/// file as a whole (missing file, unknown `--profile`), or a `TAGSHIP__*` environment override,
/// in which case `file` is the variable as `$TAGSHIP__...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Every problem found in one load, in file order (environment variables last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)?;
        } else {
            let (file, line, col) = (self.file.display(), self.line, self.col);
            write!(f, "{file}:{line}:{col}: {}", self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// At most this many problems are printed: a hostile file can have hundreds of thousands,
/// and the first ones are what the user fixes first.
pub const MAX_SHOWN: usize = 100;

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > MAX_SHOWN {
            let more = self.0.len() - MAX_SHOWN;
            write!(f, "\n... and {more} more problem(s) not shown")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
impl std::error::Error for Diagnostics {}

impl Diagnostics {
    /// Number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

/// Where a value came from: a position in the file, or an environment override.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Origin {
    /// The file as a whole (or the command line), no position.
    Whole,
    /// 1-based line and column in the config file.
    File { line: usize, col: usize },
    /// The `TAGSHIP__...` variable that set it.
    Env(String),
}

/// A problem before it is attached to a file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Problem {
    pub at: Origin,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(at: &Origin, message: impl Into<String>) -> Problem {
        Problem {
            at: at.clone(),
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
    pub fn hint_opt(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }
}

/// Sorts problems by position, drops exact repeats (the same section may be checked twice,
/// once as written and once after profile merging) and attaches the file name.
pub(crate) fn finish(file: &Path, mut problems: Vec<Problem>) -> Diagnostics {
    problems.sort();
    problems.dedup();
    Diagnostics(problems.into_iter().map(|p| attach(file, p)).collect())
}

fn attach(file: &Path, p: Problem) -> Diagnostic {
    let (file, line, col) = match p.at {
        Origin::File { line, col } => (file.to_path_buf(), line, col),
        Origin::Env(var) => (PathBuf::from(format!("${var}")), 0, 0),
        Origin::Whole => (file.to_path_buf(), 0, 0),
    };
    Diagnostic {
        file,
        line,
        col,
        message: p.message,
        hint: p.hint,
    }
}

/// Edit distance where swapping two adjacent characters counts as one edit (optimal string
/// alignment), so `nmae` is one step from `name`.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    let len = lower.chars().count();
    candidates
        .into_iter()
        // The distance is at least the length difference: skip what cannot be close enough
        // (a file with 250k unknown keys must not cost 250k full edit-distance tables each).
        .filter(|c| {
            let n = c.chars().count();
            len.abs_diff(n) <= 1.max(n / 3)
        })
        .map(|c| (distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| {
            let len = c.chars().count();
            *d <= 1.max(len / 3) && *d < len
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean `x`?`, or the list of allowed words when nothing is close.
pub(crate) fn suggest<'a, I>(word: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(c) = closest(word, candidates.clone()) {
        return Some(format!("did you mean `{c}`?"));
    }
    let all = quoted_list(candidates);
    (!all.is_empty()).then(|| format!("{what}: {all}"))
}

/// "`a`, `b`, `c`".
pub(crate) fn quoted_list<'a, I: IntoIterator<Item = &'a str>>(items: I) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_the_documented_shape() {
        let d = Diagnostics(vec![
            Diagnostic {
                file: "pipeline.yaml".into(),
                line: 12,
                col: 5,
                message: "unknown key `platfroms`".into(),
                hint: Some("did you mean `platforms`?".into()),
            },
            Diagnostic {
                file: "$TAGSHIP__DIST".into(),
                line: 0,
                col: 0,
                message: "boom".into(),
                hint: None,
            },
        ]);
        assert_eq!(
            d.to_string(),
            "pipeline.yaml:12:5: unknown key `platfroms`\n  hint: did you mean `platforms`?\n$TAGSHIP__DIST: boom"
        );
    }

    #[test]
    fn suggestions() {
        let keys = ["project", "platforms", "profiles", "builds"];
        assert_eq!(closest("platfroms", keys), Some("platforms"));
        assert_eq!(closest("PROJECT", keys), Some("project"));
        assert_eq!(closest("zzzzzz", keys), None);
        assert_eq!(
            suggest("zzz", ["a", "b"], "allowed").as_deref(),
            Some("allowed: `a`, `b`")
        );
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("nmae", "name"), 1);
        assert_eq!(closest("4", ["1", "2"]), None);
    }

    #[test]
    fn finish_sorts_dedups_and_names_env_vars() {
        let p = |at: Origin, m: &str| Problem::new(&at, m);
        let d = finish(
            Path::new("p.yaml"),
            vec![
                p(Origin::Env("TAGSHIP__X".into()), "e"),
                p(Origin::File { line: 3, col: 1 }, "b"),
                p(Origin::File { line: 1, col: 4 }, "a"),
                p(Origin::File { line: 3, col: 1 }, "b"),
            ],
        );
        let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(lines, ["p.yaml:1:4: a", "p.yaml:3:1: b", "$TAGSHIP__X: e"]);
    }
}
