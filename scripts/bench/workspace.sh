#!/usr/bin/env bash
# scripts/bench/workspace.sh T OUT — issue 14, acceptance 6 (scripts/bench.sh part E):
# tagship vs `changeset publish` on the same generated npm workspace of $BENCH_WS_PACKAGES
# (default 50) public packages, published to a fresh verdaccio, measured with hyperfine in
# one run:
#   publish  `tagship release v1.0.0` (mode: package_json, workspace: true: packs every
#            package, checks, PUTs in dependency order)  vs  `changeset publish --no-git-tag`
#            (@changesets/cli: `npm info` per package, 40 at a time, then `npm publish` of
#            each missing one, 10 at a time); verdaccio wiped and restarted before each run;
#   re-run   the same two commands with every package live (no-op).
# The workspace (T/ws) is generated deterministically: packages/pkg-01 … pkg-NN, each with
# package.json, index.js, README.md and LICENSE; pkg-i depends on pkg-(i-1) and on
# pkg-(i/2) with `^1.0.0` (plain ranges: npm workspaces have no `workspace:` protocol, and
# `changeset publish` runs npm here), so both tools publish the same 50 packages in a
# 50-deep dependency order. Every measured command checks its result (report.json, or the
# registry for changesets), so a run that did not publish or did not skip fails the bench.
#
# T is bench.sh's scratch dir (T/ports, T/tagship, scripts/bench/servers.sh's T/env); run
# alone, `workspace.sh` makes its own (TAGSHIP_BIN, default target/release/tagship).
# Installs @changesets/cli $CHANGESETS_VERSION into $CACHE/changesets (npm registry).
# Results: OUT/workspace-publish.{md,json}, OUT/workspace-rerun.{md,json},
# OUT/workspace-timings.txt (one publish's report.json stage times), OUT/workspace-env.txt.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$REPO/scripts/bench"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
N="${BENCH_WS_PACKAGES:-50}"
RUNS="${BENCH_WS_RUNS:-5}"
CHECK_RUNS="${BENCH_WS_CHECK_RUNS:-5}"
# 2.x: 3.x needs Node >= 22.11 and Debian's node is 20.
CHANGESETS_VERSION=2.31.1
log() { printf '[bench-ws %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"

T="${1:-}"
OUT="${2:-$REPO/target/bench}"
mkdir -p "$OUT"
if [ -z "$T" ]; then
  T="$(mktemp -d /tmp/tagship-bench-ws.XXXXXX)"
  trap '"$REPO/scripts/servers/stop.sh" "$T/srv" >/dev/null 2>&1 || true; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"' EXIT
  cp "${TAGSHIP_BIN:-$REPO/target/release/tagship}" "$T/tagship"
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  printf 'NPM_PORT=%s\nPYPI_PORT=%s\nCRATES_PORT=%s\n' "$(free_port)" "$(free_port)" "$(free_port)" > "$T/ports"
fi
# shellcheck disable=SC1091
. "$T/ports"
command -v hyperfine >/dev/null || { echo "workspace.sh: hyperfine missing (bench.sh installs it)" >&2; exit 2; }

# ---- @changesets/cli, pinned --------------------------------------------------------------
CS_DIR="$CACHE/changesets"
CS="$CS_DIR/node_modules/.bin/changeset"
if [ "$("$CS" --version 2>/dev/null)" != "$CHANGESETS_VERSION" ]; then
  log "installing @changesets/cli $CHANGESETS_VERSION into $CS_DIR"
  mkdir -p "$CS_DIR"
  printf '{"name":"tagship-changesets-host","private":true,"dependencies":{"@changesets/cli":"%s"}}\n' \
    "$CHANGESETS_VERSION" > "$CS_DIR/package.json"
  (cd "$CS_DIR" && npm install --no-audit --no-fund --loglevel error >/dev/null)
  [ "$("$CS" --version)" = "$CHANGESETS_VERSION" ] || { echo "workspace.sh: changeset --version is not $CHANGESETS_VERSION" >&2; exit 1; }
fi

# ---- the workspace -------------------------------------------------------------------------
W="$T/ws"
rm -rf "$W"
mkdir -p "$W/.changeset" "$W/packages"
cat > "$W/package.json" <<'EOF'
{
  "name": "wsb-root",
  "private": true,
  "workspaces": ["packages/*"]
}
EOF
cat > "$W/.changeset/config.json" <<'EOF'
{
  "changelog": false,
  "commit": false,
  "access": "public",
  "baseBranch": "main",
  "privatePackages": { "version": false, "tag": false }
}
EOF
cat > "$W/pipeline.yaml" <<EOF
project:
  name: wsb
  description: A generated $N-package npm workspace (scripts/bench/workspace.sh)
  license: MIT
platforms:
  npm:
    mode: package_json
    workspace: true
    registry: "http://127.0.0.1:$NPM_PORT/"
    token_env: NPM_TOKEN
    access: public   # as .changeset/config.json says (and no packument read per new package)
EOF
name() { printf 'pkg-%02d' "$1"; }
for i in $(seq 1 "$N"); do
  d="$W/packages/$(name "$i")"
  mkdir -p "$d"
  deps=""
  if [ "$i" -gt 1 ]; then
    deps="\"@wsb/$(name $((i - 1)))\": \"^1.0.0\""
    h=$((i / 2))
    [ "$h" -ge 1 ] && [ "$h" != $((i - 1)) ] && deps="$deps, \"@wsb/$(name "$h")\": \"^1.0.0\""
  fi
  cat > "$d/package.json" <<EOF
{
  "name": "@wsb/$(name "$i")",
  "version": "1.0.0",
  "description": "Generated package $i of $N",
  "license": "MIT",
  "main": "index.js",
  "dependencies": { $deps }
}
EOF
  printf '"use strict";\nexports.id = %d;\n' "$i" > "$d/index.js"
  printf '# @wsb/%s\n\nGenerated package %d of %d.\n' "$(name "$i")" "$i" "$N" > "$d/README.md"
  printf 'MIT License\n\nCopyright (c) 2026 the tagship authors\n' > "$d/LICENSE"
done
# changesets reads git for tags only (--no-git-tag below), but manypkg wants a repository.
git -C "$W" init -q -b main && git -C "$W" add -A &&
  git -C "$W" -c user.name=bench -c user.email=bench@example.invalid commit -qm workspace

# ---- the measured commands -----------------------------------------------------------------
LAST="@wsb/$(name "$N")"
cat > "$T/ws-tagship.sh" <<EOF
#!/usr/bin/env bash
# one measured tagship run; EXPECT = published (N PUTs) or already-published (none)
set -euo pipefail
. "$T/env"
cd "$W"
"$T/tagship" release v1.0.0 -q
python3 - dist/report.json "\$1" "$N" <<'PY'
import json, sys
r, want, n = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
p = r["platforms"][0]
assert p["outcome"] == want, p
assert r["requests"]["mutating_sent"] == (n if want == "published" else 0), r["requests"]
PY
EOF
cat > "$T/ws-changesets.sh" <<EOF
#!/usr/bin/env bash
# one measured changeset publish; EXPECT = published or already-published
set -euo pipefail
. "$T/env"
export npm_config_registry="http://127.0.0.1:$NPM_PORT/"
cd "$W"
out="\$("$CS" publish --no-git-tag 2>&1)" || { echo "\$out" >&2; exit 1; }
case "\$1" in
  published) n="\$(printf '%s\n' "\$out" | grep -c '@wsb/pkg-[0-9]*@1.0.0' || true)"
    [ "\$n" -ge "$N" ] || { echo "changeset publish: \$n of $N published" >&2; echo "\$out" >&2; exit 1; } ;;
  already-published) case "\$out" in *"No unpublished projects to publish"*) ;;
    *) echo "changeset publish was not a no-op" >&2; echo "\$out" >&2; exit 1 ;; esac ;;
esac
curl -sf -o /dev/null "http://127.0.0.1:$NPM_PORT/@wsb%2f${LAST#@wsb/}/1.0.0"
EOF
chmod +x "$T/ws-tagship.sh" "$T/ws-changesets.sh"

log "workspace publish: $N packages, $RUNS runs each, verdaccio wiped and restarted before every run"
hyperfine --shell=bash --runs "$RUNS" --prepare "bash $BENCH/servers.sh $T && rm -rf $W/dist" \
  --export-markdown "$OUT/workspace-publish.md" --export-json "$OUT/workspace-publish.json" \
  -n "tagship release v1.0.0 ($N packages)" "$T/ws-tagship.sh published" \
  -n "changeset publish --no-git-tag ($N packages)" "$T/ws-changesets.sh published"

log "workspace no-op re-run: $CHECK_RUNS runs each (state published by tagship; npm cache wiped per run)"
bash "$BENCH/servers.sh" "$T"
rm -rf "$W/dist"
"$T/ws-tagship.sh" published
cp "$W/dist/report.json" "$OUT/workspace-publish-report.json"
hyperfine --shell=bash --warmup 1 --runs "$CHECK_RUNS" --prepare "rm -rf $T/cache/npm" \
  --export-markdown "$OUT/workspace-rerun.md" --export-json "$OUT/workspace-rerun.json" \
  -n "tagship release v1.0.0, no-op ($N packages)" "$T/ws-tagship.sh already-published" \
  -n "changeset publish --no-git-tag, no-op ($N packages)" "$T/ws-changesets.sh already-published"
cp "$W/dist/report.json" "$OUT/workspace-rerun-report.json"

python3 - "$OUT/workspace-publish-report.json" "$OUT/workspace-rerun-report.json" > "$OUT/workspace-timings.txt" <<'PY'
import json, sys
for f in sys.argv[1:]:
    r = json.load(open(f))
    print(f.rsplit("/", 1)[-1] + ":", "build:", r.get("build"))
    for p in r["platforms"]:
        print(" ", p["id"], p["outcome"], "stages (ms):", p.get("stages"))
PY
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "load average (1/5/15 min) at start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "machine: $(nproc) cores; tagship: $("$T/tagship" --version)"
  echo "node: $(node --version), npm: $(npm --version), @changesets/cli: $("$CS" --version)"
  echo "verdaccio: $("$CACHE/verdaccio/node_modules/.bin/verdaccio" --version 2>/dev/null)"
} > "$OUT/workspace-env.txt"
for f in workspace-env.txt workspace-publish.md workspace-rerun.md workspace-timings.txt; do
  printf '\n### %s\n\n' "$f"; cat "$OUT/$f"
done
