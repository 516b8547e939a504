//! How the double renders releases, assets and users: every field the REST description's
//! `release`, `release-asset` and `simple-user` schemas require (checked by
//! tests/github_schemas.rs), and GitHub's URL rules: a draft's pages and download links live
//! under `untagged-<hex>` until it is published, then under the (percent-encoded) tag.

use super::{Asset, Rel, State};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The epoch of the double's clock (2026-01-01T00:00:00Z); each event ticks one second.
pub(super) const EPOCH: u64 = 1_767_225_600;

/// RFC 3339 UTC, as GitHub writes timestamps.
pub(super) fn stamp(t: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t as i64)
        .expect("timestamp in range")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formattable")
}

/// A path segment as GitHub encodes it in URLs (RFC 3986 unreserved kept).
pub(super) fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes `%XX` in one path segment, as GitHub does (`release%2Fv1` is the tag `release/v1`).
pub(super) fn unseg(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The name GitHub stores for an uploaded file: every character outside letters, digits and
/// `-_.+` becomes a period, runs of periods fold into one, and periods at either end go.
pub(super) fn stored_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '+' => c,
            _ => '.',
        };
        if !(c == '.' && out.ends_with('.')) {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches('.');
    if trimmed.is_empty() {
        "default".into()
    } else {
        trimmed.into()
    }
}

/// The `untagged-<hex>` page name GitHub gives a draft.
pub(super) fn untagged(id: u64) -> String {
    let h = hex::encode(Sha256::digest(id.to_be_bytes()));
    format!("untagged-{}", &h[..20])
}

impl State {
    pub(super) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where a release's web page and downloads live right now.
    fn page(&self, r: &Rel) -> String {
        if r.draft {
            untagged(r.id)
        } else {
            seg(&r.tag_name)
        }
    }

    pub(super) fn user_json(&self) -> Value {
        let b = self.base();
        let u = format!("{b}/users/{}", self.owner);
        json!({
            "login": self.owner, "id": 1, "node_id": "MDQ6VXNlcjE=",
            "avatar_url": format!("{b}/avatars/{}", self.owner), "gravatar_id": "",
            "url": u, "html_url": format!("{b}/{}", self.owner),
            "followers_url": format!("{u}/followers"),
            "following_url": format!("{u}/following{{/other_user}}"),
            "gists_url": format!("{u}/gists{{/gist_id}}"),
            "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{u}/subscriptions"),
            "organizations_url": format!("{u}/orgs"), "repos_url": format!("{u}/repos"),
            "events_url": format!("{u}/events{{/privacy}}"),
            "received_events_url": format!("{u}/received_events"),
            "type": "User", "site_admin": false, "user_view_type": "public",
        })
    }

    pub(super) fn rel_json(&self, r: &Rel) -> Value {
        let (o, p, b) = (&self.owner, &self.repo, self.base());
        let api = format!("{b}/repos/{o}/{p}/releases/{}", r.id);
        let archive = |kind: &str| match r.draft {
            true => Value::Null,
            false => json!(format!("{b}/repos/{o}/{p}/{kind}/{}", seg(&r.tag_name))),
        };
        let assets: Vec<Value> = r.assets.iter().map(|a| self.asset_json(r, a)).collect();
        json!({
            "url": api, "assets_url": format!("{api}/assets"),
            "upload_url": format!("{b}/uploads/repos/{o}/{p}/releases/{}/assets{{?name,label}}", r.id),
            "html_url": format!("{b}/{o}/{p}/releases/tag/{}", self.page(r)),
            "id": r.id, "node_id": format!("RE_{}", r.id), "author": self.user_json(),
            "tag_name": r.tag_name, "target_commitish": r.target_commitish,
            "name": r.name, "body": r.body, "draft": r.draft, "prerelease": r.prerelease,
            "immutable": self.frozen(r),
            "created_at": stamp(r.created), "updated_at": stamp(r.created),
            "published_at": r.published.map(stamp),
            "tarball_url": archive("tarball"), "zipball_url": archive("zipball"),
            "assets": assets,
        })
    }

    pub(super) fn asset_json(&self, r: &Rel, a: &Asset) -> Value {
        let (o, p, b) = (&self.owner, &self.repo, self.base());
        json!({
            "url": format!("{b}/repos/{o}/{p}/releases/assets/{}", a.id),
            "browser_download_url": format!("{b}/{o}/{p}/releases/download/{}/{}", self.page(r), seg(&a.name)),
            "id": a.id, "node_id": format!("RA_{}", a.id), "name": a.name, "label": a.label,
            "state": a.state, "content_type": a.content_type, "size": a.data.len(),
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(&a.data))),
            "download_count": 0, "created_at": stamp(a.created), "updated_at": stamp(a.created),
            "uploader": self.user_json(),
        })
    }
}
