//! The platform registry: the only shared file a new platform touches (one line in `ALL`,
//! plus its `mod` line).

use crate::platform::Factory;

pub mod crates;
pub mod exec;
pub mod github;
pub mod npm;
pub mod pep503;
pub mod pypi;
/// Shared wheel builder used by `pypi` and `pep503` (not a platform itself).
pub mod wheel;

/// Every platform tagship knows, in report order. GitHub comes first: other platforms may
/// point at its asset URLs.
pub const ALL: &[&Factory] = &[
    &github::FACTORY,
    &npm::FACTORY,
    &pypi::FACTORY,
    &pep503::FACTORY,
    &crates::FACTORY,
    &exec::FACTORY,
];

/// Looks a factory up by id.
pub fn find(id: &str) -> Option<&'static Factory> {
    ALL.iter().copied().find(|f| f.id == id)
}
