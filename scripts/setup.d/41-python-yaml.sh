#!/usr/bin/env bash
# PyYAML, used by tests/winget_manifest.rs to turn the rendered WinGet manifests into JSON
# (with a real YAML parser) before validating them with jsonschema. Idempotent.
set -euo pipefail
if python3 -c 'import yaml' 2>/dev/null; then
  echo "python3 yaml $(python3 -c 'import yaml; print(yaml.__version__)') already installed"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-yaml >/dev/null || true
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet 'PyYAML>=6'
fi
python3 -c 'import yaml' # fails loudly when neither worked
