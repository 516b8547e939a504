#!/usr/bin/env bash
# devpi.sh DIR [PORT] — start devpi-server 6.20.3 on 127.0.0.1 in offline mode,
# with user "tester" and index "tester/dev" (bases= : no pypi mirror;
# volatile=False : no overwrite). Prints one JSON line:
# {"url":"http://127.0.0.1:P/","upload_url":"http://127.0.0.1:P/tester/dev/",
#  "simple_url":"http://127.0.0.1:P/tester/dev/+simple/",
#  "json_url":"http://127.0.0.1:P/tester/dev/{project}",        (Accept: application/json)
#  "version_json_url":"http://127.0.0.1:P/tester/dev/{project}/{version}",
#  "user":"tester","password":"...","root_password":"...","index":"tester/dev",
#  "port":P,"pid":N,"log":"DIR/devpi.log"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
need_setup "$PYENV/bin/devpi-server"
USER_NAME="tester"
PASSWORD="${DEVPI_PASSWORD:-$(rand_secret 20)}"
ROOTPW="$(rand_secret 20)"
LOG="$DIR/devpi.log"
SERVERDIR="$DIR/data"
if [ ! -e "$SERVERDIR/.serverversion" ]; then
  "$PYENV/bin/devpi-init" --serverdir "$SERVERDIR" --root-passwd "$ROOTPW" >>"$LOG" 2>&1 \
    || { tail -20 "$LOG" >&2; die "devpi-init failed"; }
  printf '%s\n' "$ROOTPW" > "$DIR/root-password"
  # What devpi-gen-secret writes (base64 of 32 random bytes), without its 2 s
  # start-up. devpi refuses a secret file that is group/world accessible or
  # whose folder is group/world writable, hence the private folder.
  mkdir -p "$DIR/secret.d" && chmod 700 "$DIR/secret.d"
  (umask 077 && "$SYS_PYTHON" -c 'import base64,secrets,sys; sys.stdout.write(base64.b64encode(secrets.token_bytes(32)).decode())' \
     > "$DIR/secret.d/secret")
  FRESH=1
else
  ROOTPW="$(cat "$DIR/root-password")"
  FRESH=0
fi
# The hidden --argon2-* options: with the defaults (512 MiB, 16 passes, 8 lanes)
# deriving the token key from the secret takes ~18 s on 2 cores at every start.
start_bg devpi "$LOG" "$PYENV/bin/devpi-server" --serverdir "$SERVERDIR" --host 127.0.0.1 \
  --port "$PORT" --offline-mode --secretfile "$DIR/secret.d/secret" \
  --argon2-memory-cost 8 --argon2-time-cost 1 --argon2-parallelism 1
URL="http://127.0.0.1:$PORT/"
wait_http "${URL}+api" 120
if [ "$FRESH" = 1 ]; then
  # Same as `devpi login root; devpi user -c tester; devpi index -c tester/dev
  # bases= volatile=False`, through the REST API (devpi-client costs ~1 s a call).
  "$SYS_PYTHON" - "$URL" "$ROOTPW" "$USER_NAME" "$PASSWORD" >>"$LOG" 2>&1 <<'PY' \
    || fail_start "devpi user/index setup failed"
import base64, json, sys, urllib.request
url, rootpw, user, pw = sys.argv[1:5]
def call(method, path, body, auth=None):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        h["X-Devpi-Auth"] = base64.b64encode(auth.encode()).decode()
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=method, headers=h)
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.load(r)
        print(method, path, r.status)
        return out
tok = call("POST", "+login", {"user": "root", "password": rootpw})["result"]["password"]
auth = "root:" + tok
call("PUT", user, {"password": pw, "email": user + "@example.invalid"}, auth)
call("PUT", user + "/dev", {"type": "stage", "bases": [], "volatile": False}, auth)
PY
  printf '%s\n' "$PASSWORD" > "$DIR/tester-password"
else
  PASSWORD="$(cat "$DIR/tester-password")"
fi
IDX="${URL}$USER_NAME/dev/"
json url "$URL" upload_url "$IDX" simple_url "${IDX}+simple/" json_url "${IDX}{project}" \
  version_json_url "${IDX}{project}/{version}" user "$USER_NAME" password "$PASSWORD" \
  root_password "$ROOTPW" index "$USER_NAME/dev" port "$PORT" pid "$SERVER_PID" log "$LOG"
