//! A crates sparse-index file as a registry might send it: the line reader and the state of
//! a version in it (absent / present, same bytes or not, yanked) never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagship::platforms::crates::{parse_lines, state_of};

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let lines = parse_lines(&body);
    for v in ["0.1.0", "1.0.7", "1.0.7+extra", "2.0.0-rc.1"] {
        let v = semver::Version::parse(v).unwrap();
        let _ = state_of(&body, &v, None);
        let _ = state_of(&body, &v, Some("00ff"));
    }
    // Every version the index lists can be looked up in it again.
    for l in &lines {
        if let Ok(v) = semver::Version::parse(&l.vers) {
            let _ = state_of(&body, &v, Some(&l.cksum));
        }
    }
});
