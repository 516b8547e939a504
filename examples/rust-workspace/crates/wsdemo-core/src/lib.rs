//! `wsdemo-core`: the word the other crates of the workspace example greet with.

/// The greeting word.
pub fn word() -> &'static str {
    "hello"
}

/// This crate's version, as Cargo.toml says.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
