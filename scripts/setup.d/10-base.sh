#!/usr/bin/env bash
# Base tools: Go (cross-compiles the bundled example offline), `file` (tests confirm binary
# formats with it), git. Skips apt entirely when they are already installed.
set -euo pipefail
need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v file >/dev/null 2>&1 || need+=(file)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
go version >&2
