#!/usr/bin/env bash
# README command 1: set up, then run tagship's main job on the bundled example with no
# credentials: `tagship release --dry-run` on examples/hello-go. It cross-compiles 5 targets,
# packs 5 archives + SHA256SUMS, probes every configured platform, publishes nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" base
cd "$root"
cargo build --release --quiet
export GOCACHE="${GOCACHE:-$root/.cache/go-build}"
# The example's platforms are probed without credentials; the release registry of its
# exec platform lives in examples/hello-go/.registry.
exec "$root/target/release/tagship" release "${1:-v1.0.0}" --dry-run --config examples/hello-go/pipeline.yaml
