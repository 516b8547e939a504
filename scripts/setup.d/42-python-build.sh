#!/usr/bin/env bash
# The Python build front end and backend for `mode: project` (pypi/pep503): `build` and
# `flit_core` in the registries venv ($CACHE/pyenv, made by 30-registries.sh), so that
# examples/hello-python builds offline with `python -m build --no-isolation`. The tests also
# use the venv's `readme_renderer` (twine's dependency) for the reStructuredText check.
# Idempotent: installs only what is missing or at another version.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
PY="$CACHE/pyenv/bin/python"
log() { printf '[42-python-build] %s\n' "$*" >&2; }
[ -x "$PY" ] || { log "$PY missing: run scripts/setup.d/30-registries.sh first"; exit 1; }
WANT="build==1.6.1 flit_core==3.12.0"
have() { "$PY" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }
missing=""
for spec in $WANT; do
  [ "$(have "${spec%%==*}")" = "${spec##*==}" ] || missing="$missing $spec"
done
if [ -z "$missing" ]; then
  log "up to date ($WANT)"
else
  log "installing$missing into $CACHE/pyenv"
  # shellcheck disable=SC2086
  "$PY" -m pip install --quiet --disable-pip-version-check $missing >&2
fi
"$PY" -c 'import build, flit_core.buildapi, readme_renderer.rst' # fails loudly when absent
log "ok"
