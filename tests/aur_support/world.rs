//! The two servers an AUR release talks to: the GitHub double (whose assets the PKGBUILD
//! points at; GitHub is hosted-only) on its own tokio runtime, and the real sshd serving
//! the package's bare repository `demo-bin.git`.

use super::Sshd;
use crate::support::github_double::GithubDouble;
use std::path::PathBuf;

pub const TOKEN: &str = "ghp_aur_world_token_7c41e9";
pub const PKG: &str = "demo-bin";

pub struct World {
    pub double: GithubDouble,
    pub sshd: Sshd,
    // Last: keeps the double serving until it is gone.
    _rt: tokio::runtime::Runtime,
}

impl World {
    pub fn start() -> World {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let double = rt.block_on(GithubDouble::start("acme", "demo", TOKEN));
        World {
            double,
            sshd: Sshd::start(&[PKG]),
            _rt: rt,
        }
    }

    /// The github section (the double) and the aur section (the sshd, pinned host key),
    /// with `extra` lines added to the aur section (indented by four spaces).
    pub fn section_with(&self, extra: &str) -> String {
        let api = self.double.api_url();
        format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{api}/\"\n    upload_url: \"{api}/uploads\"\n  aur:\n    remote: \"{}\"\n    known_hosts: \"{}\"\n{extra}",
            self.sshd.url(PKG),
            self.sshd.known_hosts().display()
        )
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("AUR_SSH_KEY".into(), self.sshd.key()),
        ]
    }

    pub fn bare(&self) -> PathBuf {
        self.sshd.bare(PKG)
    }

    /// Mutating requests the GitHub double answered.
    pub fn github_mutations(&self) -> Vec<String> {
        self.double
            .requests()
            .into_iter()
            .filter(|(m, _)| m != "GET" && m != "HEAD")
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
}
