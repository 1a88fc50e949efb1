"""Gauges of this app: changes held because their notice is incomplete, webhook deliveries waiting or failed."""

from portal.core.metrics import delivery_gauges, gauges
from subprocessors.changes.models import SubprocessorChange, WebhookDelivery


@gauges
def change_and_webhook_gauges():
    yield (
        "portal_changes_held",
        "Sub-processor changes held because their notice is incomplete",
        SubprocessorChange.objects.filter(status=SubprocessorChange.Status.HELD).count(),
        {},
    )
    yield from delivery_gauges(WebhookDelivery, channel="webhook")
