"""Gauges of the email channel for /metrics (see portal.core.metrics)."""

from collections.abc import Callable, Iterable

from portal.core.metrics import delivery_gauges, gauges
from portal.delivery.models import OutboundEmail

Sample = tuple[str, str, float, dict[str, str]]


_providers: list[Callable[[], Iterable[Sample]]] = []


@gauges
def email_gauges():
    yield from delivery_gauges(OutboundEmail, channel="email")
