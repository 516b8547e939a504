//! What is live, read from the store's revisions and release history (pure, so every state
//! is unit-tested). Each `.snap` is one wanted item (`<file>`: a revision with our sha3-384
//! exists) and each channel one more (`<file>#<channel>`: the channel holds this version for
//! that architecture). So the report shows every channel release as its own step.
//!
//! - our revision in manual review → the file and its channels are `pending`;
//! - our revision rejected → failed, with the store's status;
//! - the channel holds this version with other bytes → conflict (never re-released over);
//! - the channel holds a *newer* version → that channel is held back, never superseded by an
//!   older revision (goreleaser/goreleaser#1268).

use super::config::Channel;
use super::store::Releases;
use crate::error::{Error, ErrorKind, Result};
use crate::platform::{Digest, Listed, Wanted};

/// One built `.snap`.
#[derive(Debug, Clone)]
pub struct Ours {
    pub file: String,
    pub arch: String,
    pub sha3: String,
    pub size: u64,
}

/// The wanted and listed items, and the channels held back (with why).
#[derive(Debug, Default)]
pub struct Survey {
    pub wanted: Vec<Wanted>,
    pub listed: Vec<Listed>,
    pub held: Vec<String>,
}

/// The name of one channel release step.
pub fn step(file: &str, channel: &Channel) -> String {
    format!("{file}#{}", channel.full())
}

/// Is `live` a newer version than `ours`? Compared as semver where both are; otherwise
/// unknown, and the release goes ahead.
fn newer(live: &str, ours: &str) -> bool {
    match (semver::Version::parse(live), semver::Version::parse(ours)) {
        (Ok(l), Ok(o)) => l > o,
        _ => false,
    }
}

pub fn survey(rel: &Releases, version: &str, ours: &[Ours], channels: &[Channel]) -> Result<Survey> {
    let mut s = Survey::default();
    for o in ours {
        let digests = vec![Digest::Sha3_384(o.sha3.clone()), Digest::Size(o.size)];
        s.wanted.push(Wanted::new(&o.file, digests.clone()));
        let mine = rel.of(version, &o.arch).into_iter().find(|r| r.sha3_384.eq_ignore_ascii_case(&o.sha3));
        let pending = match mine {
            Some(m) if m.status == "Rejected" => {
                return Err(Error::new(
                    ErrorKind::Other,
                    format!("{}: revision {} was rejected by the store's review", o.file, m.revision),
                )
                .with_hint("read the review on the snap's dashboard page, fix it, and release a new version"));
            }
            Some(m) if m.status == "NeedsReview" => {
                Some(format!("revision {} needs manual review by the store", m.revision))
            }
            _ => None,
        };
        if let Some(m) = mine {
            s.listed.push(Listed {
                pending: pending.clone(),
                ..Listed::new(&o.file, vec![Digest::Sha3_384(m.sha3_384.clone())])
            });
        }
        for c in channels {
            let name = step(&o.file, c);
            let current = rel.current(&c.full(), &o.arch);
            match current {
                Some(cur) if cur.version == version => {
                    s.listed.push(Listed::new(&name, vec![Digest::Sha3_384(cur.sha3_384.clone())]));
                }
                Some(cur) if newer(&cur.version, version) => {
                    s.held.push(format!(
                        "{name} held back: the channel holds the newer {} (revision {}); an older revision never supersedes it",
                        cur.version, cur.revision
                    ));
                    continue;
                }
                _ if pending.is_some() => s.listed.push(Listed {
                    pending: pending.clone(),
                    ..Listed::new(&name, Vec::new())
                }),
                _ => {}
            }
            s.wanted.push(Wanted::new(name, digests.clone()));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{compare, Live};
    use serde_json::json;

    const A: &str = "aaaa";
    fn ours() -> Vec<Ours> {
        vec![Ours { file: "demo_1.0.0_amd64.snap".into(), arch: "amd64".into(), sha3: A.into(), size: 9 }]
    }
    fn chans() -> Vec<Channel> {
        vec![Channel::parse("latest/edge").unwrap(), Channel::parse("latest/stable").unwrap()]
    }
    fn rel(v: serde_json::Value) -> Releases {
        serde_json::from_value(v).unwrap()
    }
    fn rev(n: u64, version: &str, sha: &str, status: &str) -> serde_json::Value {
        json!({"revision": n, "version": version, "architectures": ["amd64"], "sha3-384": sha, "size": 9, "status": status})
    }
    fn line(channel: &str, n: Option<u64>) -> serde_json::Value {
        json!({"architecture": "amd64", "channel": channel, "revision": n})
    }
    fn live(r: &Releases) -> Live {
        let s = survey(r, "1.0.0", &ours(), &chans()).unwrap();
        compare(&s.wanted, &s.listed)
    }

    #[test]
    fn states() {
        assert_eq!(live(&Releases::default()), Live::Absent);
        let uploaded = rel(json!({"revisions": [rev(3, "1.0.0", A, "Published")],
            "releases": [line("latest/edge", Some(3))]}));
        assert_eq!(
            live(&uploaded),
            Live::Partial {
                present: vec!["demo_1.0.0_amd64.snap".into(), "demo_1.0.0_amd64.snap#latest/edge".into()],
                missing: vec!["demo_1.0.0_amd64.snap#latest/stable".into()]
            }
        );
        let review = rel(json!({"revisions": [rev(3, "1.0.0", A, "NeedsReview")]}));
        assert!(matches!(live(&review), Live::Pending { reason } if reason.contains("manual review")));
        let other = rel(json!({"revisions": [rev(4, "1.0.0", "bbbb", "Published")],
            "releases": [line("latest/stable", Some(4))]}));
        assert!(matches!(live(&other), Live::Conflict { conflicts } if conflicts[0].contains("#latest/stable")));
        let rejected = rel(json!({"revisions": [rev(3, "1.0.0", A, "Rejected")]}));
        assert!(survey(&rejected, "1.0.0", &ours(), &chans()).unwrap_err().message().contains("rejected"));
    }

    #[test]
    fn a_newer_version_in_a_channel_is_never_superseded() {
        let r = rel(json!({"revisions": [rev(3, "1.0.0", A, "Published"), rev(5, "1.1.0", "cccc", "Published")],
            "releases": [line("latest/stable", Some(5)), line("latest/edge", Some(3))]}));
        let s = survey(&r, "1.0.0", &ours(), &chans()).unwrap();
        assert_eq!(compare(&s.wanted, &s.listed), Live::Present);
        assert_eq!(s.held.len(), 1, "{:?}", s.held);
        assert!(s.held[0].contains("1.1.0"));
        // A closed channel (null revision) holds nothing: this version is missing there.
        let closed = rel(json!({"revisions": [rev(3, "1.0.0", A, "Published")],
            "releases": [line("latest/stable", None), line("latest/stable", Some(3)), line("latest/edge", Some(3))]}));
        assert!(matches!(live(&closed), Live::Partial { missing, .. } if missing == vec!["demo_1.0.0_amd64.snap#latest/stable".to_string()]));
    }
}
