#!/usr/bin/env bash
# scripts/bench/vendor-check.sh T — the vendor-CLI baseline for the no-op re-run: ask each
# registry whether this release is already live, one CLI call after the other:
#   npm view <pkg>@<ver> version          for each of the 6 npm packages
#   pip index versions <name> --index-url  once (lists every version)
#   cargo info <crate>@<ver> --registry local
# and fail unless every answer names the version (so an empty registry cannot pass).
set -euo pipefail
T="${1:?usage: vendor-check.sh T}"
# shellcheck disable=SC1091
. "$T/env"
. "$T/ports"
cd "$T"   # outside any Cargo workspace
VER=1.0.0
# STEP_TIMES=FILE (set by bench.sh for one unmeasured run only): log each step's wall time.
step() { [ -z "${STEP_TIMES:-}" ] || echo "$(date +%s.%N) $*" >> "$STEP_TIMES"; }
step start
while read -r spec; do
  out="$(npm view "$spec@$VER" version --loglevel error)"
  [ "$out" = "$VER" ] || { echo "npm view $spec@$VER: '$out'" >&2; exit 1; }
  step "npm view $spec@$VER"
done < "$T/npm-packages"
out="$("$T/pyenv/bin/pip" index versions hello-bench \
  --index-url "http://127.0.0.1:$PYPI_PORT/simple/" 2>/dev/null)"
case "$out" in *"$VER"*) ;; *) echo "pip index versions: '$out'" >&2; exit 1 ;; esac
step "pip index versions hello-bench"
out="$(cargo info --quiet "hello-rust@$VER" --registry local 2>/dev/null)"
case "$out" in *"version: $VER"*) ;; *) echo "cargo info: '$out'" >&2; exit 1 ;; esac
step "cargo info hello-rust@$VER"
