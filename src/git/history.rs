//! A path's recent history (issue 8: a tap's rollback restores the formula as it was before
//! a version). The snapshot holds only the tip; `history` deepens it by commits and trees —
//! still no blob — and lists the commits that changed one path with its blob ids before and
//! after, so the caller downloads just the one old blob it wants (`Snapshot::read`).

use super::support::unreachable;
use super::Snapshot;
use crate::error::Result;
use crate::exec::Effect;

/// One commit that changed a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    pub commit: String,
    /// The path's blob id before the commit; `None`: it did not exist (or the commit is the
    /// oldest one fetched, whose parent is unknown: see `created`).
    pub before: Option<String>,
    /// The path's blob id after the commit; `None`: the commit deleted it.
    pub after: Option<String>,
    /// The commit provably added the path: it did not exist in the commit's parents (a
    /// commit whose parents were not fetched, at the depth's end, cannot tell).
    pub created: bool,
}

impl Snapshot {
    /// The commits among the last `depth` of the branch that changed `path`, newest first.
    /// An older change is not seen: the caller picks a depth that covers what it looks for.
    pub async fn history(&self, path: &str, depth: u32) -> Result<Vec<PathChange>> {
        let Some(tip) = self.tip.clone() else {
            return Ok(Vec::new());
        };
        let b = &self.spec.branch;
        let refspec = format!("+refs/heads/{b}:refs/remotes/origin/{b}");
        let deepen = format!("--deepen={}", depth.max(2) - 1);
        let args = [
            "fetch",
            "--quiet",
            "--no-tags",
            "--filter=blob:none",
            &deepen,
            "origin",
            &refspec,
        ];
        let out = self.read_remote(&self.cmd(Effect::Local, &args)).await?;
        if !out.success() {
            return Err(unreachable(&self.spec, &out));
        }
        let max = format!("--max-count={depth}");
        // `--no-renames`: rename detection could need blobs, which are never fetched here.
        let log = self
            .git(&[
                "log",
                "--format=%x01%H",
                "--raw",
                "--no-abbrev",
                "--no-renames",
                &max,
                &tip,
                "--",
                path,
            ])
            .await?;
        // The commits whose parents were not fetched (git's list of shallow boundaries).
        let shallow = std::fs::read_to_string(self.repo().join(".git/shallow")).unwrap_or_default();
        let cut: Vec<&str> = shallow.lines().map(str::trim).collect();
        Ok(parse_log(&log, path, &cut))
    }
}

/// Reads `git log --format=%x01%H --raw` output for one path; `cut` lists the commits whose
/// parents are unknown.
fn parse_log(log: &str, path: &str, cut: &[&str]) -> Vec<PathChange> {
    let oid = |s: &str| (!s.chars().all(|c| c == '0')).then(|| s.to_string());
    let mut out = Vec::new();
    for chunk in log.split('\x01').filter(|c| !c.trim().is_empty()) {
        let mut lines = chunk.lines();
        let commit = lines.next().unwrap_or("").trim().to_string();
        for l in lines {
            // ":100644 100644 <old> <new> M\t<path>"
            let Some((meta, p)) = l.strip_prefix(':').and_then(|l| l.split_once('\t')) else {
                continue;
            };
            let f: Vec<&str> = meta.split_whitespace().collect();
            if p == path && f.len() >= 4 {
                let before = oid(f[2]);
                out.push(PathChange {
                    created: before.is_none() && !cut.contains(&commit.as_str()),
                    commit: commit.clone(),
                    before,
                    after: oid(f[3]),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_raw_log() {
        let z = "0".repeat(40);
        let (a, b) = ("a".repeat(40), "b".repeat(40));
        let log = format!(
            "\x01c2\n\n:100644 100644 {a} {b} M\tFormula/x.rb\n\x01c1\n\n:000000 100644 {z} {a} A\tFormula/x.rb\n:000000 100644 {z} {b} A\tREADME.md\n"
        );
        let got = parse_log(&log, "Formula/x.rb", &[]);
        let c1 = PathChange {
            commit: "c1".into(),
            before: None,
            after: Some(a.clone()),
            created: true,
        };
        assert_eq!(
            got,
            vec![
                PathChange {
                    commit: "c2".into(),
                    before: Some(a),
                    after: Some(b),
                    created: false,
                },
                c1.clone(),
            ]
        );
        // At the fetched history's end, an "added" path may have existed before.
        let cut = parse_log(&log, "Formula/x.rb", &["c1"]);
        assert_eq!(
            cut[1],
            PathChange {
                created: false,
                ..c1
            }
        );
    }
}
