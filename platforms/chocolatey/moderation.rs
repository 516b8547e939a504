//! What the community repository's moderation fields mean for a release (PROTOCOLS §5): the
//! gallery's `PackageStatus` {Submitted, Approved, Rejected, Exempted, Unknown} and, while
//! submitted, `PackageSubmittedStatus` {Pending, Ready, Waiting, Responded, Updated}, plus
//! the automated checks (`PackageValidationResultStatus`, `PackageTestResultStatus`/`Url`)
//! and the reviewer. Approved and exempted are live; submitted is `pending` with the state
//! and the package page; rejected is a failure with the reviewer's reason. The feed carries no
//! review comment text, so the reason names the reviewer, the failing checks and the page
//! where the comments are.

use super::feed::Entry;

/// The verdict on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Live,
    Pending(String),
    Rejected(String),
}

/// What each submitted sub-state means for the maintainer.
fn submitted(sub: Option<&str>) -> &'static str {
    match sub {
        Some("Pending") => "automated validation and verification are still running",
        Some("Ready") => "checks passed; waiting for a human moderator",
        Some("Waiting") => "a moderator asked the maintainer for changes (auto-rejected if unanswered for 35 days)",
        Some("Responded") => "the maintainer responded; back with the moderator",
        Some("Updated") => "the maintainer pushed a fix; waiting for re-review",
        _ => "in the moderation queue",
    }
}

/// The failing automated checks, as a clause (empty when none failed).
fn failing_checks(e: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    if e.get("PackageValidationResultStatus").as_deref() == Some("Failing") {
        out.push("validation failing".to_string());
    }
    if e.get("PackageTestResultStatus").as_deref() == Some("Failing") {
        let url = e.get("PackageTestResultUrl").map(|u| format!(" ({u})")).unwrap_or_default();
        out.push(format!("verification (install test) failing{url}"));
    }
    out
}

/// Judges one entry of a moderated feed; `page` is the package version's gallery page.
/// Unmoderated feeds never call this: what they list is live.
pub fn judge(e: &Entry, page: &str) -> Verdict {
    let status = e.get("PackageStatus");
    match status.as_deref() {
        Some("Approved") | Some("Exempted") => Verdict::Live,
        Some("Submitted") => {
            let sub = e.get("PackageSubmittedStatus");
            let mut why = format!(
                "awaiting moderation: Submitted/{} — {}",
                sub.as_deref().unwrap_or("?"),
                submitted(sub.as_deref())
            );
            for c in failing_checks(e) {
                why.push_str(&format!("; {c}"));
            }
            why.push_str(&format!("; {page}"));
            Verdict::Pending(why)
        }
        Some("Rejected") => {
            let who = e.get("PackageReviewer").unwrap_or_else(|| "the moderators".into());
            let when = e.get("PackageReviewedDate").map(|d| format!(" on {d}")).unwrap_or_default();
            let mut why = format!("rejected by {who}{when}");
            let checks = failing_checks(e);
            if !checks.is_empty() {
                why.push_str(&format!(": {}", checks.join("; ")));
            }
            why.push_str(&format!("; the reviewer's comments are on {page}"));
            Verdict::Rejected(why)
        }
        // `Unknown` or a feed without the field: only an approval makes it live.
        _ if e.get("IsApproved").as_deref() == Some("true") => Verdict::Live,
        other => Verdict::Pending(format!(
            "not approved yet (status {}); {page}",
            other.unwrap_or("unknown")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(props: &str) -> Entry {
        Entry::first(&format!("<entry><m:properties>{props}</m:properties></entry>")).unwrap()
    }
    const PAGE: &str = "https://community.chocolatey.org/packages/demo/1.0.0";

    #[test]
    fn states() {
        let j = |p: &str| judge(&entry(p), PAGE);
        assert_eq!(j("<d:PackageStatus>Approved</d:PackageStatus>"), Verdict::Live);
        assert_eq!(j("<d:PackageStatus>Exempted</d:PackageStatus>"), Verdict::Live);
        let Verdict::Pending(w) = j("<d:IsApproved>false</d:IsApproved><d:PackageStatus>Submitted</d:PackageStatus><d:PackageSubmittedStatus>Waiting</d:PackageSubmittedStatus>") else {
            panic!()
        };
        assert!(w.contains("Submitted/Waiting") && w.contains("maintainer") && w.ends_with(PAGE), "{w}");
        let Verdict::Rejected(w) = j("<d:PackageStatus>Rejected</d:PackageStatus><d:PackageReviewer>gep13</d:PackageReviewer><d:PackageTestResultStatus>Failing</d:PackageTestResultStatus><d:PackageTestResultUrl>https://gist.example/1</d:PackageTestResultUrl>") else {
            panic!()
        };
        assert!(w.contains("gep13") && w.contains("https://gist.example/1") && w.contains(PAGE), "{w}");
        assert!(matches!(j("<d:PackageStatus>Unknown</d:PackageStatus>"), Verdict::Pending(_)));
        assert_eq!(j("<d:IsApproved>true</d:IsApproved>"), Verdict::Live);
    }
}
