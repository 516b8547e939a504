#!/usr/bin/env bash
# scripts/bench/docker-large.sh — issue 7, acceptance item 5: peak memory of pushing a 200 MB
# binary as a docker image. Builds a padded binary (the host's /bin/true, a real x86_64 ELF,
# with BENCH_DOCKER_MB MiB of random bytes appended, so gzip cannot shrink the layer), starts
# Debian's docker-registry on 127.0.0.1 (scripts/servers/oci_registry.sh), releases it twice
# under /usr/bin/time -v — once with chunked upload (PATCHes of `chunk_size`, the default for
# blobs above 16 MiB), once monolithic (one streamed PUT) — and prints each run's "Maximum
# resident set size". The goal is ≤ 64 MiB (65536 KiB) for both.
#
# Called by scripts/bench.sh (part D). Needs scripts/setup.d/50-oci.sh.
# Knobs: TAGSHIP_BIN (default: `cargo build --release`, then target/release/tagship),
# BENCH_DOCKER_MB (default 200), BENCH_OUT (default target/bench), KEEP_TMP=1.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${BENCH_OUT:-$REPO/target/bench}"
MB="${BENCH_DOCKER_MB:-200}"
log() { printf '[docker-large %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
command -v docker-registry >/dev/null || bash "$REPO/scripts/setup.d/50-oci.sh"
if [ -z "${TAGSHIP_BIN:-}" ]; then
  log "cargo build --release"
  (cd "$REPO" && cargo build --release --quiet --bin tagship)
  TAGSHIP_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/tagship"
fi
mkdir -p "$OUT"
T="$(mktemp -d)"
cleanup() { bash "$REPO/scripts/servers/stop.sh" "$T/srv"; [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"; }
trap cleanup EXIT

log "registry"
"$REPO/scripts/servers/oci_registry.sh" "$T/srv" > "$T/registry.json"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/registry.json" "$1"; }
URL="$(field url)"
export DOCKER_USERNAME="$(field user)" DOCKER_PASSWORD="$(field password)"

log "a ${MB} MiB padded binary"
mkdir -p "$T/proj"
head -c "$((MB * 1024 * 1024))" /dev/urandom > "$T/padding"
cat > "$T/proj/mkbig.sh" <<SH
set -e
mkdir -p "\$(dirname "\$1")"
cat /bin/true "$T/padding" > "\$1"
chmod 755 "\$1"
SH
echo "# big" > "$T/proj/README.md"

# measure NAME CHUNK_ABOVE: one release of v1.0.0 to 127.0.0.1:P/bench/NAME.
measure() {
  cat > "$T/proj/pipeline.yaml" <<YAML
project: {name: big, description: a big binary, license: MIT}
builds:
  - command: [sh, mkbig.sh, "build/{target}/big"]
    binary: "build/{target}/big"
    targets: [linux-amd64]
archives:
  files: [README.md]
platforms:
  docker:
    image: "${URL#http://}/bench/$1"
    registry_url: "$URL"
    chunk_above: "$2"
YAML
  rm -rf "$T/proj/dist"
  (cd "$T/proj" && /usr/bin/time -v "$TAGSHIP_BIN" release v1.0.0 -q) 2> "$OUT/rss-docker-$1.txt" ||
    { cat "$OUT/rss-docker-$1.txt" >&2; exit 1; }
  grep -q '"outcome": "published"' "$T/proj/dist/report.json" ||
    { echo "docker-large.sh: $1 was not published" >&2; cat "$T/proj/dist/report.json" >&2; exit 1; }
  local kib layer
  kib="$(grep 'Maximum resident set size' "$OUT/rss-docker-$1.txt" | awk '{print $NF}')"
  layer="$(find "$T/proj/dist/docker/blobs/sha256" -size +1M -printf '%s\n' | head -1)"
  echo "docker push of a ${MB} MiB binary ($1, layer $((layer / 1024 / 1024)) MiB): Maximum resident set size (kbytes): $kib"
}
measure chunked 16MiB
measure monolithic 1GiB
