"""The Atom feed of list changes. Anonymous readers (feed readers carry no session) get it whole from
portal.core.page_cache, cached under the list's version (declared in this app's AppConfig)."""

from django.views.decorators.http import require_safe

from subprocessors.changes.feeds import ListChangesFeed

_feed = ListChangesFeed()


@require_safe
def feed(request):
    return _feed(request)
