"""Static files in production: hashed and pre-compressed (whitenoise), and never a reason for a page to fail.

Django's manifest storage raises while rendering any page whose `{% static %}` name is missing from the manifest,
so a deployment that skipped `collectstatic` answers every page with a 500. Here a missing manifest (or entry)
falls back to the plain name, which whitenoise serves from the app folders (WHITENOISE_USE_FINDERS), and
`check --deploy` (portal.W010) says what to run."""

import logging
from urllib.parse import urlsplit

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class PortalStaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    @property
    def manifest_missing(self) -> bool:
        return not self.hashed_files

    def stored_name(self, name):
        if self.manifest_missing:
            return name
        try:
            return super().stored_name(name)
        except ValueError:
            # A real file added after the last collectstatic is worth an error. WhiteNoise also asks for names
            # that exist nowhere (to tell hashed files from others it strips the last dotted part of every name:
            # `jquery.init.js` -> `jquery.js`), at every start; those are not the operator's problem.
            if finders.find(urlsplit(name).path):
                logger.error("static file %s is not in the manifest; run collectstatic", name)
            return name


def manifest_missing(storage) -> bool:
    """Whether a manifest storage has no manifest on disk now (read afresh: collectstatic may have run since)."""
    if not isinstance(storage, ManifestFilesMixin):
        return False
    return storage.read_manifest() is None
