#!/usr/bin/env bash
# scripts/bench.sh — issue #3, acceptance item 7: tagship vs sequential vendor CLIs.
#
# On the same artifacts (built once), against fresh local registries on 127.0.0.1:
#   A. full publish of npm (5 platform packages + root) + pypi (5 wheels) + crates (1 crate):
#        tagship publish            vs  npm publish x6, twine upload, cargo publish --no-verify
#   B. no-op re-run (everything already live):
#        tagship publish, tagship release (the probe: no build)
#                                   vs  npm view x6, pip index versions, cargo info
#        and the floor: one authenticated npm GET, one anonymous simple-index GET (curl)
#   C. peak RSS (/usr/bin/time -v) of tagship for A and B, and of the vendor scripts;
#  C2. docker: a 3-arch image, full push and no-op re-run, against skopeo copy / skopeo
#      inspect on its own registry (scripts/bench/docker.sh);
#   C3. a generated 50-package npm workspace: tagship release vs `changeset publish`, full
#        publish and no-op re-run (scripts/bench/workspace.sh; BENCH_WS_PACKAGES, BENCH_WS_RUNS;
#        BENCH_WS=0 skips it: about 20 minutes on 2 cores);
#   D. (BENCH_LARGE=1, the default) peak RSS of `tagship publish --only P` of a ~200 MB
#      binary's package for pypi, npm and pep503 (crates: its 10 MiB limit), to show that
#      memory stays flat (scripts/bench/large.sh).
#   E. hashing and archiving throughput on 1 GiB vs sha256sum and tar | gzip
#      (scripts/bench/throughput.sh; BENCH_THROUGHPUT_MB, 0 skips it).
# Results (hyperfine markdown + JSON, RSS, tool versions) go to $BENCH_OUT (default
# target/bench/) and a summary is printed at the end. Read docs/benchmarks.md for the method.
#
# Needs: scripts/setup.sh (Go, node/npm, cargo, the registries). Installs hyperfine with apt
# when missing and builds tagship with `cargo build --release`.
# Knobs: BENCH_REV (build a commit instead of the working tree), BENCH_RUNS (publish runs per command, default 5), BENCH_CHECK_RUNS (re-run runs,
# default 10), BENCH_LARGE=0 to skip D, BENCH_LARGE_MB (default 200), KEEP_TMP=1.
# Not part of the test suite: scripts/test.sh does not call it. Takes ~8 minutes on 2 cores.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$REPO/scripts/bench"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
OUT="${BENCH_OUT:-$REPO/target/bench}"
RUNS="${BENCH_RUNS:-5}"
CHECK_RUNS="${BENCH_CHECK_RUNS:-10}"
LARGE="${BENCH_LARGE:-1}"
LARGE_MB="${BENCH_LARGE_MB:-200}"
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
t0=$(date +%s)
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- tools --------------------------------------------------------------------------------
if ! command -v hyperfine >/dev/null; then
  log "installing hyperfine (apt)"
  (apt-get install -y hyperfine >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }) ||
    { echo "bench.sh: cannot install hyperfine with apt" >&2; exit 2; }
fi
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
command -v go >/dev/null || bash "$REPO/scripts/setup.d/10-base.sh"
for t in go node npm cargo python3; do
  command -v "$t" >/dev/null || { echo "bench.sh: $t missing; run scripts/setup.sh" >&2; exit 2; }
done
bash "$REPO/scripts/setup.d/30-registries.sh"
# BENCH_REV=<git rev>: build that commit (a `git archive` snapshot in target/bench-src) instead
# of the working tree, e.g. when uncommitted edits do not compile.
if [ -n "${BENCH_REV:-}" ]; then
  log "cargo build --release of $BENCH_REV"
  SRC="$REPO/target/bench-src"
  rm -rf "$SRC" && mkdir -p "$SRC"
  git -C "$REPO" archive "$BENCH_REV" | tar -x -C "$SRC"
  (cd "$SRC" && cargo build --release --quiet --bin tagship --target-dir "$REPO/target/bench-target")
  TAGSHIP_BIN="$REPO/target/bench-target/release/tagship"
  REV_DESC="$(git -C "$REPO" rev-parse --short "$BENCH_REV") (BENCH_REV=$BENCH_REV, a clean snapshot)"
else
  log "cargo build --release"
  (cd "$REPO" && cargo build --release --quiet --bin tagship)
  TAGSHIP_BIN="$REPO/target/release/tagship"
  REV_DESC="$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo n/a) (the working tree; -dirty = uncommitted edits)"
fi

# ---- scratch dir, project, servers ------------------------------------------------------
T="$(mktemp -d /tmp/tagship-bench.XXXXXX)"
cleanup() {
  "$REPO/scripts/servers/stop.sh" "$T/srv" >/dev/null 2>&1 || true
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.md "$OUT"/*.json "$OUT"/*.txt
# Every measured command runs from T: outside any Cargo workspace (run from the repo, `cargo info`
# would load tagship's own workspace first and take seconds longer).
cd "$T"
cp "$TAGSHIP_BIN" "$T/tagship"   # a private copy: concurrent rebuilds cannot swap it
ln -s "$CACHE/pyenv" "$T/pyenv"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
printf 'NPM_PORT=%s\nPYPI_PORT=%s\nCRATES_PORT=%s\n' "$(free_port)" "$(free_port)" "$(free_port)" > "$T/ports"
# shellcheck disable=SC1091
. "$T/ports"

# The project: examples/hello-go (5 Go targets) with examples/hello-rust next to it as the
# crate, published to npm (binary mode), pypi (binary wheels) and crates.
mkdir -p "$T/proj"
cp -r "$REPO/examples/hello-go/." "$T/proj/"
rm -rf "$T/proj/dist" "$T/proj/build" "$T/proj/.registry"
mkdir -p "$T/proj/hello-rust"
cp -r "$REPO/examples/hello-rust/"{Cargo.toml,Cargo.lock,README.md,src} "$T/proj/hello-rust/"
sed -i 's/^version = "0.1.0"/version = "1.0.0"/' "$T/proj/hello-rust/Cargo.toml"
pipeline() { # pipeline TARGETS BUILD_COMMAND PLATFORMS...
  cat <<EOF
project:
  name: hello
  description: A tiny Go program that says hello and knows its version
  license: MIT
  homepage: https://github.com/tagship/tagship/tree/main/examples/hello-go
builds:
  - command: $2
    binary: "build/{target}/hello{exe}"
    env: {GOOS: "{os}", GOARCH: "{arch}", CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOPROXY: "off", GOTOOLCHAIN: "local"}
    targets: $1
archives:
  files: [README.md]
platforms:
EOF
  shift 2
  for p in "$@"; do
    case "$p" in
      npm) printf '  npm:\n    scope: "@bench"\n    registry: "http://127.0.0.1:%s/"\n    token_env: NPM_TOKEN\n' "$NPM_PORT" ;;
      pypi) printf '  pypi:\n    package: hello-bench\n    repository_url: "http://127.0.0.1:%s/"\n    check_via: simple\n    simple_url: "http://127.0.0.1:%s/simple/"\n    username: tester\n    token_env: PYPI_TOKEN\n' "$PYPI_PORT" "$PYPI_PORT" ;;
      crates) printf '  crates:\n    registry: local\n    index: "sparse+http://127.0.0.1:%s/index/"\n    token_env: CARGO_REGISTRY_TOKEN\n    manifest: hello-rust/Cargo.toml\n' "$CRATES_PORT" ;;
    esac
  done
}
pipeline "[linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64]" \
  '[go, build, -trimpath, -buildvcs=false, -ldflags, "-s -w -X main.version={version}", -o, "build/{target}/hello{exe}", "."]' \
  npm pypi crates > "$T/proj/pipeline.yaml"

log "starting verdaccio, pypiserver, crates registry (ports $NPM_PORT $PYPI_PORT $CRATES_PORT)"
bash "$BENCH/servers.sh" "$T"

log "building the artifacts once: tagship release v1.0.0 --dry-run"
( . "$T/env"; cd "$T/proj"; "$T/tagship" release v1.0.0 --dry-run ) > "$OUT/dry-run.txt" 2>&1 ||
  { cat "$OUT/dry-run.txt" >&2; exit 1; }
# npm: platform packages first, root last (the order tagship publishes in)
ls "$T"/proj/dist/npm/bench-hello-*-1.0.0.tgz > "$T/npm-tarballs"
echo "$T/proj/dist/npm/bench-hello-1.0.0.tgz" >> "$T/npm-tarballs"
for f in $(cat "$T/npm-tarballs"); do
  b="$(basename "$f" -1.0.0.tgz)"; echo "@bench/${b#bench-}"
done > "$T/npm-packages"
[ "$(wc -l < "$T/npm-tarballs")" = 6 ] && [ "$(ls "$T"/proj/dist/wheels/*.whl | wc -l)" = 5 ] &&
  [ -f "$T/proj/dist/crates/hello-rust-1.0.0.crate" ] || { echo "bench.sh: unexpected dist/" >&2; exit 1; }
(cd "$T/proj/dist" && ls -l npm/*.tgz wheels/*.whl crates/*.crate) > "$OUT/artifacts.txt"

# ---- A: full publish ----------------------------------------------------------------------
log "A: full publish, $RUNS runs each, registries wiped and restarted before every run"
hyperfine --shell=bash --runs "$RUNS" --prepare "bash $BENCH/servers.sh $T" \
  --export-markdown "$OUT/publish.md" --export-json "$OUT/publish.json" \
  -n "tagship publish (npm+pypi+crates)" "bash $BENCH/tagship.sh $T published" \
  -n "tagship publish --parallelism 3" "bash $BENCH/tagship.sh $T published --parallelism 3" \
  -n "vendor CLIs: npm publish x6, twine upload, cargo publish" "bash $BENCH/vendor-publish.sh $T"

# ---- B: no-op re-run ---------------------------------------------------------------------
log "B: no-op re-run, $CHECK_RUNS runs each (state published by tagship; client caches wiped per run)"
bash "$BENCH/servers.sh" "$T"
bash "$BENCH/tagship.sh" "$T" published
hyperfine --shell=bash --warmup 1 --runs "$CHECK_RUNS" \
  --prepare "rm -rf $T/cache $T/cargo-home/registry" \
  --export-markdown "$OUT/rerun.md" --export-json "$OUT/rerun.json" \
  -n "tagship publish, no-op re-run" "bash $BENCH/tagship.sh $T already-published" \
  -n "tagship publish --parallelism 3, no-op" "bash $BENCH/tagship.sh $T already-published --parallelism 3" \
  -n "tagship release v1.0.0, no-op re-run (probe only, no build)" "bash $BENCH/tagship-release.sh $T" \
  -n "vendor CLIs: npm view x6, pip index versions, cargo info" "bash $BENCH/vendor-check.sh $T" \
  -n "floor: one authenticated npm GET (curl)" ". $T/env && curl -sf -o /dev/null -H \"authorization: Bearer \$NPM_TOKEN\" http://127.0.0.1:$NPM_PORT/@bench%2fhello/1.0.0" \
  -n "floor: one anonymous existence check (curl simple index)" "curl -sf -o /dev/null http://127.0.0.1:$PYPI_PORT/simple/hello-bench/"
# One more no-op release for its timeline (report.json's stages).
bash "$BENCH/tagship-release.sh" "$T" && cp "$T/proj/dist/report.json" "$OUT/release-noop.json"

# ---- B2: the re-run check, one tool / one platform at a time --------------------------------
log "B2: per-tool no-op checks, 5 runs each"
E=". $T/env &&"
hyperfine --shell=bash --warmup 1 --runs 5 \
  --prepare "rm -rf $T/cache $T/cargo-home/registry" \
  --export-markdown "$OUT/rerun-parts.md" --export-json "$OUT/rerun-parts.json" \
  -n "tagship publish --only npm (6 packages)" "bash $BENCH/tagship.sh $T already-published --only npm" \
  -n "npm view @bench/hello@1.0.0 (1 package)" "$E npm view @bench/hello@1.0.0 version --loglevel error" \
  -n "tagship publish --only pypi (5 wheels)" "bash $BENCH/tagship.sh $T already-published --only pypi" \
  -n "pip index versions hello-bench" "$E $T/pyenv/bin/pip index versions hello-bench --index-url http://127.0.0.1:$PYPI_PORT/simple/" \
  -n "tagship publish --only crates" "bash $BENCH/tagship.sh $T already-published --only crates" \
  -n "cargo info hello-rust@1.0.0" "$E cargo info --quiet hello-rust@1.0.0 --registry local"

# ---- C: peak RSS, and one timeline of each run (stage / step times) -------------------------
rss() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }
steps() { awk 'NR==1 {p=$1; next} {printf "%6.2f s  ", $1-p; p=$1; $1=""; print}' "$1"; }
log "C: peak RSS and timelines"
bash "$BENCH/servers.sh" "$T"
( . "$T/env"; cd "$T/proj"; /usr/bin/time -v "$T/tagship" publish ) 2> "$OUT/rss-publish.txt" >/dev/null
( . "$T/env"; cd "$T/proj"; /usr/bin/time -v "$T/tagship" publish ) 2> "$OUT/rss-rerun.txt" >/dev/null
bash "$BENCH/servers.sh" "$T"
STEP_TIMES="$T/steps-publish" /usr/bin/time -v bash "$BENCH/vendor-publish.sh" "$T" 2> "$OUT/rss-vendor-publish.txt"
rm -rf "$T/cache" "$T/cargo-home/registry"
STEP_TIMES="$T/steps-check" /usr/bin/time -v bash "$BENCH/vendor-check.sh" "$T" 2> "$OUT/rss-vendor-check.txt"
{
  echo "tagship publish (one run, stage start times):"; grep '^\[' "$OUT/rss-publish.txt"
  echo; echo "tagship publish, no-op re-run:"; grep '^\[' "$OUT/rss-rerun.txt"
  echo; echo "tagship release, no-op re-run (report.json stages, ms):"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("build:", r["build"]); [print(" ", p["id"], p["outcome"], p["stages"]) for p in r["platforms"]]' "$OUT/release-noop.json"
  echo; echo "vendor publish (one run, duration of each step):"; steps "$T/steps-publish"
  echo; echo "vendor check (one run, duration of each step):"; steps "$T/steps-check"
} > "$OUT/timelines.txt"
bash "$BENCH/servers.sh" "$T"
( . "$T/env"; cd "$T/proj"; /usr/bin/time -v "$T/tagship" publish -q --only pypi ) 2> "$OUT/rss-pypi-small.txt"
{
  echo "| run | peak RSS (KiB) |"
  echo "|---|---:|"
  echo "| tagship publish, npm+pypi+crates (12 uploads, $(du -sk "$T/proj/dist/npm" "$T/proj/dist/wheels" "$T/proj/dist/crates/hello-rust-1.0.0.crate" | awk '{s+=$1} END {print s}') KiB of packages) | $(rss "$OUT/rss-publish.txt") |"
  echo "| tagship publish, no-op re-run | $(rss "$OUT/rss-rerun.txt") |"
  echo "| tagship publish --only pypi (5 wheels, $(du -ck "$T"/proj/dist/wheels/*.whl | tail -1 | cut -f1) KiB) | $(rss "$OUT/rss-pypi-small.txt") |"
  echo "| vendor publish script (largest single process) | $(rss "$OUT/rss-vendor-publish.txt") |"
  echo "| vendor check script (largest single process) | $(rss "$OUT/rss-vendor-check.txt") |"
} > "$OUT/rss.md"

# ---- C2: docker/OCI against skopeo (scripts/bench/docker.sh, its own registry) --------------
log "C2: docker vs skopeo"
TAGSHIP_BIN="$T/tagship" BENCH_OUT="$OUT" BENCH_RUNS="$RUNS" BENCH_CHECK_RUNS="$CHECK_RUNS" \
  bash "$BENCH/docker.sh" > "$OUT/docker-summary.txt"

# ---- C3: a 50-package npm workspace, tagship vs changeset publish (issue 14) --------------
# (scripts/bench/workspace.sh: its own verdaccio runs, its own hyperfine tables; long)
if [ "${BENCH_WS:-1}" = 1 ]; then
  log "C3: 50-package npm workspace vs changeset publish"
  bash "$BENCH/workspace.sh" "$T" "$OUT"
fi

# ---- D: a large artifact, every platform (scripts/bench/large.sh) --------------------------
if [ "$LARGE" = 1 ]; then
  bash "$BENCH/large.sh" "$T" "$LARGE_MB" "$OUT"
  # docker: a LARGE_MB binary as an image, chunked and monolithic (its own registry).
  TAGSHIP_BIN="$T/tagship" BENCH_DOCKER_MB="$LARGE_MB" BENCH_OUT="$OUT" \
    bash "$BENCH/docker-large.sh" | sed 's/^/| /; s/: Maximum resident set size (kbytes): / | /; s/$/ KiB |/' >> "$OUT/rss.md"
fi

# ---- E: hashing and archiving throughput (scripts/bench/throughput.sh) ----------------------
if [ "${BENCH_THROUGHPUT_MB:-1024}" != 0 ]; then
  log "E: hashing and archiving ${BENCH_THROUGHPUT_MB:-1024} MiB vs sha256sum and tar | gzip"
  bash "$BENCH/throughput.sh" "${BENCH_THROUGHPUT_MB:-1024}" "$OUT"
fi

# ---- versions ------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "load average (1/5/15 min) at start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "tagship built from: $REV_DESC"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}')"
  echo "tagship: $("$T/tagship" --version)"
  echo "hyperfine: $(hyperfine --version)"
  echo "node: $(node --version), npm: $(npm --version)"
  echo "verdaccio: $("$CACHE/verdaccio/node_modules/.bin/verdaccio" --version 2>/dev/null)"
  echo "python3 (servers): $(python3 --version 2>&1)"
  echo "twine: $("$CACHE/pyenv/bin/twine" --version 2>/dev/null | head -1)"
  echo "pip: $("$CACHE/pyenv/bin/pip" --version | cut -d' ' -f1-2) (venv python $("$CACHE/pyenv/bin/python" --version 2>&1 | cut -d' ' -f2))"
  echo "pypiserver: $("$CACHE/pyenv/bin/pip" show pypiserver 2>/dev/null | awk '/^Version/ {print $2}')"
  echo "cargo: $(cargo --version)"
  echo "go: $(go version)"
} > "$OUT/versions.txt"

log "done in $(( $(date +%s) - t0 )) s; results in $OUT"
for f in versions.txt artifacts.txt publish.md rerun.md rerun-parts.md rss.md timelines.txt \
  docker-versions.txt docker-push.md docker-rerun.md docker-summary.txt \
  workspace-publish.md workspace-rerun.md workspace-timings.txt throughput.txt; do
  [ -f "$OUT/$f" ] || continue
  printf '\n### %s\n\n' "$f"; cat "$OUT/$f"
done
