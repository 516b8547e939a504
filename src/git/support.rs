//! The git kit's small parts: the scratch directory, git blob ids computed locally, how
//! credentials are handed to git (env only; the ssh key in a 0600 file), path checks and
//! error classification.

use super::Spec;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::Output;
use crate::redact::Secret;
use sha1::{Digest, Sha1};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A scratch directory (mode 0700) removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(prefix: &str) -> Result<Self> {
        let p = std::env::temp_dir().join(format!(
            "{prefix}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.recursive(true)
            .create(&p)
            .map_err(|e| Error::io(format!("creating {}", p.display()), e))?;
        Ok(Scratch(p))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The git blob id of `data` (what `git hash-object` prints).
pub fn blob_id(data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

/// The git blob id of a local file, streamed: compares our bytes with a tree entry without
/// downloading the remote blob.
pub fn file_blob_id(path: &Path) -> Result<String> {
    let err = |e| Error::io(format!("hashing {}", path.display()), e);
    let mut f = std::fs::File::open(path).map_err(err)?;
    let len = f.metadata().map_err(err)?.len();
    let mut h = Sha1::new();
    h.update(format!("blob {len}\0").as_bytes());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The `http.extraHeader` config pair carrying `token` (value registered with the redactor
/// in every form it takes).
pub(super) fn token_header(token: &Secret) -> (String, Secret) {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD
        .encode(format!("x-access-token:{}", token.expose()));
    crate::redact::register(&b);
    (
        "http.extraHeader".into(),
        Secret::new(format!("Authorization: Basic {b}")),
    )
}

/// `GIT_SSH_COMMAND` for a key file, with strict host key checking and no prompts.
pub fn ssh_command(key: &Path, known_hosts: Option<&Path>) -> String {
    let mut s = format!(
        "ssh -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes",
        shell_quote(&key.display().to_string())
    );
    if let Some(k) = known_hosts {
        s.push_str(&format!(
            " -o UserKnownHostsFile={}",
            shell_quote(&k.display().to_string())
        ));
    }
    s
}

/// Single-quotes for the shell git runs `GIT_SSH_COMMAND` with.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Writes the ssh key readable by us only (ssh refuses group/world-readable keys).
pub(super) fn write_private(path: &Path, key: &Secret) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let err = |e| Error::io(format!("writing {}", path.display()), e);
    let mut f = o.open(path).map_err(err)?;
    let mut text = key.expose().to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    f.write_all(text.as_bytes()).map_err(err)
}

/// Tree paths we write: relative, no empty, `.` or `..` segments, no `.git`.
pub(super) fn check_path(p: &str) -> Result<()> {
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.split('/')
            .any(|s| s.is_empty() || s == "." || s == ".." || s == ".git")
        || p.contains(['\0', '\n', ',']);
    if bad {
        return Err(Error::input(format!(
            "refusing to write `{p}` into a git tree"
        )));
    }
    Ok(())
}

pub(super) fn unreachable(spec: &Spec, out: &Output) -> Error {
    if super::remote::classify(out) == super::remote::Failure::Denied {
        return super::remote::denied(spec, "reading the branch", out);
    }
    Error::new(
        ErrorKind::Unreachable,
        format!("reading branch {} of {}: {}", spec.branch, spec.url, out.tail()),
    )
    .with_hint("check `repo` in pipeline.yaml and that git can reach it (ssh key and known_hosts, credential helper or token)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf hi | git hash-object --stdin`
        // `printf hi | git hash-object --stdin`, and the empty blob.
        assert_eq!(blob_id(b"hi"), "32f95c0d1244a78b2be1bab8de17906fabb2c4a8");
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        let dir = Scratch::new("tagship-git-test").unwrap();
        let f = dir.path().join("hi");
        std::fs::write(&f, "hi").unwrap();
        assert_eq!(file_blob_id(&f).unwrap(), blob_id(b"hi"));
    }

    #[test]
    fn paths_are_checked() {
        for bad in ["", "/a", "a//b", "../x", "a/./b", ".git/config", "a,b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        check_path("simple/demo/index.html").unwrap();
    }

    #[test]
    fn ssh_command_quotes_and_is_strict() {
        let s = ssh_command(Path::new("/tmp/k"), Some(Path::new("/x/it's")));
        assert!(s.contains("-i '/tmp/k'"), "{s}");
        assert!(s.contains("StrictHostKeyChecking=yes"), "{s}");
        assert!(s.contains("UserKnownHostsFile='/x/it'\\''s'"), "{s}");
    }
}
