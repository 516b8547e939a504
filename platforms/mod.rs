//! The platform registry: the only shared file a new platform touches (one line below).

use crate::platform::Factory;

/// Every platform tagship knows, in report order.
pub const ALL: &[&Factory] = &[];

/// Looks a factory up by id.
pub fn find(id: &str) -> Option<&'static Factory> {
    ALL.iter().copied().find(|f| f.id == id)
}
