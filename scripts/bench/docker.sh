#!/usr/bin/env bash
# scripts/bench/docker.sh — issue 7 "Benchmark", issue 11 "OCI against skopeo inspect / skopeo
# copy": tagship's docker platform against skopeo, on the same bytes and the same registry.
#
# A 3-arch image of examples/hello-go (linux/amd64, linux/arm64, linux/arm/v7 binaries) with
# floating tags latest, 1 and 1.0, built once by `tagship release v1.0.0 --dry-run` into the
# OCI layout dist/docker (copied aside), pushed to a fresh Debian docker-registry on 127.0.0.1
# (scripts/servers/oci_registry.sh, htpasswd Basic auth), wiped and restarted before every
# full-push run:
#   1. full push:  tagship publish --only docker (version tag + 3 floating tags)
#                  vs skopeo copy --all --preserve-digests oci:<layout>:1.0.0 docker://…:1.0.0
#                  and the same followed by one skopeo copy per floating tag (the same 4 tags);
#   2. no-op:      tagship publish --only docker with everything live
#                  vs skopeo inspect --raw of each tag tagship checks (1.0.0, latest, 1, 1.0),
#                  one after the other as a user script would, and of the version tag alone;
#                  floor: one `curl -I` of the version tag's manifest.
# Results (hyperfine markdown + JSON) go to $BENCH_OUT as docker-push.* and docker-rerun.*, with
# docker-versions.txt and the report.json of one publish and one no-op re-run (their stage
# times and request counts: docker-publish-report.json, docker-noop-report.json); hyperfine's progress goes to stderr, and stdout gets one summary line.
#
# Called by scripts/bench.sh (after part C). Needs scripts/setup.d/50-oci.sh and Go.
# Knobs: TAGSHIP_BIN (default: `cargo build --release`), BENCH_OUT (default target/bench),
# BENCH_RUNS (full-push runs per command, default 5), BENCH_CHECK_RUNS (no-op runs, default
# 10), KEEP_TMP=1.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVERS="$REPO/scripts/servers"
OUT="${BENCH_OUT:-$REPO/target/bench}"
RUNS="${BENCH_RUNS:-5}"
CHECK_RUNS="${BENCH_CHECK_RUNS:-10}"
log() { printf '[docker-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
command -v docker-registry >/dev/null && command -v skopeo >/dev/null ||
  bash "$REPO/scripts/setup.d/50-oci.sh"
for t in hyperfine skopeo docker-registry curl go python3; do
  command -v "$t" >/dev/null || { echo "docker.sh: $t missing; run scripts/setup.sh" >&2; exit 2; }
done
if [ -z "${TAGSHIP_BIN:-}" ]; then
  log "cargo build --release"
  (cd "$REPO" && cargo build --release --quiet --bin tagship)
  TAGSHIP_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/tagship"
fi
mkdir -p "$OUT"
T="$(mktemp -d /tmp/tagship-docker-bench.XXXXXX)"
cleanup() { bash "$SERVERS/stop.sh" "$T/srv" >/dev/null 2>&1 || true; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"; }
trap cleanup EXIT
cp "$TAGSHIP_BIN" "$T/tagship"

# ---- the registry, and how to wipe it -----------------------------------------------------
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PW="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
HOST="127.0.0.1:$PORT"
cat > "$T/fresh.sh" <<SH
# Stops the registry, deletes its storage, starts it again on the same port and password.
bash "$SERVERS/stop.sh" "$T/srv" >/dev/null 2>&1
rm -rf "$T/srv"
OCI_PASSWORD="$PW" bash "$SERVERS/oci_registry.sh" "$T/srv/registry" "$PORT" > "$T/registry.json"
SH
bash "$T/fresh.sh"
USER_NAME="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user"])' "$T/registry.json")"
CREDS="$USER_NAME:$PW"
printf 'export DOCKER_USERNAME=%q DOCKER_PASSWORD=%q\n' "$USER_NAME" "$PW" > "$T/env"

# ---- the project: 3 linux targets, built once ---------------------------------------------
mkdir -p "$T/proj"
cp "$REPO/examples/hello-go/"{main.go,go.mod,README.md} "$T/proj/"
cat > "$T/proj/pipeline.yaml" <<YAML
project: {name: hello, description: hello, license: MIT, repository: https://example.com/acme/hello}
builds:
  - command: [go, build, -trimpath, -buildvcs=false, -ldflags, "-s -w -X main.version={version}", -o, "build/{target}/hello", "."]
    binary: "build/{target}/hello"
    env: {GOOS: "{os}", GOARCH: "{arch}", GOARM: "7", CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOPROXY: "off", GOTOOLCHAIN: "local"}
    targets: [linux-amd64, linux-arm64, linux-arm]
archives:
  files: [README.md]
platforms:
  docker:
    image: "$HOST/bench/hello"
    registry_url: "http://$HOST"
    floating_tags: [latest, "{{major}}", "{{major}}.{{minor}}"]
YAML
log "building the image once: tagship release v1.0.0 --dry-run"
( . "$T/env"; cd "$T/proj"; "$T/tagship" release v1.0.0 --dry-run -q ) > "$OUT/docker-dry-run.txt" 2>&1 ||
  { cat "$OUT/docker-dry-run.txt" >&2; exit 1; }
cp -r "$T/proj/dist/docker" "$T/layout"

# One measured tagship run: publish --only docker, then report.json must say EXPECT.
cat > "$T/tagship-docker.sh" <<'SH'
set -euo pipefail
T="$1" EXPECT="$2"
. "$T/env"; cd "$T/proj"
"$T/tagship" publish -q --only docker
grep -q "\"outcome\": \"$EXPECT\"" dist/report.json || { echo "tagship-docker.sh: not $EXPECT" >&2; cat dist/report.json >&2; exit 1; }
[ "$EXPECT" != already-published ] || grep -q '"mutating_sent": 0,' dist/report.json
SH
SK="skopeo --insecure-policy"
TLS="--src-tls-verify=false --dest-tls-verify=false"
COPY="$SK copy -q --all --preserve-digests --dest-tls-verify=false --dest-creds $CREDS oci:$T/layout:1.0.0 docker://$HOST/bench/hello:1.0.0"
FLOAT="for t in latest 1 1.0; do $SK copy -q --all --preserve-digests $TLS --src-creds $CREDS --dest-creds $CREDS docker://$HOST/bench/hello:1.0.0 docker://$HOST/bench/hello:\$t; done"
INSPECT="$SK inspect --raw --tls-verify=false --creds $CREDS docker://$HOST/bench/hello"
ACCEPT="application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json"

# Same bytes: skopeo's push gives the digest tagship's push gives.
digest() { $INSPECT:1.0.0 | sha256sum | cut -d' ' -f1; }
bash "$T/fresh.sh"; bash "$T/tagship-docker.sh" "$T" published >&2; D_TAGSHIP="$(digest)"
bash "$T/fresh.sh"; eval "$COPY"; D_SKOPEO="$(digest)"
IMAGES="$($INSPECT:1.0.0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')"
[ "$IMAGES" = 3 ] || { echo "docker.sh: the index lists $IMAGES images, not 3" >&2; exit 1; }
[ "$D_TAGSHIP" = "$D_SKOPEO" ] || { echo "docker.sh: index digests differ: tagship $D_TAGSHIP, skopeo $D_SKOPEO" >&2; exit 1; }
log "same index either way: sha256:$D_TAGSHIP"

# ---- 1. full push ---------------------------------------------------------------------------
log "full push, $RUNS runs each, registry wiped and restarted before every run"
hyperfine --shell=bash --runs "$RUNS" --prepare "bash $T/fresh.sh" \
  --export-markdown "$OUT/docker-push.md" --export-json "$OUT/docker-push.json" \
  -n "tagship publish --only docker (3 images + index; tags 1.0.0, latest, 1, 1.0)" "bash $T/tagship-docker.sh $T published" \
  -n "skopeo copy --all oci:layout (tag 1.0.0 only)" "$COPY" \
  -n "skopeo copy --all oci:layout, then skopeo copy per floating tag (same 4 tags)" "$COPY && $FLOAT" >&2

# ---- 2. no-op re-run ------------------------------------------------------------------------
log "no-op re-run, $CHECK_RUNS runs each (everything live, pushed by tagship)"
bash "$T/fresh.sh"; bash "$T/tagship-docker.sh" "$T" published
cp "$T/proj/dist/report.json" "$OUT/docker-publish-report.json"
bash "$T/tagship-docker.sh" "$T" already-published
cp "$T/proj/dist/report.json" "$OUT/docker-noop-report.json"
hyperfine --shell=bash --warmup 1 --runs "$CHECK_RUNS" \
  --export-markdown "$OUT/docker-rerun.md" --export-json "$OUT/docker-rerun.json" \
  -n "tagship publish --only docker, no-op re-run" "bash $T/tagship-docker.sh $T already-published" \
  -n "skopeo inspect --raw x4 (1.0.0, latest, 1, 1.0), sequential" "for t in 1.0.0 latest 1 1.0; do $INSPECT:\$t >/dev/null; done" \
  -n "skopeo inspect --raw of 1.0.0 alone" "$INSPECT:1.0.0 >/dev/null" \
  -n "floor: one curl -I of the 1.0.0 manifest" "curl -sf -o /dev/null -I -u $CREDS -H 'Accept: $ACCEPT' http://$HOST/v2/bench/hello/manifests/1.0.0" >&2

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "load average (1/5/15 min) at start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "tagship: $("$T/tagship" --version)"
  echo "skopeo: $(skopeo --version)"
  echo "docker-registry: $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo n/a)"
  echo "hyperfine: $(hyperfine --version)"
  echo "curl: $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "go: $(go version)"
  echo "image: 3 linux images (amd64, arm64, arm/v7) + index, sha256:$D_TAGSHIP; layout $(du -sk "$T/layout" | cut -f1) KiB"
} > "$OUT/docker-versions.txt"

python3 - "$OUT/docker-push.json" "$OUT/docker-rerun.json" "$OUT/docker-publish-report.json" "$OUT/docker-noop-report.json" <<'PY'
import json, sys
m = lambda f: [r["mean"] for r in json.load(open(f))["results"]]
p, r = m(sys.argv[1]), m(sys.argv[2])
for f in sys.argv[3:]:
    d = json.load(open(f))["platforms"][0]
    print(f"{d['outcome']}: stages {d['stages']} ms, requests {d['requests']}")
print(f"docker vs skopeo: full push tagship {p[0]:.2f} s, skopeo copy {p[1]:.2f} s "
      f"(+ floating tags {p[2]:.2f} s); no-op tagship {r[0]:.2f} s, skopeo inspect x4 {r[1]:.2f} s "
      f"(x1 {r[2]:.2f} s), floor curl -I {r[3]*1000:.0f} ms")
PY
