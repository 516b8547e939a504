//! The tag parser: any tag text with any prefix either parses to a version or is refused.
//! A version it accepts prints back to text that parses to the same version.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `prefix\ntag`: the first line is the configured tag prefix.
    let (prefix, tag) = text.split_once('\n').unwrap_or(("v", text));
    // A prefix no tag may contain (whitespace, control characters) cannot round-trip.
    let clean = !prefix.chars().any(|c| c.is_whitespace() || c.is_control());
    if let (Ok(v), true) = (tagship::version::parse_tag(tag, prefix), clean) {
        let again = tagship::version::parse_tag(&format!("{prefix}{v}"), prefix)
            .expect("a version tagship accepted parses again from its own text");
        assert_eq!(again, v);
    }
});
