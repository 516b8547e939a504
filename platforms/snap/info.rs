//! The store's public, unauthenticated view: `GET {info_url}/v2/snaps/info/<name>` with
//! `Snap-Device-Series: 16` (what `snap info` and snapd read). Its `channel-map` has one
//! entry per channel and architecture: `channel.{architecture, track, risk}`, the
//! `revision`, `version` and `download.{sha3-384, size}` of what that channel holds. Field
//! names as snapd's `store/details_v2.go` (`storeInfo`, `storeInfoChannelSnap`,
//! `storeInfoChannel`, `storeDownload`) reads them; a channel is `track + "/" + risk` as in
//! its `infoFromStoreInfo`. A 404 (`error-list` code `resource-not-found`) is a snap the
//! store does not know, or one that has no released revision.
//!
//! This view is turned into the same `Releases` the publisher API gives, so one survey
//! judges both. It lacks what only the publisher sees: revisions in no channel (uploaded,
//! in review, rejected) and the release history (so it cannot serve a rollback).

use super::store::{ReleaseEntry, Releases, Revision};
use serde::Deserialize;

/// The fields asked for (`channel` always comes with each entry).
pub const FIELDS: &str = "revision,version,download";

/// `GET /v2/snaps/info/<name>`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Info {
    #[serde(rename = "channel-map", default)]
    pub channel_map: Vec<Entry>,
}

/// One channel and architecture, with the revision it holds.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub channel: InfoChannel,
    pub revision: u64,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub download: Download,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InfoChannel {
    pub architecture: String,
    pub track: String,
    pub risk: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Download {
    #[serde(rename = "sha3-384", default)]
    pub sha3_384: String,
    #[serde(default)]
    pub size: u64,
}

impl Info {
    /// The channel map as publisher-API `Releases`: every revision released somewhere
    /// (status `Published`, with every architecture it is released for) and one current
    /// line per channel and architecture.
    pub fn releases(&self) -> Releases {
        let mut out = Releases::default();
        for e in &self.channel_map {
            let arch = e.channel.architecture.clone();
            out.releases.push(ReleaseEntry {
                architecture: arch.clone(),
                channel: format!("{}/{}", e.channel.track, e.channel.risk),
                revision: Some(e.revision),
            });
            match out.revisions.iter_mut().find(|r| r.revision == e.revision) {
                Some(r) if !r.architectures.contains(&arch) => r.architectures.push(arch),
                Some(_) => {}
                None => out.revisions.push(Revision {
                    revision: e.revision,
                    version: e.version.clone(),
                    architectures: vec![arch],
                    sha3_384: e.download.sha3_384.clone(),
                    size: e.download.size,
                    status: "Published".into(),
                }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_channel_map_reads_as_releases() {
        // The shape of snapd's `mockInfoJSON` (store/store_test.go), trimmed, plus a second
        // architecture and a track.
        let entry = |arch: &str, track: &str, risk: &str, rev: u64, v: &str, sha: &str| {
            json!({"channel": {"architecture": arch, "name": risk, "released-at": "2019-04-17T16:47:59.117114+00:00",
                "risk": risk, "track": track}, "revision": rev, "version": v, "type": "app",
                "download": {"deltas": [], "sha3-384": sha, "size": 20480, "url": "https://example/x.snap"}})
        };
        let doc = json!({"name": "hello", "snap-id": "id", "snap": {"name": "hello"}, "channel-map": [
            entry("amd64", "latest", "stable", 29, "6.4", "aa"),
            entry("amd64", "latest", "candidate", 29, "6.4", "aa"),
            entry("arm64", "latest", "stable", 30, "6.4", "bb"),
            entry("amd64", "2.0", "edge", 31, "7.0", "cc"),
        ]});
        let info: Info = serde_json::from_value(doc).unwrap();
        let r = info.releases();
        assert_eq!(r.current("latest/stable", "amd64").unwrap().revision, 29);
        assert_eq!(r.current("latest/candidate", "amd64").unwrap().revision, 29);
        assert_eq!(r.current("latest/stable", "arm64").unwrap().sha3_384, "bb");
        assert_eq!(r.current("2.0/edge", "amd64").unwrap().version, "7.0");
        assert!(r.current("latest/edge", "amd64").is_none());
        assert_eq!(r.revisions.len(), 3, "one revision per number: {r:?}");
        assert_eq!(r.of("6.4", "arm64")[0].revision, 30);
        assert_eq!(r.revision(29).unwrap().size, 20480);
    }

    #[test]
    fn a_revision_released_for_several_architectures_lists_them_all() {
        let doc = json!({"channel-map": [
            {"channel": {"architecture": "amd64", "track": "latest", "risk": "stable"}, "revision": 5, "version": "1.0", "download": {"sha3-384": "aa", "size": 1}},
            {"channel": {"architecture": "arm64", "track": "latest", "risk": "stable"}, "revision": 5, "version": "1.0", "download": {"sha3-384": "aa", "size": 1}},
        ]});
        let r = serde_json::from_value::<Info>(doc).unwrap().releases();
        assert_eq!(r.revision(5).unwrap().architectures, ["amd64", "arm64"]);
    }
}
