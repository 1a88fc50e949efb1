"""Prometheus metrics at /metrics, for operators only.

Requests, responses and database queries come from django-prometheus (its middleware and database wrapper).
Each app adds the gauges that say whether legal work is late, in its own `metrics.py` (found by
`autodiscover_modules`, so this app never imports the ones above it): a function registered with
`@gauges` that yields `(name, help, value, labels)`. They are read from the database at scrape time, so every
web process reports the same figures.

The endpoint answers only with `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN set it does not
exist (404). With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR so request metrics are summed across them.
"""

import hmac
import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

Sample = tuple[str, str, float, dict[str, str]]


_providers: list[Callable[[], Iterable[Sample]]] = []


def gauges(func: Callable[[], Iterable[Sample]]):
    """Register a function yielding (metric name, help text, value, labels) read at scrape time."""
    _providers.append(func)
    return func


class PortalCollector:
    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for provider in _providers:
            for name, help_text, value, labels in provider():
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(name, help_text, labels=sorted(labels))
                family.add_metric([labels[k] for k in sorted(labels)], value)
        yield from families.values()


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _authorised(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    sent = request.headers.get("Authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@never_cache
def metrics(request):
    if not _authorised(request):
        response = HttpResponse("A metrics token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    autodiscover_modules("metrics")
    portal = CollectorRegistry()
    portal.register(PortalCollector())
    return HttpResponse(_process_metrics() + generate_latest(portal), content_type=CONTENT_TYPE_LATEST)


def delivery_gauges(model, *, channel: str) -> Iterable[Sample]:
    """Waiting, sending and failed rows of one delivery channel, and the age of the oldest waiting one."""
    states = model.STATES
    counts = dict.fromkeys((states.waiting, states.sending, states.failed), 0)
    rows = model.objects.filter(status__in=list(counts)).order_by().values_list("status").annotate(n=Count("id"))
    counts.update(rows.values_list("status", "n"))
    for status, count in counts.items():
        yield (
            "portal_deliveries",
            "Email and webhook deliveries not yet accepted, by state",
            count,
            _labels(channel, status),
        )
    oldest = model.objects.filter(status=states.waiting).order_by("created_at").values_list("created_at", flat=True)
    first = oldest.first()
    yield (
        "portal_delivery_oldest_waiting_seconds",
        "Age of the oldest delivery still waiting to be accepted (0 when none waits)",
        (timezone.now() - first).total_seconds() if first else 0.0,
        {"channel": channel},
    )


def _labels(channel: str, status: str) -> dict[str, str]:
    return {"channel": channel, "status": status}
