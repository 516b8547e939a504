//! `exec`: user-defined check and publish commands, for any registry tagship does not know
//! (a private company registry, an internal mirror). The contract:
//! - `check` exits 0 when this version is present, 10 when absent, anything else is an error;
//! - `publish` exits 0 on success;
//! - both get TAGSHIP_VERSION, TAGSHIP_TAG, TAGSHIP_NAME, TAGSHIP_DIST, TAGSHIP_ARTIFACTS
//!   (newline-separated absolute paths of the archives and SHA256SUMS), and the declared
//!   credentials as environment variables of the same name.
//!
//! Before the build, `check` also runs as the release's probe, with `TAGSHIP_PROBE=1` and
//! TAGSHIP_ARTIFACTS naming the files the build will write (see `probe.rs`).
//! `check` is read-only and runs under `--dry-run`; `publish` is side-effecting and is withheld
//! by the exec layer under `--dry-run`.

mod probe;

use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::plan::{Artifact, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Handover, Live, Platform, Published, Requirement,
};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `platforms.exec` in pipeline.yaml.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecConfig {
    /// argv run to ask whether this version is present: exit 0 = present, 10 = absent.
    pub check: Vec<String>,
    /// argv run to publish: exit 0 = success.
    pub publish: Vec<String>,
    /// Working directory, relative to pipeline.yaml.
    #[serde(default)]
    pub dir: Option<String>,
    /// Extra environment for both commands.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Credential variables passed through to both commands (required in a real run).
    #[serde(default)]
    pub credentials: Vec<String>,
    /// URL shown in the report after a publish.
    #[serde(default)]
    pub url: Option<String>,
    /// Seconds before a hung command is killed (default 1800).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    1800
}

pub const FACTORY: Factory = Factory {
    id: "exec",
    about: "custom check/publish commands for any other registry",
    schema: || schemars::schema_for!(ExecConfig),
    build: |v, _p: &Project| {
        let cfg: ExecConfig = section("exec", v)?;
        if cfg.check.is_empty() || cfg.publish.is_empty() {
            return Err(Error::config(
                "platforms.exec: `check` and `publish` must be non-empty argv lists",
            ));
        }
        Ok(Box::new(Exec { cfg }))
    },
};

pub struct Exec {
    cfg: ExecConfig,
}

/// Exit code meaning "absent" in the check contract.
pub const ABSENT: i32 = 10;

impl Exec {
    fn cmd(&self, cx: &Cx, argv: &[String], effect: Effect) -> Result<Cmd> {
        let r = &cx.release;
        let dir = match &self.cfg.dir {
            Some(d) => r.root.join(d),
            None => r.root.clone(),
        };
        let artifacts: Vec<String> = r
            .uploadables()
            .iter()
            .map(|a| r.path(a).display().to_string())
            .collect();
        let mut cmd = Cmd::argv(argv, effect)?
            .cwd(dir)
            .timeout(std::time::Duration::from_secs(self.cfg.timeout_secs))
            .env("TAGSHIP_VERSION", r.version.to_string())
            .env("TAGSHIP_TAG", r.tag.clone())
            .env("TAGSHIP_NAME", r.project.name.clone())
            .env("TAGSHIP_DIST", r.dist.display().to_string())
            .env("TAGSHIP_ARTIFACTS", artifacts.join("\n"));
        for (k, v) in &self.cfg.env {
            cmd = cmd.env(k.clone(), v.clone());
        }
        for var in &self.cfg.credentials {
            if let Some(s) = cx.secret(var) {
                cmd = cmd.secret_env(var.clone(), s.clone());
            }
        }
        Ok(cmd)
    }
}

#[async_trait]
impl Platform for Exec {
    fn id(&self) -> &str {
        "exec"
    }

    fn requirements(&self) -> Vec<Requirement> {
        let mut r: Vec<Requirement> = self
            .cfg
            .credentials
            .iter()
            .map(Requirement::credential)
            .collect();
        for argv in [&self.cfg.check, &self.cfg.publish] {
            if let Some(p) = argv.first().filter(|p| !p.contains('/')) {
                r.push(Requirement::tool(p));
            }
        }
        r
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The check command is run once more after publishing: no waiting.
            verify_within: Some(std::time::Duration::ZERO),
            ..Capabilities::default()
        }
    }

    async fn probe(&self, cx: &Cx, plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        probe::probe(self, cx, plan).await
    }

    async fn check(&self, cx: &Cx, _: &[Artifact]) -> Result<Checked> {
        let cmd = self.cmd(cx, &self.cfg.check, Effect::Local)?;
        let out = cx.exec.run(&cmd).await?;
        let urls = Handover::urls(self.cfg.url.iter().cloned().collect());
        match out.code {
            Some(0) => Ok(Checked::with(Live::Present, urls)),
            Some(ABSENT) => Ok(Live::Absent.into()),
            code => Err(Error::new(
                ErrorKind::Other,
                format!(
                    "check command `{}` exited with {} (expected 0 = present or 10 = absent): {}",
                    cmd.display(),
                    code.map_or("a signal".into(), |c| c.to_string()),
                    out.tail()
                ),
            )
            .with_hint("make the check command exit 0 when the version is present and 10 when it is absent")),
        }
    }

    async fn publish(&self, cx: &Cx, _: &Live, _: &[Artifact]) -> Result<Published> {
        let cmd = self.cmd(cx, &self.cfg.publish, Effect::SideEffect)?;
        let out = cx.exec.run(&cmd).await?;
        if !out.success() {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "publish command `{}` exited with {}: {}",
                    cmd.display(),
                    out.code.map_or("a signal".into(), |c| c.to_string()),
                    out.tail()
                ),
            )
            .with_hint(
                "fix the publish command; a re-run only publishes what the check says is missing",
            ));
        }
        Ok(Published {
            handover: Handover::urls(self.cfg.url.iter().cloned().collect()),
            uploaded: cx
                .release
                .uploadables()
                .iter()
                .map(|a| a.name.clone())
                .collect(),
            ..Default::default()
        })
    }
}
