#!/bin/sh
# exec-platform publish: copy the archives and SHA256SUMS into the local registry.
set -eu
dest=".registry/$TAGSHIP_NAME/$TAGSHIP_VERSION"
mkdir -p "$dest"
printf '%s\n' "$TAGSHIP_ARTIFACTS" | while IFS= read -r f; do cp "$f" "$dest/"; done
