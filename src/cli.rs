//! Command-line surface (clap derive only; no logic here).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tagship",
    version,
    about = "One tag in, every platform published, one report out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors; no progress and no table.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, package and publish this version everywhere it is missing.
    Release(ReleaseArgs),
    /// Publish the artifacts already in dist/ (no rebuild), e.g. `publish --only pypi`; with
    /// `--merge DIR…`, the dist parts that `tagship build --target` wrote on other runners.
    Publish(PublishArgs),
    /// Build only the named target(s) into a dist part (binaries, archives and `part.json`)
    /// for `tagship publish --merge`; contacts no platform.
    Build(BuildArgs),
    /// Take a published version back, as each platform allows (crates: yank; npm: deprecate;
    /// GitHub: demote; PyPI: where to yank by hand). `--dry-run` prints the plan.
    #[command(visible_alias = "yank")]
    Rollback(ReleaseArgs),
    /// Validate pipeline.yaml and preflight the selected platforms; exit 2 on any problem.
    Check(CheckArgs),
    /// What every platform has live, and where they drifted apart (read-only). Exit 0 in
    /// sync; 1 drift, staleness or an unreachable platform; 2 bad input.
    Status(StatusArgs),
    /// Store a platform's token in the OS keyring (service `tagship`), read from stdin —
    /// never from the command line. Runs then find it when the environment has none.
    Login(LoginArgs),
    /// Remove a platform's token from the OS keyring.
    Logout(LoginArgs),
    /// Write a starting pipeline.yaml and the GitHub Actions workflows for this project.
    Init(InitArgs),
    /// Print the JSON Schema of pipeline.yaml (or of report.json with --report).
    Schema {
        /// The schema of report.json instead, for CI users who read it.
        #[arg(long)]
        report: bool,
    },
    /// List every platform tagship knows, with its documentation.
    Platforms,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The tag to release (default: CI ref, then `git describe --exact-match`, then VERSION).
    pub tag: Option<String>,
    /// Build and compare content even when every platform already lists this version (by
    /// default a release whose every file is live ends without building).
    #[arg(long)]
    pub verify_content: bool,
    /// Only these packages of `packages:` (comma-separated or repeated); default: all.
    #[arg(long = "package", value_delimiter = ',', value_name = "NAME")]
    pub packages: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Read only: build and package locally, probe auth and existence, send no mutation.
    #[arg(long)]
    pub dry_run: bool,
    /// Only these platforms (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Skip these platforms (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Maximum build commands, and platforms packaging or publishing, at once (default: core
    /// count; at least 1). Checks are read-only and always run at once.
    #[arg(long, value_parser = at_least_one)]
    pub parallelism: Option<usize>,
    /// Cancel the other platforms as soon as one fails.
    #[arg(long)]
    pub fail_fast: bool,
    /// Path of pipeline.yaml.
    #[arg(long, default_value = "pipeline.yaml")]
    pub config: PathBuf,
    /// Output directory (default: `dist` next to pipeline.yaml, or `dist:` in it).
    #[arg(long)]
    pub dist: Option<PathBuf>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the run's metrics to FILE in Prometheus text format (for node_exporter's
    /// textfile collector or a Pushgateway; names in README "Metrics").
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Apply the named profile from pipeline.yaml (e.g. `staging`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Time limit for the whole run, e.g. `30m` or `1h30m` (units ms, s, m, h). Platforms
    /// still running when it passes end failed, and the report is written.
    #[arg(long, value_parser = time_limit)]
    pub timeout: Option<TimeLimit>,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Verify the dist parts in these directories (each `tagship build --target` output),
    /// assemble dist/ from them, then package, check and publish as a release does.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Only these packages of `packages:` (comma-separated or repeated); default: every
    /// package the release in dist/ holds.
    #[arg(long = "package", value_delimiter = ',', value_name = "NAME")]
    pub packages: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The tag to build (default: CI ref, then `git describe --exact-match`, then VERSION).
    pub tag: Option<String>,
    /// A target to build, e.g. `linux-amd64` (repeat for more); `builds:` must plan it.
    #[arg(long = "target", required = true, value_name = "TARGET", value_parser = target)]
    pub targets: Vec<crate::plan::Target>,
    /// Path of pipeline.yaml.
    #[arg(long, default_value = "pipeline.yaml")]
    pub config: PathBuf,
    /// The part's directory, empty or absent (default: `dist` next to pipeline.yaml, or
    /// `dist:` in it).
    #[arg(long)]
    pub dist: Option<PathBuf>,
    /// Apply the named profile from pipeline.yaml.
    #[arg(long)]
    pub profile: Option<String>,
    /// Maximum build commands at once (default: core count).
    #[arg(long, value_parser = at_least_one)]
    pub parallelism: Option<usize>,
}

fn target(s: &str) -> Result<crate::plan::Target, String> {
    crate::plan::Target::parse(s)
}

/// A `--timeout` value: the duration and the text the user wrote.
#[derive(Debug, Clone)]
pub struct TimeLimit {
    pub duration: std::time::Duration,
    pub shown: String,
}

fn time_limit(s: &str) -> Result<TimeLimit, String> {
    crate::config::format::parse_duration(s).map(|duration| TimeLimit {
        duration,
        shown: s.trim().to_string(),
    })
}

/// Which config and platforms a read-only command looks at.
#[derive(Debug, Args)]
pub struct Scope {
    #[arg(long, default_value = "pipeline.yaml")]
    pub config: PathBuf,
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Tag to validate as well.
    pub tag: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
    /// Print the result as JSON on stdout (where each credential was found, the problems).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The version to look for (default: the newest git tag here, else the newest any
    /// platform has live).
    pub version: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
    /// Only these packages of `packages:` (comma-separated or repeated); default: all.
    #[arg(long = "package", value_delimiter = ',', value_name = "NAME")]
    pub packages: Vec<String>,
    /// Output directory (default: `dist`); status files go to `<dist>/status/`.
    #[arg(long)]
    pub dist: Option<PathBuf>,
    /// Print the status as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// A platform still lacking the version this many hours after its tag is stale.
    #[arg(long, default_value_t = 24, value_name = "HOURS")]
    pub stale_after: u64,
    /// Also write the status as Prometheus gauges to FILE (names in README "Metrics").
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Keep watching: ask again every INTERVAL (e.g. `5m`) and print only what changed.
    /// Backs off (up to 8x) while a platform answers 429.
    #[arg(long, value_name = "INTERVAL", value_parser = time_limit)]
    pub watch: Option<TimeLimit>,
    /// With --watch: stop after N checks (default: until interrupted).
    #[arg(long, value_name = "N", requires = "watch", value_parser = at_least_one)]
    pub rounds: Option<usize>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The platform whose token this is (its variable comes from its pipeline.yaml section).
    pub platform: String,
    /// The credential variable to store under (default: the platform's token variable).
    #[arg(long)]
    pub var: Option<String>,
    /// Path of pipeline.yaml.
    #[arg(long, default_value = "pipeline.yaml")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project directory to inspect and write into.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist (without it they are kept).
    #[arg(long)]
    pub force: bool,
    /// Print what would be written; write nothing.
    #[arg(long, visible_alias = "print")]
    pub dry_run: bool,
    /// Exit 1 when a workflow on disk differs from what init would write now.
    #[arg(long, conflicts_with_all = ["force", "dry_run"])]
    pub check: bool,
}

/// `--parallelism 0` would run nothing: refused as a usage error (exit 2).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (0 would run nothing)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
