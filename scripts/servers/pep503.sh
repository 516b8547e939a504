#!/usr/bin/env bash
# pep503.sh ROOT DIR [PORT] — serve the static tree ROOT (e.g. a generated
# PEP 503 index: ROOT/simple/index.html, ROOT/simple/<project>/index.html,
# wheels anywhere) read-only on 127.0.0.1, the way GitHub Pages would: index.html
# for a directory URL, `/x` -> 301 `/x/`, no content negotiation. Every request
# is appended to DIR/requests.jsonl. Prints one JSON line:
# {"url":"http://127.0.0.1:P/","simple_url":"http://127.0.0.1:P/simple/",
#  "root":"ROOT","port":P,"pid":N,"log":"DIR/requests.jsonl","server_log":"DIR/pep503.log"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="${1:-}"
[ -n "$ROOT" ] && [ -d "$ROOT" ] || die "usage: pep503.sh ROOT DIR [PORT] (ROOT must exist)"
ROOT="$(cd "$ROOT" && pwd)"
init_dir "${2:-}"
PORT="${3:-0}"
LOG="$DIR/pep503.log"
rm -f "$DIR/pep503.port"
start_bg pep503 "$LOG" "$SYS_PYTHON" -c '
import functools, json, os, sys, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
root, port, port_file, reqlog = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
class H(SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        with lock, open(reqlog, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "status": int(getattr(code, "value", code))}) + "\n")
    def log_message(self, *a):
        pass
httpd = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(H, directory=root))
httpd.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
os.replace(port_file + ".tmp", port_file)
httpd.serve_forever()
' "$ROOT" "$PORT" "$DIR/pep503.port" "$DIR/requests.jsonl"
PORT="$(wait_port_file "$DIR/pep503.port")"
URL="http://127.0.0.1:$PORT/"
wait_http "$URL" 30
json url "$URL" simple_url "${URL}simple/" root "$ROOT" port "$PORT" pid "$SERVER_PID" \
  log "$DIR/requests.jsonl" server_log "$LOG"
