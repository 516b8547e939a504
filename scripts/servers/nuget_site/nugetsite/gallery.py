"""What the NuGet gallery (nuget.org, and the Chocolatey community gallery forked from it) does
and minchoc 0.2.0 does not, layered over minchoc's views from this host site (minchoc's own
files are not touched):

- DELETE /api/v2/package/<id>/<version> UNLISTS, as the gallery's ApiController.DeletePackage
  does (MarkPackageUnlisted, an empty 200): the version stays installable by exact version
  (GET package/<id>/<version>, Packages(Id=,Version=) and FindPackagesById(), which restore
  reads: NuGet/NuGetGallery#4020, "by design") but Search() no longer lists it. POST to the same
  URL relists it (NuGet/NuGetGallery#569). minchoc deletes the row and the file instead.
- Every feed entry carries <d:Listed>, and an unlisted one <d:Published>1900-01-01T00:00:00,
  the marker v2 clients read (NuGet/NuGet.Server#41, NuGet/NuGetGallery#2913).
- Search() (minchoc has none), what `nuget list` asks: listed versions only, by id substring,
  prereleases only with includePrerelease=true, the newest per id when the filter says
  IsLatestVersion / IsAbsoluteLatestVersion.
- A SemVer 1 prerelease version (1.2.3-rc0001, what Chocolatey takes) is stored: minchoc parses
  each dot part with int(), so "3-rc0001" raised ValueError (HTTP 500); here the numeric prefix
  is taken and the label kept in version_beta / is_prerelease.
- DELETE /admin/purge/<id>/<version> (not a NuGet API): a hard delete, as a gallery admin can,
  for tests that remove a version behind the publisher's back.
"""
import re
from datetime import datetime, timezone

from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from minchoc import views as minchoc_views
from minchoc.constants import FEED_XML_POST, FEED_XML_PRE
from minchoc.models import NugetUser, Package

UNLISTED_PUBLISHED = "1900-01-01T00:00:00"
_minchoc_entry = minchoc_views.make_entry


def _version_part(text, *args):
    """int() for a version's dot part: the numeric prefix of "3-rc0001" is 3."""
    if isinstance(text, str) and not args:
        m = re.match(r"\d+", text)
        if m and m.end() < len(text) and text[m.end()] == "-":
            return int(m.group(0))
    return int(text, *args)


minchoc_views.int = _version_part


@receiver(pre_save, sender=Package)
def _prerelease(sender, instance, **_):
    base, dash, label = instance.version.partition("-")
    instance.is_prerelease = bool(dash)
    instance.version_beta = label or None


async def _entry(host, package, ending="\n"):
    xml = await _minchoc_entry(host, package, ending)
    listed = "true" if package.listed else "false"
    if not package.listed:
        xml = re.sub(
            r'(<d:Published m:type="Edm.DateTime">)[^<]*(</d:Published>)',
            rf"\g<1>{UNLISTED_PUBLISHED}\g<2>",
            xml,
        )
    prerelease = "true" if package.is_prerelease else "false"
    xml = re.sub(
        r'(<d:IsPrerelease m:type="Edm.Boolean">)[^<]*(</d:IsPrerelease>)',
        rf"\g<1>{prerelease}\g<2>",
        xml,
    )
    return xml.replace(
        "</m:properties>",
        f'    <d:Listed m:type="Edm.Boolean">{listed}</d:Listed>\n    </m:properties>',
    )


minchoc_views.make_entry = _entry


async def _writable(request, name, version, methods):
    """The package a write names, or the response refusing it (405, 403, 404)."""
    if request.method not in methods:
        return None, HttpResponse(status=405)
    if not await NugetUser.arequest_has_valid_token(request):
        return None, JsonResponse({"error": "Not authorized"}, status=403)
    package = await Package._default_manager.filter(nuget_id=name, version=version).afirst()
    return package, (HttpResponseNotFound() if package is None else None)


@csrf_exempt
async def package_file(request, name, version):
    """GET: minchoc's download (unlisted versions too). DELETE: unlist. POST: relist."""
    if request.method == "GET":
        return await minchoc_views.fetch_package_file(request, name, version)
    package, refused = await _writable(request, name, version, ("DELETE", "POST"))
    if refused:
        return refused
    package.listed = request.method == "POST"
    await package.asave(update_fields=["listed"])
    return HttpResponse(status=200)


@csrf_exempt
async def purge(request, name, version):
    """A hard delete (an admin's), for tests."""
    package, refused = await _writable(request, name, version, ("DELETE",))
    if refused:
        return refused
    package.file.delete(save=False)
    await package.adelete()
    return HttpResponse(status=204)


def _newest_key(p):
    # A release sorts above its prereleases; labels compare as text (zero-padded numbers).
    return (p.version0, p.version1, p.version2 or 0, p.version3 or 0, not p.is_prerelease,
            p.version_beta or "")


async def search(request):
    """Search(): listed versions only."""
    if request.method != "GET":
        return HttpResponse(status=405)
    term = request.GET.get("searchTerm", "").strip("'\"").lower()
    prerelease = request.GET.get("includePrerelease", "false").lower() == "true"
    latest = "LatestVersion" in request.GET.get("$filter", "")
    found = [p async for p in Package._default_manager.filter(listed=True)]
    found = [p for p in found if term in p.nuget_id.lower() and (prerelease or not p.is_prerelease)]
    if latest:
        newest = {}
        for p in found:
            if p.nuget_id not in newest or _newest_key(p) > _newest_key(newest[p.nuget_id]):
                newest[p.nuget_id] = p
        found = list(newest.values())
    found.sort(key=lambda p: (p.nuget_id, _newest_key(p)))
    proto_host = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    content = "\n".join([await _entry(proto_host, p) for p in found])
    xml = f"{FEED_XML_PRE}\n{content}{FEED_XML_POST}\n" % {
        "BASEURL": proto_host,
        "UPDATED": datetime.now(timezone.utc).isoformat(),
    }
    return HttpResponse(xml, content_type="application/xml")
