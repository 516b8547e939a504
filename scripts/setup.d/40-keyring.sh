#!/usr/bin/env bash
# The OS keyring for tests/keyring_secret_service.rs: a Secret Service (GNOME Keyring's daemon)
# on a private D-Bus session bus, and `secret-tool` (libsecret), the client a user stores a
# credential with. tagship itself talks to it in pure Rust (keyring-rs over zbus), so no
# -dev package is needed. Skips apt entirely when everything is installed.
set -euo pipefail
need=()
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus-daemon)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null
fi
gnome-keyring-daemon --version >&2
