#!/usr/bin/env bash
# scripts/bench/tagship.sh T EXPECT [tagship publish args...] — one measured tagship run:
# `tagship publish` (no rebuild: it sends the bytes the dry-run release left in dist/) of
# npm + pypi + crates, then a grep of dist/report.json so that a run which did not do what
# was expected fails the benchmark:
#   EXPECT=published          every platform published, 12 mutating requests sent
#   EXPECT=already-published  every platform already live, 0 mutating requests sent
set -euo pipefail
T="${1:?usage: tagship.sh T EXPECT [args]}"
EXPECT="${2:?}"
shift 2
# shellcheck disable=SC1091
. "$T/env"
cd "$T/proj"
"$T/tagship" publish -q "$@"
r=dist/report.json
case "$EXPECT" in
  published) want=12 ;;
  already-published) want=0 ;;
  *) echo "bad EXPECT $EXPECT" >&2; exit 2 ;;
esac
[ "$(grep -c "\"outcome\": \"$EXPECT\"" "$r")" = 3 ] && grep -q "\"mutating_sent\": $want," "$r" || {
  echo "tagship.sh: report.json does not show 3 x $EXPECT / $want mutating requests" >&2
  exit 1
}
