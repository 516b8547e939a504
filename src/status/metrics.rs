//! `tagship status --metrics FILE`: the status as Prometheus gauges (text format 0.0.4), for
//! node_exporter's textfile collector or a Pushgateway, from a scheduled job. A pure function
//! of the status; the names are stable and documented in README.md ("Metrics").

use super::{Presence, Status};
use crate::report::metrics::{render, Family};

/// Renders the status's metrics.
pub fn prometheus(st: &Status) -> String {
    let run = |extra: Vec<(&'static str, String)>| {
        let mut l = vec![
            ("project", st.project.clone()),
            ("version", st.version.clone()),
        ];
        l.extend(extra);
        l
    };
    let per = |f: &dyn Fn(&super::Row) -> f64| {
        st.platforms
            .iter()
            .map(|r| (run(vec![("platform", r.id.clone())]), f(r)))
            .collect::<Vec<_>>()
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    render(vec![
        Family {
            name: "tagship_status_in_sync",
            help: "1 when every platform has the version (no drift, staleness or unreachable platform).",
            samples: vec![(run(vec![]), flag(st.exit_code == 0))],
        },
        Family {
            name: "tagship_status_platform_up",
            help: "1 when the platform answered, 0 when it was unreachable or refused.",
            samples: per(&|r| flag(!r.unreachable)),
        },
        Family {
            name: "tagship_status_platform_complete",
            help: "1 when the version is complete on the platform.",
            samples: per(&|r| flag(r.presence == Presence::Complete)),
        },
        Family {
            name: "tagship_status_platform_drift",
            help: "1 when the platform is behind the version (or has it only in part).",
            samples: per(&|r| flag(r.drift.is_some())),
        },
        Family {
            name: "tagship_status_platform_stale",
            help: "1 when the version is still missing after the staleness window.",
            samples: per(&|r| flag(r.stale)),
        },
        Family {
            name: "tagship_status_platform_live_version",
            help: "1, labelled with the newest version live on the platform.",
            samples: st
                .platforms
                .iter()
                .filter_map(|r| {
                    let live = r.newest.clone()?;
                    Some((run(vec![("platform", r.id.clone()), ("live", live)]), 1.0))
                })
                .collect(),
        },
    ])
}
