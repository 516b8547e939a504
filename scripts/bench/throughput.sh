#!/usr/bin/env bash
# scripts/bench/throughput.sh [SIZE_MB] [OUT] — issue 11, "hashing and archiving at disk speed":
# tagship's SHA-256 and .tar.gz writing (benches/throughput.rs: the release's own code paths)
# against `sha256sum` and `tar -c | gzip` (gzip's default level 6, tagship's level too), on
# the same SIZE_MB file (default 1024) in one hyperfine run each. The file is built from
# copies of tagship's release binary, so it compresses like a real executable. Goal: each
# tagship throughput >= 0.8x the tool's. Writes hyperfine JSON/markdown and a summary to OUT
# (default target/bench). Needs hyperfine (scripts/bench.sh installs it) and ~3x SIZE_MB of
# free space in TMPDIR.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MB="${1:-1024}"
OUT="${2:-$REPO/target/bench}"
log() { printf '[throughput %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
mkdir -p "$OUT"
T="$(mktemp -d "${TMPDIR:-/tmp}/tagship-throughput.XXXXXX")"
trap 'rm -rf "$T"' EXIT

log "cargo bench --no-run (release profile)"
BIN="$(cd "$REPO" && cargo bench --bench throughput --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "throughput" and m.get("executable"):
        print(m["executable"])')"
[ -x "$BIN" ] || { echo "throughput.sh: no bench binary" >&2; exit 1; }
(cd "$REPO" && cargo build --release --quiet --bin tagship)
SEED="$REPO/target/release/tagship"

log "building a ${MB} MiB input from copies of $SEED"
python3 - "$SEED" "$T/big" "$MB" <<'PY'
import sys
seed, dest, mb = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3])
want = mb * 1024 * 1024
with open(dest, "wb") as f:
    left = want
    while left > 0:
        chunk = seed[: min(len(seed), left)]
        f.write(chunk)
        left -= len(chunk)
PY
cat "$T/big" > /dev/null   # into the page cache for every contender alike

log "hashing: tagship vs sha256sum"
hyperfine --shell=none --warmup 1 --runs 3 \
  --export-json "$OUT/throughput-hash.json" --export-markdown "$OUT/throughput-hash.md" \
  -n "tagship hash_file" "$BIN hash $T/big" \
  -n "sha256sum" "sha256sum $T/big"
log "archiving: tagship vs tar | gzip"
hyperfine --shell=bash --runs 3 \
  --export-json "$OUT/throughput-archive.json" --export-markdown "$OUT/throughput-archive.md" \
  -n "tagship archive (tar.gz, level 6)" "$BIN archive $T/big $T/a.tar.gz" \
  -n "tar -c | gzip (level 6)" "tar -C $T -cf - big | gzip -6 > $T/b.tar.gz"
python3 - "$OUT" "$MB" <<'PY' | tee "$OUT/throughput.txt"
import json, sys
out, mb = sys.argv[1], int(sys.argv[2])
for kind in ("hash", "archive"):
    r = json.load(open(f"{out}/throughput-{kind}.json"))["results"]
    ours, theirs = r[0], r[1]
    rate = lambda x: mb / x["mean"]
    print(f"{kind}: {ours['command']} {rate(ours):.0f} MiB/s, {theirs['command']} "
          f"{rate(theirs):.0f} MiB/s: {rate(ours) / rate(theirs):.2f}x (goal >= 0.8x)")
PY
ls -l "$T"/a.tar.gz "$T"/b.tar.gz | awk '{print $5, $9}' | tee -a "$OUT/throughput.txt"
