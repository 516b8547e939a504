#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...] — run the cargo-fuzz targets in fuzz/ (issue 10), each
# for SECONDS (default 600) at the lowest CPU priority, one after the other; default: every
# target `cargo fuzz list` prints. Needs the nightly toolchain and cargo-fuzz
# (`rustup toolchain install nightly`, `cargo install cargo-fuzz`). Each run's last status
# line goes to fuzz/runs.log; a crash stops the script with libFuzzer's exit code and leaves
# the input under fuzz/artifacts/<target>/ (replay: cargo +nightly fuzz run TARGET FILE).
# The fuzz crate is its own workspace: the main build and CI never compile it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
secs="${1:-600}"
[ $# -gt 0 ] && shift
command -v cargo >/dev/null || { echo "scripts/fuzz.sh: cargo is missing" >&2; exit 2; }
cargo +nightly fuzz --version >/dev/null 2>&1 || {
  echo "scripts/fuzz.sh: needs cargo-fuzz on nightly: rustup toolchain install nightly &&" \
       "cargo install cargo-fuzz" >&2
  exit 2
}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Seeds: the repository's own pipelines for the config loader (a start the mutator can use).
mkdir -p corpus/config_loader
for f in "$root"/pipeline.yaml "$root"/examples/*/pipeline.yaml; do
  [ -f "$f" ] && cp "$f" "corpus/config_loader/seed-$(basename "$(dirname "$f")").yaml"
done

for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s" >&2
  start=$(date +%s)
  set +e
  nice -n 19 cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 2> "runs-$t.log"
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "runs-$t.log" | grep -o '[0-9]*$' || true)"
  echo "$(date -u +%FT%TZ) $t rc=$rc seconds=$took execs=${runs:-?}" | tee -a runs.log >&2
  if [ "$rc" != 0 ]; then
    tail -40 "runs-$t.log" >&2
    exit "$rc"
  fi
done
