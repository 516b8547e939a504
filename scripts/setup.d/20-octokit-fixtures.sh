#!/usr/bin/env bash
# Installs @octokit/fixtures-server (recorded GitHub API responses, replayed locally) into
# .cache/test-deps/octokit for tests/github_fixtures.rs. Idempotent: does nothing when the
# pinned version is already installed. Needs node + npm and the npm registry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.cache/test-deps/octokit"
version="8.1.7"

if [ -f "$dir/node_modules/@octokit/fixtures-server/package.json" ] &&
    grep -q "\"version\": \"$version\"" "$dir/node_modules/@octokit/fixtures-server/package.json"; then
    echo "octokit fixtures-server $version already installed in $dir"
    exit 0
fi

command -v npm >/dev/null || { echo "npm not found: install nodejs + npm (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$dir"
cat >"$dir/package.json" <<JSON
{
  "name": "tagship-octokit-fixtures",
  "private": true,
  "type": "module",
  "dependencies": {
    "@octokit/fixtures-server": "$version",
    "express": "^4.21.0",
    "nock": "^13.5.0"
  }
}
JSON
cd "$dir"
npm install --no-audit --no-fund --loglevel=error
echo "installed @octokit/fixtures-server $version into $dir"
