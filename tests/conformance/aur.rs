//! aur: the package's bare repository served by a real sshd (scripts/servers/sshd.sh: a
//! throwaway host key pinned in known_hosts, a git-shell user, key authentication with
//! AUR_SSH_KEY), with github (the double) in the same pipeline, as `needs: github` asks.
//! Mutations are GitHub's mutating requests plus the commits on the AUR repository. What a
//! client downloads is master's `PKGBUILD` and `.SRCINFO`; the file deleted behind tagship's
//! back is `.SRCINFO`, by someone else's commit. tests/aur_*.rs use the same servers
//! (`setup`), so each test crate uses only part of this file.
#![allow(dead_code)]

use crate::common::{sha256, Fixture, Server, Traits};
use std::collections::BTreeMap;
use std::path::Path;

#[path = "../aur_support/mod.rs"]
pub mod aur_support;

use aur_support::world::World;

pub struct Aur;

impl Fixture for Aur {
    fn traits(&self) -> Traits {
        Traits {
            http: false,
            per_file_report: true,
            conflict_kind: true,
        }
    }
    fn start(&self, _dir: &Path) -> Box<dyn Server> {
        Box::new(Running(World::start()))
    }
}

pub struct Running(pub World);

/// The servers and the scratch project publishing to them (for tests/aur_*.rs).
pub fn setup() -> (Running, crate::support::cli::Project) {
    let server = Running(World::start());
    let p = crate::common::project(&server);
    (server, p)
}

impl Server for Running {
    fn section(&self) -> String {
        self.0.section_with("")
    }
    fn env(&self) -> Vec<(String, String)> {
        self.0.env()
    }
    fn credential(&self) -> &'static str {
        "AUR_SSH_KEY"
    }
    fn mutations(&self) -> Vec<String> {
        let mut all = self.0.github_mutations();
        all.extend(
            aur_support::commits(&self.0.bare())
                .into_iter()
                .map(|c| format!("aur commit {c}")),
        );
        all
    }
    fn files(&self) -> BTreeMap<String, String> {
        aur_support::files(&self.0.bare())
            .into_iter()
            .map(|(path, text)| (path, sha256(text.as_bytes())))
            .collect()
    }
    fn delete_one(&self) -> String {
        aur_support::commit_behind_our_back(
            &self.0.bare(),
            &[(".SRCINFO", None)],
            "someone deletes .SRCINFO",
        );
        ".SRCINFO".into()
    }
}
