"""The proof-of-notice report (PDF) of a change, issued as evidence."""

import datetime as dt
import hashlib
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.evidence.models import IssuedReport
from portal.evidence.selectors import issued_report_by_sha256
from subprocessors.changes.models import ChangeRecipient
from subprocessors.changes.services import change_announce
from subprocessors.changes.windows import earliest_effective_date
from tests.auth import login
from tests.changes.factories import bulk_organisations, make_change
from tests.listing.factories import SubscriberFactory
from tests.organisations.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 12, 14, 10, 0, tzinfo=AMS)  # 10 business days before Tuesday 29 December
EFFECTIVE = dt.date(2026, 12, 29)


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600  # the tests travel ahead of a login


def _text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


def _announce(django_capture_on_commit_callbacks, legal, *, kind="add"):
    change = make_change(kind=kind, effective_date=EFFECTIVE)
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        change_announce(change=change, effective_date=None, actor=legal, now=MONDAY)
    change.refresh_from_db()
    return change


@pytest.fixture
def announced(django_capture_on_commit_callbacks, legal, org, other_org):
    """Announced to three enterprise customers and a subscriber: Acme's notice delivered in time, Globex's
    refused by its mail server, Initech's delivered after the deadline."""
    late_org = OrganisationFactory(name="Initech N.V.")
    SubscriberFactory(email="reader@news.example", status="confirmed")
    change = _announce(django_capture_on_commit_callbacks, legal)
    failed = OutboundEmail.objects.get(to_email=other_org.privacy_contact_email)
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", sent_at=None, last_error="550 mailbox unknown")
    ChangeRecipient.objects.filter(change=change, email=other_org.privacy_contact_email).update(
        notice_delivered_at=None
    )
    ChangeRecipient.objects.filter(change=change, email=late_org.privacy_contact_email).update(
        notice_delivered_at=change.notice_deadline_at + dt.timedelta(hours=2)
    )
    return change


def _url(change):
    return reverse("notices:staff_notice_report", args=[change.public_id])


def test_report_shows_what_was_announced_and_every_address_with_its_outcome_and_verdict(
    client, legal, org, other_org, announced
):
    login(client, legal)
    response = client.get(_url(announced))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="proof-of-notice-{announced.public_id}.pdf"'
    text = _text(response.content)
    assert "Proof of notice of a sub-processor change" in text
    assert announced.headline in text
    assert "Announced 2026-12-14 10:00:00 CET" in text
    assert "Effective date Tuesday 29 December 2026" in text
    earliest = earliest_effective_date(announced.kind, announced.announced_at)
    assert f"Earliest effective date {earliest:%A %-d %B %Y} (announced on 14 December 2026 + 10 business days)" in text
    assert "Notice deadline Tuesday 15 December 2026 00:00 CET" in text
    assert "business days after the local date of the announcement" in text
    # every address, with its outcome
    delivered = OutboundEmail.objects.get(to_email=org.privacy_contact_email)
    assert org.privacy_contact_email in text
    assert f"Message-ID{delivered.message_id}" in text.replace(" ", "")
    assert "Globex GmbH" in text
    assert "550 mailbox unknown" in text
    assert "reader@news.example" in text
    assert "Public subscriber" in text
    assert "in time" in text
    assert "late: delivered after the deadline" in text
    # totals, and who is still without a notice in time
    assert "Addresses 4" in text
    assert "Announcement 3 delivered · 1 failed · 0 queued · 0 not yet queued" in text
    assert "Enterprise customers without a notice in time 2: Globex GmbH, Initech N.V." in text
    assert "by counsel@processor.example" in text


def test_issuing_records_the_exact_bytes_and_audits_them(client, legal, announced):
    login(client, legal)
    response = client.get(_url(announced))
    sha = hashlib.sha256(response.content).hexdigest()
    assert response["X-Report-SHA256"] == sha
    report = IssuedReport.objects.get()
    assert (report.kind, report.subject_type, report.subject_id) == (
        "notice_proof",
        "changes.SubprocessorChange",
        str(announced.pk),
    )
    assert report.sha256 == sha
    assert report.size == len(response.content)
    assert report.issued_by == legal
    assert report.issued_by_label == "counsel@processor.example"
    assert report.path.startswith("reports/notice_proof/")
    with default_storage.open(report.path, "rb") as fh:
        assert fh.read() == response.content
    event = AuditEvent.objects.get(action="report.issued")
    assert event.details["kind"] == "notice_proof"
    assert event.details["sha256"] == sha
    assert (event.target_type, event.target_id, event.actor_label) == (
        "changes.SubprocessorChange",
        str(announced.pk),
        "counsel@processor.example",
    )
    found = issued_report_by_sha256(sha.upper())
    assert found == report
    assert found.description.startswith(f"This is the proof-of-notice report of change “{announced.headline}”")
    assert found.description.endswith("by counsel@processor.example.")


def test_each_download_is_a_new_issue(client, legal, announced):
    login(client, legal)
    first = client.get(_url(announced)).content
    second = client.get(_url(announced)).content
    assert IssuedReport.objects.count() == 2
    assert AuditEvent.objects.filter(action="report.issued").count() == 2
    assert issued_report_by_sha256(hashlib.sha256(first).hexdigest()) is not None
    assert issued_report_by_sha256(hashlib.sha256(second).hexdigest()) is not None


def test_notice_page_links_the_report(client, legal, announced):
    login(client, legal)
    page = client.get(reverse("notices:staff_notice", args=[announced.public_id])).content.decode()
    assert _url(announced) in page


def test_a_draft_has_no_notice_to_report(client, legal):
    change = make_change()
    login(client, legal)
    page = client.get(reverse("notices:staff_notice", args=[change.public_id])).content.decode()
    assert _url(change) not in page
    response = client.get(_url(change), follow=True)
    assert response.redirect_chain[-1][0] == reverse("notices:staff_notice", args=[change.public_id])
    assert "This change was never announced: there is no notice to report on." in response.content.decode()
    assert not IssuedReport.objects.exists()
    assert not AuditEvent.objects.filter(action="report.issued").exists()


def test_removal_has_no_notice_deadline_verdict(client, legal, org, django_capture_on_commit_callbacks):
    change = _announce(django_capture_on_commit_callbacks, legal, kind="remove")
    login(client, legal)
    text = _text(client.get(_url(change)).content)
    assert "may take effect at once" in text
    assert "no notice period for this kind of change" in text
    assert "Notice deadline" not in text


def test_unknown_change_is_404(client, legal):
    login(client, legal)
    assert (
        client.get(reverse("notices:staff_notice_report", args=["8d9f3a52-3a47-4a4b-9a3e-5d5d2f0c1a11"])).status_code
        == 404
    )


def _staff_with_mfa():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = UserFactory(is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def test_only_legal_staff_with_mfa_may_issue_it(client, member, legal_no_mfa, announced):
    url = _url(announced)
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    login(client, member)
    assert client.get(url).status_code == 403  # a customer
    login(client, _staff_with_mfa())
    assert client.get(url).status_code == 403  # staff, not legal
    login(client, legal_no_mfa)
    response = client.get(url)
    assert response.status_code == 302
    assert "totp" in response["Location"]
    assert not IssuedReport.objects.exists()


def test_many_recipients_cost_no_more_queries_and_every_page_keeps_its_header(
    client, legal, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    bulk_organisations(240)
    change = _announce(django_capture_on_commit_callbacks, legal)
    assert ChangeRecipient.objects.filter(change=change).count() == 240
    login(client, legal)
    with django_assert_max_num_queries(22):  # as for 3: session, permissions, 7 reads, 8 writes, log line's orgs
        response = client.get(_url(change))
    pages = PdfReader(BytesIO(response.content)).pages
    assert len(pages) > 3
    for number, page in enumerate(pages[2:], start=3):
        text = " ".join(page.extract_text().split())
        assert f"Page {number} of {len(pages)}" in text
        assert "Proof of notice · " + change.headline in text
        assert "Address, as, for organisations" in text  # the table header repeats on every page
    text = _text(response.content)
    assert all(f"privacy{i:05d}@bulk.example" in text for i in range(240))


# --- signed (PAdES) ---------------------------------------------------------------------------------------


def _signature(content: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    signatures = PdfFileReader(BytesIO(content)).embedded_signatures
    assert len(signatures) == 1
    return signatures[0]


def test_report_is_signed_by_us_and_validates_against_the_ca(client, legal, announced):
    from pyhanko.sign.validation import validate_pdf_signature

    from portal.evidence import signing

    login(client, legal)
    content = client.get(_url(announced)).content
    signature = _signature(content)
    status = validate_pdf_signature(signature, signer_validation_context=signing.validation_context())
    assert status.bottom_line
    assert status.intact
    assert status.trusted
    assert signing.certificate_owner(status.signing_cert) == "Routewise B.V."
    assert signature.sig_object["/Reason"] == f"Proof of notice of the sub-processor change “{announced.headline}”"
    assert IssuedReport.objects.get().signed is True


def test_signed_report_validates_with_the_independent_cli(client, legal, announced, test_pki, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    login(client, legal)
    path = tmp_path / "proof.pdf"
    path.write_bytes(client.get(_url(announced)).content)
    cli = Path(sys.executable).with_name("pyhanko")
    result = subprocess.run(
        [cli, "sign", "validate", "--trust", test_pki.ca_pem, "--no-revocation-check", "--pretty-print", path],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The signer's certificate is trusted." in result.stdout
    assert "The signature is cryptographically sound." in result.stdout
    assert "The signature covers the entire file." in result.stdout
    assert "The signature is judged VALID." in result.stdout


def test_report_is_timestamped_with_a_tsa(client, legal, announced, tsa):
    from pyhanko.sign.validation import validate_pdf_signature

    from portal.evidence import signing

    login(client, legal)
    status = validate_pdf_signature(
        _signature(client.get(_url(announced)).content), signer_validation_context=signing.validation_context()
    )
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted


def test_without_signing_configured_the_report_is_issued_unsigned(client, legal, announced, unsigned):
    from pyhanko.pdf_utils.reader import PdfFileReader

    login(client, legal)
    response = client.get(_url(announced))
    assert response.status_code == 200
    assert PdfFileReader(BytesIO(response.content)).embedded_signatures == []
    report = IssuedReport.objects.get()
    assert report.signed is False
    assert report.sha256 == hashlib.sha256(response.content).hexdigest()


def test_signing_failure_issues_nothing(client, legal, announced, monkeypatch):
    from portal.evidence import signing

    def broken(*args, **kwargs):
        raise TimeoutError("TSA did not answer")

    monkeypatch.setattr(signing, "_sign_pdf", broken)
    login(client, legal)
    response = client.get(_url(announced), follow=True)
    assert response.redirect_chain[-1][0] == reverse("notices:staff_notice", args=[announced.public_id])
    assert signing.SIGNING_FAILED in response.content.decode().replace("&#x27;", "'")
    assert not IssuedReport.objects.exists()
    assert not AuditEvent.objects.filter(action="report.issued").exists()


# --- large changes: prepared by a worker, listed on the notice page, downloaded as issued ---------------------


@pytest.fixture
def background(monkeypatch):
    from subprocessors.notices import reports

    monkeypatch.setattr(reports, "BACKGROUND_FROM_RECIPIENTS", 3)  # the `announced` change has 4 addresses


def test_a_large_change_is_issued_by_a_worker_and_listed_on_the_notice_page(client, legal, announced, background):
    from subprocessors.notices.views import REPORT_QUEUED

    login(client, legal)
    response = client.get(_url(announced), follow=True)
    notice_page = reverse("notices:staff_notice", args=[announced.public_id])
    assert response.redirect_chain[-1][0] == notice_page
    assert "The proof-of-notice report is being prepared" in response.content.decode()
    assert REPORT_QUEUED.startswith("The proof-of-notice report is being prepared")
    report = IssuedReport.objects.get()  # the task ran (eager in tests)
    assert report.kind == "notice_proof"
    assert report.issued_by == legal
    assert report.signed is True
    event = AuditEvent.objects.get(action="report.issued")
    assert event.actor_label == "counsel@processor.example"
    assert event.details["sha256"] == report.sha256
    page = client.get(notice_page).content.decode()
    download = reverse("evidence:staff_report", args=[report.public_id])
    assert download in page
    assert report.sha256 in page
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == report.sha256
    assert response["X-Report-SHA256"] == report.sha256
    assert "reader@news.example" in _text(response.content)
    downloaded = AuditEvent.objects.get(action="report.downloaded")
    assert downloaded.details == {"kind": "notice_proof", "sha256": report.sha256}
    assert IssuedReport.objects.count() == 1  # downloading again issues nothing new


def test_broker_down_issues_nothing_and_says_so(client, legal, announced, background, monkeypatch):
    from subprocessors.notices import tasks
    from subprocessors.notices.reports import REPORT_QUEUE_FAILED

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.notice_proof_issue_task, "delay", down)
    login(client, legal)
    response = client.get(_url(announced), follow=True)
    assert REPORT_QUEUE_FAILED in response.content.decode()
    assert not IssuedReport.objects.exists()


def _issued(client, legal, announced) -> IssuedReport:
    login(client, legal)
    client.get(_url(announced))
    return IssuedReport.objects.get()


def test_a_stored_copy_that_was_altered_is_not_served(client, legal, announced, mailoutbox):
    report = _issued(client, legal, announced)
    default_storage.delete(report.path)
    default_storage.save(report.path, BytesIO(b"%PDF-1.7 something else"))
    response = client.get(reverse("evidence:staff_report", args=[report.public_id]))
    assert response.status_code == 503
    assert "failed its integrity check and was not sent" in response.content.decode()
    assert b"%PDF" not in response.content
    assert not AuditEvent.objects.filter(action="report.downloaded").exists()
    failure = AuditEvent.objects.get(action="evidence.integrity_failed")
    assert failure.details["expected_sha256"] == report.sha256


def test_a_missing_stored_copy_is_explained(client, legal, announced):
    report = _issued(client, legal, announced)
    default_storage.delete(report.path)
    response = client.get(reverse("evidence:staff_report", args=[report.public_id]))
    assert response.status_code == 503
    assert AuditEvent.objects.filter(action="evidence.integrity_failed").exists()


def test_only_legal_staff_with_mfa_may_download_an_issued_report(client, legal, member, legal_no_mfa, announced):
    url = reverse("evidence:staff_report", args=[_issued(client, legal, announced).public_id])
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    login(client, member)
    assert client.get(url).status_code == 403
    login(client, _staff_with_mfa())
    assert client.get(url).status_code == 403
    login(client, legal_no_mfa)
    response = client.get(url)
    assert response.status_code == 302
    assert "totp" in response["Location"]
    assert not AuditEvent.objects.filter(action="report.downloaded").exists()
    login(client, legal)
    assert (
        client.get(reverse("evidence:staff_report", args=["8d9f3a52-3a47-4a4b-9a3e-5d5d2f0c1a11"])).status_code == 404
    )


def test_verify_page_and_api_recognise_an_issued_report_by_its_hash(client, legal, announced):
    report = _issued(client, legal, announced)
    client.logout()
    page = client.post(reverse("signing:verify"), {"sha256": report.sha256})
    assert page.status_code == 200
    body = page.content.decode()
    assert "This is a report issued by" in body
    assert "proof-of-notice report" in body.lower()
    api = client.post(reverse("signing:api_verify"), {"sha256": report.sha256}, content_type="application/json")
    assert api.status_code == 200
    assert api.json()["valid"] is False
    assert api.json()["issued_report"]["kind"] == "notice_proof"
    unknown = client.post(reverse("signing:api_verify"), {"sha256": "0" * 64}, content_type="application/json")
    assert "issued_report" not in unknown.json()
