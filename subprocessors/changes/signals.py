"""What happens to a change, for the apps above this one that act on it (the webhooks app tells subscribers).

Sent inside the transaction that changed the change, so a receiver's rows (webhook deliveries) are committed
with it or not at all."""

from django.dispatch import Signal

from subprocessors.changes.models import SubprocessorChange

# kwargs: change (SubprocessorChange), event ("subprocessor_change.announced", ".held", ".postponed", ...)
change_event = Signal()


def change_event_send(*, change: SubprocessorChange, event: str) -> None:
    change_event.send(sender=SubprocessorChange, change=change, event=event)
