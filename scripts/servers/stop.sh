#!/usr/bin/env bash
# stop.sh DIR...  — stop every server whose pid file (*.pid) is in DIR or one
# level below it, as written by the start scripts in this folder. Each server
# runs in its own session, so its whole process group gets SIGTERM, then
# SIGKILL after 5 s. Pid files are removed. Always exits 0 unless no DIR given.
set -u
[ $# -ge 1 ] || { echo "usage: stop.sh DIR..." >&2; exit 2; }
for d in "$@"; do
  [ -d "$d" ] || continue
  find "$d" -maxdepth 2 -name '*.pid' -type f 2>/dev/null | while read -r f; do
    pid="$(tr -dc '0-9' < "$f")"
    [ -n "$pid" ] || { rm -f "$f"; continue; }
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
      fi
    fi
    rm -f "$f"
  done
done
exit 0
