"""Gauges of the email and staff chat channels for /metrics (see portal.core.metrics)."""

from collections.abc import Callable, Iterable

from portal.core.metrics import delivery_gauges, gauges
from portal.delivery.models import ChatAlert, OutboundEmail

Sample = tuple[str, str, float, dict[str, str]]


_providers: list[Callable[[], Iterable[Sample]]] = []


@gauges
def email_gauges():
    yield from delivery_gauges(OutboundEmail, channel="email")


@gauges
def chat_gauges():
    yield from delivery_gauges(ChatAlert, channel="chat")
