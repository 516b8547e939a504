//! The version-level probe (issue 11): the user's `check` command, run before anything is
//! built, with `TAGSHIP_PROBE=1` and TAGSHIP_ARTIFACTS naming the paths the build *will*
//! write (they do not exist yet). The contract is the check's: exit 0 = this version is
//! present, 10 = absent; anything else makes the release build and check as usual.

use super::{Exec, ABSENT};
use crate::error::Result;
use crate::exec::Effect;
use crate::platform::{Cx, Handover, Planned, Probe};

pub(super) async fn probe(e: &Exec, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let dist = &cx.release.dist;
    let planned: Vec<String> = plan
        .uploadables
        .iter()
        .map(|n| dist.join(n).display().to_string())
        .collect();
    let cmd = e
        .cmd(cx, &e.cfg.check, Effect::Local)?
        .env("TAGSHIP_ARTIFACTS", planned.join("\n"))
        .env("TAGSHIP_PROBE", "1");
    let out = cx.exec.run(&cmd).await?;
    Ok(match out.code {
        Some(0) => Probe::Live(Handover::urls(e.cfg.url.iter().cloned().collect())),
        Some(ABSENT) => Probe::Missing("exec: the check command says absent".into()),
        _ => Probe::Unknown,
    })
}
