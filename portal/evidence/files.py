"""Stored evidence files (executed DPAs, agreements for signature, trust documents, issued reports) are served only
when their bytes still match the SHA-256 recorded when they were stored.

`open_verified` reads the file once, hashing it in chunks into a spooled temporary file, and returns that copy: what
is served is exactly what was hashed, never a second read of a file that may have changed in between. A changed or
missing file raises `EvidenceIntegrityError` after an `evidence.integrity_failed` audit row is committed and the
legal lead is emailed (once per file per day); `EvidenceIntegrityMiddleware` (portal.evidence.middleware)
answers the request with a 503 page.

The audit row must outlive the caller's transaction. Requests are not atomic (ATOMIC_REQUESTS is off), so a
download records the failure at once, in its own committed transaction. Called inside a transaction, the failure is
recorded when the exception reaches the middleware (after that transaction rolled back); code that catches the
exception itself calls `integrity_failure_record` after its transaction.

`verify_evidence_files` (command) and `evidence_files_sweep` (daily beat task) check every file that an app
registered with `@evidence_source`.
"""

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from portal.audit.services import Actor
from portal.deadlines.calendar import local_date
from portal.delivery.outbox import email_queue
from portal.evidence import events

CHUNK_BYTES = 64 * 1024
SPOOL_MAX_BYTES = 8 * 1024 * 1024  # larger files spill to a temporary file on disk
ALERT_TEMPLATE = "evidence_integrity_failed"


class EvidenceIntegrityError(Exception):
    """A stored evidence file is missing or no longer has its recorded SHA-256; nothing of it may be served."""

    def __init__(self, *, path: str, expected: str, actual: str | None, what: str, context: dict | None = None):
        self.path = path
        self.expected = expected
        self.actual = actual  # None: the file is missing
        self.what = what
        self.context = context or {}
        self.recorded = False
        state = "is missing" if self.missing else f"has SHA-256 {actual}, expected {expected}"
        super().__init__(f"{what} {path} {state}")

    @property
    def missing(self) -> bool:
        return self.actual is None


@dataclass(frozen=True)
class EvidenceFile:
    """One stored file and the SHA-256 recorded for it, as a sweep sees it."""

    path: str
    sha256: str
    what: str
    target: Model | None = field(default=None, compare=False)
    organisation: object = field(default=None, compare=False)
    storage: object = field(default=None, compare=False)


_SOURCES: dict[str, Callable[[], Iterable[EvidenceFile]]] = {}


def evidence_source(name: str):
    """Register a function yielding `EvidenceFile`s for the sweep and the command (call it from AppConfig.ready)."""

    def register(func):
        _SOURCES[name] = func
        return func

    return register


def evidence_sources() -> dict[str, Callable[[], Iterable[EvidenceFile]]]:
    return dict(_SOURCES)


def _read_hashed(*, path: str, storage, sink=None) -> str | None:
    """Stream the stored file through SHA-256 (and into `sink`); None if it is missing."""
    digest = hashlib.sha256()
    try:
        with storage.open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def evidence_file_hash(*, path: str, storage=None) -> str | None:
    """The SHA-256 of the stored file now, or None if it is missing."""
    if not path:
        return None
    return _read_hashed(path=path, storage=storage or default_storage)


def open_verified(
    *,
    path: str,
    sha256: str,
    what: str,
    target: Model | None = None,
    organisation=None,
    request=None,
    actor=None,
    storage=None,
):
    """The stored file as a readable copy positioned at 0 (close it, or hand it to FileResponse), if its SHA-256 is
    `sha256`. Otherwise record the failure (audit + legal lead) and raise EvidenceIntegrityError.

    `what` names the file for people ("executed DPA"); `actor` is who asked when that is not the request's user
    (an `Actor`, e.g. a signatory link)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115 - returned open to the caller
    actual = _read_hashed(path=path, storage=storage or default_storage, sink=spool) if path else None
    if actual is not None and actual == (sha256 or "").lower():
        spool.seek(0)
        return spool
    spool.close()
    context = {"target": target, "organisation": organisation, "request": request, "actor": actor}
    error = EvidenceIntegrityError(path=path, expected=sha256, actual=actual, what=what, context=context)
    integrity_failure_record(error=error)
    raise error


def read_verified(**kwargs) -> bytes:
    """`open_verified`, read into bytes (for PDFs that are stamped or sent whole)."""
    with open_verified(**kwargs) as fh:
        return fh.read()


def _in_callers_transaction() -> bool:
    """True inside an atomic block other than a test case's own (whose rows a test can still read)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _requested_by(*, request, actor) -> Actor:
    """Who asked for the file, as the audit row names them."""
    if isinstance(actor, Actor):
        return actor
    user = actor or getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return Actor(label=user.email, user=user)
    return Actor(label="anonymous visitor" if request is not None else "system")


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


def integrity_failure_record(*, error: EvidenceIntegrityError) -> bool:
    """Write the audit row and queue the legal lead's alert for `error`, in a transaction of their own, once per
    error. Returns False if it was recorded already, or cannot be yet: inside a caller's transaction the row would
    be rolled back with it, so it waits for a call after that transaction (the middleware's, for requests)."""
    if error.recorded or _in_callers_transaction():
        return False
    ctx = error.context
    request, actor = ctx.get("request"), ctx.get("actor")
    who = _requested_by(request=request, actor=actor)
    now = timezone.now()
    with transaction.atomic(durable=True):
        events.evidence_integrity_failed(error=error, requested_by=who, view=_view_name(request), request=request)
        _alert_legal_lead(error=error, who=who.label, now=now)
    error.recorded = True
    return True


def _alert_legal_lead(*, error: EvidenceIntegrityError, who: str, now) -> None:
    # One email per file per (portal-local) day, however often it is requested or swept; each attempt is audited.
    path_key = hashlib.sha256(error.path.encode()).hexdigest()[:32]
    organisation = error.context.get("organisation")
    email_queue(
        key=f"evidence-integrity:{path_key}:{local_date(now).isoformat()}",
        to=settings.PORTAL_LEGAL_LEAD_EMAIL,
        template=ALERT_TEMPLATE,
        context={"error": error, "who": who, "now": now},
        organisation=organisation if isinstance(organisation, Model) else None,
        ref=error.context.get("target"),
    )


def evidence_files() -> Iterator[EvidenceFile]:
    """Every registered stored file once (by path and recorded hash), source by source."""
    seen: set[tuple[str, str]] = set()
    for source in _SOURCES.values():
        for item in source():
            if (item.path, item.sha256) not in seen:
                seen.add((item.path, item.sha256))
                yield item


def evidence_files_verify(*, alert: bool, actor: Actor) -> tuple[int, list[EvidenceIntegrityError]]:
    """Check every registered file. Returns (files checked, failures); with `alert`, each failure is audited and
    the legal lead emailed (once per file per day)."""
    checked = 0
    failures = []
    for item in evidence_files():
        checked += 1
        actual = evidence_file_hash(path=item.path, storage=item.storage)
        if actual is not None and actual == item.sha256.lower():
            continue
        context = {"target": item.target, "organisation": item.organisation, "actor": actor}
        error = EvidenceIntegrityError(
            path=item.path, expected=item.sha256, actual=actual, what=item.what, context=context
        )
        if alert:
            integrity_failure_record(error=error)
        failures.append(error)
    return checked, failures
