//! The starting pipeline.yaml `tagship init` writes: a pure function of [`Detected`], commented
//! so that a maintainer can read what each part does, and accepted by tagship's own config
//! loader (tested: `tagship check` on it passes up to credentials).

use super::detect::{Detected, Kind};
use std::fmt::Write;

/// A YAML double-quoted scalar. A JSON string is one (YAML 1.2 is a superset of JSON), so
/// a description with `: ` or `#` in it, or a name like `yes`, stays a string.
pub fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The pipeline.yaml text for `d`.
pub fn render(d: &Detected) -> String {
    let mut s = String::new();
    let from = d.source.unwrap_or("no project file");
    let _ = writeln!(
        s,
        "# tagship's pipeline, written by `tagship init` from {from}.\n\
         # Check it: `tagship check`. Try it without publishing: `tagship release v1.2.3 --dry-run`.\n\
         # Every setting: `tagship schema`; every platform: `tagship platforms`.\n"
    );
    project(&mut s, d);
    s.push_str("\nversion:\n  tag_prefix: v          # tags look like v1.2.3\n");
    builds(&mut s, d);
    // Archives only exist where there are builds.
    if !d.files.is_empty() && matches!(d.kind, Kind::Rust | Kind::Go) {
        let _ = writeln!(
            s,
            "\narchives:\n  # Files packed next to the binary in every archive.\n  files: [{}]",
            d.files.iter().map(|f| q(f)).collect::<Vec<_>>().join(", ")
        );
    }
    platforms(&mut s, d);
    s
}

fn project(s: &mut String, d: &Detected) {
    let _ = writeln!(s, "project:\n  name: {}", q(&d.name));
    let _ = writeln!(s, "  description: {}", q(&d.description));
    if let Some(l) = &d.license {
        let _ = writeln!(s, "  license: {}", q(l));
    }
    if let Some(h) = &d.homepage {
        let _ = writeln!(s, "  homepage: {}", q(h));
    }
    if let Some(g) = &d.github {
        let _ = writeln!(
            s,
            "  repository: {}",
            q(&format!("https://github.com/{}/{}", g.owner, g.repo))
        );
    }
}

fn builds(s: &mut String, d: &Detected) {
    let bin = &d.binary;
    match d.kind {
        Kind::Rust => {
            let _ = write!(
                s,
                "\nbuilds:\n  # Add targets once their Rust toolchains are installed on the runner\n  \
                 # (e.g. darwin-arm64 needs a macOS runner or a cross linker).\n  \
                 - command: [cargo, build, --release]\n    \
                 binary: {}\n    targets: [linux-amd64]\n",
                q(&format!("target/release/{bin}"))
            );
        }
        Kind::Go => {
            let _ = write!(
                s,
                "\nbuilds:\n  # Pure Go cross-compiles: one command per target, with GOOS/GOARCH set.\n  \
                 - command: [go, build, -trimpath, -o, \"build/{{target}}/{bin}{{exe}}\", \".\"]\n    \
                 binary: \"build/{{target}}/{bin}{{exe}}\"\n    \
                 env:\n      GOOS: \"{{os}}\"\n      GOARCH: \"{{arch}}\"\n      CGO_ENABLED: \"0\"\n    \
                 targets: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64]\n"
            );
        }
        Kind::Node | Kind::Python | Kind::Other => {
            s.push_str(
                "\n# No builds: add one to ship binaries (`builds:` in `tagship schema`).\nbuilds: []\n",
            );
        }
    }
}

fn platforms(s: &mut String, d: &Detected) {
    s.push_str("\n# Where each release goes. In GitHub Actions, npm, PyPI and crates.io publish with\n\
                # trusted publishing (OIDC, `auth: auto`) when no token variable is set.\nplatforms:\n");
    match &d.github {
        Some(g) => {
            let _ = writeln!(
                s,
                "  github:\n    owner: {}\n    repo: {}\n    # token_env: GITHUB_TOKEN   # needs `contents: write`",
                q(&g.owner),
                q(&g.repo)
            );
        }
        None => s.push_str(
            "  # No GitHub `origin` remote was found: set the repository this releases to.\n  \
             github:\n    owner: \"OWNER\"\n    repo: \"REPO\"\n",
        ),
    }
    match d.kind {
        Kind::Rust => s.push_str(
            "  crates:\n    auth: auto              # OIDC in CI, else CARGO_REGISTRY_TOKEN (the first publish of a crate needs a token)\n",
        ),
        Kind::Node => s.push_str(
            "  npm:\n    mode: package_json      # publish package.json's package as it is\n    \
             auth: auto              # OIDC in CI, else NPM_TOKEN (a new package's first publish needs a token)\n",
        ),
        Kind::Python => s.push_str(
            "  # PyPI: tagship publishes built binaries as wheels; add `builds:` first, then\n  \
             # pypi: {auth: auto}\n",
        ),
        Kind::Go | Kind::Other => {}
    }
}
