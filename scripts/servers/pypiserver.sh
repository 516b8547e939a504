#!/usr/bin/env bash
# pypiserver.sh DIR [PORT] — start pypiserver 2.4.2 on 127.0.0.1 with an
# htpasswd user, --disable-fallback (no redirect to pypi.org), no --overwrite
# (duplicates rejected) and -a update (auth only for uploads). Prints one JSON line:
# {"url":"http://127.0.0.1:P/","upload_url":"http://127.0.0.1:P/",
#  "simple_url":"http://127.0.0.1:P/simple/",
#  "json_url":"http://127.0.0.1:P/{project}/json","user":"tester",
#  "password":"...","port":P,"pid":N,"log":"DIR/pypiserver.log","packages":"DIR/packages"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
BIN="$PYENV/bin/pypi-server"
need_setup "$BIN"
command -v htpasswd >/dev/null || die "htpasswd missing; run scripts/setup.d/30-registries.sh"
USER_NAME="tester"
PASSWORD="${PYPI_PASSWORD:-$(rand_secret 20)}"
LOG="$DIR/pypiserver.log"
mkdir -p "$DIR/packages"
# apr1-MD5 (htpasswd's default) is read by passlib without extra packages.
htpasswd -bc "$DIR/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
start_bg pypiserver "$LOG" "$BIN" run -i 127.0.0.1 -p "$PORT" -P "$DIR/htpasswd" -a update \
  --disable-fallback "$DIR/packages"
URL="http://127.0.0.1:$PORT/"
wait_http "${URL}simple/" 60
json url "$URL" upload_url "$URL" simple_url "${URL}simple/" json_url "${URL}{project}/json" \
  user "$USER_NAME" password "$PASSWORD" port "$PORT" pid "$SERVER_PID" log "$LOG" \
  packages "$DIR/packages"
