"""System checks of the deployment that Django's own `check --deploy` does not know about."""

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
