//! Turning errors and live states into a report's outcome, reason and hint.

use crate::error::{Error, ErrorKind};
use crate::platform::Live;
use crate::report::{OutcomeKind, PlatformReport};

/// The outcome a check alone decides (`None`: there is something to publish).
pub(super) fn outcome_of_live(live: &Live, r: &mut PlatformReport) -> Option<OutcomeKind> {
    match live {
        Live::Present => {
            r.reason = Some("already live".into());
            Some(OutcomeKind::AlreadyPublished)
        }
        Live::Pending { reason } => {
            r.reason = Some(reason.clone());
            Some(OutcomeKind::Pending)
        }
        Live::Conflict { conflicts } => {
            fail(r, &conflict(conflicts), false);
            Some(OutcomeKind::Failed)
        }
        Live::Absent | Live::Partial { .. } => None,
    }
}

/// The error for content that is live with other bytes.
pub(super) fn conflict(conflicts: &[String]) -> Error {
    Error::conflict(format!(
        "live with different content: {}",
        conflicts.join("; ")
    ))
}

pub(super) fn describe_live(live: &Live) -> String {
    match live {
        Live::Absent => "not live yet: a real run would publish it".into(),
        Live::Partial { missing, .. } => format!("a real run would upload {}", missing.join(", ")),
        _ => String::new(),
    }
}

pub(super) fn summary(live: &Live) -> String {
    match live {
        Live::Absent => "nothing is listed yet".into(),
        Live::Partial { missing, .. } => format!("still missing {}", missing.join(", ")),
        Live::Pending { reason } => reason.clone(),
        Live::Present => "live".into(),
        Live::Conflict { conflicts } => conflicts.join("; "),
    }
}

/// Marks a report failed with the error's reason, kind and hint.
pub(super) fn fail(r: &mut PlatformReport, e: &Error, dry_run: bool) {
    r.outcome = if dry_run && e.kind == ErrorKind::Unreachable {
        OutcomeKind::Unreachable
    } else {
        OutcomeKind::Failed
    };
    r.reason = Some(e.chain());
    r.error_kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from));
    r.hint = Some(
        e.hint()
            .map(str::to_string)
            .unwrap_or_else(|| default_hint(e.kind, &r.id)),
    );
}

fn default_hint(kind: ErrorKind, id: &str) -> String {
    match kind {
        ErrorKind::Auth => {
            format!("the credential for {id} was rejected; check its value and scope")
        }
        ErrorKind::Conflict => {
            "the version exists with different content; tagship never overwrites: bump the version"
                .into()
        }
        ErrorKind::Unreachable => {
            "the platform could not be reached; check its URL and your network".into()
        }
        ErrorKind::Credentials => "set the credential named above".into(),
        _ => {
            format!("re-run `tagship publish --only {id}` once fixed; only missing files are sent")
        }
    }
}
