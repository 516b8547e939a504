#!/bin/sh
# exec-platform check: exit 0 when this version is in the local registry, 10 when absent.
test -f ".registry/$TAGSHIP_NAME/$TAGSHIP_VERSION/SHA256SUMS" && exit 0
exit 10
