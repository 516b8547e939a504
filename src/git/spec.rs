//! Building a `Spec` from a platform's settings: the same credential rules for every adapter
//! that writes to a git branch (pep503, homebrew, aur). The credential's variable is always
//! recorded (the remote's refusal names it); the secret itself is used when present, and a dry
//! run without it reads anonymously (`Auth::Ambient`), ssh host keys still checked strictly.

use super::{Auth, Author, Spec};
use crate::redact::Secret;
use std::path::PathBuf;

impl Spec {
    /// `branch` of `url`, read with git's own credentials, committed by tagship at `epoch`.
    pub fn new(url: impl Into<String>, branch: impl Into<String>, epoch: u64) -> Spec {
        Spec {
            url: url.into(),
            branch: branch.into(),
            auth: Auth::Ambient,
            author: Author::default(),
            epoch,
            program: "git".into(),
            credential: None,
        }
    }

    /// Commits as `name <email>`.
    pub fn author(mut self, name: &str, email: &str) -> Spec {
        self.author = Author {
            name: name.into(),
            email: email.into(),
        };
        self
    }

    /// An HTTPS token from the variable `var` (`secret`: its value, when set).
    pub fn token(mut self, var: &str, secret: Option<&Secret>) -> Spec {
        self.credential = Some(var.into());
        if let Some(t) = secret {
            self.auth = Auth::Token(t.clone());
        }
        self
    }

    /// An ssh key from the variable `var` (`secret`: its text, when set), the host checked
    /// against `known_hosts` (default: ssh's own).
    pub fn ssh_key(
        mut self,
        var: &str,
        secret: Option<&Secret>,
        known_hosts: Option<PathBuf>,
    ) -> Spec {
        self.credential = Some(var.into());
        if let Some(key) = secret {
            self.auth = Auth::SshKey {
                key: key.clone(),
                known_hosts,
            };
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_when_present_named_always() {
        let s = Spec::new("https://h/t.git", "main", 7).token("TAP_TOKEN", None);
        assert!(matches!(s.auth, Auth::Ambient));
        assert_eq!(s.credential.as_deref(), Some("TAP_TOKEN"));
        assert_eq!(
            (s.epoch, s.program.as_str(), s.author.clone()),
            (7, "git", Author::default())
        );
        let key = Secret::new("k".to_string());
        let kh = Some(PathBuf::from("/k"));
        let s = Spec::new("ssh://h/t.git", "main", 7)
            .author("a", "a@x")
            .ssh_key("KEY", Some(&key), kh.clone());
        assert!(matches!(&s.auth, Auth::SshKey { known_hosts, .. } if *known_hosts == kh));
        assert_eq!(
            (s.author.name.as_str(), s.credential.as_deref()),
            ("a", Some("KEY"))
        );
    }
}
