//! pipeline.yaml: model, loading, validation with file:line:col diagnostics.

pub mod model;

pub use model::*;
