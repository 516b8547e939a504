#!/usr/bin/env bash
# The Chocolatey tests (platforms/chocolatey, tests/chocolatey_*.rs, the conformance line):
#   - minchoc 0.2.0 (PyPI; a Django app, "Minimal Chocolatey-compatible NuGet server"): a real
#     NuGet v2 feed (PUT /api/v2/package/, Packages(Id=,Version=), FindPackagesById()), in its
#     own venv -> $CACHE/nuget/venv; started by scripts/servers/nuget.sh with the host site in
#     scripts/servers/nuget_site/ (see ../shared/TEST-SERVERS.md §9), whose gallery.py adds what
#     the gallery does and minchoc does not: DELETE unlists (minchoc deletes), Search(), the
#     unlisted markers, and SemVer 1 prerelease versions (minchoc answers 500)
#   - Debian's `nuget` client (NuGet.exe 2.8.7 on mono): installs what tagship pushed from
#     that feed, an independent reader of our .nupkg
# Idempotent: the venv carries a stamp with the exact spec; apt is skipped when `nuget` is
# there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
log() { printf '[72-nuget] %s\n' "$*" >&2; }

if ! command -v nuget >/dev/null 2>&1; then
  log "installing Debian's nuget (mono)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nuget >/dev/null
fi

VENV="$CACHE/nuget/venv"
SPEC="minchoc==0.2.0 Django==5.2.19"
PYTHON="${PYTHON:-python3}"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$SPEC" ]; then
  log "minchoc: up to date"
else
  log "minchoc: creating $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $SPEC >&2
  printf '%s' "$SPEC" > "$VENV/.stamp"
fi
"$VENV/bin/python" -c 'import minchoc, django; print("minchoc ok, django", django.get_version())' >&2
# `nuget help` prints its banner and then may never exit on mono: read the banner, bounded.
out="$(timeout 20 nuget help 2>/dev/null || true)"
case "$out" in
  *"NuGet Version"*) log "nuget: ${out%%$'\n'*}" ;;
  *) log "nuget does not run: \`nuget help\` printed no version"; exit 1 ;;
esac
log "ok ($CACHE/nuget)"
