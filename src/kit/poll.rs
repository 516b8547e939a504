//! A bounded poll, for the one kind of waiting the engine's verify loop cannot do: following
//! a server-side job whose *answer* the adapter needs to go on (the Snap Store's upload
//! status carries the revision number the adapter releases next). The engine's verify loop
//! only re-runs `check`, so it cannot hand such an answer back. Every read still goes
//! through the shared HTTP layer (retries, dry run, redaction); this only spaces the reads
//! and bounds them, and says "not yet" as a value, so the adapter states the outcome
//! (pending with the job's URL) instead of hanging or failing.

use crate::error::Result;
use std::future::Future;
use std::time::{Duration, Instant};

/// One read's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// Finished: stop polling with this answer.
    Done(T),
    /// Not finished yet: read again after the interval, if the window allows.
    Again,
}

/// How often and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Pause between two reads.
    pub every: Duration,
    /// No read starts after this long from the first.
    pub within: Duration,
}

/// Reads with `read` until it answers `Done` (→ `Some`) or the window has passed (→ `None`);
/// an error ends the poll at once. The first read always happens, so a zero window is one
/// read.
pub async fn until<T, F, Fut>(bounds: Bounds, mut read: F) -> Result<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Step<T>>>,
{
    let deadline = Instant::now() + bounds.within;
    loop {
        if let Step::Done(v) = read().await? {
            return Ok(Some(v));
        }
        if Instant::now() + bounds.every > deadline {
            return Ok(None);
        }
        tokio::time::sleep(bounds.every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn bounds(every_ms: u64, within_ms: u64) -> Bounds {
        Bounds {
            every: Duration::from_millis(every_ms),
            within: Duration::from_millis(within_ms),
        }
    }

    #[tokio::test]
    async fn stops_at_the_first_done() {
        let reads = AtomicU32::new(0);
        let got = until(bounds(1, 5_000), || async {
            let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(if n == 3 { Step::Done(n) } else { Step::Again })
        })
        .await
        .unwrap();
        assert_eq!(got, Some(3));
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_window_with_none() {
        let reads = AtomicU32::new(0);
        let t0 = Instant::now();
        let got: Option<()> = until(bounds(10, 45), || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(Step::Again)
        })
        .await
        .unwrap();
        assert_eq!(got, None);
        let n = reads.load(Ordering::SeqCst);
        assert!(
            (2..=5).contains(&n),
            "{n} reads in a 45 ms window every 10 ms"
        );
        assert!(t0.elapsed() < Duration::from_millis(500));
        // A zero window is exactly one read.
        let one = AtomicU32::new(0);
        let _: Option<()> = until(bounds(10, 0), || async {
            one.fetch_add(1, Ordering::SeqCst);
            Ok(Step::Again)
        })
        .await
        .unwrap();
        assert_eq!(one.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_error_ends_the_poll() {
        let reads = AtomicU32::new(0);
        let e = until::<(), _, _>(bounds(1, 5_000), || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Err(Error::protocol("the status URL answered nonsense"))
        })
        .await
        .unwrap_err();
        assert!(e.message().contains("nonsense"));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
