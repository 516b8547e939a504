#!/usr/bin/env bash
# The snap tests (platforms/snap, tests/snap_*.rs, the conformance line):
#   - squashfs-tools: `mksquashfs` is what tagship itself runs to build a .snap (a declared tool
#     requirement), and `unsquashfs` is how the tests read one back (-s, -l, -d);
#   - `snap pack --check-skeleton` from Debian's snapd package, *extracted* into
#     $TAGSHIP_TEST_DEPS/snapd (../shared/TEST-SERVERS.md §12c): installing snapd would bring
#     systemd as init, udev and apparmor onto a shared machine, and packing needs no daemon.
# Idempotent: skips apt when mksquashfs is there, and the download when snap already runs.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
DEST="$CACHE/snapd"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
updated=0
if ! command -v mksquashfs >/dev/null 2>&1 || ! command -v unsquashfs >/dev/null 2>&1; then
  $SUDO apt-get update -qq; updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends squashfs-tools >/dev/null
fi
# `snap version` waits for a daemon that is not there; `pack --help` answers at once.
if ! "$DEST/usr/bin/snap" pack --help >/dev/null 2>&1; then
  [ "$updated" = 1 ] || $SUDO apt-get update -qq
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download writes to the current directory and needs no root.
  (cd "$tmp" && apt-get download -qq snapd)
  rm -rf "$DEST.new" && mkdir -p "$DEST.new"
  dpkg-deb -x "$tmp"/snapd_*.deb "$DEST.new"
  rm -rf "$DEST" && mv "$DEST.new" "$DEST"
fi
mksquashfs -version | sed -n 1p >&2  # sed reads to the end: no SIGPIPE under pipefail
"$DEST/usr/bin/snap" pack --help >/dev/null # fails loudly when the extraction did not work
echo "snap pack: $DEST/usr/bin/snap" >&2
