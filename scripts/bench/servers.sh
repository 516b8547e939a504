#!/usr/bin/env bash
# scripts/bench/servers.sh T — (re)start the benchmark's registries with EMPTY state.
#
# Used by scripts/bench.sh once at the start and as hyperfine's `--prepare` before every
# measured run that must really publish. It:
#   1. kills the servers under T/srv (by the pids in their pid files) and deletes T/srv, so
#      verdaccio, pypiserver and the crates registry come back with no packages;
#   2. deletes the client caches in T/cache and T/cargo-home/registry (npm, pip and cargo
#      would otherwise remember the index from the previous run; tagship keeps no cache);
#   3. starts verdaccio, pypiserver and the crates registry again on the SAME ports (from
#      T/ports), with fixed passwords, so pipeline.yaml and the vendor commands never change;
#   4. writes T/env (sourced by every measured command: credentials, registry settings and
#      a clean client environment for both tagship and the vendor CLIs) and T/npmrc.
# verdaccio mints a new token at every start, hence T/env is rewritten each time.
# Nothing of this is measured: hyperfine runs --prepare outside the timing.
set -euo pipefail
T="${1:?usage: servers.sh T}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVERS="$HERE/../servers"
# shellcheck disable=SC1091
. "$T/ports"   # NPM_PORT PYPI_PORT CRATES_PORT

# Stop the previous servers. These are throw-away servers this benchmark started (each in its
# own session: pid = process group id), and their state is deleted next, so SIGKILL their
# groups by id instead of stop.sh's SIGTERM + 5 s grace (verdaccio uses most of the grace).
for f in "$T"/srv/*/*.pid; do
  [ -f "$f" ] || continue
  pid="$(tr -dc '0-9' < "$f")"
  [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do   # gone, or a zombie waiting for init to reap it
    case "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" in ""|Z) break ;; esac
    sleep 0.05
  done
done
rm -rf "$T/srv" "$T/cache" "$T/cargo-home/registry"
mkdir -p "$T/srv" "$T/cache" "$T/cargo-home"

export VERDACCIO_PASSWORD=benchpw PYPI_PASSWORD=benchpw CRATES_TOKEN=benchtoken
export VERDACCIO_MAX_BODY=1024mb   # part D publishes a ~280 MB npm document
"$SERVERS/verdaccio.sh" "$T/srv/npm" "$NPM_PORT" > "$T/srv/npm.json" & v=$!
"$SERVERS/pypiserver.sh" "$T/srv/pypi" "$PYPI_PORT" > "$T/srv/pypi.json" & p=$!
"$SERVERS/crates.sh" "$T/srv/crates" "$CRATES_PORT" > "$T/srv/crates.json"
wait "$v"
wait "$p"

# Warm the servers up (verdaccio's first requests after a start are slow while Node's JIT
# warms up): 20 read requests each, identical for tagship and the vendor CLIs, not measured.
python3 - "$NPM_PORT" "$PYPI_PORT" "$CRATES_PORT" <<'PY'
import sys, urllib.request, urllib.error
n, p, c = sys.argv[1:4]
urls = [f"http://127.0.0.1:{n}/@bench%2fwarmup", f"http://127.0.0.1:{n}/-/ping",
        f"http://127.0.0.1:{p}/simple/warmup/", f"http://127.0.0.1:{c}/index/config.json"]
for _ in range(20):
    for u in urls:
        try:
            urllib.request.urlopen(u, timeout=10).read()
        except urllib.error.HTTPError:
            pass
PY

NPM_TOKEN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/srv/npm.json")"
printf 'registry=http://127.0.0.1:%s/\n//127.0.0.1:%s/:_authToken=%s\n' \
  "$NPM_PORT" "$NPM_PORT" "$NPM_TOKEN" > "$T/npmrc"

cat > "$T/env" <<EOF
# written by scripts/bench/servers.sh; sourced by every measured command
export NPM_TOKEN='$NPM_TOKEN'
export PYPI_TOKEN=benchpw
export CARGO_REGISTRY_TOKEN=benchtoken
export SOURCE_DATE_EPOCH=1700000000
export CARGO_HOME='$T/cargo-home'
export CARGO_REGISTRIES_LOCAL_INDEX='sparse+http://127.0.0.1:$CRATES_PORT/index/'
export CARGO_REGISTRIES_LOCAL_TOKEN=benchtoken
export CARGO_TERM_PROGRESS_WHEN=never
export npm_config_userconfig='$T/npmrc'
export npm_config_cache='$T/cache/npm'
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false
export PIP_CONFIG_FILE=/dev/null
export PIP_CACHE_DIR='$T/cache/pip'
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
EOF
