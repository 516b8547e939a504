"""The HTTP side of the test crates registry: sparse index, web API, request log."""

import datetime
import hashlib
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from common import MAX_BODY, NAME_RE, SEMVER_RE, ApiError, index_rel_path


class ClientGone(Exception):
    """The client closed its connection before the request body was complete."""


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
        if getattr(self, "log_crate", None):
            rec["crate"] = self.log_crate
            self.log_crate = None
        line = json.dumps(rec) + "\n"
        with self.log_lock:
            with open(self.request_log, "a", encoding="utf-8") as f:
                f.write(line)

    def send(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        # Logged before the answer leaves: a client that has its answer must find the
        # request in the log (a test reads the log the moment its upload returns).
        self.log_request_json(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def send_error_json(self, status, detail):
        self.send(status, {"errors": [{"detail": detail}]})

    def read_body(self):
        """The whole body; ClientGone when the client went away before sending it all (a
        killed `cargo publish`): the request is dropped, never half-published."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline().strip()
                if not line:
                    raise ClientGone()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, "body too large")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ClientGone()
                chunks.append(chunk)
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ApiError(413, "body too large")
        body = self.rfile.read(n) if n else b""
        if len(body) < n:
            raise ClientGone()
        return body

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
                        entries = reg.visible_entries(name)
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
                    def note(name, vers):
                        self.log_crate = "%s@%s" % (name, vers)
                    return self.send(200, reg.publish(body, note))
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
        except ClientGone:
            self.close_connection = True
            return None
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
