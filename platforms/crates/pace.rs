//! Pacing uploads to crates.io's publish rate limits (issue 14), so a workspace of many
//! crates is spread out instead of refused: crates.io allows a burst of 5 new crates, then
//! one every 10 minutes, and a burst of 30 new versions of existing crates, then one a
//! minute (`rust-lang/crates.io` `src/rate_limiter.rs`, `LimitedAction::PublishNew` and
//! `PublishUpdate`). Each limit is a token bucket, kept as the generic cell rate algorithm
//! (one "theoretical arrival time" per bucket), with the clock passed in so the arithmetic
//! is tested without sleeping. The limits are per user and outlive one run: the pacer only
//! knows this run's uploads, so a run that starts with a spent bucket still meets a 429,
//! which the HTTP layer waits out when it names a short `Retry-After`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// One limit: `burst` uploads at once, then one more every `every_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub burst: u32,
    pub every_secs: u64,
}

/// `platforms.crates.pace`: a missing bucket is not paced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pace {
    /// A crate's first version (crates.io: burst 5, then one per 600 s).
    #[serde(default)]
    pub new_crates: Option<Bucket>,
    /// A new version of a crate the registry knows (crates.io: burst 30, then one per 60 s).
    #[serde(default)]
    pub new_versions: Option<Bucket>,
}

impl Pace {
    /// crates.io's limits for a user without a raised quota.
    pub fn crates_io() -> Pace {
        Pace {
            new_crates: Some(Bucket {
                burst: 5,
                every_secs: 600,
            }),
            new_versions: Some(Bucket {
                burst: 30,
                every_secs: 60,
            }),
        }
    }
}

/// Which limit an upload counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// The registry does not know the crate yet.
    NewCrate,
    /// A new version of a known crate.
    NewVersion,
}

/// One bucket's state: when the next upload would be due if uploads came evenly.
#[derive(Debug, Clone)]
struct Cell {
    every: Duration,
    /// How far ahead of the even schedule a burst may run: `(burst - 1) × every`.
    tolerance: Duration,
    due: Instant,
}

impl Cell {
    fn new(b: &Bucket, now: Instant) -> Cell {
        let every = Duration::from_secs(b.every_secs);
        Cell {
            every,
            tolerance: every * b.burst.saturating_sub(1),
            due: now,
        }
    }
    fn wait(&self, now: Instant) -> Duration {
        (self.due.checked_sub(self.tolerance).unwrap_or(now)).saturating_duration_since(now)
    }
    fn sent(&mut self, now: Instant) {
        self.due = self.due.max(now) + self.every;
    }
}

/// This run's uploads against the limits.
#[derive(Debug, Clone)]
pub struct Pacer {
    new_crates: Option<Cell>,
    new_versions: Option<Cell>,
}

impl Pacer {
    pub fn new(p: &Pace, now: Instant) -> Pacer {
        Pacer {
            new_crates: p.new_crates.as_ref().map(|b| Cell::new(b, now)),
            new_versions: p.new_versions.as_ref().map(|b| Cell::new(b, now)),
        }
    }

    fn cell(&mut self, u: Upload) -> Option<&mut Cell> {
        match u {
            Upload::NewCrate => self.new_crates.as_mut(),
            Upload::NewVersion => self.new_versions.as_mut(),
        }
    }

    /// How long to wait before an upload of this kind may go.
    pub fn wait(&mut self, u: Upload, now: Instant) -> Duration {
        self.cell(u).map_or(Duration::ZERO, |c| c.wait(now))
    }

    /// Records an upload the registry received at `now`.
    pub fn sent(&mut self, u: Upload, now: Instant) {
        if let Some(c) = self.cell(u) {
            c.sent(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `n` uploads as soon as the pacer allows; returns each one's time from the start.
    fn schedule(p: &Pace, u: Upload, n: usize) -> Vec<u64> {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(p, t0);
        let mut now = t0;
        (0..n)
            .map(|_| {
                now += pacer.wait(u, now);
                pacer.sent(u, now);
                (now - t0).as_secs()
            })
            .collect()
    }

    #[test]
    fn crates_io_new_crates_burst_five_then_one_per_ten_minutes() {
        let got = schedule(&Pace::crates_io(), Upload::NewCrate, 7);
        assert_eq!(got, [0, 0, 0, 0, 0, 600, 1200]);
    }

    #[test]
    fn crates_io_new_versions_burst_thirty_then_one_a_minute() {
        let got = schedule(&Pace::crates_io(), Upload::NewVersion, 32);
        assert!(got[..30].iter().all(|&s| s == 0), "{got:?}");
        assert_eq!(&got[30..], [60, 120]);
    }

    #[test]
    fn the_buckets_are_separate_and_a_missing_one_is_not_paced() {
        let t0 = Instant::now();
        let one = Bucket {
            burst: 1,
            every_secs: 60,
        };
        let p = Pace {
            new_crates: Some(one),
            new_versions: None,
        };
        let mut pacer = Pacer::new(&p, t0);
        pacer.sent(Upload::NewCrate, t0);
        assert_eq!(pacer.wait(Upload::NewCrate, t0), Duration::from_secs(60));
        assert_eq!(pacer.wait(Upload::NewVersion, t0), Duration::ZERO);
        // Time that passed without uploads refills the bucket, up to its burst only.
        let later = t0 + Duration::from_secs(600);
        assert_eq!(pacer.wait(Upload::NewCrate, later), Duration::ZERO);
        pacer.sent(Upload::NewCrate, later);
        assert_eq!(pacer.wait(Upload::NewCrate, later), Duration::from_secs(60));
        assert_eq!(
            Pacer::new(&Pace::default(), t0).wait(Upload::NewCrate, t0),
            Duration::ZERO
        );
    }
}
