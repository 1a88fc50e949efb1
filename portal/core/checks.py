"""System checks of the deployment that Django's own `check --deploy` does not know about."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Tags, Warning, register

from portal.core.staticfiles import manifest_missing

STATIC_NOT_COLLECTED = Warning(
    "Static files have not been collected: there is no staticfiles.json manifest in STATIC_ROOT.",
    hint=(
        "Run `python manage.py collectstatic --noinput` before starting the web server (the container image does "
        "this at build time). Until then pages use unhashed static URLs served from the app folders."
    ),
    id="portal.W010",
)


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs, **kwargs):
    return [STATIC_NOT_COLLECTED] if manifest_missing(staticfiles_storage) else []


STAFF_CHAT_NOT_HTTPS = Warning(
    "STAFF_CHAT_WEBHOOK_URL is not an https:// URL.",
    hint=(
        "Staff chat alerts name requesters, customers and breach deadlines: use the https:// incoming-webhook URL "
        "that Slack or Microsoft Teams gives you. Alerts to any other URL are refused at delivery and fail."
    ),
    id="portal.W040",
)


@register(deploy=True)
def staff_chat_webhook_https(app_configs, **kwargs):
    url = settings.STAFF_CHAT_WEBHOOK_URL
    return [STAFF_CHAT_NOT_HTTPS] if url and urlsplit(url).scheme != "https" else []
