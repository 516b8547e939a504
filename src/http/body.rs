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

    /// Bytes of the file parts, to size the upload timeout.
    pub(crate) fn file_bytes(&self) -> u64 {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        match self {
            Body::File { path, .. } => size(path),
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
            Body::FileRange {
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
                Err(e) => rb.body(reqwest::Body::wrap_stream(futures::stream::once(
                    async move { Err::<Bytes, std::io::Error>(e) },
                ))),
            },
            Body::File { path, content_type } => match stream_file(path).await {
                Ok((body, len)) => rb
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(body),
                // The error surfaces when reqwest builds the request.
                Err(e) => rb.body(reqwest::Body::wrap_stream(futures::stream::once(
                    async move { Err::<Bytes, std::io::Error>(e) },
                ))),
            },
            Body::Multipart(parts) => {
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
                                    .unwrap_or_else(
                                        |_| reqwest::multipart::Part::bytes(Vec::new()),
                                    );
                                form.part(name.clone(), part)
                            }
                            Err(_) => form,
                        },
                    };
                }
                rb.multipart(form)
            }
        }
    }
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
