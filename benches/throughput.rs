//! tagship's hashing and archiving of one large file, through the same code a release runs:
//! `build::hash_file` (SHA256SUMS and every artifact's digest) and `kit::archive::write_file`
//! (a `.tar.gz`, hashing the entry as it streams, synced and renamed into place).
//!   <bench binary> hash FILE
//!   <bench binary> archive FILE OUT.tar.gz
//! scripts/bench/throughput.sh runs these under hyperfine beside `sha256sum FILE` and
//! `tar -c FILE | gzip`, on the same file in the same run (issue 11: at least 0.8× their
//! throughput). Not a test: nothing here asserts.

use std::path::PathBuf;
use tagship::kit::archive::{self, Entry, Options};

fn main() {
    // `cargo bench` passes `--bench` to a harness-less bench; keep the positional arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["hash", file] => {
            let (sha, size) = tagship::build::hash_file(&PathBuf::from(file)).expect("hashing");
            println!("{sha}  {file} ({size} bytes)");
        }
        ["archive", file, out] => {
            let entry = Entry::disk("big", file).with_mode(0o755);
            archive::write_file(&PathBuf::from(out), &Options::tar_gz(0), |w| {
                w.append(&entry)
            })
            .expect("archiving");
        }
        [] => {} // `cargo bench` with no arguments: nothing to measure.
        _ => {
            eprintln!("usage: throughput hash FILE | throughput archive FILE OUT.tar.gz");
            std::process::exit(2);
        }
    }
}
