"""The registry's state: index files and .crate files under --data, publish and yank."""

import datetime
import gzip
import hashlib
import io
import json
import os
import tarfile
import threading
import time
import tomllib

from common import NAME_RE, SEMVER_RE, ApiError, canonical, index_rel_path, strip_build
from rules import crates_io_rules


class Registry:
    def __init__(self, data_dir, base_url, tokens, duplicate_status, rules=True,
                 max_upload=10 * 1024 * 1024, index_delay=0.0):
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
        # (lowercased name, vers) -> time.monotonic() from which the index shows it.
        self.index_delay = index_delay
        self.hidden_until = {}
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

    def visible_entries(self, name):
        """The index file's lines as clients see them: a version uploaded less than
        --index-delay seconds ago is not there yet."""
        now = time.monotonic()
        entries = self.read_entries(name) or []
        return [e for e in entries
                if self.hidden_until.get((name.lower(), e["vers"]), 0) <= now]

    def check_deps_known(self, deps):
        """crates.io refuses a dependency on a crate it does not know (from this registry;
        others cannot be checked here)."""
        own = self.own_index_urls()
        for d in deps:
            if d.get("registry") in (None, "") or d.get("registry") in own:
                if not self.read_entries(d["name"]):
                    raise ApiError(400, "no known crate named `%s`" % d["name"])

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
    def publish(self, body, note=lambda name, vers: None):
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
        note(name, vers)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ApiError(400, "invalid crate name: %r" % (name,))
        if not isinstance(vers, str) or not SEMVER_RE.match(vers):
            raise ApiError(400, "invalid semver version: %r" % (vers,))
        manifest = self.check_tarball(name, vers, crate)
        entry = self.index_entry(meta, crate)
        if self.rules:
            crates_io_rules(manifest, meta.get("deps") or [], self.own_index_urls())

        with self.lock:
            self.check_deps_known(meta.get("deps") or [])
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
            if self.index_delay > 0:
                self.hidden_until[(name.lower(), vers)] = time.monotonic() + self.index_delay
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

