//! `tagship status --watch INTERVAL`: a long-running monitor. It asks every platform as
//! `status` does, prints the table once, then only the rows that changed (one line each,
//! with the time), rewriting dist/status/ and the metrics file every round. While a platform
//! answers 429, the next round waits twice as long (up to 8 × INTERVAL), so a watch never
//! hammers a rate-limited registry; each round costs the same bounded requests as one
//! `status`. `--rounds N` stops after N checks; the exit code is the last round's.

use super::output::Out;
use super::status::{emit, Asker};
use crate::cli::StatusArgs;
use crate::status::{Row, Status};
use std::time::Duration;

/// The longest back-off, as a multiple of the interval.
const MAX_BACKOFF: u32 = 8;

pub async fn watch(asker: &Asker, a: &StatusArgs, out: &Out, every: Duration) -> i32 {
    let mut last: Option<Status> = None;
    let mut wait = every;
    let mut round = 0usize;
    loop {
        let st = match asker.ask().await {
            Ok(st) => st,
            Err(e) => return out.fatal(&[e]),
        };
        let lines = last.as_ref().map(|old| changes(old, &st));
        let code = emit(&st, a, &asker.dist, out, lines.as_deref());
        if code == 2 {
            return code;
        }
        round += 1;
        if a.rounds.is_some_and(|n| round >= n) {
            return code;
        }
        wait = next_wait(wait, every, rate_limited(&st));
        last = Some(st);
        tokio::time::sleep(wait).await;
    }
}

/// Twice the last wait (bounded) while rate limited, else the interval.
fn next_wait(last: Duration, every: Duration, limited: bool) -> Duration {
    if limited {
        (last * 2).min(every * MAX_BACKOFF)
    } else {
        every
    }
}

/// Some platform answered 429 this round.
fn rate_limited(st: &Status) -> bool {
    st.platforms.iter().any(|r| {
        r.unreachable
            && r.reason
                .as_deref()
                .is_some_and(|why| why.contains("HTTP 429"))
    })
}

/// One line per platform whose row changed since `old` (a platform new to the list too).
pub fn changes(old: &Status, new: &Status) -> Vec<String> {
    let mut out = Vec::new();
    if old.version != new.version {
        out.push(format!(
            "[{}] version asked about: {} -> {}",
            new.checked_at, old.version, new.version
        ));
    }
    for r in &new.platforms {
        let before = old.platforms.iter().find(|o| o.id == r.id);
        if before.map(summary) != Some(summary(r)) {
            let was = before.map_or("(new)".to_string(), summary);
            out.push(format!(
                "[{}] {}: {was} -> {}",
                new.checked_at,
                r.id,
                summary(r)
            ));
        }
    }
    out
}

/// A row in a few words: what a watcher cares about.
fn summary(r: &Row) -> String {
    if r.unreachable {
        return format!("unreachable ({})", r.reason.as_deref().unwrap_or("?"));
    }
    let mut s =
        format!("{} {:?}", r.newest.as_deref().unwrap_or("none"), r.presence).to_lowercase();
    if let Some(d) = &r.drift {
        s.push_str(&format!(", drift: {d}"));
    }
    if r.stale {
        s.push_str(", stale");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Presence;

    fn row(id: &str, newest: &str, presence: Presence) -> Row {
        Row {
            id: id.into(),
            presence,
            newest: Some(newest.into()),
            published_at: None,
            drift: None,
            stale: false,
            unreachable: false,
            reason: None,
            url: None,
            package: None,
            version: None,
        }
    }

    fn status(rows: Vec<Row>) -> Status {
        Status {
            schema_version: 1,
            project: "demo".into(),
            version: "1.1.19".into(),
            newest: None,
            checked_at: "T".into(),
            stale_after_hours: 24,
            exit_code: 0,
            platforms: rows,
        }
    }

    #[test]
    fn only_changed_rows_are_printed() {
        let old = status(vec![
            row("github", "1.1.19", Presence::Complete),
            row("npm", "1.1.17", Presence::Absent),
        ]);
        let new = status(vec![
            row("github", "1.1.19", Presence::Complete),
            row("npm", "1.1.19", Presence::Complete),
        ]);
        assert_eq!(
            changes(&old, &new),
            ["[T] npm: 1.1.17 absent -> 1.1.19 complete"]
        );
        assert!(changes(&new, &new).is_empty());
    }

    #[test]
    fn a_429_doubles_the_wait_up_to_eight_times_then_resets() {
        let every = Duration::from_secs(60);
        let mut w = every;
        for want in [2, 4, 8, 8] {
            w = next_wait(w, every, true);
            assert_eq!(w, every * want);
        }
        assert_eq!(next_wait(w, every, false), every);
        let mut limited = row("npm", "1.0.0", Presence::Unknown);
        limited.unreachable = true;
        limited.reason = Some("checking x: HTTP 429 Too Many Requests from http://r/".into());
        assert!(rate_limited(&status(vec![limited])));
        assert!(!rate_limited(&status(vec![row(
            "npm",
            "1",
            Presence::Complete
        )])));
    }
}
