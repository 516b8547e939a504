#!/usr/bin/env bash
# nuget.sh DIR [PORT] — start minchoc 0.2.0 (a real NuGet v2 feed, TEST-SERVERS §9) on
# 127.0.0.1 with the host site in scripts/servers/nuget_site/, its sqlite DB and packages
# under DIR, and one user whose API key is printed. Prints one JSON line:
# {"url":"http://127.0.0.1:P/api/v2/","push_url":"http://127.0.0.1:P/api/v2/package/",
#  "api_key":"<uuid>","port":P,"pid":N,"log":"DIR/nuget.log","data":"DIR"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
PY="$CACHE/nuget/venv/bin/python"
[ -x "$PY" ] || die "$PY is missing; run scripts/setup.d/72-nuget.sh first"
export NUGET_DATA="$DIR" PYTHONPATH="$SERVERS_DIR/nuget_site" DJANGO_SETTINGS_MODULE=nugetsite.settings
LOG="$DIR/nuget.log"
mkdir -p "$DIR/media"
"$PY" -m django migrate --verbosity 0 >>"$LOG" 2>&1 || die "migrate failed; see $LOG"
KEY="$("$PY" - <<'PY' 2>>"$LOG"
import django
django.setup()
from django.contrib.auth.models import User
from minchoc.models import NugetUser
u, _ = User.objects.get_or_create(username="tester")
print(NugetUser.objects.get(base=u).token)
PY
)"
[ -n "$KEY" ] || die "no API key was created; see $LOG"
start_bg nuget "$LOG" "$PY" -m django runserver "127.0.0.1:$PORT" --noreload
URL="http://127.0.0.1:$PORT/api/v2/"
wait_http "$URL\$metadata" 60
json url "$URL" push_url "${URL}package/" api_key "$KEY" port "$PORT" pid "$SERVER_PID" \
  log "$LOG" data "$DIR"
