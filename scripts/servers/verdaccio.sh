#!/usr/bin/env bash
# verdaccio.sh DIR [PORT] — start verdaccio 6.8.0 (npm registry) on 127.0.0.1
# with no uplinks (offline), htpasswd auth, publish for $authenticated, then
# create user "tester" and obtain a token. The middleware plugin verdaccio-strict/ (loaded
# from this directory) refuses what registry.npmjs.org refuses and verdaccio accepts.
# VERDACCIO_MAX_BODY raises the request size limit (verdaccio's default: 10mb). Prints one JSON line:
# {"url":"http://127.0.0.1:P/","token":"...","user":"tester","password":"...",
#  "port":P,"pid":N,"log":"DIR/verdaccio.log","config":"DIR/config.yaml"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
BIN="$CACHE/verdaccio/node_modules/.bin/verdaccio"
need_setup "$BIN"
USER_NAME="tester"
PASSWORD="${VERDACCIO_PASSWORD:-$(rand_secret 20)}"
LOG="$DIR/verdaccio.log"
mkdir -p "$DIR/storage"
: > "$DIR/htpasswd"
cat > "$DIR/config.yaml" <<YAML
storage: $DIR/storage
auth:
  htpasswd:
    file: $DIR/htpasswd
    max_users: 1000
uplinks: {}
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
plugins: $SERVERS_DIR
middlewares:
  strict:
    enabled: true
web:
  enable: false
max_body_size: ${VERDACCIO_MAX_BODY:-10mb}
log: { type: stdout, format: pretty, level: http }
listen: 127.0.0.1:$PORT
YAML
# verdaccio warns (but runs) as root; it reads no ~/.npmrc.
start_bg verdaccio "$LOG" "$BIN" --config "$DIR/config.yaml"
URL="http://127.0.0.1:$PORT/"
wait_http "${URL}-/ping" 90
TOKEN="$("$SYS_PYTHON" - "$URL" "$USER_NAME" "$PASSWORD" <<'PY'
import json, sys, urllib.request
url, user, pw = sys.argv[1:4]
req = urllib.request.Request(
    url + "-/user/org.couchdb.user:" + user, method="PUT",
    data=json.dumps({"name": user, "password": pw}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=30) as r:
    print(json.load(r)["token"])
PY
)" || fail_start "could not create user $USER_NAME"
json url "$URL" token "$TOKEN" user "$USER_NAME" password "$PASSWORD" port "$PORT" \
  pid "$SERVER_PID" log "$LOG" config "$DIR/config.yaml"
