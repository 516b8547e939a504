#!/usr/bin/env bash
# fault_proxy.sh UPSTREAM_URL DIR [PORT] — start scripts/servers/fault_proxy.py
# in front of UPSTREAM_URL on 127.0.0.1. Prints one JSON line:
# {"url":"http://127.0.0.1:P/","control":"http://127.0.0.1:P/__proxy/",
#  "upstream":"...","port":P,"pid":N,"log":"DIR/fault_proxy.log"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UPSTREAM="${1:-}"
[ -n "$UPSTREAM" ] || die "usage: fault_proxy.sh UPSTREAM_URL DIR [PORT]"
init_dir "${2:-}"
PORT="${3:-0}"
LOG="$DIR/fault_proxy.log"
rm -f "$DIR/fault_proxy.port"
start_bg fault_proxy "$LOG" "$SYS_PYTHON" "$SERVERS_DIR/fault_proxy.py" "$UPSTREAM" \
  --host 127.0.0.1 --port "$PORT" --port-file "$DIR/fault_proxy.port"
PORT="$(wait_port_file "$DIR/fault_proxy.port")"
wait_http "http://127.0.0.1:$PORT/__proxy/log" 30
json url "http://127.0.0.1:$PORT/" control "http://127.0.0.1:$PORT/__proxy/" upstream "$UPSTREAM" \
  port "$PORT" pid "$SERVER_PID" log "$LOG"
