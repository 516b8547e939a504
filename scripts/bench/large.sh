#!/usr/bin/env bash
# scripts/bench/large.sh T MB OUT — part D of scripts/bench.sh (issue 11): peak RSS of
# `tagship publish --only P` for one large artifact, per platform, on empty registries.
#
# The build appends MB MiB of random bytes to the linux-amd64 ELF that part A built, so every
# package wraps an incompressible MB MiB binary:
#   pypi    one wheel to pypiserver;
#   npm     one platform package + the root to verdaccio (the PUT carries the tarball base64
#           inline: 4/3 of its size);
#   pep503  one wheel committed to the index branch on a git smart-HTTP server;
#   crates  a crate cannot be that large: crates.io refuses a .crate over 10 MiB, and tagship
#           refuses it before publishing. Measured with a 9 MiB random file in the crate
#           instead, the largest crate there can be.
# Each platform's upload is compared byte for byte with dist/ where the server keeps files.
# Writes OUT/rss-<platform>-large.txt (GNU time -v) and appends rows to OUT/rss.md.
set -euo pipefail
T="${1:?usage: large.sh T MB OUT}"
MB="${2:?}"
OUT="${3:?}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rss() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB (%d KiB)", k / 1024, k }'; }
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# shellcheck disable=SC1091
. "$T/ports"

B="$T/big"
rm -rf "$B" && mkdir -p "$B"
cp "$T/proj/README.md" "$B/"
head -c "$((MB * 1024 * 1024))" /dev/urandom > "$T/padding"
cat > "$B/mkbig.sh" <<EOF
set -e
mkdir -p "\$(dirname "\$1")"
cat "$T/proj/dist/bin/linux-amd64/hello" "$T/padding" > "\$1"
chmod 755 "\$1"
EOF
mkdir -p "$B/hello-rust"
cp -r "$T/proj/hello-rust/"{Cargo.toml,Cargo.lock,README.md,src} "$B/hello-rust/"
head -c $((9 * 1024 * 1024)) /dev/urandom > "$B/hello-rust/blob.bin"
# The index branch on a forge: scripts/servers/pep503.sh --git serves a bare repo over git's
# smart HTTP (partial-clone filters on), so the receiving and serving git processes are the
# server's, not children of tagship (with a local path remote they would be, and git's
# receive side and an unfiltered fetch would be counted as tagship's memory).
rm -rf "$T/git" && mkdir -p "$T/git/repos" && git init -q --bare "$T/git/repos/pep503.git"
"$HERE/../servers/pep503.sh" --git "$T/git/repos" "$T/git/srv" > "$T/git/server.json"
GIT_URL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$T/git/server.json")"
trap '"$HERE/../servers/stop.sh" "$T/git/srv" >/dev/null 2>&1 || true' EXIT
cat > "$B/pipeline.yaml" <<EOF
project:
  name: hello
  description: A tiny Go program that says hello and knows its version
  license: MIT
  homepage: https://github.com/tagship/tagship/tree/main/examples/hello-go
builds:
  - command: [sh, mkbig.sh, "build/{target}/hello{exe}"]
    binary: "build/{target}/hello{exe}"
    targets: [linux-amd64]
archives:
  files: [README.md]
platforms:
  npm:
    scope: "@bench"
    registry: "http://127.0.0.1:$NPM_PORT/"
    token_env: NPM_TOKEN
  pypi:
    package: hello-bench
    repository_url: "http://127.0.0.1:$PYPI_PORT/"
    check_via: simple
    simple_url: "http://127.0.0.1:$PYPI_PORT/simple/"
    username: tester
    token_env: PYPI_TOKEN
    max_file_size: 1073741824   # PyPI's default is 100 MiB; pypiserver has no limit
  pep503:
    package: hello-bench
    repo: "${GIT_URL}pep503.git"
  crates:
    registry: local
    index: "sparse+http://127.0.0.1:$CRATES_PORT/index/"
    token_env: CARGO_REGISTRY_TOKEN
    manifest: hello-rust/Cargo.toml
EOF
bash "$HERE/servers.sh" "$T"   # empty registries (part A left packages of the same names)
log "D: building the ${MB} MiB release once (release --dry-run)"
( . "$T/env"; cd "$B"; "$T/tagship" release v1.0.0 --dry-run ) > "$OUT/large-dry-run.txt" 2>&1 ||
  { cat "$OUT/large-dry-run.txt" >&2; exit 1; }

for p in pypi npm pep503 crates; do
  log "D: tagship publish --only $p"
  ( . "$T/env"; cd "$B"; /usr/bin/time -v "$T/tagship" publish -q --only "$p" ) \
    2> "$OUT/rss-$p-large.txt" || { cat "$OUT/rss-$p-large.txt" >&2; exit 1; }
  grep -q '"outcome": "published"' "$B/dist/report.json" ||
    { echo "large.sh: $p did not publish" >&2; cat "$B/dist/report.json" >&2; exit 1; }
done

w="$(ls "$B"/dist/wheels/*.whl)"
cmp -s "$w" "$T/srv/pypi/packages/$(basename "$w")" || { echo "large.sh: pypi wheel differs" >&2; exit 1; }
git -C "$T/git/repos/pep503.git" show "gh-pages:files/$(basename "$w")" | cmp -s - "$w" ||
  { echo "large.sh: the pep503 branch's wheel differs" >&2; exit 1; }
for f in "$B"/dist/npm/*.tgz; do   # verdaccio keeps each tarball under storage/<name>/
  n="$(basename "$f")"
  found="$(find "$T/srv/npm/storage" -name "${n#bench-}" -o -name "$n" | sed -n 1p)"
  [ -n "$found" ] && cmp -s "$f" "$found" || { echo "large.sh: npm $n differs or is missing" >&2; exit 1; }
done

size() { du -k "$1" | cut -f1; }
npm_big="$(ls -S "$B"/dist/npm/*.tgz | sed -n 1p)"
crate="$(ls "$B"/dist/crates/*.crate)"
{
  echo "| tagship publish --only pypi (1 wheel, $(size "$w") KiB) | $(mib "$(rss "$OUT/rss-pypi-large.txt")") |"
  echo "| tagship publish --only npm (platform package $(size "$npm_big") KiB + root) | $(mib "$(rss "$OUT/rss-npm-large.txt")") |"
  echo "| tagship publish --only pep503 (1 wheel, $(size "$w") KiB, into a git branch) | $(mib "$(rss "$OUT/rss-pep503-large.txt")") |"
  echo "| tagship publish --only crates (1 crate, $(size "$crate") KiB: the 10 MiB limit) | $(mib "$(rss "$OUT/rss-crates-large.txt")") |"
} >> "$OUT/rss.md"
