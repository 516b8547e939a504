//! pipeline.yaml: model, loading, validation with file:line:col diagnostics.
//!
//! `load` reads the file into a positioned tree (`tree`), applies `TAGSHIP__*` overrides
//! (`env`), walks it against the schemars schema and each platform's section schema (`walk`,
//! `validate`), runs the semantic checks (`semantic`) and only then deserializes the typed
//! model with serde_yaml_ng. Every problem is reported at once (`diag`).

mod adapters;
mod diag;
mod env;
pub mod format;
mod load;
pub mod model;
mod packages;
mod semantic;
mod tree;
mod validate;
mod walk;

#[cfg(test)]
mod tests;

pub use diag::{Diagnostic, Diagnostics};
pub use env::PREFIX as ENV_PREFIX;
pub use load::{load, schema, Loaded};
pub use model::*;
pub use packages::{PackageConfig, PackageVersion};
pub use semantic::PLACEHOLDERS;
pub use validate::COMMON_KEYS;
