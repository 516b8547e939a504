# Shared helpers for scripts/servers/*.sh (sourced, not executed).
# Conventions: stdout of a start script is exactly ONE line of JSON; everything
# else goes to stderr or to the server's log file in the scratch dir.

SERVERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SERVERS_DIR/../.." && pwd)"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
PYENV="$CACHE/pyenv"
SYS_PYTHON="${PYTHON:-python3}"

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

need_setup() {
  [ -e "$1" ] || die "$1 is missing; run scripts/setup.d/30-registries.sh first"
}

# free_port: ask the kernel for a free 127.0.0.1 port. There is a small race
# between closing it here and the server binding it; the python servers avoid
# it by binding port 0 themselves.
free_port() {
  "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# rand_secret [N]: N hex chars
rand_secret() {
  "$SYS_PYTHON" -c 'import secrets,sys; print(secrets.token_hex(int(sys.argv[1])//2))' "${1:-24}"
}

# start_bg NAME LOG CMD...: start CMD detached in its own session (pid = pgid),
# write $DIR/NAME.pid, set SERVER_PID.
start_bg() {
  local name="$1" logf="$2"; shift 2
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  SERVER_PID=$!
  echo "$SERVER_PID" > "$DIR/$name.pid"
  # Optional watchdog: stop the server when the process TAGSHIP_WATCH_PID exits
  # (e.g. the test binary), so a crashed test does not leak servers.
  if [ -n "${TAGSHIP_WATCH_PID:-}" ]; then
    (
      trap '' HUP
      while kill -0 "$TAGSHIP_WATCH_PID" 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 1; done
      kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    ) </dev/null >/dev/null 2>&1 &
    disown $! 2>/dev/null || true
  fi
}

# fail_start MSG: kill the server started by start_bg, show its log tail, exit 1
fail_start() {
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  printf '%s: %s; last log lines (%s):\n' "$(basename "$0")" "$1" "$LOG" >&2
  tail -n 30 "$LOG" >&2 || true
  exit 1
}

# wait_http URL [TIMEOUT_S]: wait until URL answers with a status < 500 while
# SERVER_PID is alive.
wait_http() {
  local url="$1" timeout="${2:-60}" i=0
  while [ "$i" -lt $((timeout * 5)) ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail_start "server exited during startup"
    if "$SYS_PYTHON" - "$url" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code < 500 else 1)
except Exception:
    sys.exit(1)
PY
    sleep 0.2; i=$((i + 1))
  done
  fail_start "no answer from $url within ${timeout}s"
}

# wait_port_file FILE [TIMEOUT_S]: for servers that bind port 0 and report it.
wait_port_file() {
  local f="$1" timeout="${2:-30}" i=0
  while [ ! -s "$f" ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || fail_start "server exited during startup"
    [ "$i" -lt $((timeout * 10)) ] || fail_start "no port file after ${timeout}s"
    sleep 0.1; i=$((i + 1))
  done
  cat "$f"
}

# json k1 v1 k2 v2 ...: print one JSON object; values that look like integers
# (pid, port) are numbers, everything else strings.
json() {
  "$SYS_PYTHON" - "$@" <<'PY'
import json, sys
a = sys.argv[1:]
out = {}
for k, v in zip(a[0::2], a[1::2]):
    out[k] = int(v) if k in ("pid", "port") else v
print(json.dumps(out, separators=(",", ":")))
PY
}

# init_dir DIR: create the scratch dir and make it absolute (sets DIR)
init_dir() {
  [ -n "${1:-}" ] || die "usage: $(basename "$0") DIR [PORT]"
  mkdir -p "$1"
  DIR="$(cd "$1" && pwd)"
}
