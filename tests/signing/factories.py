"""Factories and helpers for DPA versions and executions."""

import datetime as dt
import hashlib
import uuid

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, TestCase
from django.utils import timezone

from dpa.versions import sample_dpa
from dpa.versions.models import DpaVersion

_RENDERED: dict[str, bytes] = {}


class DpaVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DpaVersion

    label = factory.Sequence(lambda n: f"2026.{n + 1}")
    title = "Data Processing Agreement"
    body = factory.LazyFunction(lambda: sample_dpa.body("current", "Routewise B.V."))
    change_summary = "Clearer breach clause."
    effective_date = dt.date(2026, 1, 1)


def publish(version, actor=None):
    from dpa.versions.services import dpa_version_publish

    return dpa_version_publish(version=version, actor=actor)


def published_version(**kwargs) -> DpaVersion:
    return publish(DpaVersionFactory(**kwargs))


def memoize_pdf(monkeypatch):
    """Render each distinct HTML once per test session (WeasyPrint takes a second or two per document)."""
    from dpa.signing import pdf as signing_pdf
    from dpa.versions import pdf

    real = pdf.html_to_pdf
    calls = []

    def memo(html: str) -> bytes:
        calls.append(html)
        key = hashlib.sha256(html.encode()).hexdigest()
        if key not in _RENDERED:
            _RENDERED[key] = real(html)
        return _RENDERED[key]

    monkeypatch.setattr(pdf, "html_to_pdf", memo)
    monkeypatch.setattr(signing_pdf, "html_to_pdf", memo)
    return calls


def committed(func, *args, **kwargs):
    """Call `func` as if its transaction committed: its on_commit callbacks run (with CELERY_TASK_ALWAYS_EAGER the
    worker tasks they enqueue, e.g. rendering the agreement for signature, run right away)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return func(*args, **kwargs)


class CommittingClient(Client):
    """A test client whose requests commit: after each response, the on_commit callbacks run (an eager worker
    renders what the request left "being prepared"), as a real worker would shortly after. The response itself
    is what the browser saw before the worker finished."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def awaiting_countersignature(*, organisation, version, requested_by=None, **fields):
    """An execution the customer's signatory has signed, made without rendering the agreement (a small stored PDF
    stands for it, recorded with its SHA-256): countersigning it renders only the signature page."""
    from dpa.signing.models import DpaExecution
    from portal.trust.stamping import sample_pdf

    content = sample_pdf([f"Agreement for signature {uuid.uuid4()}"])
    path = default_storage.save(f"dpa/agreements/test-{uuid.uuid4()}.pdf", ContentFile(content))
    now = timezone.now()
    values = {
        "organisation": organisation,
        "version": version,
        "requested_by": requested_by,
        "status": DpaExecution.Status.AWAITING_COUNTERSIGNATURE,
        "agreement_path": path,
        "agreement_sha256": hashlib.sha256(content).hexdigest(),
        "signatory_name": "Ines de Vries",
        "signatory_title": "Managing Director",
        "signatory_email": "ines@acme.example",
        "link_expires_at": now + dt.timedelta(days=14),
        "customer_signed_name": "Ines de Vries",
        "customer_signed_at": now,
        **fields,
    }
    return DpaExecution.objects.create(**values)
