"""Factories and helpers for DPA versions and executions."""

import datetime as dt
import hashlib

import factory
from django.test import Client, TestCase

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
