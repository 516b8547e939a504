#!/usr/bin/env bash
# scripts/bench/tagship-release.sh T [tagship release args...] — one measured no-op
# `tagship release v1.0.0` (what CI runs when a tag workflow is re-run) of npm + pypi +
# crates with everything live: the version-level probe answers for every platform, so no
# build command and no packaging run (issue 11). Fails the benchmark unless report.json
# shows `build: skipped`, 3 x already-published and 0 mutating requests.
set -euo pipefail
T="${1:?usage: tagship-release.sh T [args]}"
shift
# shellcheck disable=SC1091
. "$T/env"
cd "$T/proj"
"$T/tagship" release v1.0.0 -q "$@"
r=dist/report.json
# grep, not python: the check is part of the measured command and must cost ~nothing.
[ "$(grep -c '"outcome": "already-published"' "$r")" = 3 ] &&
  grep -q '"state": "skipped"' "$r" && grep -q '"mutating_sent": 0,' "$r" || {
  echo "tagship-release.sh: $r does not show build skipped, 3 x already-published, 0 mutations" >&2
  exit 1
}
