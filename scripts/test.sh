#!/usr/bin/env bash
# README command 2 (and CI): install everything the tests need, then run every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export GOCACHE="${GOCACHE:-$root/.cache/go-build}"
cargo build --all-targets --quiet
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast
else
  cargo test --no-fail-fast
fi
