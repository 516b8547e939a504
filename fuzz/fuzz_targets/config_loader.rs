//! The config loader on arbitrary bytes as pipeline.yaml: it must answer with diagnostics,
//! never panic, abort or blow up (aliases, deep nesting and size are bounded by the loader).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One scratch file per fuzzing process (libFuzzer runs inputs one at a time).
fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tagship-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join("pipeline.yaml")
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(path(), data).unwrap();
    let env = BTreeMap::new();
    let _ = tagship::config::load(path(), None, &env);
    let _ = tagship::config::load(path(), Some("nightly"), &env);
});
