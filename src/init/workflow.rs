//! The GitHub Actions workflows `tagship init` writes, as pure functions of [`Detected`] and
//! tagship's version (snapshot-tested; checked with actionlint and SchemaStore's workflow
//! schema in tests/init_workflows.rs):
//!
//! - `.github/workflows/release.yml`: a tag push `v*` releases with `contents: write` (the
//!   GitHub release) and `id-token: write` (trusted publishing to npm, PyPI and crates.io);
//!   `workflow_dispatch` with `version` and `only` republishes selectively without a new tag;
//!   a pull request gets a read-only dry run. When a target needs its own runner
//!   (`builds.rs`), a `build` job per target on a runner matrix writes and uploads a dist part
//!   (`tagship build --target`) and the `release` job, the only one with `id-token: write`,
//!   downloads every part and runs `tagship publish --merge`; otherwise one job releases.
//! - `.github/workflows/tagship-status.yml`: `tagship status` on a schedule (issue 12); it
//!   writes the step summary and dist/status/ (badges, dashboard), kept as an artifact.
//!
//! Values from outside the workflow (the tag, the inputs) reach the shell through `env:`,
//! never through `${{ }}` inside `run:`, so a crafted ref name cannot inject a command.

use super::detect::{Detected, Kind};
use super::pipeline::q;

/// Where init writes each workflow, relative to the project.
pub const RELEASE_PATH: &str = ".github/workflows/release.yml";
pub const STATUS_PATH: &str = ".github/workflows/tagship-status.yml";

/// When the scheduled status runs (UTC): daily, off the hour to spread GitHub's load.
pub const STATUS_CRON: &str = "17 6 * * *";

fn header(tagship_version: &str, what: &str) -> String {
    format!(
        "# {what}\n# Written by `tagship init` (tagship {tagship_version}); `tagship init --check` tells\n\
         # whether it still matches what init would write, `tagship init --force` rewrites it.\n"
    )
}

/// The steps every job starts with: the repository with its tags (tagship reads them),
/// the toolchain the builds need, and tagship itself, pinned to the version that wrote this.
fn setup_steps(d: &Detected, tagship_version: &str, checkout_ref: bool) -> String {
    let mut s = String::from(
        "      - uses: actions/checkout@v5\n        with:\n          fetch-depth: 0\n",
    );
    if checkout_ref {
        // A selective republish (workflow_dispatch) builds the tag it names, not the branch.
        s.push_str("          ref: ${{ inputs.version || github.ref }}\n");
    }
    if d.kind == Kind::Go {
        s.push_str(
            "      - uses: actions/setup-go@v6\n        with:\n          go-version-file: go.mod\n",
        );
    }
    s.push_str(&format!(
        "      - name: Install tagship\n        run: cargo install tagship --locked --version {}\n",
        q(tagship_version)
    ));
    s
}

/// A shell line that prints the version the project files claim (tagship refuses a tag
/// that disagrees with them), for the pull request's dry run.
fn version_command(d: &Detected) -> String {
    match d.kind {
        Kind::Rust => format!(
            "cargo metadata --no-deps --format-version 1 | jq -r --arg n {} '.packages[] | select(.name == $n) | .version'",
            shell_quote(&d.name)
        ),
        Kind::Node => "jq -r .version package.json".into(),
        Kind::Python => "python3 -c 'import tomllib; print(tomllib.load(open(\"pyproject.toml\", \"rb\"))[\"project\"][\"version\"])'".into(),
        // No project file claims a version: any version makes a dry run.
        Kind::Go | Kind::Other => "echo 0.0.0".into(),
    }
}

/// Single-quoted for sh (a name is plain ASCII, but never trust it to be).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `.github/workflows/release.yml`.
pub fn release(d: &Detected, tagship_version: &str) -> String {
    let mut s = header(
        tagship_version,
        "Release with tagship: a tag push `v*` publishes everywhere pipeline.yaml says.",
    );
    s.push_str(RELEASE_TRIGGERS);
    s.push_str("\njobs:\n  dry-run:\n    name: release dry run\n    if: github.event_name == 'pull_request'\n    runs-on: ubuntu-latest\n    steps:\n");
    s.push_str(&setup_steps(d, tagship_version, false));
    s.push_str(&format!(
        "      - name: The version the project files claim\n        id: version\n        run: |\n          echo \"version=$({})\" >> \"$GITHUB_OUTPUT\"\n",
        version_command(d)
    ));
    s.push_str(DRY_RUN_STEP);
    if d.builds.one_runner {
        s.push_str(&release_job(""));
        s.push_str(&setup_steps(d, tagship_version, true));
        s.push_str(RELEASE_STEPS);
    } else {
        s.push_str(&build_matrix(d, tagship_version));
        s.push_str(&release_job("    needs: build\n"));
        s.push_str(&setup_steps(d, tagship_version, true));
        s.push_str(MERGE_STEPS);
    }
    s.push_str(KEEP_REPORT);
    s
}

/// The job that publishes: the only one with `id-token: write`.
fn release_job(needs: &str) -> String {
    format!(
        "\n  release:\n    name: release\n{needs}    if: github.event_name != 'pull_request'\n    \
         runs-on: ubuntu-latest\n    permissions:\n      \
         contents: write # the GitHub release and its assets\n      \
         id-token: write # trusted publishing (OIDC) to npm, PyPI and crates.io\n    steps:\n"
    )
}

/// One job per target, each on its native runner (`builds::runner`), each uploading its
/// dist part for the release job.
fn build_matrix(d: &Detected, tagship_version: &str) -> String {
    let mut s = String::from(
        "\n  build:\n    name: build ${{ matrix.target }}\n    \
         if: github.event_name != 'pull_request'\n    strategy:\n      matrix:\n        \
         # One entry per target of pipeline.yaml's `builds:`, on a runner that builds it natively.\n        \
         include:\n",
    );
    for t in &d.builds.targets {
        s.push_str(&format!(
            "          - target: {}\n            runner: {}\n",
            t.id(),
            super::builds::runner(*t)
        ));
    }
    s.push_str(
        "    runs-on: ${{ matrix.runner }}\n    defaults:\n      run:\n        \
         shell: bash # on Windows too: the steps are sh\n    steps:\n",
    );
    s.push_str(&setup_steps(d, tagship_version, true));
    s.push_str(BUILD_STEPS);
    s
}

const RELEASE_TRIGGERS: &str = r#"name: release

on:
  push:
    tags: ["v*"]
  pull_request:
  workflow_dispatch:
    inputs:
      version:
        description: "The tag to publish again, e.g. v1.2.3 (selective republish, no new tag)"
        required: true
        type: string
      only:
        description: "Only these platforms, comma-separated (empty: every platform)"
        required: false
        type: string
        default: ""

permissions:
  contents: read

# One release per ref at a time; a second push waits instead of racing the first.
concurrency:
  group: tagship-release-${{ github.ref }}
  cancel-in-progress: false
"#;

const DRY_RUN_STEP: &str = r#"      - name: tagship release --dry-run (read-only, no credentials needed)
        env:
          VERSION: ${{ steps.version.outputs.version }}
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: tagship release "v$VERSION" --dry-run
"#;

const RELEASE_STEPS: &str = r#"      - name: tagship release
        env:
          TAG: ${{ inputs.version || github.ref_name }}
          ONLY: ${{ inputs.only }}
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: |
          if [ -n "$ONLY" ]; then
            tagship release "$TAG" --only "$ONLY"
          else
            tagship release "$TAG"
          fi
"#;

const BUILD_STEPS: &str = r#"      - name: tagship build --target (this target's dist part)
        env:
          TAG: ${{ inputs.version || github.ref_name }}
          TARGET: ${{ matrix.target }}
        run: tagship build "$TAG" --target "$TARGET" --dist part
      - name: Keep the part for the release job
        uses: actions/upload-artifact@v6
        with:
          name: tagship-part-${{ matrix.target }}
          path: part/
          if-no-files-found: error
"#;

/// The release job of a split build: every part, verified and merged, then published.
const MERGE_STEPS: &str = r#"      - name: Every target's part
        uses: actions/download-artifact@v7
        with:
          pattern: tagship-part-*
          path: parts
      - name: tagship publish --merge (verifies every part, then publishes)
        env:
          ONLY: ${{ inputs.only }}
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: |
          if [ -n "$ONLY" ]; then
            tagship publish --merge parts/* --only "$ONLY"
          else
            tagship publish --merge parts/*
          fi
"#;

const KEEP_REPORT: &str = r#"      - name: Keep the report
        if: always()
        uses: actions/upload-artifact@v6
        with:
          name: tagship-report
          path: |
            dist/report.json
            dist/report.md
          if-no-files-found: ignore
"#;

/// `.github/workflows/tagship-status.yml`.
pub fn status(d: &Detected, tagship_version: &str) -> String {
    let mut s = header(
        tagship_version,
        "Drift check with tagship: what every platform has live, on a schedule.",
    );
    s.push_str(&format!(
        "name: tagship status\n\non:\n  schedule:\n    - cron: {}\n  workflow_dispatch:\n\n\
         permissions:\n  contents: read\n\njobs:\n  status:\n    name: tagship status\n    \
         runs-on: ubuntu-latest\n    steps:\n",
        q(STATUS_CRON)
    ));
    s.push_str(&setup_steps(d, tagship_version, false));
    s.push_str(STATUS_STEPS);
    s
}

const STATUS_STEPS: &str = r#"      # Exit 1 on drift, staleness or an unreachable platform: the run shows red. The table
      # goes to the step summary; badges and the dashboard to dist/status/.
      - name: tagship status
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
        run: tagship status
      - name: Keep the badges and the dashboard
        if: always()
        uses: actions/upload-artifact@v6
        with:
          name: tagship-status
          path: dist/status/
          if-no-files-found: ignore
"#;
