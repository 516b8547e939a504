#!/usr/bin/env bash
# README command 2 (and CI): install everything the tests need, then run every test.
#
#   scripts/test.sh            every test (what CI runs, through .ci/run)
#   scripts/test.sh --fast     a local loop: only the base setup, and the server-backed tests
#                              (named `server_*`, selected by $SERVER_TESTS below) left out with
#                              a nextest filter, so nextest counts and prints them as skipped
#   scripts/test.sh -- ARGS    ARGS go to `cargo nextest run` (e.g. -E 'test(/canary/)', or
#                              with --fast only name filters: --fast -- canary)
#
# Tests never skip themselves: a missing server or tool fails the test, naming the setup script.
# Leaving tests out is the caller's explicit choice, and with CI=true it is refused: CI runs
# every test or fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# The one filter that selects every test needing a server or tool from scripts/setup.d beyond
# the base step (registries, the fixtures replay server, the Secret Service, the pip venv).
SERVER_TESTS='test(/(^|::)server_/)'

fast=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "scripts/test.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "${CI:-}" = "true" ] && { [ "$fast" = 1 ] || [ ${#extra[@]} -gt 0 ]; }; then
  echo "scripts/test.sh: CI=true: refusing to leave tests out (--fast or extra nextest" \
       "arguments); CI runs every test" >&2
  exit 2
fi

if [ "$fast" = 1 ]; then
  # nextest unions several -E: one more would bring the server tests back.
  for a in "${extra[@]}"; do
    case "$a" in -E|--filterset|--filter-expr|-E*|--filterset=*|--filter-expr=*)
      echo "scripts/test.sh: --fast takes name filters, not -E (nextest would OR it with the" \
           "--fast filter); without --fast use -E '... and not $SERVER_TESTS'" >&2
      exit 2 ;;
    esac
  done
fi

have_nextest=0
cargo nextest --version >/dev/null 2>&1 && have_nextest=1
if [ "$have_nextest" = 0 ] && { [ "$fast" = 1 ] || [ ${#extra[@]} -gt 0 ]; }; then
  echo "scripts/test.sh: --fast and filters need cargo-nextest (it counts the tests it leaves" \
       "out as skipped): cargo install cargo-nextest --locked" >&2
  exit 2
fi

if [ "$fast" = 1 ]; then
  bash scripts/setup.sh base
else
  bash scripts/setup.sh
fi
export GOCACHE="${GOCACHE:-$root/.cache/go-build}"
cargo build --all-targets --quiet

if [ "$have_nextest" = 0 ]; then
  exec cargo test --no-fail-fast
fi

if [ "${CI:-}" = "true" ]; then
  # An #[ignore]d test would be a skip nobody chose on the command line: refuse it in CI.
  ignored="$(cargo nextest list --run-ignored only --message-format oneline 2>/dev/null || true)"
  if [ -n "$ignored" ]; then
    printf 'scripts/test.sh: CI=true: these tests are #[ignore]d and would be skipped:\n%s\n' \
      "$ignored" >&2
    exit 2
  fi
fi

if [ "$fast" = 1 ]; then
  echo "scripts/test.sh --fast: leaving out the server-backed tests: $SERVER_TESTS" >&2
  exec cargo nextest run --no-fail-fast -E "not $SERVER_TESTS" "${extra[@]}"
fi
exec cargo nextest run --no-fail-fast "${extra[@]}"
