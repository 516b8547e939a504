"""Host site for minchoc (a Django app, not a project): started by scripts/servers/nuget.sh.
Everything it writes (sqlite DB, pushed packages) goes under $NUGET_DATA."""
import os
from pathlib import Path

DATA = Path(os.environ["NUGET_DATA"])
SECRET_KEY = "tagship-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "minchoc"]
MIDDLEWARE = []
ROOT_URLCONF = "nugetsite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA / "db.sqlite3")}}
MEDIA_ROOT = str(DATA / "media")
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# DELETE /api/v2/package/<id>/<version> unlists, as the gallery does (gallery.py answers it;
# minchoc's own handler, which would delete the version, is never reached).
ALLOW_PACKAGE_DELETION = False
# Pushed packages can be larger than Django's 2.5 MB in-memory default.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024 * 1024
LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO"}},
}
