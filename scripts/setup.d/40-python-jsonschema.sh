#!/usr/bin/env bash
# Python's `jsonschema`, used by tests/github_schemas.rs (through
# tests/fixtures/github-rest/validate.py) to check the GitHub double's answers against
# GitHub's REST description. Skips everything when it is already importable.
set -euo pipefail
if python3 -c 'import jsonschema' 2>/dev/null; then
  echo "python3 jsonschema $(python3 -c 'import importlib.metadata as m; print(m.version("jsonschema"))') already installed"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-jsonschema >/dev/null || true
fi
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet 'jsonschema>=4.18'
fi
python3 -c 'import jsonschema' # fails loudly when neither worked
