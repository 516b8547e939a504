#!/usr/bin/env bash
# scripts/bench/vendor-publish.sh T — the vendor-CLI baseline for a full publish: the same
# uploads tagship does, one vendor CLI after the other, from the same bytes in dist/:
#   npm publish <tarball>   for each platform package, then the root package (as tagship orders them)
#   twine upload <wheels>   all five wheels in one twine call
#   cargo publish --no-verify --registry local   the same crate sources, same registry
# Every CLI exits non-zero when an upload is refused, so a run that did not really publish
# fails the benchmark.
set -euo pipefail
T="${1:?usage: vendor-publish.sh T}"
# shellcheck disable=SC1091
. "$T/env"
. "$T/ports"
cd "$T"   # outside any Cargo workspace
# STEP_TIMES=FILE (set by bench.sh for one unmeasured run only): log each step's wall time.
step() { [ -z "${STEP_TIMES:-}" ] || echo "$(date +%s.%N) $*" >> "$STEP_TIMES"; }
step start
while read -r tgz; do
  npm publish "$tgz" --access public --loglevel error >/dev/null
  step "npm publish $(basename "$tgz")"
done < "$T/npm-tarballs"
"$T/pyenv/bin/twine" upload --non-interactive --disable-progress-bar \
  --repository-url "http://127.0.0.1:$PYPI_PORT/" -u tester -p "$PYPI_TOKEN" \
  "$T"/proj/dist/wheels/*.whl >/dev/null
step "twine upload (5 wheels)"
cargo publish --quiet --no-verify --allow-dirty --registry local \
  --manifest-path "$T/proj/hello-rust/Cargo.toml" --target-dir "$T/vendor-target" 2>/dev/null
step "cargo publish"
