//! `--metrics FILE`: the report as Prometheus text exposition format (version 0.0.4), ready for
//! node_exporter's textfile collector or a Pushgateway. A pure function of the report. Every
//! value describes one run, so every metric is a gauge; the names are stable and documented
//! in README.md ("Metrics").

use super::Report;
use std::fmt::Write as _;

/// One metric family: name, help, and its samples (labels, value).
pub(crate) struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub samples: Vec<(Labels, f64)>,
}

/// A sample's labels, in order.
pub(crate) type Labels = Vec<(&'static str, String)>;

type Count = fn(&crate::guard::Counts) -> u64;

/// The per-platform counts of the shared layers, as gauges.
const COUNTS: [(&str, &str, Count); 5] = [
    (
        "tagship_platform_requests",
        "Requests and side-effecting commands sent per platform, retries included.",
        |c| c.requests,
    ),
    (
        "tagship_platform_mutating_requests",
        "Mutating requests and commands sent per platform.",
        |c| c.mutating,
    ),
    (
        "tagship_platform_withheld_requests",
        "Mutations a dry run withheld per platform.",
        |c| c.withheld,
    ),
    (
        "tagship_platform_retries",
        "Attempts retried per platform (5xx, 429, transport errors).",
        |c| c.retries,
    ),
    (
        "tagship_platform_bytes_sent",
        "Request body bytes sent per platform, retries included.",
        |c| c.bytes_sent,
    ),
];

/// Renders the report's metrics.
pub fn prometheus(r: &Report) -> String {
    let mut families = run_families(r);
    families.extend(platform_families(r));
    for (name, help, count) in COUNTS {
        families.push(Family {
            name,
            help,
            samples: per_platform(r, &|p| count(&p.requests) as f64),
        });
    }
    render(families)
}

/// The run's labels (project, version, operation) and `extra`.
fn labels(r: &Report, extra: Vec<(&'static str, String)>) -> Labels {
    let mut l = vec![
        ("project", r.project.clone()),
        ("version", r.version.clone()),
        ("operation", r.operation.clone()),
    ];
    l.extend(extra);
    l
}

/// One sample per platform: `f` of its row.
fn per_platform(r: &Report, f: &dyn Fn(&super::PlatformReport) -> f64) -> Vec<(Labels, f64)> {
    r.platforms
        .iter()
        .map(|p| (labels(r, vec![("platform", p.id.clone())]), f(p)))
        .collect()
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn run_families(r: &Report) -> Vec<Family> {
    vec![
        Family {
            name: "tagship_run_exit_code",
            help:
                "Exit code of the run (0 ok, 1 a platform failed or waits for a person, 2 refused).",
            samples: vec![(
                labels(r, vec![("dry_run", r.dry_run.to_string())]),
                r.exit_code as f64,
            )],
        },
        Family {
            name: "tagship_run_duration_seconds",
            help: "Wall time of the whole run.",
            samples: vec![(labels(r, vec![]), secs(r.duration_ms))],
        },
    ]
}

fn platform_families(r: &Report) -> Vec<Family> {
    vec![
        Family {
            name: "tagship_platform_outcome",
            help: "1 for the outcome each platform ended in.",
            samples: r
                .platforms
                .iter()
                .map(|p| {
                    let l = vec![
                        ("platform", p.id.clone()),
                        ("outcome", p.outcome.as_str().into()),
                    ];
                    (labels(r, l), 1.0)
                })
                .collect(),
        },
        Family {
            name: "tagship_platform_duration_seconds",
            help: "Wall time per platform.",
            samples: per_platform(r, &|p| secs(p.duration_ms)),
        },
        Family {
            name: "tagship_platform_stage_duration_seconds",
            help: "Wall time per platform and stage (package, check, publish, verify, ...).",
            samples: r
                .platforms
                .iter()
                .flat_map(|p| {
                    p.stages.iter().map(|(stage, ms)| {
                        let l = vec![("platform", p.id.clone()), ("stage", stage.clone())];
                        (labels(r, l), secs(*ms))
                    })
                })
                .collect(),
        },
    ]
}

/// The text format of `families`, every one a gauge.
pub(crate) fn render(families: Vec<Family>) -> String {
    let mut s = String::new();
    for f in families {
        let _ = writeln!(s, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(s, "# TYPE {} gauge", f.name);
        for (labels, v) in f.samples {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(s, "{}{{{}}} {v}", f.name, l.join(","));
        }
    }
    s
}

/// A label value as the text format requires: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}
