#!/usr/bin/env bash
# Installs the real local registries used by the integration tests:
#   - verdaccio 6.8.0 (npm)            -> $REPO/.cache/test-deps/verdaccio
#   - venv with pypiserver, devpi, twine, check-wheel-contents
#                                      -> $REPO/.cache/test-deps/pyenv
#   - apt: apache2-utils (htpasswd)
# The crates registry (scripts/servers/crates_registry/) and the fault proxy
# need only python3's stdlib and cargo.
# Idempotent: each part writes a stamp file with the exact spec it installed and
# is skipped when the stamp matches. See docs/test-servers.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
mkdir -p "$CACHE"

log() { printf '[30-registries] %s\n' "$*" >&2; }

# ---- apt: apache2-utils (htpasswd) --------------------------------------------
APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "need root to apt-get install $*"; return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v htpasswd >/dev/null 2>&1; then
  log "installing apache2-utils (htpasswd)"
  apt_install apache2-utils
fi

# ---- npm: verdaccio 6.8.0 -------------------------------------------------------
# 6.9.0+ needs Node >= 22. verdaccio-audit depends on node-fetch@"cjs" (a dist-tag
# the reachable npm registry does not show), hence the override.
VERDACCIO_DIR="$CACHE/verdaccio"
VERDACCIO_PKG='{"name":"tagship-verdaccio-host","private":true,"dependencies":{"verdaccio":"6.8.0"},"overrides":{"verdaccio-audit":{"node-fetch":"2.7.0"}}}'
if [ -x "$VERDACCIO_DIR/node_modules/.bin/verdaccio" ] \
   && [ "$(cat "$VERDACCIO_DIR/.stamp" 2>/dev/null)" = "$VERDACCIO_PKG" ]; then
  log "verdaccio: up to date"
else
  log "verdaccio: installing 6.8.0 into $VERDACCIO_DIR"
  command -v npm >/dev/null || { log "npm not found"; exit 1; }
  mkdir -p "$VERDACCIO_DIR"
  rm -f "$VERDACCIO_DIR/.stamp"
  printf '%s\n' "$VERDACCIO_PKG" > "$VERDACCIO_DIR/package.json"
  # A private userconfig keeps a developer's ~/.npmrc (auth, registry) out of it.
  (cd "$VERDACCIO_DIR" && npm install --no-audit --no-fund --loglevel=error --update-notifier=false \
      --userconfig "$VERDACCIO_DIR/.npmrc-empty" >&2)
  v="$("$VERDACCIO_DIR/node_modules/.bin/verdaccio" --version)"
  [ "$v" = "v6.8.0" ] || { log "unexpected verdaccio version: $v"; exit 1; }
  printf '%s' "$VERDACCIO_PKG" > "$VERDACCIO_DIR/.stamp"
fi

# ---- PyPI: one venv with both servers and the clients -------------------------
PYENV_DIR="$CACHE/pyenv"
PY_REQS="pypiserver==2.4.2 passlib==1.7.4 devpi-server==6.20.3 devpi-client==7.3.0 twine==7.0.0 check-wheel-contents==0.6.3"
PYTHON="${PYTHON:-python3}"
if [ -x "$PYENV_DIR/bin/pypi-server" ] \
   && [ "$(cat "$PYENV_DIR/.stamp" 2>/dev/null)" = "$PY_REQS" ]; then
  log "pyenv: up to date"
else
  log "pyenv: creating $PYENV_DIR"
  rm -rf "$PYENV_DIR"
  if ! "$PYTHON" -m venv "$PYENV_DIR" 2>/dev/null; then
    # Debian's system python ships venv/ensurepip in a separate package.
    rm -rf "$PYENV_DIR"
    log "python3 -m venv failed; installing python3-venv"
    apt_install python3-venv
    "$PYTHON" -m venv "$PYENV_DIR"
  fi
  # shellcheck disable=SC2086
  "$PYENV_DIR/bin/pip" install --quiet --disable-pip-version-check $PY_REQS >&2
  printf '%s' "$PY_REQS" > "$PYENV_DIR/.stamp"
fi

# ---- sanity -------------------------------------------------------------------
command -v cargo >/dev/null || log "warning: cargo not on PATH (needed by the crates smoke test)"
log "ok ($CACHE)"
