#!/usr/bin/env python3
"""Fault-injecting reverse proxy for tagship's tests (stdlib only).

Forwards every request (method, path + query, headers, body) to UPSTREAM and
returns the upstream answer. Only `Host` is rewritten (to the upstream's);
hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding, TE, Trailer,
Upgrade, Proxy-*) and `Expect` are handled by the proxy itself and not passed on.
Bodies are buffered (no streaming); a chunked request body is de-chunked and
sent with Content-Length. Absolute URLs in upstream answers (tarball URLs,
Location headers) are NOT rewritten and still point at the upstream.

Control API on the same port (never forwarded, never logged):
  POST /__proxy/faults   {"match": {"method": "PUT", "path_prefix": "/"},
                          "responses": [503, 503]}
        The next matching requests get these answers, in order, then pass
        through. Answers: an int status (429 adds `Retry-After: 1`), "reset"
        (close the connection without answering, after reading the request),
        "forward_reset" (forward it, then close without relaying the answer:
        the upstream acted on it, the client sees a reset), "truncate" (forward it,
        relay the status, headers and full Content-Length but only half the body,
        then reset: a cut answer), "pass" (forward this one), or an object
        {"stall": 3} (read the request, answer nothing for 3 s, then reset without
        forwarding it: a server that hangs past the client's timeout), or an object
        {"status": 500, "headers": {...}, "body": "...", "delay": 0.5}
        ("bare": true: a 429 without the automatic Retry-After)
        (delay only: {"delay": 2} then forward). match keys are optional:
        method, path_prefix, path_regex. A list of rules may be posted too.
  GET  /__proxy/faults   rules that still have answers left
  DELETE /__proxy/faults drop the rules, keep the log
  GET  /__proxy/log      [{"method","authed","path","status","forwarded","fault"}...]
  POST /__proxy/reset    drop all rules and the log
"""

import argparse
import http.client
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
       "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []  # [{"match":{...}, "responses":[...]}]
        self.log = []

    def add_rules(self, spec):
        specs = spec if isinstance(spec, list) else [spec]
        rules = []
        for s in specs:
            if not isinstance(s, dict) or not isinstance(s.get("responses"), list):
                raise ValueError("each rule needs a 'responses' list")
            match = s.get("match") or {}
            if not isinstance(match, dict):
                raise ValueError("'match' must be an object")
            if "path_regex" in match:
                re.compile(match["path_regex"])
            for r in s["responses"]:
                if not (isinstance(r, int) or r in ("reset", "forward_reset", "truncate", "pass")
                        or isinstance(r, dict)):
                    raise ValueError("bad response entry: %r" % (r,))
            rules.append({"match": match, "responses": list(s["responses"])})
        with self.lock:
            self.rules.extend(rules)
            return len(self.rules)

    def take(self, method, path):
        """Pop the next injected answer for this request, or None."""
        with self.lock:
            for rule in self.rules:
                if not rule["responses"]:
                    continue
                m = rule["match"]
                if "method" in m and m["method"].upper() != method.upper():
                    continue
                if "path_prefix" in m and not path.startswith(m["path_prefix"]):
                    continue
                if "path_regex" in m and not re.search(m["path_regex"], path):
                    continue
                r = rule["responses"].pop(0)
                self.rules = [x for x in self.rules if x["responses"]]
                return r
        return None

    def record(self, **rec):
        with self.lock:
            self.log.append(rec)


class ClientGone(Exception):
    """The client closed its connection before the request body was complete."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tagship-fault-proxy/1"
    upstream = None  # urllib.parse.SplitResult
    state = None
    timeout_s = 60.0

    def log_message(self, fmt, *args):
        if os.environ.get("FAULT_PROXY_VERBOSE"):
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        """The whole request body; ClientGone when the client went away before sending it
        all (a killed client). A real server drops such a request: forwarding the part
        that arrived, with its length corrected, would store a truncated upload."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline()
                if not line.strip():
                    raise ClientGone()
                size = int(line.strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ClientGone()
                chunks.append(chunk)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if len(body) < n:
            raise ClientGone()
        return body

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        has_ct = False
        for k, v in (headers or []):
            if k.lower() == "content-type":
                has_ct = True
            self.send_header(k, v)
        if not has_ct and ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304) and status >= 200:
            self.wfile.write(body)

    # ---- control API ------------------------------------------------------
    def control(self, path, body):
        st = self.state
        if path == "/__proxy/faults" and self.command == "POST":
            try:
                n = st.add_rules(json.loads(body or b"null"))
            except (ValueError, TypeError) as e:
                return self.reply(400, {"error": str(e)})
            return self.reply(200, {"ok": True, "rules": n})
        if path == "/__proxy/faults" and self.command == "GET":
            with st.lock:
                return self.reply(200, json.loads(json.dumps(st.rules)))
        if path == "/__proxy/faults" and self.command == "DELETE":
            with st.lock:
                st.rules = []
            return self.reply(200, {"ok": True})
        if path == "/__proxy/log" and self.command == "GET":
            with st.lock:
                return self.reply(200, list(st.log))
        if path == "/__proxy/reset" and self.command == "POST":
            with st.lock:
                st.rules = []
                st.log = []
            return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "unknown control endpoint %s %s" % (self.command, path)})

    # ---- proxying -----------------------------------------------------------
    def reset_client(self):
        """Closes the client connection with an RST instead of answering."""
        try:  # RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        # Close now (the fd really closes when rfile is closed in finish()),
        # before socketserver's shutdown(SHUT_WR) could send a FIN.
        self.connection.close()

    def authed(self):
        # Whether the request carried credentials (never their value).
        return self.headers.get("Authorization") is not None

    def handle_any(self):
        try:
            body = self.read_body()
        except ClientGone:
            self.state.record(method=self.command, authed=self.authed(), path=self.path, status=None,
                              forwarded=False, fault="client-gone")
            self.close_connection = True
            return
        path = self.path
        if urllib.parse.urlsplit(path).path.startswith("/__proxy/"):
            return self.control(urllib.parse.urlsplit(path).path, body)

        fault = self.state.take(self.command, path)
        if isinstance(fault, dict) and "stall" in fault:
            self.state.record(method=self.command, authed=self.authed(), path=path, status=None, forwarded=False,
                              fault="stall")
            time.sleep(float(fault["stall"]))
            return self.reset_client()
        if isinstance(fault, dict) and "status" not in fault and "delay" in fault:
            time.sleep(float(fault["delay"]))
            fault = "pass"
        if fault == "reset":
            self.state.record(method=self.command, authed=self.authed(), path=path, status=None, forwarded=False, fault="reset")
            return self.reset_client()
        if fault is not None and fault not in ("pass", "forward_reset", "truncate"):
            if isinstance(fault, int):
                fault = {"status": fault}
            status = int(fault["status"])
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            headers = dict(fault.get("headers") or {})
            bare = bool(fault.get("bare"))
            if status == 429 and not bare and not any(k.lower() == "retry-after" for k in headers):
                headers["Retry-After"] = "1"
            fbody = fault.get("body", {"error": "injected fault", "status": status})
            self.state.record(method=self.command, authed=self.authed(), path=path, status=status, forwarded=False,
                              fault="status")
            return self.reply(status, fbody, list(headers.items()))

        up = self.upstream
        up_path = up.path.rstrip("/") + path if up.path not in ("", "/") else path
        headers = []
        for k, v in self.headers.items():
            if k.lower() in HOP or k.lower() == "host" or k.lower() == "content-length":
                continue
            headers.append((k, v))
        headers.append(("Host", up.netloc))
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Length", str(len(body))))
        try:
            conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=self.timeout_s)
            conn.putrequest(self.command, up_path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            rbody = resp.read()
            rheaders = [(k, v) for k, v in resp.getheaders()
                        if k.lower() not in HOP and k.lower() != "content-length"]
            status = resp.status
            conn.close()
        except (OSError, http.client.HTTPException) as e:
            self.state.record(method=self.command, authed=self.authed(), path=path, status=502, forwarded=False,
                              fault=None, error=str(e))
            return self.reply(502, {"error": "upstream failed: %s" % e})
        if fault == "forward_reset":
            self.state.record(method=self.command, authed=self.authed(), path=path, status=status, forwarded=True,
                              fault="forward_reset")
            return self.reset_client()
        if fault == "truncate":
            self.state.record(method=self.command, authed=self.authed(), path=path, status=status, forwarded=True,
                              fault="truncate")
            return self.truncated(status, rheaders, rbody)
        self.state.record(method=self.command, authed=self.authed(), path=path, status=status, forwarded=True, fault=None)
        self.send_response(status)
        for k, v in rheaders:
            self.send_header(k, v)
        if self.command == "HEAD":
            cl = resp.getheader("Content-Length")
            if cl is not None:
                self.send_header("Content-Length", cl)
        elif status not in (204, 304):
            self.send_header("Content-Length", str(len(rbody)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(rbody)

    def truncated(self, status, rheaders, rbody):
        """Relays the answer with its full Content-Length but half its body, then resets."""
        self.send_response(status)
        for k, v in rheaders:
            self.send_header(k, v)
        self.send_header("Content-Length", str(max(len(rbody), 2)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(rbody[: len(rbody) // 2])
            self.wfile.flush()
        return self.reset_client()

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)


def main():
    ap = argparse.ArgumentParser(description="fault-injecting reverse proxy")
    ap.add_argument("upstream", help="e.g. http://127.0.0.1:18080")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--timeout", type=float, default=60.0, help="upstream timeout in seconds")
    args = ap.parse_args()
    up = urllib.parse.urlsplit(args.upstream)
    if up.scheme != "http" or not up.hostname:
        ap.error("upstream must be an http:// URL")
    Handler.upstream = up
    Handler.state = State()
    Handler.timeout_s = args.timeout
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    sys.stderr.write("fault proxy on http://%s:%d -> %s\n" % (args.host, port, args.upstream))
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
