//! The platform registry: the only shared file a new platform touches, by one line in
//! `registry!` below (it declares the module and adds its `FACTORY` to `ALL`).

use crate::platform::Factory;

/// Shared wheel builder used by `pypi` and `pep503` (not a platform itself).
pub mod wheel;

/// One line per platform: `pub mod <id>;` plus `&<id>::FACTORY` in `ALL`, in report order.
macro_rules! registry {
    ($($id:ident,)*) => {
        $(pub mod $id;)*
        /// Every platform tagship knows, in report order.
        pub const ALL: &[&Factory] = &[$(&$id::FACTORY),*];
    };
}

registry! {
    github, // first: other platforms point at its asset URLs
    npm,
    pypi,
    pep503,
    crates,
    docker,
    exec,
    homebrew,
    winget, // needs github: the manifest points at the release's zips
    chocolatey, // needs github in mode: download
    snap,
    aur, // needs github: a PKGBUILD pointing at its linux assets
}

/// Looks a factory up by id.
pub fn find(id: &str) -> Option<&'static Factory> {
    ALL.iter().copied().find(|f| f.id == id)
}
