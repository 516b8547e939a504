//! Request bodies as re-openable recipes: a retry must be able to send the same bytes again,
//! and files are streamed from disk, never read whole into memory.

use bytes::Bytes;
use std::path::PathBuf;

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Bytes {
        data: Bytes,
        content_type: String,
    },
    /// A file streamed from disk.
    File {
        path: PathBuf,
        content_type: String,
    },
    /// `len` bytes of a file from `offset`, streamed from disk (one chunk of a chunked
    /// upload).
    FileRange {
        path: PathBuf,
        offset: u64,
        len: u64,
        content_type: String,
    },
    /// multipart/form-data; file parts are streamed.
    Multipart(Vec<Part>),
    /// `head`, then a file's bytes base64-encoded on the fly, then `tail`: a JSON document
    /// that carries a file inline (npm's publish document), sent with its length known up
    /// front and without the file (or its encoding) ever in memory.
    Base64File {
        head: Bytes,
        path: PathBuf,
        tail: Bytes,
        content_type: String,
    },
}

/// One multipart field.
#[derive(Debug, Clone)]
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        filename: String,
        path: PathBuf,
        content_type: String,
    },
}

impl Body {
    pub fn json(v: &serde_json::Value) -> Body {
        Body::Bytes {
            data: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            content_type: "application/json".into(),
        }
    }
    pub fn bytes(data: impl Into<Bytes>, content_type: &str) -> Body {
        Body::Bytes {
            data: data.into(),
            content_type: content_type.into(),
        }
    }
    pub fn file(path: impl Into<PathBuf>, content_type: &str) -> Body {
        Body::File {
            path: path.into(),
            content_type: content_type.into(),
        }
    }

    pub fn file_range(path: impl Into<PathBuf>, offset: u64, len: u64, content_type: &str) -> Body {
        Body::FileRange {
            path: path.into(),
            offset,
            len,
            content_type: content_type.into(),
        }
    }

    /// Bytes of the file parts as sent, to size the upload timeout.
    pub(crate) fn file_bytes(&self) -> u64 {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        match self {
            Body::File { path, .. } => size(path),
            Body::Base64File { path, .. } => base64_len(size(path)),
            Body::FileRange { len, .. } => *len,
            Body::Multipart(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::File { path, .. } => size(path),
                    Part::Text { .. } => 0,
                })
                .sum(),
            _ => 0,
        }
    }

    /// Every byte of the body as sent (files by size), for the report's `bytes_sent`.
    pub(crate) fn len(&self) -> u64 {
        let inline = match self {
            Body::Bytes { data, .. } => data.len() as u64,
            Body::Base64File { head, tail, .. } => (head.len() + tail.len()) as u64,
            Body::Multipart(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Text { value, .. } => value.len() as u64,
                    Part::File { .. } => 0,
                })
                .sum(),
            _ => 0,
        };
        inline + self.file_bytes()
    }

    /// Checks, before anything is sent, that every file exists and every content type
    /// parses: a body that cannot be built must fail loudly, not go out empty.
    pub(crate) fn preflight(&self) -> crate::error::Result<()> {
        let check = |path: &std::path::Path, ct: &str| -> crate::error::Result<()> {
            std::fs::metadata(path).map_err(|e| {
                crate::error::Error::io(format!("cannot send {}", path.display()), e)
            })?;
            ct.parse::<reqwest::header::HeaderValue>().map_err(|_| {
                crate::error::Error::new(
                    crate::error::ErrorKind::Other,
                    format!("bad content type `{ct}`"),
                )
            })?;
            Ok(())
        };
        match self {
            Body::File { path, content_type } => check(path, content_type),
            Body::Base64File {
                path, content_type, ..
            }
            | Body::FileRange {
                path, content_type, ..
            } => check(path, content_type),
            Body::Multipart(parts) => parts.iter().try_for_each(|p| match p {
                Part::File {
                    path, content_type, ..
                } => check(path, content_type),
                Part::Text { .. } => Ok(()),
            }),
            _ => Ok(()),
        }
    }

    /// A one-line description for the dry-run report: never the content.
    pub fn summary(&self) -> Option<String> {
        match self {
            Body::Empty => None,
            Body::Bytes { data, content_type } => {
                Some(format!("{content_type}, {} bytes", data.len()))
            }
            Body::File { path, content_type } => Some(format!(
                "{content_type}, file {}",
                path.file_name().unwrap_or_default().to_string_lossy()
            )),
            Body::Base64File {
                path, content_type, ..
            } => Some(format!(
                "{content_type}, with file {} inline (base64)",
                path.file_name().unwrap_or_default().to_string_lossy()
            )),
            Body::FileRange {
                path,
                offset,
                len,
                content_type,
            } => Some(format!(
                "{content_type}, {len} bytes of file {} from {offset}",
                path.file_name().unwrap_or_default().to_string_lossy()
            )),
            Body::Multipart(parts) => {
                let files: Vec<String> = parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::File { filename, .. } => Some(filename.clone()),
                        _ => None,
                    })
                    .collect();
                Some(format!("multipart/form-data, files: {}", files.join(", ")))
            }
        }
    }

    pub(crate) async fn apply(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Body::Empty => rb,
            Body::Bytes { data, content_type } => rb
                .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                .body(data.clone()),
            Body::FileRange {
                path,
                offset,
                len,
                content_type,
            } => match stream_range(path, *offset, *len).await {
                Ok(body) => rb
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .header(reqwest::header::CONTENT_LENGTH, *len)
                    .body(body),
                Err(e) => rb.body(failing(e)),
            },
            Body::File { path, content_type } => match stream_file(path).await {
                Ok((body, len)) => rb
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(body),
                // The error surfaces when reqwest builds the request.
                Err(e) => rb.body(failing(e)),
            },
            Body::Base64File {
                head,
                path,
                tail,
                content_type,
            } => match base64_file(head, path, tail).await {
                Ok((body, len)) => rb
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(body),
                Err(e) => rb.body(failing(e)),
            },
            Body::Multipart(parts) => rb.multipart(multipart(parts).await),
        }
    }
}

/// The form of a multipart body, each file part streamed from disk.
async fn multipart(parts: &[Part]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        form = match p {
            Part::Text { name, value } => form.text(name.clone(), value.clone()),
            Part::File {
                name,
                filename,
                path,
                content_type,
            } => match stream_file(path).await {
                Ok((body, len)) => {
                    let part = reqwest::multipart::Part::stream_with_length(body, len)
                        .file_name(filename.clone())
                        .mime_str(content_type)
                        .unwrap_or_else(|_| reqwest::multipart::Part::bytes(Vec::new()));
                    form.part(name.clone(), part)
                }
                Err(_) => form,
            },
        };
    }
    form
}

/// A body whose first read fails with `e`: the error surfaces when reqwest sends it.
fn failing(e: std::io::Error) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures::stream::once(async move {
        Err::<Bytes, std::io::Error>(e)
    }))
}

async fn stream_file(path: &std::path::Path) -> std::io::Result<(reqwest::Body, u64)> {
    let f = tokio::fs::File::open(path).await?;
    let len = f.metadata().await?.len();
    let stream = tokio_util::io::ReaderStream::new(f);
    Ok((reqwest::Body::wrap_stream(stream), len))
}

/// `len` bytes of the file from `offset`; a file shorter than that is an error, not a short
/// body (the Content-Length was already promised).
async fn stream_range(
    path: &std::path::Path,
    offset: u64,
    len: u64,
) -> std::io::Result<reqwest::Body> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path).await?;
    if f.metadata().await?.len() < offset + len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("{} is shorter than {} bytes", path.display(), offset + len),
        ));
    }
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    let stream = tokio_util::io::ReaderStream::new(f.take(len));
    Ok(reqwest::Body::wrap_stream(stream))
}

/// The length of `n` bytes in padded standard base64.
pub fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

/// `head`, the file base64-encoded chunk by chunk (whole 3-byte groups; the 0–2 bytes left
/// over wait for the next chunk), then `tail`.
async fn base64_file(
    head: &Bytes,
    path: &std::path::Path,
    tail: &Bytes,
) -> std::io::Result<(reqwest::Body, u64)> {
    let (stream, len) = base64_stream(head, path, tail).await?;
    Ok((reqwest::Body::wrap_stream(stream), len))
}

async fn base64_stream(
    head: &Bytes,
    path: &std::path::Path,
    tail: &Bytes,
) -> std::io::Result<(
    impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    u64,
)> {
    use base64::Engine;
    use futures::StreamExt;
    let f = tokio::fs::File::open(path).await?;
    let n = f.metadata().await?.len();
    let len = head.len() as u64 + base64_len(n) + tail.len() as u64;
    let mut carry: Vec<u8> = Vec::new();
    let encoded = tokio_util::io::ReaderStream::with_capacity(f, 3 * 21_846)
        .map(Some)
        .chain(futures::stream::once(async { None }))
        .map(move |chunk| {
            let b64 = &base64::engine::general_purpose::STANDARD;
            match chunk {
                Some(Ok(c)) => {
                    carry.extend_from_slice(&c);
                    let whole = carry.len() - carry.len() % 3;
                    let out = b64.encode(&carry[..whole]);
                    carry.drain(..whole);
                    Ok(Bytes::from(out))
                }
                Some(Err(e)) => Err(e),
                None => Ok(Bytes::from(b64.encode(std::mem::take(&mut carry)))),
            }
        });
    let stream = futures::stream::iter([Ok(head.clone())])
        .chain(encoded)
        .chain(futures::stream::iter([Ok(tail.clone())]));
    Ok((stream, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use futures::StreamExt;

    /// Every length around the 3-byte groups and the read chunk: the streamed encoding is
    /// the one-shot encoding, and the announced length is the sent length.
    #[tokio::test]
    async fn base64_file_streams_the_exact_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let chunk = 3 * 21_846;
        for n in [0, 1, 2, 3, 4, 5, chunk - 1, chunk, chunk + 1, 3 * chunk + 2] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + i / 251) as u8).collect();
            let path = dir.path().join(format!("f{n}"));
            std::fs::write(&path, &data).unwrap();
            let (head, tail) = (Bytes::from_static(b"{\"d\":\""), Bytes::from_static(b"\"}"));
            let (s, len) = base64_stream(&head, &path, &tail).await.unwrap();
            let mut sent = Vec::new();
            let mut s = Box::pin(s);
            while let Some(c) = s.next().await {
                sent.extend_from_slice(&c.unwrap());
            }
            let want = format!(
                "{{\"d\":\"{}\"}}",
                base64::engine::general_purpose::STANDARD.encode(&data)
            );
            assert_eq!(String::from_utf8(sent).unwrap(), want, "{n} bytes");
            assert_eq!(len, want.len() as u64, "{n} bytes");
        }
    }
}
