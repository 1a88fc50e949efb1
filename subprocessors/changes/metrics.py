"""Gauges of this app: changes held because their notice is incomplete."""

from portal.core.metrics import gauges
from subprocessors.changes.models import SubprocessorChange


@gauges
def change_gauges():
    yield (
        "portal_changes_held",
        "Sub-processor changes held because their notice is incomplete",
        SubprocessorChange.objects.filter(status=SubprocessorChange.Status.HELD).count(),
        {},
    )
