//! The platform registry: the only shared file a new platform touches (one line below).

pub mod exec;
pub mod github;

use crate::platform::Factory;

pub mod npm;
pub mod pep503;
pub mod pypi;
pub mod wheel;

/// Every platform tagship knows, in report order.
pub const ALL: &[&Factory] = &[
    &exec::FACTORY,
    &github::FACTORY,
    &npm::FACTORY,
    &pypi::FACTORY,
    &pep503::FACTORY,
];

/// Looks a factory up by id.
pub fn find(id: &str) -> Option<&'static Factory> {
    ALL.iter().copied().find(|f| f.id == id)
}
