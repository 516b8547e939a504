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
