#!/usr/bin/env python3
"""A small token issuer for the registry's `auth: token` mode (stdlib + the openssl CLI).

distribution's token spec: GET /token?service=S&scope=repository:NAME:pull,push (scope may
repeat), HTTP Basic with the user/password from $OCI_USER / $OCI_PASSWORD, or anonymous
(granted `pull` only). Wrong credentials get 401. The reply is
{"token","access_token","expires_in","issued_at"}; the token is an RS256 JWT whose header
carries the signing certificate (x5c), which the registry trusts through `rootcertbundle`.
Every issued token is logged as one JSON line in DIR/tokens.log ({"user","scopes"}).
"""

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUER = "tagship-test-issuer"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Issuer:
    def __init__(self, d, user, password, ttl):
        self.dir, self.user, self.password, self.ttl = d, user, password, ttl
        self.key = os.path.join(d, "token-key.pem")
        self.cert = os.path.join(d, "token-cert.pem")
        if not os.path.exists(self.cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", self.key, "-out", self.cert, "-days", "2",
                            "-subj", "/CN=" + ISSUER], check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.lock = threading.Lock()

    def sign(self, claims):
        head = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}).encode())
        body = b64url(json.dumps(claims).encode())
        data = f"{head}.{body}".encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=data,
                             check=True, capture_output=True).stdout
        return f"{head}.{body}.{b64url(sig)}"

    def access(self, scopes, authed):
        out = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            actions = [a for a in parts[-1].split(",") if a]
            if not authed:
                actions = [a for a in actions if a == "pull"]
            out.append({"type": "repository", "name": ":".join(parts[1:-1]), "actions": actions})
        return out


def handler(issuer):
    class H(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            sys.stderr.write("%s\n" % (fmt % args))

        def reply(self, status, obj, headers=()):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            if u.path != "/token":
                return self.reply(404, {"error": "not found"})
            q = urllib.parse.parse_qs(u.query)
            who = self.user()
            if who is False:
                return self.reply(401, {"error": "bad credentials"},
                                  [("WWW-Authenticate", 'Basic realm="token"')])
            now = int(time.time())
            claims = {"iss": ISSUER, "sub": who or "", "aud": (q.get("service") or [""])[0],
                      "exp": now + issuer.ttl, "nbf": now - 10, "iat": now,
                      "jti": secrets.token_hex(8),
                      "access": issuer.access(q.get("scope") or [], who is not None)}
            token = issuer.sign(claims)
            with issuer.lock, open(os.path.join(issuer.dir, "tokens.log"), "a") as f:
                f.write(json.dumps({"user": who, "scopes": q.get("scope") or []}) + "\n")
            self.reply(200, {"token": token, "access_token": token, "expires_in": issuer.ttl,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

        def user(self):
            """None: anonymous; False: wrong credentials; else the user name."""
            h = self.headers.get("Authorization") or ""
            if not h.lower().startswith("basic "):
                return None
            try:
                u, _, p = base64.b64decode(h[6:]).decode().partition(":")
            except Exception:
                return False
            ok = secrets.compare_digest(u, issuer.user) and secrets.compare_digest(p, issuer.password)
            return u if ok else False

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    issuer = Issuer(a.dir, os.environ["OCI_USER"], os.environ["OCI_PASSWORD"],
                    int(os.environ.get("OCI_TOKEN_TTL", "300")))
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), handler(issuer))
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
