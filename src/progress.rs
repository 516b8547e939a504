//! Progress: a line per platform with indicatif on a TTY; plain timestamped lines when not a
//! TTY or when CI=true; nothing with `--quiet`. Respects NO_COLOR. The engine talks to the
//! `Reporter` trait only.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

/// Receives engine events. Implementations must be cheap and never fail.
pub trait Reporter: Send + Sync {
    /// A platform entered a stage (`package`, `check`, `publish`, `verify`).
    fn stage(&self, platform: &str, stage: &str);
    /// A platform finished with an outcome line.
    fn finish(&self, platform: &str, outcome: &str, detail: &str);
    /// A free-form message (build steps, warnings).
    fn message(&self, msg: &str);
}

/// Picks the reporter for this environment.
pub fn for_env(quiet: bool) -> Box<dyn Reporter> {
    if quiet {
        return Box::new(Quiet);
    }
    let ci = std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false);
    if std::io::stderr().is_terminal() && !ci {
        Box::new(Bars::new())
    } else {
        Box::new(Plain {
            start: Instant::now(),
        })
    }
}

pub struct Quiet;
impl Reporter for Quiet {
    fn stage(&self, _: &str, _: &str) {}
    fn finish(&self, _: &str, _: &str, _: &str) {}
    fn message(&self, _: &str) {}
}

/// Plain lines on stderr: `[  1.23s] github: check`.
pub struct Plain {
    start: Instant,
}
impl Plain {
    fn line(&self, s: &str) {
        eprintln!(
            "[{:>7.2}s] {}",
            self.start.elapsed().as_secs_f64(),
            crate::redact::redact(s)
        );
    }
}
impl Reporter for Plain {
    fn stage(&self, p: &str, stage: &str) {
        self.line(&format!("{p}: {stage}"));
    }
    fn finish(&self, p: &str, outcome: &str, detail: &str) {
        self.line(&format!("{p}: {outcome} {detail}"));
    }
    fn message(&self, msg: &str) {
        self.line(msg);
    }
}

/// indicatif spinners, one per platform.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    color: bool,
}
impl Bars {
    fn new() -> Self {
        Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(BTreeMap::new()),
            color: std::env::var_os("NO_COLOR").is_none(),
        }
    }
    fn bar(&self, p: &str) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        bars.entry(p.to_string())
            .or_insert_with(|| {
                let tpl = if self.color {
                    "{spinner:.cyan} {prefix:<12.bold} {msg}"
                } else {
                    "{spinner} {prefix:<12} {msg}"
                };
                let b = self.multi.add(ProgressBar::new_spinner());
                b.set_style(
                    ProgressStyle::with_template(tpl)
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.set_prefix(p.to_string());
                b.enable_steady_tick(std::time::Duration::from_millis(120));
                b
            })
            .clone()
    }
}
impl Reporter for Bars {
    fn stage(&self, p: &str, stage: &str) {
        self.bar(p).set_message(stage.to_string());
    }
    fn finish(&self, p: &str, outcome: &str, detail: &str) {
        self.bar(p)
            .finish_with_message(crate::redact::redact(&format!("{outcome} {detail}")));
    }
    fn message(&self, msg: &str) {
        let _ = self.multi.println(crate::redact::redact(msg));
    }
}

static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets the `-v` level for [`trace`].
pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, std::sync::atomic::Ordering::Relaxed);
}

/// With `-v`, one redacted line on stderr per HTTP request / subprocess.
pub fn trace(msg: impl FnOnce() -> String) {
    if VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        eprintln!("  · {}", crate::redact::redact(&msg()));
    }
}

/// Where [`pause`] and [`waiting_up_to`] say what they wait for: the run's reporter, set
/// once by the CLI. Adapters wait inside the shared layers (a retry's `Retry-After`, a
/// registry's publish limit, an index catching up); a wait of minutes with no line looks
/// like a hang, so every wait long enough to notice gets one line, at any verbosity.
static WAITS: std::sync::OnceLock<std::sync::Arc<dyn Reporter>> = std::sync::OnceLock::new();

/// Waits shorter than this are not worth a line.
pub const WORTH_A_LINE: std::time::Duration = std::time::Duration::from_secs(2);

/// Sends the lines of [`pause`] and [`waiting_up_to`] to `r` (the first call wins).
pub fn install(r: std::sync::Arc<dyn Reporter>) {
    let _ = WAITS.set(r);
}

/// `4s`, `1m 30s`, `2h 5m`: a duration as a person reads it (seconds rounded up).
pub fn human(d: std::time::Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

fn say(platform: &str, d: std::time::Duration, line: impl FnOnce(&str) -> String) {
    let verbose = VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) > 0;
    let to_reporter = d >= WORTH_A_LINE && !verbose && WAITS.get().is_some();
    if !verbose && !to_reporter {
        return;
    }
    let line = format!("{platform}: {}", line(&human(d)));
    match WAITS.get() {
        Some(r) if to_reporter => r.message(&line),
        _ => trace(|| line),
    }
}

/// Sleeps `d` after saying, when it is long enough to notice, `<platform>: waiting <d>:
/// <why>`.
pub async fn pause(platform: &str, d: std::time::Duration, why: &str) {
    say(platform, d, |h| format!("waiting {h}: {why}"));
    tokio::time::sleep(d).await;
}

/// Says `<platform>: waiting up to <d>: <why>` before a bounded poll (which sleeps itself).
pub fn waiting_up_to(platform: &str, d: std::time::Duration, why: &str) {
    say(platform, d, |h| format!("waiting up to {h}: {why}"));
}

/// Keeps every line it is given (a reporter for tests and for embedding tagship).
#[derive(Default)]
pub struct Recorder(Mutex<Vec<String>>);
impl Recorder {
    /// The lines so far that start with `<platform>: `.
    pub fn lines_of(&self, platform: &str) -> Vec<String> {
        let prefix = format!("{platform}: ");
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .cloned()
            .collect()
    }
}
impl Reporter for Recorder {
    fn stage(&self, p: &str, stage: &str) {
        self.message(&format!("{p}: {stage}"));
    }
    fn finish(&self, p: &str, outcome: &str, detail: &str) {
        self.message(&format!("{p}: {outcome} {detail}"));
    }
    fn message(&self, msg: &str) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.push(crate::redact::redact(msg));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(human(Duration::from_millis(1500)), "2s");
        assert_eq!(human(Duration::from_secs(59)), "59s");
        assert_eq!(human(Duration::from_secs(598)), "9m 58s");
        assert_eq!(human(Duration::from_secs(7260)), "2h 1m");
    }
}
