#!/usr/bin/env bash
# Smoke test of the local test registries with REAL clients:
#   npm       : verdaccio  <- npm publish, npm install, require()
#   pypi      : pypiserver <- twine upload, pip download (+ sha256), duplicate refused
#   devpi     : devpi      <- twine upload, pip download, identical re-upload ok
#   crates    : crates_registry/ <- cargo publish (lib + bin with a renamed,
#               optional dep), cargo install + run, duplicate refused (cargo and
#               raw PUT), bad token 403, bad tarball 400, cargo yank/unyank
#   pep503    : a hand-written static PEP 503 tree served by pep503.sh <- pip download
#   proxy     : fault_proxy.py in front of pypiserver: an injected 503 on the
#               upload is seen by twine and in the proxy log; pip retries
#               through a 503 on GET; reset closes the connection
# Usage: tests/servers_smoke.sh [section...]   (default: all sections)
# Env: KEEP_TMP=1 keeps the scratch dir. Exits non-zero if any section fails.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
S="$REPO/scripts/servers"
CACHE="${TAGSHIP_TEST_DEPS:-$REPO/.cache/test-deps}"
PY="$CACHE/pyenv/bin"

bash "$REPO/scripts/setup.d/30-registries.sh" || { echo "setup failed" >&2; exit 1; }

T="$(mktemp -d "${TMPDIR:-/tmp}/tagship-servers-smoke.XXXXXX")"
cleanup() {
  "$S/stop.sh" "$T"/* >/dev/null 2>&1
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Keep developer/CI config out of the clients.
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export npm_config_userconfig="$T/npmrc-empty" npm_config_cache="$T/npm-cache" \
  npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false
: > "$T/npmrc-empty"

say() { printf '\n=== %s\n' "$*" >&2; }
ok() { printf '  ok: %s\n' "$*" >&2; }
fail() { printf '  FAIL: %s\n' "$*" >&2; exit 1; }
# jget JSON KEY: print one field of a JSON object
jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1" "$2"; }
# http METHOD URL [curl args...]: prints the status code; body goes to $T/body
http() { local m="$1" u="$2"; shift 2; curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u"; }

# make_wheel DIR NAME VERSION: a tiny pure-python wheel built by hand
make_wheel() {
  python3 - "$@" <<'PY'
import base64, hashlib, os, sys, zipfile
out, name, ver = sys.argv[1:4]
dist = name.replace("-", "_")
files = {
    f"{dist}/__init__.py": f'VERSION = "{ver}"\n',
    f"{dist}-{ver}.dist-info/METADATA":
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\nSummary: tagship smoke test\n",
    f"{dist}-{ver}.dist-info/WHEEL":
        "Wheel-Version: 1.0\nGenerator: tagship-smoke\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
rec = []
for p, c in files.items():
    d = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
    rec.append(f"{p},sha256={d},{len(c.encode())}")
rp = f"{dist}-{ver}.dist-info/RECORD"
rec.append(f"{rp},,")
files[rp] = "\n".join(rec) + "\n"
os.makedirs(out, exist_ok=True)
path = os.path.join(out, f"{dist}-{ver}-py3-none-any.whl")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for p, c in files.items():
        z.writestr(p, c)
print(path)
PY
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------------------
section_npm() {
  say "npm: verdaccio"
  local J URL TOKEN D="$T/npm"
  J="$("$S/verdaccio.sh" "$D")" || fail "verdaccio.sh"
  echo "  $J" >&2
  URL="$(jget "$J" url)"; TOKEN="$(jget "$J" token)"
  mkdir -p "$D/pkg" "$D/consumer"
  cat > "$D/pkg/package.json" <<'EOF'
{"name":"tagship-smoke-npm","version":"1.0.0","main":"index.js","license":"MIT"}
EOF
  echo 'module.exports = () => "hello from tagship-smoke-npm";' > "$D/pkg/index.js"
  printf 'registry=%s\n//%s:_authToken=%s\n' "$URL" "${URL#http://}" "$TOKEN" > "$D/npmrc"
  (cd "$D/pkg" && npm publish --userconfig "$D/npmrc" --registry "$URL") >"$D/publish.out" 2>&1 \
    || { cat "$D/publish.out" >&2; fail "npm publish"; }
  ok "npm publish"
  [ "$(http GET "${URL}tagship-smoke-npm/1.0.0")" = 200 ] || fail "GET /tagship-smoke-npm/1.0.0"
  [ "$(http GET "${URL}tagship-smoke-npm/9.9.9")" = 404 ] || fail "GET of a missing version is not 404"
  ok "version check 200 / missing 404"
  echo '{"name":"consumer","version":"0.0.0","private":true}' > "$D/consumer/package.json"
  (cd "$D/consumer" && npm install --registry "$URL" tagship-smoke-npm@1.0.0) >"$D/install.out" 2>&1 \
    || { cat "$D/install.out" >&2; fail "npm install"; }
  local out; out="$(cd "$D/consumer" && node -e 'console.log(require("tagship-smoke-npm")())')"
  [ "$out" = "hello from tagship-smoke-npm" ] || fail "require() printed: $out"
  ok "npm install + require()"
  # no-auth publish must be refused by the server (raw PUT)
  local code; code="$(http PUT "${URL}tagship-smoke-npm2" -H 'Content-Type: application/json' \
    -d '{"name":"tagship-smoke-npm2","versions":{}}')"
  [ "$code" = 401 ] || fail "unauthenticated PUT gave $code, want 401"
  ok "unauthenticated publish -> 401"
}

# twine_upload URL USER PASS FILE: prints twine output, returns twine's rc
twine_upload() {
  "$PY/twine" upload --non-interactive --disable-progress-bar --repository-url "$1" -u "$2" -p "$3" "$4" 2>&1
}

section_pypi() {
  say "pypi: pypiserver"
  local J URL SIMPLE USER PASS D="$T/pypi" W
  J="$("$S/pypiserver.sh" "$D")" || fail "pypiserver.sh"
  echo "  $J" >&2
  URL="$(jget "$J" upload_url)"; SIMPLE="$(jget "$J" simple_url)"
  USER="$(jget "$J" user)"; PASS="$(jget "$J" password)"
  W="$(make_wheel "$D/dist" tagship-smoke-py 1.0.0)"
  "$PY/check-wheel-contents" "$W" >&2 || fail "check-wheel-contents"
  twine_upload "$URL" "$USER" "$PASS" "$W" > "$D/up1.out" || { cat "$D/up1.out" >&2; fail "twine upload"; }
  ok "twine upload"
  if twine_upload "$URL" "$USER" "$PASS" "$W" > "$D/up2.out"; then fail "duplicate upload accepted"; fi
  grep -q -E '400|409' "$D/up2.out" || { cat "$D/up2.out" >&2; fail "duplicate: unexpected error"; }
  ok "duplicate upload refused ($(grep -o -E '(400|409)[^.]*' "$D/up2.out" | head -1))"
  if twine_upload "$URL" "$USER" wrong "$W" > "$D/up3.out"; then fail "bad password accepted"; fi
  ok "bad password refused"
  "$PY/pip" download --no-deps --index-url "$SIMPLE" -d "$D/dl" tagship-smoke-py==1.0.0 >"$D/pip.out" 2>&1 \
    || { cat "$D/pip.out" >&2; fail "pip download"; }
  [ "$(sha256 "$D/dl/$(basename "$W")")" = "$(sha256 "$W")" ] || fail "downloaded wheel differs"
  ok "pip download (same sha256)"
  [ "$(http GET "${URL}tagship-smoke-py/json")" = 200 ] || fail "json endpoint"
  grep -q '"1.0.0"' "$T/body" || fail "json lacks 1.0.0"
  [ "$(http GET "${SIMPLE}no-such-project/")" = 404 ] || fail "missing project not 404 (fallback on?)"
  ok "/{project}/json 200, unknown /simple/x/ 404"
}

section_devpi() {
  say "pypi: devpi"
  local J URL SIMPLE USER PASS D="$T/devpi" W
  J="$("$S/devpi.sh" "$D")" || fail "devpi.sh"
  echo "  $J" >&2
  URL="$(jget "$J" upload_url)"; SIMPLE="$(jget "$J" simple_url)"
  USER="$(jget "$J" user)"; PASS="$(jget "$J" password)"
  W="$(make_wheel "$D/dist" tagship-smoke-py 1.0.0)"
  twine_upload "$URL" "$USER" "$PASS" "$W" > "$D/up1.out" || { cat "$D/up1.out" >&2; fail "twine upload"; }
  ok "twine upload"
  twine_upload "$URL" "$USER" "$PASS" "$W" > "$D/up2.out" || { cat "$D/up2.out" >&2; fail "identical re-upload"; }
  ok "identical re-upload -> accepted (devpi is idempotent for identical files)"
  # same filename, different content -> 409
  W2="$(make_wheel "$D/dist2" tagship-smoke-py 1.0.0)"
  echo "# changed" | python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1],"a"); z.writestr("extra.txt", sys.stdin.read()); z.close()' "$W2"
  if twine_upload "$URL" "$USER" "$PASS" "$W2" > "$D/up3.out"; then fail "different content accepted"; fi
  grep -q 409 "$D/up3.out" || { cat "$D/up3.out" >&2; fail "different content: want 409"; }
  ok "same filename, different content -> 409"
  "$PY/pip" download --no-deps --index-url "$SIMPLE" -d "$D/dl" tagship-smoke-py==1.0.0 >"$D/pip.out" 2>&1 \
    || { cat "$D/pip.out" >&2; fail "pip download"; }
  [ "$(sha256 "$D/dl/$(basename "$W")")" = "$(sha256 "$W")" ] || fail "downloaded wheel differs"
  ok "pip download (same sha256)"
  [ "$(http GET "${URL}tagship-smoke-py/1.0.0" -H 'Accept: application/json')" = 200 ] || fail "version json"
  [ "$(http GET "${URL}tagship-smoke-py/9.9.9" -H 'Accept: application/json')" = 404 ] || fail "missing version not 404"
  ok "version json 200 / missing 404"
}

section_crates() {
  say "crates: crates_registry/ + real cargo"
  local J TOKEN API IDX D="$T/crates"
  J="$("$S/crates.sh" "$D")" || fail "crates.sh"
  echo "  $J" >&2
  TOKEN="$(jget "$J" token)"; API="$(jget "$J" api)"; IDX="$(jget "$J" index)"
  [ "$(http GET "${IDX#sparse+}ta/gs/tagship-smoke-lib")" = 404 ] || fail "unknown crate not 404"
  mkdir -p "$D/home" "$D/src/lib/src" "$D/src/bin/src"
  printf '[registries.local]\nindex = "%s"\n[net]\nretry = 0\n' "$IDX" > "$D/home/config.toml"
  cat > "$D/src/lib/Cargo.toml" <<'EOF'
[package]
name = "tagship-smoke-lib"
version = "0.1.0"
edition = "2021"
description = "tagship smoke test library"
license = "MIT"
EOF
  echo 'pub fn greeting() -> &'"'"'static str { "hello from tagship-smoke-bin" }' > "$D/src/lib/src/lib.rs"
  cat > "$D/src/bin/Cargo.toml" <<'EOF'
[package]
name = "tagship-smoke-bin"
version = "0.1.0"
edition = "2021"
description = "tagship smoke test binary"
license = "MIT"

[dependencies]
smokelib = { package = "tagship-smoke-lib", version = "0.1.0", registry = "local", optional = true }

[features]
default = ["greet"]
greet = ["dep:smokelib"]
EOF
  cat > "$D/src/bin/src/main.rs" <<'EOF'
fn main() {
    #[cfg(feature = "greet")]
    println!("{}", smokelib::greeting());
    #[cfg(not(feature = "greet"))]
    println!("no greet");
}
EOF
  (
    export CARGO_HOME="$D/home" CARGO_REGISTRIES_LOCAL_TOKEN="$TOKEN" CARGO_TARGET_DIR="$D/target" \
      CARGO_TERM_COLOR=never
    unset CARGO_REGISTRY_TOKEN
    set -e
    for c in lib bin; do
      (cd "$D/src/$c" && cargo publish --registry local --allow-dirty --no-verify) >"$D/publish-$c.out" 2>&1 \
        || { cat "$D/publish-$c.out" >&2; fail "cargo publish ($c)"; }
    done
    ok "cargo publish lib + bin"
    cargo install --registry local tagship-smoke-bin --root "$D/inst" >"$D/install.out" 2>&1 \
      || { cat "$D/install.out" >&2; fail "cargo install"; }
    out="$("$D/inst/bin/tagship-smoke-bin")"
    [ "$out" = "hello from tagship-smoke-bin" ] || fail "installed binary printed: $out"
    ok "cargo install + run (renamed optional dep via dep: feature resolved)"
    if (cd "$D/src/bin" && cargo publish --registry local --allow-dirty --no-verify) >"$D/publish-dup.out" 2>&1; then
      fail "second cargo publish of the same version succeeded"
    fi
    grep -q 'already exists' "$D/publish-dup.out" || { cat "$D/publish-dup.out" >&2; fail "dup: unexpected error"; }
    ok "second cargo publish refused: $(grep -m1 'already exists' "$D/publish-dup.out")"
    cargo yank --registry local --version 0.1.0 tagship-smoke-bin >"$D/yank.out" 2>&1 \
      || { cat "$D/yank.out" >&2; fail "cargo yank"; }
    grep -q '"yanked":true' "$D/data/index/ta/gs/tagship-smoke-bin" || fail "index not yanked"
    cargo yank --undo --registry local --version 0.1.0 tagship-smoke-bin >"$D/unyank.out" 2>&1 \
      || { cat "$D/unyank.out" >&2; fail "cargo yank --undo"; }
    grep -q '"yanked":false' "$D/data/index/ta/gs/tagship-smoke-bin" || fail "index not unyanked"
    ok "cargo yank / yank --undo"
    if CARGO_REGISTRIES_LOCAL_TOKEN=wrong cargo yank --registry local --version 0.1.0 tagship-smoke-bin \
         >"$D/yank-bad.out" 2>&1; then fail "yank with a wrong token succeeded"; fi
    grep -q '403' "$D/yank-bad.out" || { cat "$D/yank-bad.out" >&2; fail "wrong token: want 403"; }
    ok "wrong token -> 403"
  ) || exit 1
  # index contents: rename semantics, features2/v, cksum
  python3 - "$D" "$API" <<'PY' || fail "index entry check"
import hashlib, json, sys, urllib.request
d, api = sys.argv[1:3]
line = json.loads(urllib.request.urlopen(f"{api}/index/ta/gs/tagship-smoke-bin").read().decode().splitlines()[0])
dep = line["deps"][0]
assert dep["name"] == "smokelib" and dep["package"] == "tagship-smoke-lib", dep
assert dep["req"] == "^0.1.0" and dep["optional"] is True and dep["registry"] is None, dep
assert line["v"] == 2 and line["features2"] == {"greet": ["dep:smokelib"]}, line
assert line["features"] == {"default": ["greet"]}, line
crate = urllib.request.urlopen(f"{api}/api/v1/crates/tagship-smoke-bin/0.1.0/download").read()
assert hashlib.sha256(crate).hexdigest() == line["cksum"], "cksum mismatch"
open(f"{d}/bin.crate", "wb").write(crate)
print("  ok: index line:", json.dumps(line), file=sys.stderr)
PY
  # raw publishes: duplicate (server side), bad token, wrong tarball top dir
  python3 - "$D" "$API" "$TOKEN" <<'PY' || fail "raw publish checks"
import json, sys, urllib.request, urllib.error
d, api, token = sys.argv[1:4]
crate = open(f"{d}/bin.crate", "rb").read()
def put(meta, tok):
    j = json.dumps(meta).encode()
    body = len(j).to_bytes(4, "little") + j + len(crate).to_bytes(4, "little") + crate
    req = urllib.request.Request(f"{api}/api/v1/crates/new", data=body, method="PUT",
                                 headers={"Authorization": tok, "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
meta = {"name": "tagship-smoke-bin", "vers": "0.1.0", "deps": [], "features": {}}
s, b = put(meta, token)
assert s == 400 and b == {"errors": [{"detail": "crate version `0.1.0` is already uploaded"}]}, (s, b)
s, b = put(meta, "Bearer " + token)
assert s == 403 and b == {"errors": [{"detail": "invalid token"}]}, (s, b)
s, b = put(dict(meta, vers="0.2.0"), token)
assert s == 400 and "tagship-smoke-bin-0.2.0/" in b["errors"][0]["detail"], (s, b)
print("  ok: raw PUT: duplicate -> 400 already uploaded; Bearer token -> 403; wrong top dir -> 400", file=sys.stderr)
PY
  local n; n="$(grep -c '"PUT", "path": "/api/v1/crates/new"' "$D/requests.jsonl")"
  [ "$n" = 5 ] || fail "request log: $n publish PUTs, want 5"
  ok "request log counts 5 publish PUTs"
}

section_proxy() {
  say "fault proxy in front of pypiserver"
  local J PJ URL PURL USER PASS D="$T/proxy" W
  J="$("$S/pypiserver.sh" "$D/pypi")" || fail "pypiserver.sh"
  URL="$(jget "$J" url)"; USER="$(jget "$J" user)"; PASS="$(jget "$J" password)"
  PJ="$("$S/fault_proxy.sh" "$URL" "$D/proxy")" || fail "fault_proxy.sh"
  echo "  $PJ" >&2
  PURL="$(jget "$PJ" url)"
  [ "$(http POST "${PURL}__proxy/faults" -d '{"match":{"method":"POST","path_prefix":"/"},"responses":[503]}')" = 200 ] \
    || fail "POST /__proxy/faults"
  W="$(make_wheel "$D/dist" tagship-proxy-py 2.0.0)"
  twine_upload "$PURL" "$USER" "$PASS" "$W" > "$D/up1.out" || { cat "$D/up1.out" >&2; fail "twine upload via proxy"; }
  grep -q 'Received "503' "$D/up1.out" || { cat "$D/up1.out" >&2; fail "twine did not report the 503"; }
  ok "twine saw the injected 503, retried, and the upload went through"
  # pip retries GETs on 503
  http POST "${PURL}__proxy/faults" -d '{"match":{"method":"GET","path_prefix":"/simple/"},"responses":[503]}' >/dev/null
  "$PY/pip" download --no-deps --index-url "${PURL}simple/" -d "$D/dl" tagship-proxy-py==2.0.0 >"$D/pip.out" 2>&1 \
    || { cat "$D/pip.out" >&2; fail "pip download through proxy"; }
  [ "$(sha256 "$D/dl/$(basename "$W")")" = "$(sha256 "$W")" ] || fail "downloaded wheel differs"
  ok "pip download retried past an injected 503"
  http POST "${PURL}__proxy/faults" -d '{"responses":["reset",429]}' >/dev/null
  local rc=0; curl -s -o /dev/null "${PURL}simple/" || rc=$?
  [ "$rc" = 56 ] || [ "$rc" = 52 ] || fail "reset: curl rc $rc, want 56 or 52"
  curl -s -D "$D/h429" -o /dev/null "${PURL}simple/"
  grep -q '^HTTP/1.1 429' "$D/h429" && grep -qi '^Retry-After: 1' "$D/h429" || fail "429 + Retry-After"
  ok "reset closes the connection; 429 carries Retry-After: 1"
  [ "$(http GET "${PURL}__proxy/log")" = 200 ] || fail "GET /__proxy/log"
  python3 - "$T/body" <<'PY' || fail "proxy log check"
import json, sys
log = json.load(open(sys.argv[1]))
posts = [e for e in log if e["method"] == "POST"]
assert posts[0]["status"] == 503 and posts[0]["forwarded"] is False, posts
assert posts[-1]["status"] == 200 and posts[-1]["forwarded"] is True, posts
gets = [e for e in log if e["method"] == "GET" and e["path"].startswith("/simple/")]
assert gets[0]["status"] == 503 and not gets[0]["forwarded"] and gets[1]["status"] == 200, gets
assert any(e["fault"] == "reset" for e in log) and any(e["status"] == 429 for e in log), log
assert len(posts) == 2, posts
print("  ok: proxy log has the POST 503 (not forwarded), then POST 200 (forwarded); %d entries" % len(log), file=sys.stderr)
PY
  [ "$(http POST "${PURL}__proxy/reset")" = 200 ] && [ "$(http GET "${PURL}__proxy/log")" = 200 ] \
    && [ "$(cat "$T/body")" = "[]" ] || fail "reset"
  ok "POST /__proxy/reset clears the log"
}

section_pep503() {
  say "pep503: static index served by pep503.sh"
  local J D="$T/pep503" W SIMPLE
  W="$(make_wheel "$D/root/files" tagship-static-py 3.0.0)"
  python3 - "$D/root" "$W" <<'PY' || fail "write index"
import hashlib, html, os, sys
root, whl = sys.argv[1:3]
fn = os.path.basename(whl)
h = hashlib.sha256(open(whl, "rb").read()).hexdigest()
os.makedirs(f"{root}/simple/tagship-static-py", exist_ok=True)
head = '<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0"><title>x</title></head><body>'
open(f"{root}/simple/index.html", "w").write(
    head + '<a href="/simple/tagship-static-py/">tagship-static-py</a></body></html>\n')
open(f"{root}/simple/tagship-static-py/index.html", "w").write(
    head + f'<a href="/files/{fn}#sha256={h}" data-requires-python="{html.escape(">=3.7")}">{fn}</a></body></html>\n')
PY
  J="$("$S/pep503.sh" "$D/root" "$D/srv")" || fail "pep503.sh"
  echo "  $J" >&2
  SIMPLE="$(jget "$J" simple_url)"
  "$PY/pip" download --no-deps --index-url "$SIMPLE" -d "$D/dl" tagship-static-py==3.0.0 >"$D/pip.out" 2>&1 \
    || { cat "$D/pip.out" >&2; fail "pip download"; }
  [ "$(sha256 "$D/dl/$(basename "$W")")" = "$(sha256 "$W")" ] || fail "downloaded wheel differs"
  ok "pip download from the static PEP 503 index (sha256 fragment verified by pip)"
  [ "$(http GET "${SIMPLE}no-such-project/")" = 404 ] || fail "missing project not 404"
  grep -q '"/simple/tagship-static-py/"' "$D/srv/requests.jsonl" || fail "request log"
  ok "unknown project 404; request log written"
}

ALL=(npm pypi devpi pep503 crates proxy)
SECTIONS=("$@"); [ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=("${ALL[@]}")
passed=0; failed=0; failed_names=()
for s in "${SECTIONS[@]}"; do
  start=$SECONDS
  ( set -e; "section_$s" )
  rc=$?
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1)); printf '  [%s passed in %ss]\n' "$s" $((SECONDS - start)) >&2
  else
    failed=$((failed + 1)); failed_names+=("$s"); printf '  [%s FAILED]\n' "$s" >&2
  fi
  "$S/stop.sh" "$T"/* >/dev/null 2>&1
done
echo
[ "$failed" = 0 ] || echo "failed sections: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
