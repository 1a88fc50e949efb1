"""The agreement for signature, rendered by a worker from the annex the request recorded.

With the whole sub-processor list in Annex 1, WeasyPrint needs most of a minute for the agreement, longer than a
web worker may take. So the request (and a re-preparation when the list changed) only records the annex — the
moment, the rows and their SHA-256 — in its transaction and leaves the agreement empty ("being prepared"); after
the commit a worker renders the agreement FROM THOSE RECORDED ROWS, so the document is exactly the annex that was
recorded, and writes its path and SHA-256 only if the execution still waits for its signatory with that same
annex (a re-preparation in between wins and this render is discarded). Nobody can sign before that.

The job record is the execution row itself, not a `PreparedFile`: a prepared file names an immutable version of
its content that its task can re-read at any time, whereas the annex lives on the execution and a re-preparation
replaces it, so a job keyed by an older annex would be left with nothing to render and no honest way to end.

Failures: a render that raises is recorded on the row (`agreement_error`, shown to legal staff; the signatory
is told it takes longer than usual) and `dpa_agreements_sweep` (beat) sends it again after a back-off, as it
sends executions whose task was lost, until MAX_ATTEMPTS renders have failed."""

import datetime as dt
import logging
import time
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dpa.signing import enqueue, events
from dpa.signing.models import DpaExecution
from dpa.versions.annex import AnnexSnapshot, annex_sha256
from dpa.versions.pdf import version_pdf
from portal.core.errors import ApplicationError
from portal.evidence.prepared import backoff

# A render not attached this long after it was sent was lost on the way (or is still failing): send it again.
LOST_AFTER = dt.timedelta(minutes=2)
# After this many failed renders of the same annex the sweep stops; the pages say it could not be prepared.
MAX_ATTEMPTS = 6
NOT_FAILED = "The agreement is not waiting for another attempt: it is ready, or the request is no longer open."
ANNEX_NOT_RECORDED = "Execution {id} has no recorded annex to render."
ANNEX_TAMPERED = "The recorded annex rows of execution {id} no longer have the recorded SHA-256; nothing is rendered."

logger = logging.getLogger(__name__)


def recorded_annex(execution: DpaExecution) -> AnnexSnapshot:
    """Annex 1 exactly as recorded on the execution (the rows and the moment), never the list read again: what
    the worker renders is what the request recorded. Rows that no longer match their recorded SHA-256 are
    refused rather than printed."""
    if execution.annex_as_of is None or execution.annex_rows is None or not execution.annex_sha256:
        raise ApplicationError(ANNEX_NOT_RECORDED.format(id=execution.public_id))
    if annex_sha256(execution.annex_rows) != execution.annex_sha256:
        raise ApplicationError(ANNEX_TAMPERED.format(id=execution.public_id))
    return AnnexSnapshot(as_of=execution.annex_as_of, rows=execution.annex_rows)


def agreement_waiting(execution: DpaExecution) -> bool:
    """The execution waits for its signatory and its agreement is not rendered yet."""
    return execution.status == DpaExecution.Status.AWAITING_SIGNATORY and not execution.agreement_ready


def agreement_failed(execution: DpaExecution) -> bool:
    """Every render allowed for this annex failed: the sweep has stopped; legal staff must look at the error."""
    return agreement_waiting(execution) and execution.agreement_attempts >= MAX_ATTEMPTS


def _waiting_rows():
    return DpaExecution.objects.filter(status=DpaExecution.Status.AWAITING_SIGNATORY, agreement_sha256="")


def _claim(execution_id: int) -> DpaExecution | None:
    """Count the attempt and return the row to render, or None when there is nothing to do (rendered already,
    no longer waiting for its signatory, link expired): the task is idempotent."""
    with transaction.atomic():
        execution = (
            _waiting_rows().select_for_update().select_related("organisation", "version").filter(pk=execution_id)
        ).first()
        if execution is None or execution.link_expires_at <= timezone.now():
            return None
        execution.agreement_attempts += 1
        execution.save(update_fields=["agreement_attempts", "updated_at"])
    return execution


def _rendered_for(execution: DpaExecution, annex: AnnexSnapshot) -> Q:
    """The execution as the render found it: still waiting, with the same annex (same rows, same moment)."""
    return Q(pk=execution.pk, annex_sha256=annex.sha256, annex_as_of=annex.as_of)


def _record_failure(execution: DpaExecution, annex: AnnexSnapshot, exc: BaseException) -> None:
    message = exc.message if isinstance(exc, ApplicationError) else f"{type(exc).__name__}: {exc}"
    _waiting_rows().filter(_rendered_for(execution, annex)).update(
        agreement_error=message[:2000], updated_at=timezone.now()
    )


def _attach(execution: DpaExecution, annex: AnnexSnapshot, *, path: str, sha256: str, render_ms: int) -> bool:
    """Write the rendered agreement on the execution if it still waits for it with the annex it was rendered
    from. False (the render is discarded) when the list changed and the agreement was re-prepared meanwhile, or
    the request was declined, expired or signed."""
    with transaction.atomic():
        current = (
            _waiting_rows()
            .select_for_update()
            .select_related("organisation", "version")
            .filter(_rendered_for(execution, annex))
            .first()
        )
        if current is None:
            logger.info("Discarding the agreement rendered for execution %s: it moved on", execution.pk)
            return False
        current.agreement_path, current.agreement_sha256 = path, sha256
        current.agreement_error = ""
        current.save(update_fields=["agreement_path", "agreement_sha256", "agreement_error", "updated_at"])
        events.dpa_agreement_prepared(execution=current, render_ms=render_ms)
    return True


def dpa_execution_agreement_render(*, execution_id: int) -> bool:
    """The body of the render task: render the agreement from the recorded annex (outside any transaction: it
    takes up to a minute) and attach it if still wanted. Returns True when this call attached it. A render
    that raises is recorded on the row and raised again."""
    execution = _claim(execution_id)
    if execution is None:
        return False
    started = time.monotonic()
    try:
        annex = recorded_annex(execution)
    except ApplicationError as exc:
        _waiting_rows().filter(pk=execution.pk).update(agreement_error=exc.message, updated_at=timezone.now())
        raise
    try:
        stored = version_pdf(execution.version, controller_name=execution.organisation.name, annex=annex)
        sha256 = stored.sha256
    except Exception as exc:
        logger.exception("Rendering the DPA agreement for execution %s failed", execution.pk)
        _record_failure(execution, annex, exc)
        raise
    render_ms = int((time.monotonic() - started) * 1000)
    return _attach(execution, annex, path=stored.path, sha256=sha256, render_ms=render_ms)


def agreement_render_on_commit(execution: DpaExecution) -> None:
    """After the caller's commit (which recorded the annex), send the render to a worker."""
    execution_id = execution.pk
    transaction.on_commit(lambda: enqueue.agreement_render(execution_id))


def _due(execution: DpaExecution, now: dt.datetime) -> bool:
    """Sent long enough ago to be lost (or failed and due for another try after its back-off)."""
    sent = execution.agreement_enqueued_at or execution.annex_as_of or execution.created_at
    return sent <= now - max(LOST_AFTER, backoff(execution.agreement_attempts))


def dpa_agreements_sweep(*, now: dt.datetime | None = None) -> int:
    """Beat: send again the agreements a lost task left unrendered and the failed ones due for another try
    (until MAX_ATTEMPTS), for requests still waiting for their signatory. Returns how many were sent."""
    now = now or timezone.now()
    waiting = _waiting_rows().filter(link_expires_at__gt=now, agreement_attempts__lt=MAX_ATTEMPTS).order_by("id")
    sent = 0
    for execution in waiting[:500]:
        if _due(execution, now):
            transaction.on_commit(partial(enqueue.agreement_render, execution.pk))
            sent += 1
    return sent


def dpa_execution_agreement_retry(*, execution: DpaExecution, actor, request=None) -> DpaExecution:
    """Legal staff try a failed render again now (after the sweep gave up, or without waiting for its back-off):
    the attempts start again and the render is sent after the commit. Refused once the agreement is there or the
    request no longer waits for its signatory. The retry is in the audit log with the failure it answered."""
    with transaction.atomic():
        current = _waiting_rows().select_for_update().filter(pk=execution.pk).first()
        if current is None or not current.agreement_error:
            raise ApplicationError(NOT_FAILED)
        events.dpa_agreement_retried(
            execution=current,
            error=current.agreement_error,
            attempts=current.agreement_attempts,
            actor=actor,
            request=request,
        )
        current.agreement_attempts = 0
        current.agreement_error = ""
        current.save(update_fields=["agreement_attempts", "agreement_error", "updated_at"])
        agreement_render_on_commit(current)
    return current
