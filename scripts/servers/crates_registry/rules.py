"""crates.io's publish rules, checked on the manifest inside the .crate with crates.io's
own error texts (controllers/krate/publish.rs)."""

import re
import urllib.parse

from common import ApiError, load_list

CATEGORIES = load_list("platforms/crates/categories.txt")
SPDX_LICENSES = {x.lower() for x in load_list("platforms/crates/spdx.txt", "license ")}
SPDX_EXCEPTIONS = {x.lower() for x in load_list("platforms/crates/spdx.txt", "exception ")}
KEYWORD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]*$")


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
