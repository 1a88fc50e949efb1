"""The public list's page cache. Rendered fragments are keyed by a version that any saved row or change bumps."""

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "subprocessors:list-version"


def public_list_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        # add() so that two first readers agree on one version.
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return version


def invalidate_public_list() -> None:
    """Forget every cached rendering of the public list (page, feed, CSV, PDF, API) once the transaction commits.

    Call it from any service that saves a sub-processor or a change to the list."""

    def bump():
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)

    transaction.on_commit(bump)
