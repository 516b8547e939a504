//! The NuGet v2 feed, through the shared HTTP layer: `Packages(Id=,Version=)` (one Atom entry,
//! 404 when absent), `FindPackagesById()` (every listed version), the package download, the
//! push (`PUT <push_url>`, `X-NuGet-ApiKey`, multipart whose first part is the .nupkg) and the
//! unlist (`DELETE <push_url><id>/<version>`). Also a small reader for the entry's
//! `m:properties` (OData v2 Atom): the feed's XML is flat and regular, so a field reader is
//! enough and no XML dependency is added.

use crate::error::Result;
use crate::http::{Auth, Body, Http, Part, Request, Response};
use crate::redact::Secret;
use std::path::Path;

/// One feed, seen by one adapter call.
pub struct Feed<'a> {
    pub http: &'a Http,
    /// Read base, with a trailing slash.
    pub base: String,
    /// Push URL, with a trailing slash.
    pub push: String,
    pub key: Option<Secret>,
}

/// The `m:properties` of one Atom entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    props: String,
}

impl Entry {
    /// The first entry's properties in an Atom document, if it has an entry.
    pub fn first(atom: &str) -> Option<Entry> {
        Entry::all(atom).into_iter().next()
    }

    /// Every entry's properties, in document order.
    pub fn all(atom: &str) -> Vec<Entry> {
        atom.split("<entry")
            .skip(1)
            .filter_map(|e| {
                let start = e.find("<m:properties")?;
                let end = e[start..].find("</m:properties>")? + start;
                Some(Entry {
                    props: e[start..end].to_string(),
                })
            })
            .collect()
    }

    /// The text of `<d:{name}>`; `None` when absent, empty or `m:null="true"`.
    pub fn get(&self, name: &str) -> Option<String> {
        let open = format!("<d:{name}");
        let mut at = 0;
        while let Some(i) = self.props[at..].find(&open) {
            let rest = &self.props[at + i + open.len()..];
            at += i + open.len();
            // `<d:Version` must not match `<d:VersionDownloadCount`.
            if !rest.starts_with(['>', ' ', '/', '\t', '\n', '\r']) {
                continue;
            }
            let gt = rest.find('>')?;
            if rest[..gt].ends_with('/') {
                return None;
            }
            let body = &rest[gt + 1..];
            let end = body.find(&format!("</d:{name}>"))?;
            let text = unescape(body[..end].trim());
            return (!text.is_empty()).then_some(text);
        }
        None
    }

    /// Unlisted: `Listed` false, or the gallery's marker, a `Published` date in 1900 (NuGet
    /// clients read this one: NuGet/NuGet.Server#41) or 1970 (seen on the Chocolatey feed).
    /// An unlisted version is still on the feed and installable by its exact version.
    pub fn unlisted(&self) -> bool {
        let published = self.get("Published").unwrap_or_default();
        self.get("Listed").is_some_and(|l| l.eq_ignore_ascii_case("false"))
            || published.starts_with("1900-01-01")
            || published.starts_with("1970-01-01")
    }
}

/// XML entities (the five named ones and numeric references).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = &tail[1..semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// OData string literal: a `'` is doubled.
fn lit(s: &str) -> String {
    s.replace('\'', "''")
}

impl Feed<'_> {
    fn auth(&self, req: Request) -> Request {
        match &self.key {
            Some(k) => req.auth(Auth::Header("X-NuGet-ApiKey", k.clone())),
            None => req,
        }
    }

    /// `Packages(Id='x',Version='y')`: the entry, or `None` on 404.
    pub async fn entry(&self, id: &str, version: &str) -> Result<Option<Entry>> {
        let url = format!(
            "{}Packages(Id='{}',Version='{}')",
            self.base,
            lit(id),
            lit(version)
        );
        let r = self.http.send(Request::get(&url)?).await?;
        match r.status.as_u16() {
            404 => Ok(None),
            _ if r.ok() => Ok(Entry::first(&r.text())),
            _ => Err(r.error(&format!("reading {id} {version} from the feed"))),
        }
    }

    /// `FindPackagesById()`: every version the feed lists for `id`.
    pub async fn versions(&self, id: &str) -> Result<Vec<String>> {
        let url = format!("{}FindPackagesById()?id='{}'", self.base, lit(id));
        let r = self.http.send(Request::get(&url)?).await?;
        if !r.ok() {
            return Err(r.error(&format!("listing the versions of {id}")));
        }
        // FindPackagesById lists unlisted versions too (restore needs them): not "live" here.
        Ok(Entry::all(&r.text())
            .iter()
            .filter(|e| !e.unlisted())
            .filter_map(|e| e.get("Version"))
            .collect())
    }

    /// The package bytes as the feed serves them (`None` on 404).
    pub async fn download(&self, id: &str, version: &str) -> Result<Option<bytes::Bytes>> {
        let url = format!("{}package/{id}/{version}", self.base);
        let r = self.http.send(Request::get(&url)?).await?;
        match r.status.as_u16() {
            404 => Ok(None),
            _ if r.ok() => Ok(Some(r.body)),
            _ => Err(r.error(&format!("downloading {id} {version}"))),
        }
    }

    /// Pushes the package. Not idempotent: a second push of the same version is refused, so a
    /// lost answer must be settled by a re-check, never by sending it again blindly.
    pub async fn push(&self, file: &Path, name: &str) -> Result<Response> {
        let body = Body::Multipart(vec![Part::File {
            name: "package".into(),
            filename: name.into(),
            path: file.to_path_buf(),
            content_type: "application/octet-stream".into(),
        }]);
        let req = Request::put(&self.push)?.body(body).idempotent(false);
        self.http.send(self.auth(req)).await
    }

    /// Unlists `id` `version` (the gallery hides it; some feeds delete it).
    pub async fn unlist(&self, id: &str, version: &str) -> Result<Response> {
        let url = format!("{}{id}/{version}", self.push);
        self.http.send(self.auth(Request::delete(&url)?)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATOM: &str = r#"<feed><entry><id>x</id><m:properties>
        <d:Version>1.0.0</d:Version><d:VersionDownloadCount m:type="Edm.Int32">3</d:VersionDownloadCount>
        <d:Title>A &amp; B &#x41;</d:Title><d:PackageHash></d:PackageHash>
        <d:PackageReviewer m:null="true" /><d:IsApproved m:type="Edm.Boolean">false</d:IsApproved>
        </m:properties></entry><entry><m:properties><d:Version>2.0.0</d:Version></m:properties></entry></feed>"#;

    #[test]
    fn reads_properties() {
        let all = Entry::all(ATOM);
        assert_eq!(all.len(), 2);
        let e = &all[0];
        assert_eq!(e.get("Version").as_deref(), Some("1.0.0"));
        assert_eq!(e.get("VersionDownloadCount").as_deref(), Some("3"));
        assert_eq!(e.get("Title").as_deref(), Some("A & B A"));
        assert_eq!(e.get("IsApproved").as_deref(), Some("false"));
        assert_eq!(e.get("PackageHash"), None);
        assert_eq!(e.get("PackageReviewer"), None);
        assert_eq!(e.get("Nothing"), None);
        assert_eq!(all[1].get("Version").as_deref(), Some("2.0.0"));
        assert_eq!(Entry::first("<feed></feed>"), None);
    }

    #[test]
    fn unlisted_by_flag_or_by_the_published_marker() {
        let e = |props: &str| Entry::first(&format!("<entry><m:properties>{props}</m:properties></entry>")).unwrap();
        assert!(!e("<d:Published>2026-01-01T00:00:00</d:Published>").unlisted());
        assert!(e("<d:Published>1900-01-01T00:00:00</d:Published>").unlisted());
        assert!(e("<d:Published>1970-01-01T00:00:00</d:Published>").unlisted());
        assert!(e(r#"<d:Listed m:type="Edm.Boolean">false</d:Listed>"#).unlisted());
        assert!(!e(r#"<d:Listed m:type="Edm.Boolean">true</d:Listed>"#).unlisted());
    }
}
