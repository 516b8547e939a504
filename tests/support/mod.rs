//! Helpers shared by the integration tests.

pub mod cli;
pub mod crates;
pub mod github_double;
pub mod registries;
pub mod world;
