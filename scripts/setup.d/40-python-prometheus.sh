#!/usr/bin/env bash
# Python's `prometheus_client`, whose text-format parser tests/report_render.rs uses to check
# `--metrics` output. Skips everything when it is already importable.
set -euo pipefail
if python3 -c 'import prometheus_client' 2>/dev/null; then
  echo "python3 prometheus_client already installed"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-prometheus-client >/dev/null || true
fi
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
  python3 -m pip install --quiet 'prometheus_client>=0.16'
fi
python3 -c 'import prometheus_client' # fails loudly when neither worked
