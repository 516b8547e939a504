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
method, path, status, time; a publish also names `crate`: "name@vers") so
tests can count calls and see the publishing order.

Like crates.io, a publish whose dependency from this registry names a crate
the registry does not know is refused ("no known crate named `x`"), so
crates must arrive in dependency order. `--index-delay SECS` keeps a new
version out of the index files for SECS seconds after its upload (crates.io's
index and CDN lag behind the upload), while the registry itself already
knows it (a duplicate is still a duplicate).

Run it as `python3 scripts/servers/crates_registry ARGS` (this directory).

State lives under --data (index files + .crate files), so a restart keeps it.
"""

import argparse
import os
import sys
from http.server import ThreadingHTTPServer

from registry import Registry
from server import Handler


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
    ap.add_argument("--index-delay", type=float, default=0.0,
                    help="seconds a new version stays out of the index files (crates.io's lag)")
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
                                rules=not args.lenient, max_upload=args.max_upload_size,
                                index_delay=args.index_delay)
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
