//! Helpers shared by the integration tests.

pub mod cli;
pub mod github_double;
pub mod registries;
