"""The feed under /api/v2/, as Chocolatey and NuGet v2 clients expect it: minchoc's views, with
the gallery's unlisting, Search() and prerelease versions layered on (gallery.py)."""
from django.urls import include, path

from . import gallery

urlpatterns = [
    path("api/v2/package/<name>/<version>", gallery.package_file),
    path("api/v2/Search()", gallery.search),
    path("admin/purge/<name>/<version>", gallery.purge),
    path("api/v2/", include("minchoc.urls")),
]
