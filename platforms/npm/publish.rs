//! The publish phase: platform packages first, then, once installers can see every one of
//! them, the root package that points at them. Installers read the abbreviated packument,
//! which npmjs's CDN serves stale for minutes (cached 404s included), and npm silently skips
//! an optional dependency it cannot resolve: a root published too early installs without its
//! binary. A transient 409 is re-checked (the publish often landed) and retried, bounded; it
//! is never "exists with different content".

use super::api::{Api, Put};
use super::config::Access;
use super::{manifest, Loaded, Npm};
use crate::error::{Error, ErrorKind, Result};
use crate::platform::{Cx, Live, Published};
use std::time::{Duration, Instant};

/// PUTs of one package after transient 409s, in all.
const TRANSIENT_TRIES: u32 = 4;

/// How one package's PUT (or stage request) ended.
pub(super) enum Sent {
    Uploaded { predicted: bool },
    AlreadyThere,
    /// Sent to npm's stage (`id`: `None` in a dry run), or found staged already.
    Staged {
        id: Option<String>,
        now: bool,
        predicted: bool,
    },
}

/// What one publish run did so far.
#[derive(Default)]
struct Progress {
    /// With `stage: true`: what was staged (or held back), for the pending outcome.
    lines: Vec<String>,
    /// A platform package staged in this run: the root must wait for its approval.
    any_dep: bool,
    /// When the last publish request really went out (pacing, `publish_interval_ms`).
    last_sent: Option<Instant>,
}

impl Npm {
    pub(super) async fn publish_all(
        &self,
        cx: &Cx,
        live: &Live,
        loaded: &[Loaded],
    ) -> Result<Published> {
        let api = self.api(cx);
        let mut p = Published {
            handover: self.page(cx, loaded),
            ..Default::default()
        };
        // A workspace (`workspace: true`) is published in its dependency order, one after
        // the other: none of its packages is a binary root waiting for platform packages.
        let (roots, deps): (Vec<&Loaded>, Vec<&Loaded>) = loaded.iter().partition(|l| {
            !self.cfg.workspace && l.manifest.get("optionalDependencies").is_some()
        });
        let (mut predicted, mut staged) = (false, Progress::default());
        for l in deps.iter().filter(|l| live.wants(&l.name)) {
            predicted |= self.send(cx, &api, l, &mut p, &mut staged).await?;
        }
        staged.any_dep = !staged.lines.is_empty();
        for l in roots.iter().filter(|l| live.wants(&l.name)) {
            if self.cfg.stage && staged.any_dep {
                // Not installable until approved: the root would install without its binary.
                staged.lines.push(super::stage::held(&l.name));
                continue;
            }
            if predicted {
                p.warnings.push(format!(
                    "dry run: could not prove that installers will see the platform packages before {} is published \
                     (their PUTs were withheld); a real run waits for the registry to list them",
                    l.name
                ));
            } else {
                let waited = self.wait_listed(&api, &deps).await?;
                if waited > Duration::from_secs(1) {
                    p.warnings.push(format!(
                        "waited {}s for the registry to list every platform package before publishing {}",
                        waited.as_secs(),
                        l.name
                    ));
                }
            }
            predicted |= self.send(cx, &api, l, &mut p, &mut staged).await?;
        }
        if predicted {
            p.warnings.push(self.unproven(cx));
        }
        if !staged.lines.is_empty() {
            p.pending = Some(staged.lines.join("; "));
        }
        Ok(p)
    }

    /// What a dry run cannot prove: `whoami` only shows the token is valid.
    fn unproven(&self, cx: &Cx) -> String {
        let proven = if cx.secret(&self.cfg.token_env).is_some() {
            format!("the token in {} is valid (whoami)", self.cfg.token_env)
        } else {
            format!("nothing about a token ({} is not set)", self.cfg.token_env)
        };
        format!(
            "dry run proved: the packages build, their names and dist-tag pass npm's rules, which versions exist, and {proven}. \
             It could not prove that the token may write these packages (a granular token limited to selected packages \
             gets 404 on a new name), that npmjs's spam check accepts new names, or that no 2FA one-time password is asked"
        )
    }

    /// PUTs one package, handling "exists" and transient 409s. Returns whether the PUT was
    /// withheld (dry run).
    async fn send(
        &self,
        cx: &Cx,
        api: &Api,
        l: &Loaded,
        p: &mut Published,
        staged: &mut Progress,
    ) -> Result<bool> {
        // Pace the fan-out: npmjs rate-limits bursts of writes (a 429 whose Retry-After is
        // longer than tagship waits ends the platform; a re-run sends only what is missing).
        let interval = self.cfg.publish_interval();
        if let Some(last) = staged.last_sent {
            tokio::time::sleep(interval.saturating_sub(last.elapsed())).await;
        }
        let sent = self.put_one(cx, api, l).await?;
        let withheld = matches!(
            sent,
            Sent::Uploaded { predicted: true } | Sent::Staged { predicted: true, .. }
        );
        if !withheld {
            staged.last_sent = Some(Instant::now());
        }
        match sent {
            Sent::Uploaded { predicted } => {
                p.uploaded
                    .push(manifest::tarball_file_name(&l.name, &l.version));
                Ok(predicted)
            }
            Sent::AlreadyThere => Ok(false),
            Sent::Staged { id, now, predicted } => {
                if now {
                    p.uploaded
                        .push(manifest::tarball_file_name(&l.name, &l.version));
                }
                let what = if now { "staged" } else { "already staged" };
                staged.lines.push(format!(
                    "{what} {}@{}; {} ({})",
                    l.name,
                    l.version,
                    super::stage::approve_with(id.as_deref()),
                    self.package_page(&l.name)
                ));
                Ok(predicted)
            }
        }
    }

    async fn put_one(&self, cx: &Cx, api: &Api, l: &Loaded) -> Result<Sent> {
        // Trusted publishing: a token for this package alone, minted right before its PUT.
        let exchanged;
        let api = if self.cfg.auth.uses_oidc(&self.cfg.token_env) {
            let base = self.cfg.registry_base();
            exchanged = api.with_token(super::oidc::exchange(cx, &base, &l.name).await?);
            &exchanged
        } else {
            api
        };
        let access = self
            .access(api, &l.name, l.manifest["publishConfig"]["access"].as_str())
            .await?;
        let doc = self.doc(cx, l, access)?;
        if self.cfg.stage {
            return self.stage_one(api, l, doc).await;
        }
        for attempt in 1..=TRANSIENT_TRIES {
            match api.put(&l.name, &l.version, doc.clone()).await? {
                Put::Created { predicted } => return Ok(Sent::Uploaded { predicted }),
                // Someone (or an earlier run whose answer was lost) published it: same bytes
                // are fine, different bytes are a conflict, never overwritten.
                Put::Exists => {
                    return match api.version(&l.name, &l.version).await? {
                        Some(d) => self.same(l, &d).map(|_| Sent::AlreadyThere),
                        None => Err(Error::conflict(format!(
                            "npm: {}@{} was published before (perhaps unpublished) and can never be reused",
                            l.name, l.version
                        ))
                        .with_hint("bump the version")),
                    }
                }
                // The registry was busy, or answered "Conflict" to a publish that landed.
                Put::Transient(why) => {
                    if let Some(d) = api.version(&l.name, &l.version).await? {
                        return self.same(l, &d).map(|_| Sent::AlreadyThere);
                    }
                    if attempt == TRANSIENT_TRIES {
                        return Err(Error::new(
                            ErrorKind::Server,
                            format!(
                                "npm: publishing {}@{}: the registry answered 409 {TRANSIENT_TRIES} times ({why}) and the version is not there",
                                l.name, l.version
                            ),
                        )
                        .with_hint("npm was still processing an earlier write of this package; re-run in a few minutes: tagship publishes only what is missing"));
                    }
                    tokio::time::sleep(Duration::from_millis(250 << (attempt - 1))).await;
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// `access` as npm decides it: the configured value; else `public` for a NEW scoped
    /// package (npmjs makes it private otherwise, a 402 on free accounts); else nothing, so
    /// an existing restricted package is never flipped to public.
    async fn access(
        &self,
        api: &Api,
        name: &str,
        manifest_access: Option<&str>,
    ) -> Result<Option<Access>> {
        if let Some(a) = self.cfg.access {
            return Ok(Some(a));
        }
        // package.json's publishConfig.access, as npm honours it.
        match manifest_access {
            Some("public") => return Ok(Some(Access::Public)),
            Some("restricted") => return Ok(Some(Access::Restricted)),
            _ => {}
        }
        if !name.starts_with('@') {
            return Ok(None);
        }
        Ok(match api.packument(name, true).await? {
            None => Some(Access::Public),
            Some(_) => None,
        })
    }

    /// Polls the abbreviated packument of every platform package, unauthenticated (as an
    /// installer reads it), until each lists our version; bounded by `visibility_timeout`.
    async fn wait_listed(&self, api: &Api, deps: &[&Loaded]) -> Result<Duration> {
        let t0 = Instant::now();
        let window = Duration::from_secs(self.cfg.visibility_timeout);
        let mut wait = Duration::from_millis(250);
        let mut pending: Vec<&Loaded> = deps.to_vec();
        loop {
            let mut still = Vec::new();
            for l in pending {
                let doc = api.packument(&l.name, false).await?;
                if !doc.is_some_and(|d| d["versions"].get(&l.version).is_some()) {
                    still.push(l);
                }
            }
            pending = still;
            if pending.is_empty() {
                return Ok(t0.elapsed());
            }
            let names: Vec<String> = pending
                .iter()
                .map(|l| format!("{}@{}", l.name, l.version))
                .collect();
            if t0.elapsed() + wait > window {
                return Err(Error::new(
                    ErrorKind::Server,
                    format!(
                        "npm: after {}s installers still do not see {} (the abbreviated packument does not list it); \
                         the root package was not published, so it never points at a version npm would silently skip",
                        t0.elapsed().as_secs(),
                        names.join(", ")
                    ),
                )
                .with_hint("re-run `tagship publish --only npm` in a few minutes: it publishes only what is missing (or raise platforms.npm.visibility_timeout)"));
            }
            let why = format!("for the registry to list {} ({}s so far)", names.join(", "), t0.elapsed().as_secs());
            crate::progress::pause("npm", wait, &why).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }
}
