#!/usr/bin/env python3
"""A small, strict cargo alternative registry for tagship's tests (stdlib only).

Implements, following cargo's "Registry index" and "Registry web API" docs:

  GET  /index/config.json                      sparse index config
  GET  /index/{1,2,3/a,ab/cd}/{name}           sparse index files (404 if unknown,
                                               ETag / If-None-Match -> 304)
  PUT  /api/v1/crates/new                      publish (binary framing)
  GET  /api/v1/crates/{name}/{vers}/download   the .crate bytes
  DELETE /api/v1/crates/{name}/{vers}/yank     -> {"ok":true}
  PUT  /api/v1/crates/{name}/{vers}/unyank     -> {"ok":true}
  GET  /api/v1/crates?q=&per_page=             search
  GET  /api/v1/crates/{name}                   crates.io-style crate info
  GET  /api/v1/crates/{name}/{vers}            crates.io-style version info
  GET  /api/v1/crates/{name}/owners            one fixed owner ("tester")

Writes need `Authorization: <token>` (the raw token, as cargo sends it; a
`Bearer ` prefix is NOT accepted). Errors use the crates.io body
`{"errors":[{"detail":"..."}]}`.

crates.io's publish rules are enforced by default (controllers/krate/publish.rs,
with crates.io's own error texts): description (<= 1000 chars) and license or
license-file, license an SPDX expression, homepage/documentation/repository
http(s), rust-version digits and dots, <= 5 keywords of <= 20 chars matching
[A-Za-z0-9][A-Za-z0-9_+-]*, <= 5 categories from the vendored crates.io slug
list (platforms/crates/categories.txt), <= 300 features, <= 500 dependencies,
no `*` requirement, no dependency from another registry, and a .crate of at
most --max-upload-size bytes (default 10 MiB, answered with 413 like crates.io).
The checks read the normalized Cargo.toml inside the .crate, as crates.io does.
`--lenient` turns them off.

A duplicate version (also when it differs only in build metadata) is rejected
with HTTP 400 by default, which is what crates.io answers today; pass
`--duplicate-status 200` for the legacy "200 + errors[]" style. cargo treats an
`errors` array as failure in both cases.

Every request is appended to the request log (one JSON line:
method, path, status, time) so tests can count calls.

State lives under --data (index files + .crate files), so a restart keeps it.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import threading
import tomllib
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# SemVer 2.0.0 (https://semver.org) regex, simplified but strict enough.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
MAX_BODY = 64 * 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def load_list(rel, prefix=""):
    with open(os.path.join(REPO, rel), encoding="utf-8") as f:
        return {l.strip()[len(prefix):] for l in f
                if l.strip() and not l.startswith("#") and l.startswith(prefix)}


CATEGORIES = load_list("platforms/crates/categories.txt")
SPDX_LICENSES = {x.lower() for x in load_list("platforms/crates/spdx.txt", "license ")}
SPDX_EXCEPTIONS = {x.lower() for x in load_list("platforms/crates/spdx.txt", "exception ")}
KEYWORD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]*$")


class ApiError(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def index_rel_path(name):
    """Index file path of a crate, from its lowercased name (cargo docs)."""
    n = name.lower()
    if len(n) == 1:
        return "1/" + n
    if len(n) == 2:
        return "2/" + n
    if len(n) == 3:
        return "3/%s/%s" % (n[0], n)
    return "%s/%s/%s" % (n[0:2], n[2:4], n)


def canonical(name):
    return name.lower().replace("-", "_")


def strip_build(vers):
    return vers.split("+", 1)[0]


class Registry:
    def __init__(self, data_dir, base_url, tokens, duplicate_status, rules=True,
                 max_upload=10 * 1024 * 1024):
        self.data = os.path.abspath(data_dir)
        self.index_dir = os.path.join(self.data, "index")
        self.crates_dir = os.path.join(self.data, "crates")
        os.makedirs(self.index_dir, exist_ok=True)
        os.makedirs(self.crates_dir, exist_ok=True)
        self.base_url = base_url.rstrip("/")
        self.tokens = set(tokens)
        self.duplicate_status = duplicate_status
        self.rules = rules
        self.max_upload = max_upload
        self.lock = threading.RLock()

    # ---- storage ---------------------------------------------------------
    def index_file(self, name):
        return os.path.join(self.index_dir, *index_rel_path(name).split("/"))

    def read_entries(self, name):
        path = self.index_file(name)
        try:
            with open(path, "r", encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return None

    def write_entries(self, name, entries):
        path = self.index_file(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e, separators=(",", ":")) + "\n")
        os.replace(tmp, path)

    def crate_path(self, name, vers):
        n = name.lower()
        return os.path.join(self.crates_dir, n, "%s-%s.crate" % (n, vers))

    def all_crates(self):
        out = []
        for root, _dirs, files in os.walk(self.index_dir):
            for fn in files:
                if fn.endswith(".tmp") or fn == "config.json":
                    continue
                entries = self.read_entries(fn)
                if entries:
                    out.append(entries)
        return out

    def config_json(self):
        return {
            "dl": self.base_url + "/api/v1/crates",
            "api": self.base_url,
            "auth-required": False,
        }

    # ---- auth --------------------------------------------------------------
    def check_auth(self, headers):
        tok = headers.get("Authorization")
        if tok is None or tok.strip() not in self.tokens:
            raise ApiError(403, "invalid token")

    # ---- publish -----------------------------------------------------------
    def publish(self, body):
        if len(body) < 4:
            raise ApiError(400, "invalid upload request: body too short for the JSON length")
        jlen = int.from_bytes(body[0:4], "little")
        if 4 + jlen + 4 > len(body):
            raise ApiError(400, "invalid upload request: JSON length %d exceeds body" % jlen)
        try:
            meta = json.loads(body[4:4 + jlen].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, "invalid upload request: metadata is not JSON: %s" % e)
        off = 4 + jlen
        clen = int.from_bytes(body[off:off + 4], "little")
        off += 4
        if off + clen != len(body):
            raise ApiError(400, "invalid upload request: crate length %d does not match the %d remaining bytes"
                           % (clen, len(body) - off))
        if self.rules and clen > self.max_upload:
            raise ApiError(413, "max upload size is: %d" % self.max_upload)
        crate = body[off:off + clen]
        if not isinstance(meta, dict):
            raise ApiError(400, "invalid upload request: metadata must be a JSON object")
        name = meta.get("name")
        vers = meta.get("vers")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ApiError(400, "invalid crate name: %r" % (name,))
        if not isinstance(vers, str) or not SEMVER_RE.match(vers):
            raise ApiError(400, "invalid semver version: %r" % (vers,))
        manifest = self.check_tarball(name, vers, crate)
        entry = self.index_entry(meta, crate)
        if self.rules:
            crates_io_rules(manifest, meta.get("deps") or [], self.own_index_urls())

        with self.lock:
            entries = self.read_entries(name) or []
            if entries and canonical(entries[0]["name"]) == canonical(name) and entries[0]["name"] != name:
                # Different spelling of an existing crate (case or -/_).
                raise ApiError(400, "crate was previously named `%s`" % entries[0]["name"])
            for e in entries:
                if strip_build(e["vers"]) == strip_build(vers):
                    raise ApiError(self.duplicate_status,
                                   "crate version `%s` is already uploaded" % e["vers"])
            for other in self.all_crates():
                o = other[0]["name"]
                if canonical(o) == canonical(name) and o.lower() != name.lower():
                    raise ApiError(400, "crate was previously named `%s`" % o)
            path = self.crate_path(name, vers)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "wb") as f:
                f.write(crate)
            os.replace(path + ".tmp", path)
            entries.append(entry)
            self.write_entries(name, entries)
        return {"warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}}

    def check_tarball(self, name, vers, crate):
        prefix = "%s-%s/" % (name, vers)
        try:
            raw = gzip.decompress(crate)
            tf = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
            members = tf.getmembers()
        except (OSError, EOFError, tarfile.TarError) as e:
            raise ApiError(400, "failed to read the .crate as a gzip tar: %s" % e)
        if not members:
            raise ApiError(400, "the .crate tarball is empty")
        names = set()
        for m in members:
            p = m.name
            if m.type in (tarfile.XHDTYPE, tarfile.XGLTYPE):
                continue
            if not p.startswith(prefix) or ".." in p.split("/"):
                raise ApiError(400, "invalid path found in tarball: `%s` is not under `%s`" % (p, prefix))
            names.add(p)
        if prefix + "Cargo.toml" not in names:
            raise ApiError(400, "the .crate has no `%sCargo.toml`" % prefix)
        try:
            raw_manifest = tf.extractfile(prefix + "Cargo.toml").read().decode("utf-8")
            return tomllib.loads(raw_manifest)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ApiError(400, "failed to parse `Cargo.toml` manifest file\n\n%s" % e)

    def own_index_urls(self):
        own = self.base_url + "/index/"
        return {own, "sparse+" + own, own.rstrip("/"), ("sparse+" + own).rstrip("/")}

    def index_entry(self, meta, crate):
        own_index = "sparse+" + self.base_url + "/index/"
        deps = []
        for d in meta.get("deps") or []:
            if not isinstance(d, dict) or "name" not in d or "version_req" not in d:
                raise ApiError(400, "invalid dependency entry: %r" % (d,))
            rename = d.get("explicit_name_in_toml")
            registry = d.get("registry")
            if registry in (own_index, self.base_url + "/index/", own_index.rstrip("/")):
                registry = None
            dep = {
                "name": rename if rename else d["name"],
                "req": d["version_req"],
                "features": d.get("features") or [],
                "optional": bool(d.get("optional", False)),
                "default_features": bool(d.get("default_features", True)),
                "target": d.get("target"),
                "kind": d.get("kind") or "normal",
                "registry": registry,
            }
            if rename:
                dep["package"] = d["name"]
            deps.append(dep)
        features = {}
        features2 = {}
        for k, v in (meta.get("features") or {}).items():
            v = list(v or [])
            # crates.io moves the new syntax (dep:, weak ?/) to features2 (v=2).
            if any(x.startswith("dep:") or "?/" in x for x in v):
                features2[k] = v
            else:
                features[k] = v
        entry = {
            "name": meta["name"],
            "vers": meta["vers"],
            "deps": deps,
            "cksum": hashlib.sha256(crate).hexdigest(),
            "features": features,
            "yanked": False,
            "links": meta.get("links"),
        }
        if features2:
            entry["features2"] = features2
            entry["v"] = 2
        if meta.get("rust_version"):
            entry["rust_version"] = meta["rust_version"]
        entry["pubtime"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return entry

    # ---- yank ----------------------------------------------------------------
    def set_yanked(self, name, vers, yanked):
        with self.lock:
            entries = self.read_entries(name)
            if not entries:
                raise ApiError(404, "crate `%s` does not exist" % name)
            for e in entries:
                if e["vers"] == vers:
                    e["yanked"] = yanked
                    self.write_entries(name, entries)
                    return {"ok": True}
            raise ApiError(404, "crate `%s` does not have a version `%s`" % (name, vers))



def spdx_ok(expr):
    """crates.io's lax SPDX parse: AND/OR/WITH, `/` as OR, parentheses, `+`."""
    toks = re.findall(r"\(|\)|/|[^\s()/]+", expr)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        t = peek()
        pos[0] += 1
        return t

    def term():
        t = take()
        if t == "(":
            expr_()
            if take() != ")":
                raise ValueError("unclosed (")
            return
        if t is None or t in ("AND", "OR", "WITH", ")", "/"):
            raise ValueError("unexpected %r" % t)
        ref = t.startswith("LicenseRef-") or (t.startswith("DocumentRef-") and ":LicenseRef-" in t)
        if not ref and t.rstrip("+").lower() not in SPDX_LICENSES:
            raise ValueError("unknown term %r" % t)
        if peek() == "WITH":
            take()
            e = take()
            if e is None or e.lower() not in SPDX_EXCEPTIONS:
                raise ValueError("unknown exception %r" % e)

    def expr_():
        term()
        while peek() in ("AND", "OR", "/"):
            take()
            term()

    try:
        expr_()
        return pos[0] == len(toks)
    except ValueError:
        return False


def validate_url(url, field):
    if url is None:
        return
    if not (url.startswith("http://") or url.startswith("https://")):
        raise ApiError(400, "URL for field `%s` must begin with http:// or https:// (url: %s)" % (field, url))
    parts = urllib.parse.urlsplit(url)
    if not parts.netloc:
        raise ApiError(400, "`%s` is not a valid url: `%s`" % (field, url))


def crates_io_rules(manifest, deps, own_index_urls):
    """crates.io's checks on the manifest inside the .crate, in publish.rs's order and with
    its error texts."""
    pkg = manifest.get("package") or {}
    desc, lic, lic_file = pkg.get("description"), pkg.get("license"), pkg.get("license-file")
    missing = []
    if not desc:
        missing.append("description")
    if not lic and not lic_file:
        missing.append("license")
    if missing:
        raise ApiError(400, "missing or empty metadata fields: %s. Please see "
                       "https://doc.rust-lang.org/cargo/reference/manifest.html for more "
                       "information on configuring these fields" % ", ".join(missing))
    if len(desc) > 1000:
        raise ApiError(400, "The `description` is too long. A maximum of 1000 characters are currently allowed.")
    if lic and not spdx_ok(lic):
        raise ApiError(400, "unknown or invalid license expression; see http://opensource.org/licenses "
                       "for options, and http://spdx.org/licenses/ for their identifiers\n%s" % lic)
    for field in ("homepage", "documentation", "repository"):
        validate_url(pkg.get(field), field)
    rv = pkg.get("rust-version")
    if rv is not None and not re.match(r"^\d+(\.\d+){0,2}$", str(rv)):
        raise ApiError(400, "failed to parse `Cargo.toml` manifest file\n\ninvalid `rust-version` value")
    keywords = pkg.get("keywords") or []
    if len(keywords) > 5:
        raise ApiError(400, "expected at most 5 keywords per crate")
    for k in keywords:
        if len(k) > 20:
            raise ApiError(400, "\"%s\" is an invalid keyword (keywords must have less than 20 characters)" % k)
        if not KEYWORD_RE.match(k):
            raise ApiError(400, "\"%s\" is an invalid keyword" % k)
    categories = pkg.get("categories") or []
    if len(categories) > 5:
        raise ApiError(400, "expected at most 5 categories per crate")
    features = manifest.get("features") or {}
    if len(features) > 300:
        raise ApiError(400, "crates.io only allows a maximum number of 300 features, but your "
                       "crate is declaring %d features." % len(features))
    if len(deps) > 500:
        raise ApiError(400, "crates.io only allows a maximum number of 500 dependencies.")
    for d in deps:
        reg = d.get("registry")
        if reg and reg not in own_index_urls:
            raise ApiError(400, "Dependency `%s` is hosted on another registry. Cross-registry "
                           "dependencies are not permitted on crates.io." % d.get("name"))
        if str(d.get("version_req", "")).strip() == "*":
            raise ApiError(400, "wildcard (`*`) dependency constraints are not allowed on crates.io. "
                           "Crate with this problem: `%s` See https://doc.rust-lang.org/cargo/faq.html"
                           "#can-libraries-use--as-a-version-for-their-dependencies for more "
                           "information" % d.get("name"))
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise ApiError(400, "The following category slugs are not currently supported on crates.io: "
                       "%s\n\nSee https://crates.io/category_slugs for a list of supported slugs."
                       % ", ".join(unknown))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tagship-crates-registry/1"
    registry = None  # set by main()
    request_log = None
    log_lock = threading.Lock()

    # quiet default stderr logging; we have our own request log
    def log_message(self, fmt, *args):
        if os.environ.get("CRATES_REGISTRY_VERBOSE"):
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def log_request_json(self, status):
        if not self.request_log:
            return
        rec = {"method": self.command, "path": self.path, "status": status,
               "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")}
        line = json.dumps(rec) + "\n"
        with self.log_lock:
            with open(self.request_log, "a", encoding="utf-8") as f:
                f.write(line)

    def send(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)
        self.log_request_json(status)

    def send_error_json(self, status, detail):
        self.send(status, {"errors": [{"detail": detail}]})

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, "body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ApiError(413, "body too large")
        return self.rfile.read(n) if n else b""

    def dispatch(self):
        reg = self.registry
        path = urllib.parse.urlsplit(self.path).path
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        m = self.command
        try:
            # ---- sparse index ----
            if parts[:1] == ["index"] and m in ("GET", "HEAD"):
                rest = parts[1:]
                if rest == ["config.json"]:
                    return self.send(200, reg.config_json())
                name = rest[-1] if rest else ""
                if rest and NAME_RE.match(name) and "/".join(rest) == index_rel_path(name):
                    with reg.lock:
                        entries = reg.read_entries(name)
                    if entries:
                        body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries).encode()
                        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
                        if self.headers.get("If-None-Match") == etag:
                            return self.send(304, b"", "text/plain", {"ETag": etag})
                        return self.send(200, body, "text/plain; charset=utf-8", {"ETag": etag})
                return self.send(404, "not found\n", "text/plain")
            # ---- web API ----
            if parts[:3] == ["api", "v1", "crates"]:
                rest = parts[3:]
                if rest == ["new"] and m == "PUT":
                    reg.check_auth(self.headers)
                    body = self.read_body()
                    return self.send(200, reg.publish(body))
                if rest == [] and m == "GET":
                    return self.send(200, self.search(query))
                if len(rest) == 3 and rest[2] == "download" and m in ("GET", "HEAD"):
                    name, vers = rest[0], rest[1]
                    p = reg.crate_path(name, vers)
                    if NAME_RE.match(name) and SEMVER_RE.match(vers) and os.path.isfile(p):
                        with open(p, "rb") as f:
                            data = f.read()
                        return self.send(200, data, "application/gzip")
                    raise ApiError(404, "crate `%s` version `%s` not found" % (name, vers))
                if len(rest) == 3 and rest[2] == "yank" and m == "DELETE":
                    reg.check_auth(self.headers)
                    return self.send(200, reg.set_yanked(rest[0], rest[1], True))
                if len(rest) == 3 and rest[2] == "unyank" and m == "PUT":
                    reg.check_auth(self.headers)
                    return self.send(200, reg.set_yanked(rest[0], rest[1], False))
                if len(rest) == 2 and rest[1] == "owners":
                    if m == "GET":
                        self.entries_or_404(rest[0])
                        return self.send(200, {"users": [{"id": 1, "login": "tester", "name": None}]})
                    if m in ("PUT", "DELETE"):
                        reg.check_auth(self.headers)
                        self.read_body()
                        self.entries_or_404(rest[0])
                        return self.send(200, {"ok": True, "msg": "owners unchanged (test registry)"})
                if len(rest) == 1 and m in ("GET", "HEAD"):
                    entries = self.entries_or_404(rest[0])
                    return self.send(200, {
                        "crate": {"name": entries[0]["name"], "id": entries[0]["name"],
                                  "max_version": self.max_version(entries)},
                        "versions": [self.version_json(e) for e in reversed(entries)],
                    })
                if len(rest) == 2 and m in ("GET", "HEAD"):
                    entries = self.entries_or_404(rest[0])
                    for e in entries:
                        if e["vers"] == rest[1]:
                            return self.send(200, {"version": self.version_json(e)})
                    raise ApiError(404, "crate `%s` does not have a version `%s`" % (rest[0], rest[1]))
            if m in ("PUT", "POST", "DELETE", "PATCH"):
                self.read_body()
            raise ApiError(404, "Not Found")
        except ApiError as e:
            return self.send_error_json(e.status, e.detail)
        except Exception as e:  # keep serving; report as a 500 in crates.io style
            return self.send_error_json(500, "internal error: %s: %s" % (type(e).__name__, e))

    def entries_or_404(self, name):
        with self.registry.lock:
            entries = self.registry.read_entries(name) if NAME_RE.match(name) else None
        if not entries:
            raise ApiError(404, "crate `%s` does not exist" % name)
        return entries

    @staticmethod
    def max_version(entries):
        live = [e for e in entries if not e["yanked"]] or entries
        return live[-1]["vers"]

    def version_json(self, e):
        return {"crate": e["name"], "num": e["vers"], "yanked": e["yanked"], "checksum": e["cksum"],
                "dl_path": "/api/v1/crates/%s/%s/download" % (e["name"], e["vers"]),
                "created_at": e.get("pubtime")}

    def search(self, query):
        q = (query.get("q") or [""])[0].lower()
        try:
            per_page = max(1, min(100, int((query.get("per_page") or ["10"])[0])))
        except ValueError:
            per_page = 10
        with self.registry.lock:
            hits = [c for c in self.registry.all_crates() if q in c[0]["name"].lower()]
        hits.sort(key=lambda c: c[0]["name"])
        return {"crates": [{"name": c[0]["name"], "max_version": self.max_version(c), "description": ""}
                           for c in hits[:per_page]],
                "meta": {"total": len(hits)}}

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = dispatch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--data", required=True, help="state directory")
    ap.add_argument("--token", action="append", default=[], help="accepted token (repeatable)")
    ap.add_argument("--token-file", help="file with one accepted token per line")
    ap.add_argument("--base-url", help="URL used in config.json (default http://HOST:PORT); "
                    "set it to a proxy's URL to route cargo through the proxy")
    ap.add_argument("--duplicate-status", type=int, default=400, choices=[200, 400, 409, 422],
                    help="HTTP status for an already-uploaded version (default 400, like crates.io)")
    ap.add_argument("--lenient", action="store_true", help="do not enforce crates.io's publish rules")
    ap.add_argument("--max-upload-size", type=int, default=10 * 1024 * 1024,
                    help="largest .crate accepted, in bytes (default 10 MiB, like crates.io)")
    ap.add_argument("--request-log", help="append one JSON line per request here")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    args = ap.parse_args()

    tokens = list(args.token)
    if args.token_file:
        with open(args.token_file) as f:
            tokens += [t.strip() for t in f if t.strip()]
    if not tokens:
        ap.error("at least one --token or --token-file is required")

    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    base = args.base_url or "http://%s:%d" % (args.host, port)
    Handler.registry = Registry(args.data, base, tokens, args.duplicate_status,
                                rules=not args.lenient, max_upload=args.max_upload_size)
    Handler.request_log = args.request_log
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    sys.stderr.write("crates registry listening on http://%s:%d (index %s/index/)\n" % (args.host, port, base))
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
