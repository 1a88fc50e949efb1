import functools

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from portal.core.permissions import is_legal
from portal.core.user_memo import user_memo


def _nav(attribute: str) -> list[dict]:
    """Each app config lists `(position, label, url name)` triples; the menu shows them by position. The URLs
    are reversed once per URLconf and script prefix, not on every page."""
    return _nav_for(attribute, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=32)
def _nav_for(attribute: str, script_prefix: str, urlconf: str) -> list[dict]:
    items = []
    for config in apps.get_app_configs():
        for position, label, url_name in getattr(config, attribute, ()):
            try:
                items.append((position, {"label": label, "url": reverse(url_name)}))
            except NoReverseMatch:
                continue
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def _nav_is_legal(request, user) -> bool:
    """Whether the menu shows "Staff": remembered for a few minutes (the staff pages check afresh)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user_memo(request, user.pk, "nav_is_legal", lambda: is_legal(user))


def portal(request):
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PROCESSOR_NAME": settings.PORTAL_PROCESSOR_NAME,
        "SUPPORT_EMAIL": settings.PORTAL_SUPPORT_EMAIL,
        "TIME_ZONE_NAME": settings.PORTAL_TIME_ZONE,
        "is_legal_staff": _nav_is_legal(request, user) if user is not None else False,
        "main_nav": _nav("nav_items"),
        "staff_nav": _nav("staff_nav_items") if request.path.startswith("/staff/") else [],
    }
