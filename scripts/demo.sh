#!/usr/bin/env bash
# README command 1: tagship's real job, end to end, with no credentials and no network.
#
#   ./scripts/demo.sh            release examples/hello-go (+ examples/hello-rust as the crate)
#                                to local registries, install the results and run them, re-run
#   ./scripts/demo.sh --dry-run  the old demo: a dry run of examples/hello-go as configured
#
# The real demo:
#  1. installs what it needs (scripts/setup.d/10-base.sh, 30-registries.sh), builds tagship;
#  2. starts verdaccio, pypiserver, the crates registry and git's smart HTTP server over a bare
#     repo (the PEP 503 index branch) on free 127.0.0.1 ports, data in the work dir;
#  3. writes a pipeline.yaml pointing npm, pypi, pep503 and crates at them, with throwaway
#     credentials passed by environment;
#  4. runs `tagship release v1.0.0`;
#  5. installs the results with npm, pip (from pypiserver and from the PEP 503 index, served
#     as a static site) and cargo, and runs `hello --version` from each (1.0.0);
#  6. runs the same release again: every platform `already-published`, 0 mutating requests;
#  7. deletes one wheel from pypiserver and `tagship publish --only pypi` restores just it;
#  8. stops every server it started (by PID, also on failure) and prints where things are.
#
# Env: DEMO_DIR (work dir, default a new temp dir; kept), TAGSHIP_BIN (a built tagship;
# default: `cargo build`), DEMO_{NPM,PYPI,CRATES,GIT}_PORT (fixed ports; default free ones).
# Files in the work dir: report-release.json, report-rerun.json, report-restore.json,
# installs.json, pids ("PID NAME" of every server started), logs/, servers/, project/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export GOCACHE="${GOCACHE:-$ROOT/.cache/go-build}"

if [ "${1:-}" = "--dry-run" ]; then
  bash "$ROOT/scripts/setup.sh" base
  cd "$ROOT"
  cargo build --release --quiet
  # The example's platforms are probed without credentials; the release registry of its
  # exec platform lives in examples/hello-go/.registry.
  exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/tagship" release "${2:-v1.0.0}" --dry-run \
    --config examples/hello-go/pipeline.yaml
fi
[ $# -eq 0 ] || { echo "usage: scripts/demo.sh [--dry-run [TAG]]" >&2; exit 2; }

. "$ROOT/scripts/demo/lib.sh"
VERSION=1.0.0
TAG="v$VERSION"
START=$SECONDS
W="${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tagship-demo.XXXXXX")}"
mkdir -p "$W/logs"
W="$(cd "$W" && pwd)"
PYENV="${TAGSHIP_TEST_DEPS:-$ROOT/.cache/test-deps}/pyenv"

finish() {
  local rc=$?
  trap - EXIT INT TERM
  say "Stopping the servers the demo started"
  demo_stop || rc=1
  echo "    work dir:  $W"
  local f
  for f in report-release.json report-rerun.json report-restore.json installs.json pids; do
    [ -e "$W/$f" ] && echo "    $(printf '%-20s' "$f") $W/$f"
  done
  echo "    logs:      $W/logs/ (set-up, installs), $W/servers/<name>/ (each server's log, data)"
  if [ "$rc" = 0 ]; then
    echo "demo: OK in $((SECONDS - START)) s"
  else
    echo "demo: FAILED (exit $rc) after $((SECONDS - START)) s" >&2
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

say "1. Installing what the demo needs (idempotent)"
logged setup-base bash "$ROOT/scripts/setup.d/10-base.sh"
need_client npm "npm is needed by the registry set-up and to install the npm package (apt-get install npm)"
logged setup-registries bash "$ROOT/scripts/setup.d/30-registries.sh"
need_client node "the npm package's launcher runs on node (apt-get install nodejs)"
need_client cargo "builds tagship and installs the crate (https://rustup.rs)"
need_client git "the PEP 503 index is a git branch (apt-get install git)"
need_client go "builds the example (scripts/setup.d/10-base.sh installs golang-go)"
need_client python3 "runs the registries and pip (apt-get install python3)"
[ -x "$PYENV/bin/python" ] || fail "missing $PYENV/bin/python (pip): run scripts/setup.d/30-registries.sh"
if [ -n "${TAGSHIP_BIN:-}" ]; then
  TAGSHIP="$TAGSHIP_BIN"
else
  echo "    building tagship (cargo build)"
  (cd "$ROOT" && cargo build --quiet --bin tagship)
  TAGSHIP="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tagship"
fi
[ -x "$TAGSHIP" ] || fail "no tagship binary at $TAGSHIP"
EPOCH="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 1700000000)"
echo "    ok ($((SECONDS - START)) s)"

say "2. Starting local registries on 127.0.0.1 (data in $W/servers)"
start_registries

say "3. Writing $W/project/pipeline.yaml (npm, pypi, pep503, crates -> the local registries)"
write_project
sed -n '/^platforms:/,$p' "$W/project/pipeline.yaml" | sed 's/^/    /'

say "4. tagship release $TAG"
tagship_run release "$TAG" || fail "tagship release $TAG exited $? (report: $W/project/dist/report.json)"
cp "$W/project/dist/report.json" "$W/report-release.json"
check_report "$W/report-release.json" published any

say "5. Installing what was published with each real client, and running it"
rm -f "$W/installs.json"
install_npm
install_pip pypi "$(jget "$W/servers/pypi.json" simple_url)"
install_pep503
install_cargo

say "6. tagship release $TAG again: everything is live, nothing is sent"
tagship_run release "$TAG" || fail "the re-run exited $? (report: $W/project/dist/report.json)"
cp "$W/project/dist/report.json" "$W/report-rerun.json"
check_report "$W/report-rerun.json" already-published 0

say "7. One wheel deleted from pypiserver behind tagship's back; tagship publish --only pypi"
wheel="$(cd "$(jget "$W/servers/pypi.json" packages)" && ls -- *aarch64*.whl 2>/dev/null | head -n 1 || true)"
[ -n "$wheel" ] || fail "no aarch64 wheel on pypiserver"
rm -f -- "$(jget "$W/servers/pypi.json" packages)/$wheel"
echo "    deleted $wheel"
tagship_run publish --only pypi || fail "tagship publish --only pypi exited $?"
cp "$W/project/dist/report.json" "$W/report-restore.json"
check_report "$W/report-restore.json" published 1 pypi
[ -f "$(jget "$W/servers/pypi.json" packages)/$wheel" ] || fail "$wheel was not restored"
