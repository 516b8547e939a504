//! Sending a blob into an open upload session (distribution spec, "Pushing blobs"): one PUT
//! of the whole file, or, for a blob above `chunk_above`, PATCHes of `chunk_size` bytes with
//! `Content-Range: <start>-<end>` (inclusive), each answered 202 with the session's next
//! `Location`, then a PUT with `digest=` and no body. Every piece is streamed from disk
//! (`Body::file`, `Body::file_range`), so memory stays flat with the blob's size. A
//! `Location` may be absolute or relative and may already carry a query (`?_state=…`): it is
//! resolved against the URL that returned it and `digest=` is appended as a query pair.

use super::registry::Session;
use crate::error::{Error, Result};
use crate::http::{Body, Request, Response};
use std::path::Path;

const OCTETS: &str = "application/octet-stream";

/// The session URL a 202 names, resolved against `base` (the URL that returned it).
pub fn location(base: &str, resp: &Response, digest: &str) -> Result<String> {
    let location = resp.header("location").ok_or_else(|| {
        Error::protocol(format!(
            "the registry answered the upload of {digest} without a Location"
        ))
    })?;
    url::Url::parse(base)
        .and_then(|u| u.join(location))
        .map(String::from)
        .map_err(|e| Error::protocol(format!("upload Location `{location}`: {e}")))
}

/// Sends the file at `path` into the session at `location` and closes it with `digest`.
pub async fn send(
    s: &Session<'_>,
    location: String,
    path: &Path,
    digest: &str,
    (above, chunk): (u64, u64),
) -> Result<()> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
        .len();
    if size <= above {
        return close(s, &location, Body::file(path, OCTETS), digest).await;
    }
    let mut location = location;
    let mut offset = 0;
    while offset < size {
        let len = chunk.min(size - offset);
        let range = format!("{offset}-{}", offset + len - 1);
        let at = location.clone();
        // Not retried blindly: a PATCH that may have landed would shift every later byte.
        let resp = s
            .send(&|| {
                Ok(Request::patch(&at)?
                    .header("content-range", range.clone())
                    .body(Body::file_range(path, offset, len, OCTETS))
                    .idempotent(false))
            })
            .await?;
        if resp.status.as_u16() != 202 {
            return Err(s.fail(&resp, &format!("uploading bytes {range} of {digest}")));
        }
        location = self::location(&at, &resp, digest)?;
        offset += len;
    }
    close(s, &location, Body::bytes(bytes::Bytes::new(), OCTETS), digest).await
}

/// The closing PUT `<location>[?|&]digest=<digest>`, with the whole blob or nothing.
async fn close(s: &Session<'_>, location: &str, body: Body, digest: &str) -> Result<()> {
    let mut put = url::Url::parse(location)
        .map_err(|e| Error::protocol(format!("upload Location `{location}`: {e}")))?;
    put.query_pairs_mut().append_pair("digest", digest);
    let put = put.to_string();
    // Not retried blindly after a reset: the engine re-checks the blob first.
    let resp = s
        .send(&|| Ok(Request::put(&put)?.body(body.clone()).idempotent(false)))
        .await?;
    if resp.status.as_u16() != 201 {
        return Err(s.fail(&resp, &format!("uploading {digest}")));
    }
    Ok(())
}
