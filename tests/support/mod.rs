//! Helpers shared by the integration tests.

pub mod github_double;
