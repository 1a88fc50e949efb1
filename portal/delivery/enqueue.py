"""Enqueue email deliveries after the caller's commit (see portal.core.enqueue)."""

from collections.abc import Sequence

from django.conf import settings

from portal.core.enqueue import enqueue_batches_on_commit

DELIVER = "portal.delivery.tasks.outbox_deliver_batch_task"


def emails_deliver(ids: Sequence[int]) -> None:
    """One delivery task per OUTBOX_BATCH_SIZE rows (each sends its rows over one SMTP connection)."""
    enqueue_batches_on_commit(DELIVER, ids, size=settings.OUTBOX_BATCH_SIZE, what="email(s)")


CHAT_DELIVER = "portal.delivery.tasks.chat_deliver_batch_task"
CHAT_BATCH_SIZE = 20


def chat_alerts_deliver(ids: Sequence[int]) -> None:
    """One task per CHAT_BATCH_SIZE staff chat alerts, after the caller's commit."""
    enqueue_batches_on_commit(CHAT_DELIVER, ids, size=CHAT_BATCH_SIZE, what="chat alert(s)")
