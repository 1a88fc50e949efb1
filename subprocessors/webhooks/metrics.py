"""Gauges of this app: webhook deliveries waiting or failed, and the oldest one waiting."""

from portal.core.metrics import delivery_gauges, gauges
from subprocessors.webhooks.models import WebhookDelivery


@gauges
def webhook_gauges():
    yield from delivery_gauges(WebhookDelivery, channel="webhook")
