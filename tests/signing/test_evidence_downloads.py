"""Every download of a stored evidence file (the agreement for signature, the executed DPA for the customer and for
staff, trust documents streamed or NDA-stamped) is checked against its recorded SHA-256: an altered or missing file
is a 503 page without its bytes, an audit row per attempt and one email to the legal lead per file per day."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dpa.signing.models import DpaExecution
from dpa.signing.services import token_hash
from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.trust import documents as docs
from portal.trust.models import TrustDocument
from portal.trust.stamping import sample_pdf
from tests.auth import login
from tests.organisations.factories import MembershipFactory, UserFactory
from tests.signing.factories import DpaVersionFactory
from tests.trust.factories import grant, pdf_upload

pytestmark = pytest.mark.django_db

ALTERED = "This file failed its integrity check and was not sent. Our legal team has been alerted"
MISSING = "This file could not be found in storage and was not sent. Our legal team has been alerted"
FAILED = "evidence.integrity_failed"


def _store(name: str, content: bytes) -> tuple[str, str]:
    path = default_storage.save(name, ContentFile(content))
    return path, hashlib.sha256(content).hexdigest()


def _execution(org, *, executed: bool, token: str = "") -> DpaExecution:
    now = timezone.now()
    agreement_path, agreement_sha = _store("dpa/pdf/agreement.pdf", sample_pdf(["Agreement for signature"]))
    fields = {
        "organisation": org,
        "version": DpaVersionFactory(),
        "agreement_path": agreement_path,
        "agreement_sha256": agreement_sha,
        "signatory_name": "Ines de Vries",
        "signatory_title": "Managing Director",
        "signatory_email": "ines@acme.example",
        "token_hash": token_hash(token) if token else None,
        "link_expires_at": now + dt.timedelta(days=14),
    }
    if executed:
        content = sample_pdf(["Executed agreement", secrets.token_hex(8)], pages=2)
        path, sha = _store("dpa/executed/executed.pdf", content)
        fields.update(
            status=DpaExecution.Status.EXECUTED,
            customer_signed_name="Ines de Vries",
            customer_signed_at=now,
            countersigner_name="Lena Jansen",
            countersigned_at=now,
            executed_at=now,
            executed_path=path,
            executed_sha256=sha,
        )
    return DpaExecution.objects.create(**fields)


@dataclass
class Served:
    """One serve path: who asks, at which URL, for which stored file."""

    client: Client
    url: str
    path: str
    stamped: bool = False

    @property
    def view(self) -> str:
        from django.urls import resolve

        return resolve(self.url).view_name

    def get(self):
        return self.client.get(self.url)

    def stored(self) -> bytes:
        with default_storage.open(self.path, "rb") as fh:
            return fh.read()


def _signatory_agreement(org, client, legal):
    token = secrets.token_urlsafe(32)
    execution = _execution(org, executed=False, token=token)
    return Served(client, reverse("signing:sign_pdf", args=[token]), execution.agreement_path)


def _customer_executed(org, client, legal):
    execution = _execution(org, executed=True)
    login(client, MembershipFactory(organisation=org).user)
    url = reverse("signing:executed_pdf", args=[org.public_id, execution.public_id])
    return Served(client, url, execution.executed_path)


def _staff_executed(org, client, legal):
    execution = _execution(org, executed=True)
    login(client, legal)
    return Served(client, reverse("signing:staff_pdf", args=[execution.public_id]), execution.executed_path)


def _staff_agreement(org, client, legal):
    execution = _execution(org, executed=False, token=secrets.token_urlsafe(32))
    login(client, legal)
    return Served(client, reverse("signing:staff_pdf", args=[execution.public_id]), execution.agreement_path)


def _document(level: str):
    def make(org, client, legal):
        doc = docs.document_create(
            title=f"{level} policy",
            category="security_policy",
            access_level=level,
            upload=pdf_upload(f"{level}.pdf", ["Security policy"]),
            version="1.0",
            actor=legal,
        )
        user = UserFactory()
        grant(user, level)
        login(client, user)
        path = TrustDocument.objects.get(pk=doc.pk).current_version.file.name
        return Served(client, reverse("trust:document_file", args=[doc.public_id]), path, stamped=level == "nda")

    return make


PATHS = {
    "signatory agreement": _signatory_agreement,
    "customer executed DPA": _customer_executed,
    "staff executed DPA": _staff_executed,
    "staff agreement for signature": _staff_agreement,
    "trust document (streamed)": _document("approved"),
    "trust document (NDA-stamped)": _document("nda"),
}


@pytest.fixture(params=list(PATHS))
def served(request, org, client, legal) -> Served:
    return PATHS[request.param](org, client, legal)


def _append_byte(served: Served) -> None:
    with open(default_storage.path(served.path), "ab") as fh:
        fh.write(b"\n")


def _alter_byte(served: Served) -> None:
    data = bytearray(served.stored())
    data[len(data) // 2] ^= 0x01
    with open(default_storage.path(served.path), "wb") as fh:
        fh.write(bytes(data))


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _lead_emails(mailoutbox) -> list:
    return [m for m in mailoutbox if m.to == [settings.PORTAL_LEGAL_LEAD_EMAIL]]


def test_an_untampered_file_downloads_with_its_stored_bytes(served):
    stored = served.stored()
    response = served.get()
    assert response.status_code == 200
    body = _body(response)
    if served.stamped:
        assert body.startswith(b"%PDF")
        assert body != stored
    else:
        assert body == stored
    assert not AuditEvent.objects.filter(action=FAILED).exists()


@pytest.mark.parametrize("tamper", [_append_byte, _alter_byte], ids=["appended byte", "altered byte"])
def test_a_tampered_file_is_refused_audited_and_the_legal_lead_emailed_once(
    served, tamper, django_capture_on_commit_callbacks, mailoutbox
):
    expected = hashlib.sha256(served.stored()).hexdigest()
    tamper(served)
    actual = hashlib.sha256(served.stored()).hexdigest()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = served.get()
        assert response.status_code == 503
        body = _body(response)
        assert ALTERED in body.decode()
        assert settings.PORTAL_SUPPORT_EMAIL in body.decode()
        assert b"%PDF" not in body
        assert response["Content-Type"].startswith("text/html")
    events = AuditEvent.objects.filter(action=FAILED).order_by("id")
    assert events.count() == 2
    details = events[0].details
    assert details["path"] == served.path
    assert details["expected_sha256"] == expected
    assert details["actual_sha256"] == actual
    assert details["missing"] is False
    assert details["requested_by"]
    assert details["view"] == served.view
    assert served.url not in str(details)  # a signatory link's token is never stored
    assert OutboundEmail.objects.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).count() == 1
    [alert] = _lead_emails(mailoutbox)
    assert "INTEGRITY CHECK FAILED" in alert.subject
    assert served.path in alert.body
    assert expected in alert.body
    assert actual in alert.body
    assert "verify_evidence_files" in alert.body
    # nothing was recorded as downloaded
    assert not AuditEvent.objects.filter(action__in=["dpa.executed_copy_downloaded", "document.downloaded"]).exists()


def test_a_missing_file_is_a_clear_error_too(served, django_capture_on_commit_callbacks, mailoutbox):
    default_storage.delete(served.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = served.get()
    assert response.status_code == 503
    assert MISSING in _body(response).decode()
    event = AuditEvent.objects.get(action=FAILED)
    assert event.details["missing"] is True
    assert event.details["actual_sha256"] is None
    assert len(_lead_emails(mailoutbox)) == 1
    assert "missing" in _lead_emails(mailoutbox)[0].subject


def test_the_next_day_the_legal_lead_is_told_again(org, client, legal):
    served = _customer_executed(org, client, legal)
    _append_byte(served)
    for day in (3, 3, 4):
        with time_machine.travel(dt.datetime(2026, 12, day, 9, 0, tzinfo=dt.UTC)):
            assert served.get().status_code == 503
    assert AuditEvent.objects.filter(action=FAILED).count() == 3
    assert OutboundEmail.objects.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).count() == 2


def test_who_asked_is_recorded(org, client, legal):
    served = _signatory_agreement(org, client, legal)
    _alter_byte(served)
    served.get()
    event = AuditEvent.objects.get(action=FAILED)
    assert event.actor_label == "Ines de Vries <ines@acme.example> (signatory link)"
    assert event.details["requested_by"] == event.actor_label
    assert event.organisation_id == org.pk
    assert event.target_type == "signing.DpaExecution"

    member = MembershipFactory(organisation=org).user
    execution = _execution(org, executed=True)
    _append_byte(Served(client, "", execution.executed_path))
    login(client, member)
    client.get(reverse("signing:executed_pdf", args=[org.public_id, execution.public_id]))
    assert AuditEvent.objects.filter(action=FAILED, actor=member).count() == 1


# --- the check never runs for someone who may not have the file -----------------------------------------------


def test_people_without_access_never_reach_the_check(org, other_org, other_member, legal_no_mfa, client):
    execution = _execution(org, executed=True)
    _append_byte(Served(client, "", execution.executed_path))
    customer_url = reverse("signing:executed_pdf", args=[org.public_id, execution.public_id])
    staff_url = reverse("signing:staff_pdf", args=[execution.public_id])
    # anonymous: sent to sign in
    assert client.get(customer_url).status_code == 302
    assert client.get(staff_url).status_code == 302
    # another organisation's admin: not found, on both URLs
    login(client, other_member)
    assert client.get(customer_url).status_code == 404
    assert (
        client.get(reverse("signing:executed_pdf", args=[other_org.public_id, execution.public_id])).status_code == 404
    )
    assert client.get(staff_url).status_code == 403
    # a customer of the organisation cannot use the staff URL
    login(client, MembershipFactory(organisation=org, role="admin").user)
    assert client.get(staff_url).status_code == 403
    # legal staff without MFA: sent to set it up first
    login(client, legal_no_mfa, mfa=False)
    assert client.get(staff_url).status_code == 302
    assert not AuditEvent.objects.filter(action=FAILED).exists()
    assert not OutboundEmail.objects.filter(to_email=settings.PORTAL_LEGAL_LEAD_EMAIL).exists()


def test_a_document_the_reader_may_not_open_is_refused_before_the_check(org, client, legal):
    served = _document("nda")(org, client, legal)
    _alter_byte(served)
    login(client, UserFactory())  # no grant
    assert client.get(served.url).status_code == 403
    client.logout()
    assert client.get(served.url).status_code == 302  # anonymous: sign in first
    assert not AuditEvent.objects.filter(action=FAILED).exists()


def test_an_expired_signatory_link_is_404_not_a_check(org, client, legal):
    served = _signatory_agreement(org, client, legal)
    DpaExecution.objects.update(link_expires_at=timezone.now() - dt.timedelta(minutes=1))
    _alter_byte(served)
    assert served.get().status_code == 404
    assert not AuditEvent.objects.filter(action=FAILED).exists()


# --- the command sees the DPA files ----------------------------------------------------------------------------


def test_command_checks_executed_dpas_and_agreements_awaiting_signature(org, other_org, client):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    executed = _execution(org, executed=True)
    awaiting = _execution(other_org, executed=False, token=secrets.token_urlsafe(32))
    out = io.StringIO()
    call_command("verify_evidence_files", stdout=out)
    assert "All 2 evidence files match their recorded SHA-256" in out.getvalue()
    _alter_byte(Served(client, "", executed.executed_path))
    default_storage.delete(awaiting.agreement_path)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 of 2 evidence files failed"):
        call_command("verify_evidence_files", stderr=err)
    assert f"ALTERED (now {hashlib.sha256(Served(client, '', executed.executed_path).stored()).hexdigest()})" in (
        err.getvalue()
    )
    assert f"executed DPA {executed.version.label} ({org.name}) {executed.executed_path}" in err.getvalue()
    assert f"MISSING: DPA agreement for signature {awaiting.version.label} ({other_org.name})" in err.getvalue()


# --- countersigning reads the signed agreement through the same check ------------------------------------------


def test_countersigning_an_agreement_altered_on_disk_is_refused_audited_and_alerted(
    org, client, legal, django_capture_on_commit_callbacks, mailoutbox
):
    execution = _execution(org, executed=False, token=secrets.token_urlsafe(32))
    DpaExecution.objects.filter(pk=execution.pk).update(
        status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE,
        customer_signed_name="Ines de Vries",
        customer_signed_at=timezone.now(),
    )
    _append_byte(Served(client, "", execution.agreement_path))
    login(client, legal)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signing:staff_detail", args=[execution.public_id]),
            {
                "action": "countersign",
                "typed_name": "Lena Jansen",
                "title": "General Counsel",
                "confirms_authority": "on",
            },
        )
    assert response.status_code == 400
    assert "The stored agreement no longer matches the SHA-256 the customer signed" in response.content.decode()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert not default_storage.exists("dpa/executed") or not default_storage.listdir("dpa/executed")[1]
    event = AuditEvent.objects.get(action=FAILED)  # written after the countersignature's transaction rolled back
    assert event.actor_id == legal.pk
    assert event.details["path"] == execution.agreement_path
    assert not AuditEvent.objects.filter(action="dpa.executed").exists()
    assert len(_lead_emails(mailoutbox)) == 1
