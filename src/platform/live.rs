//! What is live, compared one way for every platform: the files a platform wants to be there
//! (`Wanted`) against what the platform lists (`Listed`) → `Live`. Also the typed hand-over a
//! platform gives its dependents (`Handover`: public URLs and assets with url, sha256, size),
//! returned by `check` for what is already live and by `publish` for what it just sent, so a
//! dependent gets identical input on a first run and on a re-run (issue 6, point 2).

use crate::plan::Artifact;
use serde::{Deserialize, Serialize};

/// A fingerprint of a file's content, as a platform reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Digest {
    /// Lower- or upper-case hex.
    Sha256(String),
    /// Lower- or upper-case hex (npm's `shasum`).
    Sha1(String),
    /// An SRI string (`sha512-…`, npm's `integrity`).
    Sri(String),
    /// A git blob id (hex).
    GitBlob(String),
    /// Lower- or upper-case hex (the Snap Store's `sha3-384`).
    Sha3_384(String),
    Size(u64),
}

impl Digest {
    /// `Some(equal)` when both are the same kind of fingerprint, else `None`.
    fn agrees(&self, other: &Digest) -> Option<bool> {
        use Digest::*;
        match (self, other) {
            (Sha256(a), Sha256(b))
            | (Sha1(a), Sha1(b))
            | (GitBlob(a), GitBlob(b))
            | (Sha3_384(a), Sha3_384(b)) => Some(a.eq_ignore_ascii_case(b)),
            (Sri(a), Sri(b)) => Some(a == b),
            (Size(a), Size(b)) => Some(a == b),
            _ => None,
        }
    }
}

/// A file this release wants live on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub name: String,
    pub digests: Vec<Digest>,
}

impl Wanted {
    pub fn new(name: impl Into<String>, digests: Vec<Digest>) -> Wanted {
        Wanted {
            name: name.into(),
            digests,
        }
    }
    /// A built file: its sha256 and size.
    pub fn artifact(a: &Artifact) -> Wanted {
        Wanted::new(
            &a.name,
            vec![Digest::Sha256(a.sha256.clone()), Digest::Size(a.size)],
        )
    }
}

/// A file as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listed {
    pub name: String,
    pub digests: Vec<Digest>,
    /// Set when the platform holds it but has not made it public (review, moderation, staging).
    pub pending: Option<String>,
}

impl Listed {
    pub fn new(name: impl Into<String>, digests: Vec<Digest>) -> Listed {
        Listed {
            name: name.into(),
            digests,
            pending: None,
        }
    }
}

/// What a platform says about this version before publishing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Live {
    /// Nothing of this version is there.
    Absent,
    /// Some files are there (with the same bytes), others are missing.
    Partial {
        present: Vec<String>,
        missing: Vec<String>,
    },
    /// Everything is there with the same content.
    Present,
    /// Submitted and waiting (review, moderation, indexing, staging).
    Pending { reason: String },
    /// Some file is live with other content: never overwritten.
    Conflict { conflicts: Vec<String> },
}

impl Live {
    /// Does a publish have to send `name`?
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Live::Absent => true,
            Live::Partial { missing, .. } => missing.iter().any(|m| m == name),
            Live::Present | Live::Pending { .. } | Live::Conflict { .. } => false,
        }
    }
    /// Sorts names into present / missing.
    pub fn of(present: Vec<String>, missing: Vec<String>) -> Live {
        match (present.is_empty(), missing.is_empty()) {
            (_, true) => Live::Present,
            (true, false) => Live::Absent,
            (false, false) => Live::Partial { present, missing },
        }
    }
}

/// The one comparison every platform uses: wanted vs listed, by name, then by every
/// fingerprint both sides know. A listed file sharing no fingerprint kind with ours counts as
/// present (the platform gives nothing to compare); a disagreeing one is a conflict.
pub fn compare(wanted: &[Wanted], listed: &[Listed]) -> Live {
    let (mut present, mut missing, mut conflicts, mut pending) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in wanted {
        let Some(l) = listed.iter().find(|l| l.name == w.name) else {
            missing.push(w.name.clone());
            continue;
        };
        let disagreeing: Vec<String> = w
            .digests
            .iter()
            .flat_map(|ours| l.digests.iter().map(move |theirs| (ours, theirs)))
            .filter(|(ours, theirs)| ours.agrees(theirs) == Some(false))
            .map(|(ours, theirs)| format!("live {}, ours {}", show(theirs), show(ours)))
            .collect();
        if !disagreeing.is_empty() {
            conflicts.push(format!("{}: {}", w.name, disagreeing.join("; ")));
        } else if let Some(why) = &l.pending {
            pending.push(format!("{}: {why}", w.name));
        } else {
            present.push(w.name.clone());
        }
    }
    if !conflicts.is_empty() {
        return Live::Conflict { conflicts };
    }
    if !pending.is_empty() && missing.is_empty() {
        return Live::Pending {
            reason: pending.join("; "),
        };
    }
    present.extend(
        pending
            .into_iter()
            .map(|p| p.split(':').next().unwrap_or("").to_string()),
    );
    Live::of(present, missing)
}

fn show(d: &Digest) -> String {
    match d {
        Digest::Sha256(h) => format!("sha256 {h}"),
        Digest::Sha1(h) => format!("sha1 {h}"),
        Digest::Sri(s) => s.clone(),
        Digest::GitBlob(h) => format!("git blob {h}"),
        Digest::Sha3_384(h) => format!("sha3-384 {h}"),
        Digest::Size(n) => format!("{n} bytes"),
    }
}

/// A file a dependent can point at (e.g. a release asset a Homebrew formula downloads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Asset {
    pub name: String,
    /// The final public download URL.
    pub url: String,
    pub sha256: String,
    pub size: u64,
}

/// What a platform hands to the platforms that `need` it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// Public pages (release page, package page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Asset>,
}

impl Handover {
    pub fn urls(urls: Vec<String>) -> Handover {
        Handover {
            urls,
            assets: Vec::new(),
        }
    }
    /// The asset named `name`.
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

/// What `check` found: the live state, and the hand-over for whatever of it is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub live: Live,
    pub handover: Handover,
}

impl From<Live> for Checked {
    fn from(live: Live) -> Checked {
        Checked {
            live,
            handover: Handover::default(),
        }
    }
}

/// A check result compares equal to its live state (`assert_eq!(check(..)?, Live::Present)`).
impl PartialEq<Live> for Checked {
    fn eq(&self, other: &Live) -> bool {
        self.live == *other
    }
}

impl Checked {
    pub fn with(live: Live, handover: Handover) -> Checked {
        Checked { live, handover }
    }
}

/// What a publish did, for the report and for dependent platforms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Published {
    /// File names that were sent.
    pub uploaded: Vec<String>,
    /// Set when the platform accepted it but it is not live yet (review, moderation, staging).
    pub pending: Option<String>,
    /// What dependents receive.
    pub handover: Handover,
    /// Notes the platform returned (e.g. crates.io's warnings).
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, sha: &str) -> Wanted {
        Wanted::new(name, vec![Digest::Sha256(sha.into()), Digest::Size(3)])
    }

    #[test]
    fn absent_partial_present() {
        let want = [w("a", "aa"), w("b", "bb")];
        assert_eq!(compare(&want, &[]), Live::Absent);
        let one = [Listed::new("a", vec![Digest::Sha256("AA".into())])];
        assert_eq!(
            compare(&want, &one),
            Live::Partial {
                present: vec!["a".into()],
                missing: vec!["b".into()]
            }
        );
        let both = [
            Listed::new("a", vec![Digest::Sha256("aa".into())]),
            Listed::new("b", vec![Digest::Size(3)]),
        ];
        assert_eq!(compare(&want, &both), Live::Present);
    }

    #[test]
    fn any_disagreeing_fingerprint_is_a_conflict() {
        let want = [w("a", "aa")];
        let other_size = [Listed::new("a", vec![Digest::Size(4)])];
        let Live::Conflict { conflicts } = compare(&want, &other_size) else {
            panic!("expected a conflict")
        };
        assert!(
            conflicts[0].contains("live 4 bytes, ours 3 bytes"),
            "{conflicts:?}"
        );
        // A fingerprint of another kind says nothing either way.
        let sha1_only = [Listed::new("a", vec![Digest::Sha1("ff".into())])];
        assert_eq!(compare(&want, &sha1_only), Live::Present);
    }

    #[test]
    fn pending_files() {
        let want = [w("a", "aa"), w("b", "bb")];
        let mut l = Listed::new("a", vec![]);
        l.pending = Some("awaiting moderation".into());
        assert_eq!(
            compare(&want[..1], std::slice::from_ref(&l)),
            Live::Pending {
                reason: "a: awaiting moderation".into()
            }
        );
        // Something still missing: publish that; the pending one is not sent again.
        let live = compare(&want, &[l]);
        assert!(!live.wants("a") && live.wants("b"), "{live:?}");
    }
}
