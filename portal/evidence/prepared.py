"""Files rendered by a worker, never inside a web request.

A PDF of a long list or of a thousand notifications takes WeasyPrint from seconds to most of a minute, longer than
a web worker may take. So a download asks `prepare(kind=…, key=…, task=…)` for the file: the row for that kind and
key (the key names the version of the content) is found or created — the unique constraint on (kind, key) makes
concurrent first requests agree on one row, and only the request that created it enqueues the render, after its
commit. The app's task calls `prepared_file_render`, which claims the row (one worker at a time; a claim older
than STUCK_AFTER is taken over), renders, stores the bytes under a name never reused — or records the issued
report the render produced — and marks the row ready. A render that raises marks the row failed with the error
and a time for the next attempt (back-off); `prepared_files_sweep` (beat) re-sends rows whose task was lost,
stuck renders and failed rows that are due, and legal staff can retry a failed row at once.

The download view answers with `portal.evidence.views.prepared_file_response`: "being prepared" (HTML that
refreshes itself, or 202 + Retry-After for API clients), the file once ready, a 503 page when the render failed."""

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.core.permissions import is_staff_verified
from portal.evidence import enqueue, events
from portal.evidence.models import IssuedReport, PreparedFile

PREPARED_DIR = "prepared"
# A claimed render not finished after this long is presumed dead (worker killed, lost connection) and redone.
STUCK_AFTER = dt.timedelta(minutes=10)
# A pending row whose task has not started after this long was lost on the way (broker restart, enqueue failed).
LOST_AFTER = dt.timedelta(minutes=2)
# Failed renders are retried by the sweep after 1, 2, 4, 8 minutes…, at most this many times in all.
MAX_ATTEMPTS = 5
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)
# How long a render usually takes, told to the person waiting (seconds): most lists and reports are done in a few
# seconds, the 2,400-row snapshot in well under a minute.
EXPECTED_SECONDS = 60
RETRY_AFTER_SECONDS = 3
# Files this module stored itself (not issued reports, not the DPA cache) are deleted this long after they were
# asked for: a new day or a list change makes a new snapshot anyway, and the old ones would pile up.
KEEP_FOR = dt.timedelta(days=30)
NOT_FAILED = "Only a failed file can be retried; this one is {status}."

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    """What a render produced when it stored the bytes itself (an issued report, a content-addressed PDF)."""

    path: str
    sha256: str
    size: int
    issued_report: IssuedReport | None = None

    @classmethod
    def from_report(cls, report: IssuedReport) -> "StoredFile":
        return cls(path=report.path, sha256=report.sha256, size=report.size, issued_report=report)


Renderer = Callable[[PreparedFile], "bytes | StoredFile"]


def _actor_fields(actor) -> dict:
    if getattr(actor, "is_authenticated", False):
        return {"requested_by": actor, "requested_by_label": actor.email}
    return {"requested_by": None, "requested_by_label": "anonymous visitor" if actor is not None else "system"}


def content_key(state, *, prefix: str = "") -> str:
    """A prepared file's key from the state its content depends on (any JSON-able value, dates as text): equal
    states give equal keys, so asking again before anything changed finds the file already prepared."""
    digest = hashlib.sha256(json.dumps(state, default=str, sort_keys=True).encode()).hexdigest()[:40]
    return f"{prefix}:{digest}" if prefix else digest


def prepare(
    *,
    kind: str,
    key: str,
    task: str,
    args: Sequence = (),
    actor=None,
    label: str = "",
    permission: str = "",
) -> PreparedFile:
    """The prepared file of `kind` for the content version `key`, created (and its render task `task` enqueued
    after the commit, with the row's id) if nobody asked for it before. Two requests racing for the same key get
    the same row and one render: the second insert waits on the unique index and then finds the first's row.

    `actor` is who asked (recorded; an evidence report names them as its issuer); `permission` is what legal staff
    need to retry a failed render (besides being legal staff)."""
    job = PreparedFile.objects.filter(kind=kind, key=key).first()
    if job is not None:
        return job
    with transaction.atomic():
        job, created = PreparedFile.objects.get_or_create(
            kind=kind,
            key=key,
            defaults={
                "task_name": task,
                "task_args": list(args),
                "label": label[:300],
                "permission": permission,
                **_actor_fields(actor),
            },
        )
        if created:
            transaction.on_commit(lambda: enqueue.prepared_file_render(job))
    return job


def _claim(job_id: int) -> PreparedFile | None:
    """Mark the row as being rendered by this worker, or None when there is nothing to do: it is ready, another
    worker is on it (and not stuck), or it failed and waits for its retry time (the sweep or staff reset it)."""
    now = timezone.now()
    with transaction.atomic():
        job = PreparedFile.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (PreparedFile.Status.READY, PreparedFile.Status.FAILED):
            return None
        if job.status == PreparedFile.Status.RENDERING and job.started_at and job.started_at > now - STUCK_AFTER:
            return None
        job.status = PreparedFile.Status.RENDERING
        job.started_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    return job


def _store(job: PreparedFile, content: bytes) -> StoredFile:
    """Private storage, like the evidence files; the name carries the row and the hash, and `save` never
    overwrites (a clash gets a new name)."""
    sha = hashlib.sha256(content).hexdigest()
    name = f"{PREPARED_DIR}/{job.kind}/{job.created_at:%Y/%m}/{job.public_id}-{sha[:16]}.pdf"
    return StoredFile(path=default_storage.save(name, ContentFile(content)), sha256=sha, size=len(content))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4, 8… minutes, at most an hour."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"[:2000]


def prepared_file_render(*, job_id: int, render: Renderer) -> PreparedFile | None:
    """Render the row once (the body of each app's render task). Idempotent: a ready row, one another worker is
    rendering or a failed one not yet due is left alone. `render(job)` returns the bytes (stored here) or a
    StoredFile it stored itself. Returns the row as it ends, or None when there was nothing to do."""
    job = _claim(job_id)
    if job is None:
        return None
    started = time.monotonic()
    try:
        result = render(job)
        stored = result if isinstance(result, StoredFile) else _store(job, result)
    except Exception as exc:
        logger.exception("Rendering prepared file %s (%s %s) failed", job.pk, job.kind, job.key)
        return _mark_failed(job, exc)
    job.status = PreparedFile.Status.READY
    job.path, job.sha256, job.size, job.issued_report = stored.path, stored.sha256, stored.size, stored.issued_report
    job.finished_at = timezone.now()
    job.render_ms = int((time.monotonic() - started) * 1000)
    job.error = ""
    job.next_attempt_at = None
    job.save(
        update_fields=[
            "status",
            "path",
            "sha256",
            "size",
            "issued_report",
            "finished_at",
            "render_ms",
            "error",
            "next_attempt_at",
        ]
    )
    return job


def _mark_failed(job: PreparedFile, exc: BaseException) -> PreparedFile:
    now = timezone.now()
    job.status = PreparedFile.Status.FAILED
    job.error = _error_text(exc)
    job.finished_at = now
    job.next_attempt_at = now + backoff(job.attempts) if job.attempts < MAX_ATTEMPTS else None
    job.save(update_fields=["status", "error", "finished_at", "next_attempt_at"])
    return job


def _requeue(job: PreparedFile) -> None:
    """Back to pending and re-sent after the commit."""
    job.status = PreparedFile.Status.PENDING
    job.next_attempt_at = None
    job.save(update_fields=["status", "next_attempt_at", "requested_by", "requested_by_label"])
    transaction.on_commit(lambda: enqueue.prepared_file_render(job))


def prepared_file_retry(*, job: PreparedFile, actor, request=None) -> PreparedFile:
    """Legal staff retry a failed render now; they become who asked for it (an evidence report names them). The
    retry is in the audit log with the failure it answered."""
    with transaction.atomic():
        job = PreparedFile.objects.select_for_update().get(pk=job.pk)
        if job.status != PreparedFile.Status.FAILED:
            raise ApplicationError(NOT_FAILED.format(status=job.get_status_display().lower()))
        events.prepared_file_retried(job=job, error=job.error, attempts=job.attempts, actor=actor, request=request)
        for field, value in _actor_fields(actor).items():
            setattr(job, field, value)
        _requeue(job)
    return job


def prepared_files_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-send what a lost task left: pending rows never started, renders stuck past STUCK_AFTER, failed rows
    whose retry time has come (until MAX_ATTEMPTS). Returns how many rows were sent again."""
    now = now or timezone.now()
    lost = Q(status=PreparedFile.Status.PENDING) & (
        Q(enqueued_at__lt=now - LOST_AFTER) | Q(enqueued_at__isnull=True, created_at__lt=now - LOST_AFTER)
    )
    stuck = Q(status=PreparedFile.Status.RENDERING, started_at__lt=now - STUCK_AFTER)
    due = Q(status=PreparedFile.Status.FAILED, next_attempt_at__lte=now)
    sent = 0
    for job_id in PreparedFile.objects.filter(lost | stuck | due).order_by("id").values_list("id", flat=True)[:500]:
        with transaction.atomic():
            job = PreparedFile.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None:
                continue
            if job.status == PreparedFile.Status.FAILED:
                job.status = PreparedFile.Status.PENDING
                job.next_attempt_at = None
                job.save(update_fields=["status", "next_attempt_at"])
            transaction.on_commit(partial(enqueue.prepared_file_render, job))
        sent += 1
    return sent


def prepared_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files (and rows) stored under PREPARED_DIR more than KEEP_FOR ago. Evidence reports (under
    `reports/`, recorded as issued) and the DPA cache are never touched. Asking again renders anew. Returns how many
    were deleted."""
    now = now or timezone.now()
    old = PreparedFile.objects.filter(
        created_at__lt=now - KEEP_FOR, issued_report__isnull=True, path__startswith=f"{PREPARED_DIR}/"
    ).exclude(status=PreparedFile.Status.RENDERING)
    deleted = 0
    for job in old.order_by("id")[:500]:
        default_storage.delete(job.path)
        job.delete()
        deleted += 1
    return deleted


def may_retry(user, job: PreparedFile) -> bool:
    """Legal staff (holding the row's permission, if it names one) may retry a failed render."""
    return is_staff_verified(user) and (not job.permission or user.has_perm(job.permission))
