"""The Atom feed of list changes, cached per list version."""

from django.core.cache import cache
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from subprocessors.changes.feeds import ListChangesFeed
from subprocessors.listing.cache import public_list_version

_feed = ListChangesFeed()


@require_GET
def feed(request):
    key = f"subprocessors:feed:{public_list_version()}"
    cached = cache.get(key)
    if cached is None:
        response = _feed(request)
        cached = (response.content, response["Content-Type"])
        cache.set(key, cached, 3600)
    return HttpResponse(cached[0], content_type=cached[1])
