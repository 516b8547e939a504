#!/usr/bin/env bash
# Installs everything tagship's demo and tests need on a fresh Debian machine, idempotently.
# Runs scripts/setup.d/*.sh in order. `scripts/setup.sh base` runs only the base step
# (what the demo needs: Go for the bundled example, `file`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" = "base" ]; then
  exec bash "$here/setup.d/10-base.sh"
fi
for s in "$here"/setup.d/*.sh; do
  echo "==> setup: $(basename "$s")" >&2
  bash "$s"
done
