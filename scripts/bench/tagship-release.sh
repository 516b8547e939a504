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
python3 - "$r" <<'PY' || { echo "tagship-release.sh: unexpected $r" >&2; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["build"]["state"] == "skipped", r.get("build")
assert [p["outcome"] for p in r["platforms"]] == ["already-published"] * 3, r["platforms"]
assert r["requests"]["mutating_sent"] == 0
PY
