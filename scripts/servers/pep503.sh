#!/usr/bin/env bash
# pep503.sh ROOT DIR [PORT] — serve the static tree ROOT (e.g. a generated
# PEP 503 index: ROOT/simple/index.html, ROOT/simple/<project>/index.html,
# wheels anywhere) read-only on 127.0.0.1, the way GitHub Pages would: index.html
# for a directory URL, `/x` -> 301 `/x/`, no content negotiation. Every request
# is appended to DIR/requests.jsonl. Prints one JSON line:
# {"url":"http://127.0.0.1:P/","simple_url":"http://127.0.0.1:P/simple/",
#  "root":"ROOT","port":P,"pid":N,"log":"DIR/requests.jsonl","server_log":"DIR/pep503.log"}
#
# pep503.sh --git REPOS DIR [PORT] — serve the bare repositories under REPOS over
# git's smart HTTP protocol (`git http-backend` as CGI), like a forge hosting the
# index branch: partial clone filters and protocol v2 on, pushes allowed. With
# PEP503_GIT_TOKEN set, every request must carry
# `Authorization: Basic base64(x-access-token:TOKEN)` (else 401 + WWW-Authenticate).
# Every request is appended to DIR/requests.jsonl as
# {"method","path","service","status"} (a push is a POST to .../git-receive-pack).
# Prints {"url":"http://127.0.0.1:P/","port":P,"pid":N,"log":...,"server_log":...};
# a repo REPOS/x.git is at <url>x.git.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODE=static
if [ "${1:-}" = "--git" ]; then MODE=git; shift; fi
ROOT="${1:-}"
[ -n "$ROOT" ] && [ -d "$ROOT" ] || die "usage: pep503.sh [--git] ROOT DIR [PORT] (ROOT must exist)"
ROOT="$(cd "$ROOT" && pwd)"
init_dir "${2:-}"
PORT="${3:-0}"
if [ "$MODE" = git ]; then
  REPOS="$ROOT"
  LOG="$DIR/pep503-git.log"
  rm -f "$DIR/pep503-git.port"
  BACKEND="$(git --exec-path)/git-http-backend"
  [ -x "$BACKEND" ] || die "$BACKEND is missing; run scripts/setup.d/10-base.sh (git)"
  start_bg pep503-git "$LOG" "$SYS_PYTHON" -c '
import base64, json, os, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
repos, port, port_file, reqlog, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
token = os.environ.get("PEP503_GIT_TOKEN", "")
want = "Basic " + base64.b64encode(("x-access-token:" + token).encode()).decode()
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def note(self, status):
        path, _, query = self.path.partition("?")
        service = next((kv[8:] for kv in query.split("&") if kv.startswith("service=")), path.rsplit("/", 1)[-1])
        with lock, open(reqlog, "a") as f:
            f.write(json.dumps({"method": self.command, "path": path, "service": service, "status": status}) + "\n")
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))
    def handle_any(self):
        data = self.body() if self.command == "POST" else b""
        if token and self.headers.get("Authorization") != want:
            self.note(401)
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Basic realm=\"git\"")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=repos, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, REMOTE_USER="x-access-token",
                   REMOTE_ADDR="127.0.0.1", CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(data)), GIT_CONFIG_COUNT="3",
                   GIT_CONFIG_KEY_0="uploadpack.allowFilter", GIT_CONFIG_VALUE_0="true",
                   GIT_CONFIG_KEY_1="uploadpack.allowAnySHA1InWant", GIT_CONFIG_VALUE_1="true",
                   GIT_CONFIG_KEY_2="http.receivepack", GIT_CONFIG_VALUE_2="true")
        for h, e in (("Git-Protocol", "GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(h):
                env[e] = self.headers[h]
        out = subprocess.run([backend], input=data, env=env, capture_output=True).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        if not _:
            head, _, rest = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.note(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)
    do_GET = do_POST = handle_any
httpd = ThreadingHTTPServer(("127.0.0.1", port), H)
httpd.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
os.replace(port_file + ".tmp", port_file)
httpd.serve_forever()
' "$REPOS" "$PORT" "$DIR/pep503-git.port" "$DIR/requests.jsonl" "$BACKEND"
  PORT="$(wait_port_file "$DIR/pep503-git.port")"
  URL="http://127.0.0.1:$PORT/"
  wait_http "$URL" 30
  json url "$URL" port "$PORT" pid "$SERVER_PID" log "$DIR/requests.jsonl" server_log "$LOG"
  exit 0
fi
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
