#!/usr/bin/env bash
# Debian's Chromium, run headless by tests/status_render.rs to load the status dashboard,
# read its rows from the DOM and keep a screenshot. Skips when it is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null || true)"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version # fails loudly when the install did not work
