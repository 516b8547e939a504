"""Shared pieces of the test crates registry: names, versions, index paths, errors."""

import os
import re

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# SemVer 2.0.0 (https://semver.org) regex, simplified but strict enough.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
MAX_BODY = 64 * 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def load_list(rel, prefix=""):
    with open(os.path.join(REPO, rel), encoding="utf-8") as f:
        return {l.strip()[len(prefix):] for l in f
                if l.strip() and not l.startswith("#") and l.startswith(prefix)}



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

