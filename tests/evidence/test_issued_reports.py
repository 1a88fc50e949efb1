"""Issued evidence reports: stored byte for byte, recorded, audited, append-only, found by hash."""

import hashlib
import os

import pytest
from django.core.files.storage import default_storage

from portal.audit.models import AppendOnlyError, AuditEvent
from portal.evidence import reports
from portal.evidence.models import IssuedReport
from portal.evidence.reports import html_to_pdf, pdf_is_signed, report_issue
from portal.evidence.selectors import issued_report_by_sha256
from portal.evidence.signing import sign_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return html_to_pdf("<p>Evidence</p>")


def _issue(content, actor, **kwargs):
    return report_issue(
        kind=IssuedReport.Kind.DPA_REGISTER,
        content=content,
        label="the 0 executed DPAs as of 3 December 2026 11:00 CET",
        actor=actor,
        stem="dpa-register-2026-12-03",
        **kwargs,
    )


def test_issue_stores_records_and_audits(legal, pdf):
    report = _issue(pdf, legal)
    sha = hashlib.sha256(pdf).hexdigest()
    assert report.sha256 == sha
    assert report.size == len(pdf)
    assert report.signed is False
    assert report.path.startswith("reports/dpa_register/")
    assert report.path.endswith(f"dpa-register-2026-12-03-{sha[:16]}.pdf")
    with default_storage.open(report.path, "rb") as fh:
        assert fh.read() == pdf
    event = AuditEvent.objects.get(action="report.issued")
    assert event.details == {
        "report": report.pk,
        "kind": "dpa_register",
        "sha256": sha,
        "bytes": len(pdf),
        "signed": False,
        "path": report.path,
    }


def test_signed_bytes_are_recorded_as_signed(legal, pdf):
    signed = sign_pdf(pdf, reason="Test")
    assert pdf_is_signed(signed)
    assert not pdf_is_signed(pdf)
    assert not pdf_is_signed(b"not a pdf")
    assert _issue(signed, legal).signed is True


def test_the_same_bytes_issued_twice_are_two_records_and_the_lookup_names_the_first(legal, pdf):
    first = _issue(pdf, legal)
    second = _issue(pdf, legal)
    assert first.path != second.path  # the storage never overwrites an issued file
    assert issued_report_by_sha256(first.sha256) == first


@pytest.mark.parametrize("value", [None, "", "abc", "g" * 64, "0" * 63, "0" * 65])
def test_lookup_of_anything_but_a_sha256_finds_nothing(value):
    assert issued_report_by_sha256(value) is None


def test_lookup_ignores_case_and_spaces(legal, pdf):
    report = _issue(pdf, legal)
    assert issued_report_by_sha256(f"  {report.sha256.upper()} ") == report
    assert issued_report_by_sha256("0" * 64) is None


def test_description_says_what_and_when_and_by_whom(legal, pdf):
    report = _issue(pdf, legal)
    assert report.description.startswith(
        "This is the signed-DPA register of the 0 executed DPAs as of 3 December 2026 11:00 CET, issued on "
    )
    assert report.description.endswith(" by counsel@processor.example.")


def test_records_are_append_only(legal, pdf):
    report = _issue(pdf, legal)
    report.label = "something else"
    with pytest.raises(AppendOnlyError):
        report.save()
    with pytest.raises(AppendOnlyError):
        report.delete()
    with pytest.raises(AppendOnlyError):
        IssuedReport.objects.filter(pk=report.pk).update(label="x")
    with pytest.raises(AppendOnlyError):
        IssuedReport.objects.all().delete()
    assert IssuedReport.objects.get().label.startswith("the 0 executed DPAs")


def test_when_recording_fails_the_stored_file_is_removed(legal, pdf, monkeypatch, settings):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(reports.events, "report_issued", broken)
    with pytest.raises(RuntimeError):
        _issue(pdf, legal)
    assert not IssuedReport.objects.exists()
    root = settings.PRIVATE_STORAGE_ROOT / "reports"
    assert not [f for _, _, files in os.walk(root) for f in files]


def test_deleting_the_user_keeps_who_issued_it(pdf):
    from tests.organisations.factories import UserFactory

    user = UserFactory(email="former@processor.example")
    report = _issue(pdf, user)
    user.delete()
    report = IssuedReport.objects.get(pk=report.pk)
    assert report.issued_by_label == "former@processor.example"
