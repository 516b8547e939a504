"""The feed under /api/v2/, as Chocolatey and NuGet v2 clients expect it."""
from django.urls import include, path

urlpatterns = [path("api/v2/", include("minchoc.urls"))]
