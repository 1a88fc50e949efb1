"""Factories and helpers for DPA versions and executions."""

import datetime as dt
import hashlib

import factory

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
