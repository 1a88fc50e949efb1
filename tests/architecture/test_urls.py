"""Every URL of our apps is named inside its app's namespace (`trust:home`, `breaches:staff_list`) and reverses to
the path it was declared with; only the project's own pages in `portal/urls.py` have names without one."""

import re
import uuid

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, PathConverter, UUIDConverter

from portal.urls import APPS

PROJECT_NAMES = {"home", "healthz", "health_live", "health_ready", "metrics", "schema", "api_docs"}
# Third-party URLconfs keep their own naming: the admin (namespace "admin") and allauth (flat "account_*" names).
THIRD_PARTY = {"django.contrib.admin", "allauth"}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _sample(converter) -> object:
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    if isinstance(converter, IntConverter):
        return 7
    if isinstance(converter, PathConverter):
        return "a/b"
    return "sample"  # str and slug


def _kwargs_and_path(prefix: str, pattern: URLPattern) -> tuple[dict, str]:
    route = prefix + str(pattern.pattern)
    converters = pattern.pattern.converters
    kwargs = {name: _sample(converter) for name, converter in converters.items()}

    def fill(match):
        name = match.group(1)
        return converters[name].to_url(kwargs[name])

    return kwargs, "/" + PARAMETER.sub(fill, route)


def _module(resolver: URLResolver) -> str:
    return getattr(resolver.urlconf_name, "__name__", "")


def _ours(resolver: URLResolver) -> bool:
    module = _module(resolver)
    return not any(module == name or module.startswith(f"{name}.") for name in THIRD_PARTY) and (
        resolver.namespace != "admin"
    )


def test_every_app_urlconf_is_included_under_its_app_label():
    included = {_module(entry): entry for entry in get_resolver().url_patterns if isinstance(entry, URLResolver)}
    problems = []
    for app in APPS:
        resolver = included.get(f"{app}.urls")
        label = apps.get_containing_app_config(app).label
        if resolver is None:
            problems.append(f"{app}.urls is not included")
        elif resolver.namespace != label or resolver.app_name != label:
            path = app.replace(".", "/")
            problems.append(f'{path}/urls.py: app_name is {resolver.app_name!r}, expected app_name = "{label}"')
    assert not problems, "\n".join(problems)


def test_every_url_of_our_apps_is_namespaced_and_reversible():
    problems = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern):
            if entry.name not in PROJECT_NAMES:
                problems.append(f"/{entry.pattern}: {entry.name!r} is not namespaced; move it into an app's urls.py")
            continue
        if not _ours(entry):
            continue
        if not entry.namespace:
            problems.append(f"{_module(entry)}: no app_name, so its names are not namespaced")
            continue
        prefix = str(entry.pattern)
        for pattern in entry.url_patterns:
            if not isinstance(pattern, URLPattern) or not pattern.name:
                problems.append(f"{_module(entry)}: /{prefix}{pattern.pattern} has no name")
                continue
            name = f"{entry.namespace}:{pattern.name}"
            kwargs, expected = _kwargs_and_path(prefix, pattern)
            if reverse(name, kwargs=kwargs) != expected:
                problems.append(f"{name} reverses to {reverse(name, kwargs=kwargs)}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_project_names_stay_without_a_namespace():
    assert reverse("home") == "/"
    assert reverse("healthz") == "/healthz"
    assert reverse("api_docs") == "/api/docs/"
