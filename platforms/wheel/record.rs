//! The wheel `RECORD` file: one CSV line per file in the archive, `path,sha256=<urlsafe
//! base64 without padding>,<size>`, and the RECORD's own line as `path,,`. No directory
//! entries: PyPI rejects wheels whose RECORD and zip listing differ (pypi/warehouse#18492).

use base64::Engine;
use sha2::{Digest, Sha256};

/// One file of the wheel, as RECORD lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    pub path: String,
    /// `sha256=<urlsafe-b64-nopad>`.
    pub hash: String,
    pub size: u64,
}

impl RecordEntry {
    /// The entry for in-memory content.
    pub fn for_bytes(path: &str, data: &[u8]) -> Self {
        RecordEntry::from_digest(path, &Sha256::digest(data), data.len() as u64)
    }
    /// The entry for a raw sha256 digest (streamed files).
    pub fn from_digest(path: &str, digest: &[u8], size: u64) -> Self {
        RecordEntry {
            path: path.to_string(),
            hash: format!(
                "sha256={}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
            ),
            size,
        }
    }
}

/// Renders RECORD: the entries in the given order, then `record_path,,`.
/// Paths with a comma or quote are CSV-quoted, as Python's `csv` module would.
pub fn render(entries: &[RecordEntry], record_path: &str) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&csv_field(&e.path));
        out.push(',');
        out.push_str(&e.hash);
        out.push(',');
        out.push_str(&e.size.to_string());
        out.push('\n');
    }
    out.push_str(&csv_field(record_path));
    out.push_str(",,\n");
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_pip() {
        // python: base64.urlsafe_b64encode(hashlib.sha256(b"hello\n").digest()).rstrip(b"=")
        let e = RecordEntry::for_bytes("a/b", b"hello\n");
        assert_eq!(e.hash, "sha256=WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM");
        let r = render(&[e], "x.dist-info/RECORD");
        assert_eq!(
            r,
            "a/b,sha256=WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM,6\nx.dist-info/RECORD,,\n"
        );
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
