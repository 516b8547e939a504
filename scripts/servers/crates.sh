#!/usr/bin/env bash
# crates.sh DIR [PORT] — start scripts/servers/crates_registry/ (sparse
# cargo registry) on 127.0.0.1. Prints one JSON line:
# {"index":"sparse+http://127.0.0.1:P/index/","api":"http://127.0.0.1:P",
#  "dl":"http://127.0.0.1:P/api/v1/crates","token":"...","port":P,"pid":N,
#  "log":"DIR/requests.jsonl","server_log":"DIR/crates.log","data":"DIR/data"}
# Env: CRATES_TOKEN (default: random), CRATES_BASE_URL (URL written into
# config.json, e.g. a fault proxy's), CRATES_DUPLICATE_STATUS (default 400),
# CRATES_MAX_UPLOAD_SIZE (bytes, default 10 MiB), CRATES_LENIENT=1 (no crates.io rules),
# CRATES_INDEX_DELAY (seconds a new version stays out of the index, default 0).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-0}"
TOKEN="${CRATES_TOKEN:-$(rand_secret 32)}"
LOG="$DIR/crates.log"
REQLOG="$DIR/requests.jsonl"
rm -f "$DIR/crates.port"
printf '%s\n' "$TOKEN" > "$DIR/token"
extra=()
[ -n "${CRATES_BASE_URL:-}" ] && extra+=(--base-url "$CRATES_BASE_URL")
[ -n "${CRATES_MAX_UPLOAD_SIZE:-}" ] && extra+=(--max-upload-size "$CRATES_MAX_UPLOAD_SIZE")
[ "${CRATES_LENIENT:-}" = 1 ] && extra+=(--lenient)
[ -n "${CRATES_INDEX_DELAY:-}" ] && extra+=(--index-delay "$CRATES_INDEX_DELAY")
start_bg crates "$LOG" "$SYS_PYTHON" "$SERVERS_DIR/crates_registry" \
  --host 127.0.0.1 --port "$PORT" --data "$DIR/data" --token-file "$DIR/token" \
  --request-log "$REQLOG" --port-file "$DIR/crates.port" \
  --duplicate-status "${CRATES_DUPLICATE_STATUS:-400}" ${extra[@]+"${extra[@]}"}
PORT="$(wait_port_file "$DIR/crates.port")"
BASE="http://127.0.0.1:$PORT"
wait_http "$BASE/index/config.json" 30
PUB="${CRATES_BASE_URL:-$BASE}"; PUB="${PUB%/}"
json index "sparse+$PUB/index/" api "$PUB" dl "$PUB/api/v1/crates" token "$TOKEN" \
  port "$PORT" pid "$SERVER_PID" log "$REQLOG" server_log "$LOG" data "$DIR/data"
