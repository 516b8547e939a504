# Helpers for scripts/demo.sh (sourced, not executed): precise set-up checks, the local
# registries, the demo project, the installs with the real clients, and report summaries.
# Everything the demo writes lives under $W (the demo's work dir); every server it starts
# is recorded in $W/pids ("PID NAME" per line) and stopped by `demo_stop`.

say() {
  if [ -t 1 ]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi
}
fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }

# need_client TOOL WHY: a missing client fails naming the tool and what it is for.
need_client() {
  command -v "$1" >/dev/null 2>&1 \
    || fail "missing client \`$1\` on PATH: $2"
}

# port_ok VAR: when the user pinned a port in $VAR, it must be free on 127.0.0.1.
port_ok() {
  local var="$1" port="${!1:-}"
  [ -n "$port" ] || return 0
  python3 - "$port" <<'PY' || fail "port $port on 127.0.0.1 (from $var) is already in use; free it, pick another, or unset $var for a free port"
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# jget FILE KEY: one string/number field of a one-line JSON file.
jget() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# start_server NAME SCRIPT ARGS...: runs scripts/servers/SCRIPT, its JSON into
# $W/servers/NAME.json, its PID into $W/pids. A failure shows the script's own message
# (which names the log and its last lines) and stops the demo.
start_server() {
  local name="$1" script="$2"; shift 2
  local out="$W/servers/$name.json" err="$W/servers/$name.err"
  if ! TAGSHIP_WATCH_PID=$$ bash "$ROOT/scripts/servers/$script" "$@" >"$out" 2>"$err"; then
    cat "$err" >&2
    fail "the $name registry failed to start (scripts/servers/$script; data in $W/servers/$name)"
  fi
  echo "$(jget "$out" pid) $name" >>"$W/pids"
  show_server "$name"
}

# show_server NAME: one line with the server's URL and PID.
show_server() {
  python3 - "$W/servers/$1.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("    %-9s %s (pid %d)" % (sys.argv[2], d.get("url") or d.get("api"), d["pid"]))
PY
}

# demo_stop: stop every server started under $W/servers (by the PIDs in their pid files,
# whole process group), then confirm none of the recorded PIDs is alive.
demo_stop() {
  [ -d "${W:-}/servers" ] || return 0
  local f pid name left=""
  # A server whose start failed half-way has a pid file but no JSON line: record it too.
  while IFS= read -r f; do
    pid="$(tr -dc '0-9' <"$f")"
    [ -n "$pid" ] && ! grep -q "^$pid " "$W/pids" 2>/dev/null \
      && echo "$pid $(basename "$f" .pid)" >>"$W/pids"
  done < <(find "$W/servers" -maxdepth 2 -name '*.pid' -type f)
  for d in "$W"/servers/*/; do bash "$ROOT/scripts/servers/stop.sh" "$d"; done
  [ -s "$W/pids" ] || return 0
  while read -r pid name; do
    if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
      left="$left $name($pid)"
    fi
  done <"$W/pids"
  [ -z "$left" ] || { echo "demo: still running after stop:$left" >&2; return 1; }
  echo "    stopped: $(awk '{printf "%s%s(%s)", (NR>1?", ":""), $2, $1}' "$W/pids")"
}

# start_registries: verdaccio (slowest, started first in the background), pypiserver,
# the crates registry and git's smart HTTP server over a bare repo for the PEP 503 index.
start_registries() {
  mkdir -p "$W/servers" "$W/git"
  : >"$W/pids"
  port_ok DEMO_NPM_PORT; port_ok DEMO_PYPI_PORT; port_ok DEMO_CRATES_PORT; port_ok DEMO_GIT_PORT
  PYPI_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  CRATES_TOKEN="$(python3 -c 'import secrets; print("cio" + secrets.token_hex(16))')"
  PEP503_TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  export PYPI_PASSWORD CRATES_TOKEN
  start_server npm verdaccio.sh "$W/servers/npm" ${DEMO_NPM_PORT:-} >/dev/null &
  local npm_job=$!
  start_server pypi pypiserver.sh "$W/servers/pypi" ${DEMO_PYPI_PORT:-}
  start_server crates crates.sh "$W/servers/crates" ${DEMO_CRATES_PORT:-}
  git init --quiet --bare "$W/git/index.git"
  PEP503_GIT_TOKEN="$PEP503_TOKEN" start_server git pep503.sh --git "$W/git" "$W/servers/git" \
    ${DEMO_GIT_PORT:-}
  wait "$npm_job" || fail "the npm registry (verdaccio) failed to start (see above)"
  show_server npm
}

# write_project: examples/hello-go at the root (its own builds section), examples/hello-rust
# under rust/ at version 1.0.0, and a pipeline.yaml pointing every platform at the servers.
write_project() {
  local p="$W/project" go="$ROOT/examples/hello-go" rs="$ROOT/examples/hello-rust"
  mkdir -p "$p/rust/src"
  cp "$go/main.go" "$go/go.mod" "$go/README.md" "$p/"
  cp "$rs/Cargo.toml" "$rs/Cargo.lock" "$rs/README.md" "$p/rust/"
  cp "$rs/src/main.rs" "$p/rust/src/"
  sed -i '0,/^version = "0.1.0"/s//version = "1.0.0"/' "$p/rust/Cargo.toml" "$p/rust/Cargo.lock"
  grep -q '^version = "1.0.0"' "$p/rust/Cargo.toml" || fail "could not set hello-rust's version"
  local pypi
  pypi="$(jget "$W/servers/pypi.json" url)"
  {
    cat <<YAML
# Written by scripts/demo.sh: examples/hello-go released to local registries, with
# examples/hello-rust (under rust/) as the crate. Credentials come from the environment.
YAML
    # The example's own project and builds sections, verbatim.
    sed -n '/^project:/,/^archives:/p' "$go/pipeline.yaml" | sed '$d'
    cat <<YAML
archives:
  files:
    - README.md

platforms:
  npm:
    registry: "$(jget "$W/servers/npm.json" url)"
  pypi:
    repository_url: "$pypi"
    check_via: simple
    simple_url: "${pypi}simple/"
    username: tester
  pep503:
    repo: "$(jget "$W/servers/git.json" url)index.git"
    token_env: PEP503_TOKEN
  crates:
    registry: local
    index: "$(jget "$W/servers/crates.json" index)"
    manifest: rust/Cargo.toml
YAML
  } >"$p/pipeline.yaml"
  grep -q '^    targets:' "$p/pipeline.yaml" || fail "no builds section copied from $go/pipeline.yaml"
}

# tagship ARGS...: the real binary in the demo project, with the throwaway credentials in
# the environment (as CI passes them) and nothing from the user's own.
tagship_run() {
  (cd "$W/project" && env -u GITHUB_REF -u CI_COMMIT_TAG -u GITHUB_STEP_SUMMARY \
    -u GITHUB_ACTIONS -u CARGO_BUILD_TARGET \
    NPM_TOKEN="$(jget "$W/servers/npm.json" token)" PYPI_TOKEN="$PYPI_PASSWORD" \
    CARGO_REGISTRY_TOKEN="$CRATES_TOKEN" PEP503_TOKEN="$PEP503_TOKEN" \
    TAGSHIP_NO_KEYRING=1 SOURCE_DATE_EPOCH="$EPOCH" "$TAGSHIP" "$@")
}

# record_install CLIENT SOURCE BIN: runs `BIN --version`, checks it prints 1.0.0 and adds
# {"client","source","binary","version"} to $W/installs.json.
record_install() {
  local client="$1" source="$2" bin="$3" v
  v="$("$bin" --version)" || fail "$bin --version failed (installed by $client)"
  printf '    %-22s %s --version  ->  %s\n' "$client" "${bin#"$W"/}" "$v"
  [ "$v" = "$VERSION" ] || fail "$client: $bin --version printed '$v', expected $VERSION"
  python3 - "$W/installs.json" "$client" "$source" "$bin" "$v" <<'PY'
import json, os, sys
path, client, source, binary, version = sys.argv[1:]
rows = json.load(open(path)) if os.path.exists(path) else []
rows.append({"client": client, "source": source, "binary": binary, "version": version})
json.dump(rows, open(path, "w"), indent=2)
PY
}

# logged LOGNAME CMD...: runs CMD with its output in $W/logs/LOGNAME.log, shown on failure.
logged() {
  local log="$W/logs/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "$* (full log: $log)"
  fi
}

# install_npm: `npm install -g --prefix` from verdaccio, with a private userconfig and cache.
install_npm() {
  local d="$W/install/npm" url
  url="$(jget "$W/servers/npm.json" url)"
  mkdir -p "$d"; : >"$d/npmrc"
  logged npm-install npm install -g --no-audit --no-fund --update-notifier=false \
    --prefix "$d/prefix" --registry "$url" --userconfig "$d/npmrc" --cache "$d/cache" \
    "hello@$VERSION"
  record_install "npm install -g" "$url" "$d/prefix/bin/hello"
}

# install_pip NAME INDEX: a fresh venv, into which the registries venv's pip installs
# hello==VERSION from INDEX (`--python`: no pip download, no user pip config).
install_pip() {
  local name="$1" index="$2" d="$W/install/$1"
  logged "$name-venv" python3 -m venv --without-pip "$d"
  logged "$name-install" env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
    PIP_CONFIG_FILE=/dev/null "$PYENV/bin/python" -m pip --disable-pip-version-check \
    --no-cache-dir --python "$d/bin/python" install --no-input --index-url "$index" \
    "hello==$VERSION"
  record_install "pip install ($name)" "$index" "$d/bin/hello"
}

# install_pep503: what the index branch holds, served as a static site (as GitHub Pages
# would), then `pip install` from it.
install_pep503() {
  logged pep503-clone git clone --quiet --branch gh-pages "$W/git/index.git" "$W/site"
  start_server site pep503.sh "$W/site" "$W/servers/site"
  install_pip pep503 "$(jget "$W/servers/site.json" simple_url)"
}

# install_cargo: `cargo install --registry local` with a scratch CARGO_HOME naming the index.
install_cargo() {
  local d="$W/install/cargo"
  mkdir -p "$d/home"
  printf '[registries.local]\nindex = "%s"\n' "$(jget "$W/servers/crates.json" index)" \
    >"$d/home/config.toml"
  logged cargo-install env -u CARGO_REGISTRY_TOKEN -u CARGO_BUILD_TARGET \
    CARGO_HOME="$d/home" CARGO_TARGET_DIR="$d/build" \
    cargo install --registry local hello-rust --version "=$VERSION" --root "$d/root"
  record_install "cargo install" "$(jget "$W/servers/crates.json" index)" "$d/root/bin/hello"
}

# check_report FILE WANT MUTATIONS [ID]: every platform's (or only ID's) outcome is WANT;
# the report counts MUTATIONS mutating requests ("any": more than 0). tagship printed the
# table already: this prints one verdict line (and every platform that is off).
check_report() {
  python3 - "$@" <<'PY' || fail "$1 is not what the demo expects (see above)"
import json, sys
path, want, mutations = sys.argv[1:4]
only = sys.argv[4] if len(sys.argv) > 4 else None
rep = json.load(open(path))
bad = []
for p in rep["platforms"]:
    if only and p["id"] != only:
        continue
    if p["outcome"] != want:
        print("    %s: %s (%s)" % (p["id"], p["outcome"], p.get("reason") or ""))
        bad.append(p["id"])
sent = rep["requests"]["mutating_sent"]
ids = [p["id"] for p in rep["platforms"] if not only or p["id"] == only]
print("    checked %s: %s %s, requests.mutating_sent = %d" % (path, ", ".join(ids), want, sent))
if bad or (only and not any(p["id"] == only for p in rep["platforms"])):
    sys.exit("platforms not %s: %s" % (want, ", ".join(bad) or only))
if mutations == "any" and sent == 0 or mutations != "any" and sent != int(mutations):
    sys.exit("expected %s mutating requests, report counts %d" % (mutations, sent))
PY
}
