//! Shared kits: the pieces every packaging platform needs and none may write again.
//! `archive` writes deterministic tar.gz and zip files (build archives, npm tarballs,
//! wheels); `binfmt` reads the headers of ELF, Mach-O and PE executables (target checks,
//! npm's `libc` field, wheel platform tags); `rules` turns a registry's broken rules into one
//! refusal (npm, PyPI, crates.io); `pulls` makes commits, branches and pull requests through
//! GitHub's API (WinGet, Homebrew's pull-request mode); `poll` follows a server-side job
//! whose answer an adapter needs (the Snap Store's upload status), bounded; `confine` keeps a
//! path read from an editable file inside its root and caps what such a file may weigh. The
//! first three are pure library code: no config, no platform knowledge, no environment reads; the
//! release's SOURCE_DATE_EPOCH arrives as an argument.

pub mod archive;
pub mod binfmt;
pub mod confine;
pub mod poll;
pub mod pulls;
pub mod rules;
