import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from dpa.signing import pdf
from dpa.signing.models import DpaExecution
from dpa.signing.selectors import execution_for_token
from dpa.signing.services import (
    COUNTERSIGN_LEGAL_ONLY,
    NOT_ADMIN_REASON,
    ExecutionNotAllowed,
    dpa_execution_countersign,
    dpa_execution_request,
    dpa_execution_sign,
)
from dpa.signing.tasks import dpa_expire_signatory_links_task
from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Membership, Organisation
from tests.auth import login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.pdf import pdf_text
from tests.signing.factories import committed, memoize_pdf, published_version

pytestmark = pytest.mark.django_db

SIGNATORY = {
    "signatory_name": "Ines de Vries",
    "signatory_title": "Managing Director",
    "signatory_email": "ines@acme.example",
}
UA = "Mozilla/5.0 (X11; Linux x86_64) Test"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    memoize_pdf(monkeypatch)


@pytest.fixture
def version(db):
    return published_version(label="2026.1")


def _membership(user, org):
    return Membership.objects.get(user=user, organisation=org)


def _request(org_admin, org):
    """A request as the worker leaves it: committed, and the agreement for signature rendered."""
    execution, token = committed(
        dpa_execution_request, membership=_membership(org_admin, org), actor=org_admin, **SIGNATORY
    )
    execution.refresh_from_db()
    return execution, token


def _token_from_email(execution) -> str:
    row = OutboundEmail.objects.get(template="dpa_signature_request", ref_id=str(execution.pk))
    marker = "/dpa/sign/"
    start = row.body_text.index(marker) + len(marker)
    return row.body_text[start : row.body_text.index("/", start)]


def _sign_page(token):
    return reverse("signing:sign", args=[token])


def _shown_hash(token) -> str:
    """The agreement SHA-256 the sign page carries in its hidden field (what the signatory was shown)."""
    return execution_for_token(token).agreement_sha256


def _sign_data(token, name="Ines de Vries"):
    return {"action": "sign", "typed_name": name, "confirms_authority": "on", "agreement_sha256": _shown_hash(token)}


def _executed(org_admin, org, legal, client):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token), HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7")
    execution.refresh_from_db()
    return dpa_execution_countersign(
        execution=execution, actor=legal, typed_name="Lena Jansen", title="General Counsel", confirms_authority=True
    )


# --- requesting -------------------------------------------------------------------------------


def test_admin_requests_execution_from_the_organisation_page(
    client, org_admin, org, version, run_on_commit, mailoutbox
):
    login(client, org_admin)
    url = reverse("signing:request", args=[org.public_id])
    assert "version <strong>2026.1</strong>" in client.get(url).content.decode()
    response = run_on_commit(client.post, url, SIGNATORY)
    assert response.status_code == 302
    execution = DpaExecution.objects.get()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.version == version
    assert execution.requested_by == org_admin
    assert execution.link_expires_at == pytest.approx(
        timezone.now() + dt.timedelta(days=14), abs=dt.timedelta(minutes=1)
    )
    # The token is only in the email; the database keeps its hash.
    token = _token_from_email(execution)
    assert execution.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(AuditEvent.objects.get(action="dpa.execution_requested").details)
    assert mailoutbox[0].to == ["ines@acme.example"]
    # The agreement the signatory reviews is stored and its hash recorded.
    with default_storage.open(execution.agreement_path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == execution.agreement_sha256


def test_self_serve_organisation_sees_why_and_cannot_request(client):
    org = OrganisationFactory(tier=Organisation.Tier.SELF_SERVE)
    admin = MembershipFactory(organisation=org, role="admin").user
    published_version()
    login(client, admin)
    url = reverse("signing:request", args=[org.public_id])
    page = client.get(url).content.decode()
    assert "enterprise plan" in page
    assert "To upgrade, contact" in page
    response = client.post(url, SIGNATORY)
    assert response.status_code == 403
    assert "enterprise plan" in response.content.decode()
    assert not DpaExecution.objects.exists()
    with pytest.raises(ExecutionNotAllowed):
        dpa_execution_request(membership=_membership(admin, org), actor=admin, **SIGNATORY)


def test_self_serve_api_answers_403_with_the_reason(client):
    org = OrganisationFactory(tier=Organisation.Tier.SELF_SERVE)
    admin = MembershipFactory(organisation=org, role="admin").user
    published_version()
    login(client, admin)
    response = client.post(
        reverse("signing:api_list"),
        {"organisation": str(org.public_id), **SIGNATORY},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "enterprise plan" in response.json()["detail"]
    assert not DpaExecution.objects.exists()


def test_member_without_admin_role_cannot_request(client, member, org, version):
    login(client, member)
    response = client.post(reverse("signing:request", args=[org.public_id]), SIGNATORY)
    assert response.status_code == 403
    assert NOT_ADMIN_REASON in response.content.decode()
    api = client.post(
        reverse("signing:api_list"),
        {"organisation": str(org.public_id), **SIGNATORY},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["detail"] == NOT_ADMIN_REASON
    assert not DpaExecution.objects.exists()
    assert not OutboundEmail.objects.filter(template="dpa_signature_request").exists()


def test_other_organisation_gets_404(client, other_member, org, version):
    login(client, other_member)
    assert client.post(reverse("signing:request", args=[org.public_id]), SIGNATORY).status_code == 404
    assert not DpaExecution.objects.exists()


def test_api_admin_requests_execution(client, org_admin, org, version):
    login(client, org_admin)
    response = client.post(
        reverse("signing:api_list"),
        {"organisation": str(org.public_id), **SIGNATORY},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_signatory"
    assert client.get(reverse("signing:api_list")).json()["results"][0]["version"] == "2026.1"


def test_bad_signatory_email_is_a_form_error(client, org_admin, org, version):
    login(client, org_admin)
    response = client.post(reverse("signing:request", args=[org.public_id]), {**SIGNATORY, "signatory_email": "x"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not DpaExecution.objects.exists()


def test_one_open_request_per_organisation(org_admin, org, version):
    _request(org_admin, org)
    with pytest.raises(ApplicationError):
        _request(org_admin, org)
    assert DpaExecution.objects.count() == 1


# --- the signatory's link ---------------------------------------------------------------------


def test_signatory_signs_with_typed_name_and_authority(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    page = client.get(_sign_page(token))
    assert page.status_code == 200
    assert "Review the agreement (PDF)" in page.content.decode()
    assert client.get(reverse("signing:sign_pdf", args=[token])).content.startswith(b"%PDF")
    response = client.post(
        _sign_page(token), _sign_data(token, "  ines DE vries "), HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert execution.customer_signed_ip == "198.51.100.7"
    assert execution.customer_signed_user_agent == UA
    assert execution.customer_signed_at is not None
    event = AuditEvent.objects.get(action="dpa.signed_by_customer")
    assert event.actor_label.startswith("Ines de Vries <ines@acme.example>")
    assert OutboundEmail.objects.filter(template="dpa_countersign_needed").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "sign", "typed_name": "Someone Else", "confirms_authority": "on"}, "Type the signatory"),
        ({"action": "sign", "typed_name": "Ines de Vries"}, "Confirm that you are authorised"),
        ({"action": "sign", "typed_name": ""}, "This field is required."),
    ],
)
def test_bad_signature_changes_nothing(client, org_admin, org, version, data, message):
    execution, token = _request(org_admin, org)
    response = client.post(_sign_page(token), {**data, "agreement_sha256": execution.agreement_sha256})
    assert response.status_code == 400
    assert message in response.content.decode()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.customer_signed_at is None


def test_link_cannot_be_reused_after_signing(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token))
    signed_at = DpaExecution.objects.get().customer_signed_at
    response = client.post(_sign_page(token), _sign_data(token))
    assert response.status_code == 400
    assert "This link cannot be used again" in response.content.decode()
    assert client.get(reverse("signing:sign_pdf", args=[token])).status_code == 404
    assert DpaExecution.objects.get().customer_signed_at == signed_at
    assert AuditEvent.objects.filter(action="dpa.signed_by_customer").count() == 1


def test_link_expires_after_14_days(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    with time_machine.travel(execution.link_expires_at + dt.timedelta(seconds=1)):
        page = client.get(_sign_page(token)).content.decode()
        assert "This signing link has expired" in page
        response = client.post(_sign_page(token), _sign_data(token))
        assert response.status_code == 400
        assert client.get(reverse("signing:sign_pdf", args=[token])).status_code == 404
        # The beat task marks it expired, once.
        assert dpa_expire_signatory_links_task() == 1
        assert dpa_expire_signatory_links_task() == 0
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.EXPIRED
    assert execution.customer_signed_at is None


def test_still_valid_just_before_expiry(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    with time_machine.travel(execution.link_expires_at - dt.timedelta(minutes=1)):
        assert client.post(_sign_page(token), _sign_data(token)).status_code == 302


def test_after_expiry_the_admin_can_request_again(org_admin, org, version):
    execution, _ = _request(org_admin, org)
    with time_machine.travel(execution.link_expires_at + dt.timedelta(hours=1)):
        second, _ = _request(org_admin, org)
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.EXPIRED
    assert second.status == DpaExecution.Status.AWAITING_SIGNATORY


def test_unknown_token_is_404(client):
    assert client.get(_sign_page("not-a-token")).status_code == 404


def test_signatory_declines_with_a_reason(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    short = client.post(_sign_page(token), {"action": "decline", "reason": "no"})
    assert short.status_code == 400
    assert "at least 10 characters" in short.content.decode()
    response = client.post(_sign_page(token), {"action": "decline", "reason": "Our lawyers need a liability cap."})
    assert response.status_code == 302
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.DECLINED
    assert execution.declined_side == "customer"
    assert execution.decline_reason == "Our lawyers need a liability cap."
    assert AuditEvent.objects.get(action="dpa.execution_declined").details["side"] == "customer"
    assert OutboundEmail.objects.filter(template="dpa_declined").count() == 1


# --- countersigning ---------------------------------------------------------------------------


def test_countersign_only_by_legal_staff(client, org_admin, org, version):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token))
    non_legal = UserFactory(is_staff=True)
    with pytest.raises(ExecutionNotAllowed, match=COUNTERSIGN_LEGAL_ONLY):
        dpa_execution_countersign(
            execution=execution, actor=non_legal, typed_name="Not Legal", title="Support", confirms_authority=True
        )
    with pytest.raises(ExecutionNotAllowed):
        dpa_execution_countersign(
            execution=execution, actor=org_admin, typed_name="Org Admin", title="CEO", confirms_authority=True
        )
    login(client, non_legal)
    url = reverse("signing:staff_detail", args=[execution.public_id])
    data = {"action": "countersign", "typed_name": "Not Legal", "title": "x", "confirms_authority": "on"}
    # Django staff without the legal group: refused (or first sent to set up MFA, which still gives nothing).
    assert client.post(url, data).status_code in (302, 403)
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE


def test_countersign_before_the_customer_signed_is_refused(org_admin, org, version, legal):
    execution, _ = _request(org_admin, org)
    with pytest.raises(ApplicationError):
        dpa_execution_countersign(
            execution=execution, actor=legal, typed_name="Lena Jansen", title="GC", confirms_authority=True
        )


def test_full_execution_hash_matches_file_and_verification_finds_it(
    client, org_admin, org, legal, member, run_on_commit
):
    published_version(label="2026.1")
    # given a signed request
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token), HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7")
    # when legal countersigns through the staff page
    login(client, legal)
    response = run_on_commit(
        client.post,
        reverse("signing:staff_detail", args=[execution.public_id]),
        {"action": "countersign", "typed_name": "Lena Jansen", "title": "General Counsel", "confirms_authority": "on"},
    )
    assert response.status_code == 302
    execution.refresh_from_db()
    # then the executed file is stored, its hash matches and is audited
    assert execution.status == DpaExecution.Status.EXECUTED
    with default_storage.open(execution.executed_path, "rb") as fh:
        content = fh.read()
    assert hashlib.sha256(content).hexdigest() == execution.executed_sha256
    event = AuditEvent.objects.get(action="dpa.executed")
    assert event.details["executed_sha256"] == execution.executed_sha256
    assert event.actor_id == legal.pk
    # the PDF contains both signatures and the agreement's hash
    text = " ".join(pdf_text(content).split())
    assert "Signature page" in text
    assert "Ines de Vries" in text
    assert "Managing Director" in text
    assert "Lena Jansen" in text
    assert "General Counsel" in text
    assert execution.agreement_sha256 in text.replace(" ", "")
    assert "1. Processing on instructions" in text
    # the customer is told
    assert OutboundEmail.objects.filter(template="dpa_executed", to_email="ines@acme.example").exists()
    # a member of the organisation downloads it from the organisation page
    login(client, member)
    org_page = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    assert "In force" in org_page
    download = client.get(reverse("signing:executed_pdf", args=[org.public_id, execution.public_id]))
    assert download.status_code == 200
    assert download.content == content
    assert AuditEvent.objects.filter(action="dpa.executed_copy_downloaded", actor=member).exists()
    # verification finds it by upload and by hash
    client.logout()
    from django.core.files.uploadedfile import SimpleUploadedFile

    found = client.post(reverse("signing:verify"), {"file": SimpleUploadedFile("dpa.pdf", content)}).content.decode()
    assert "Verified" in found
    assert org.name in found
    assert "2026.1" in found
    by_hash = client.post(reverse("signing:api_verify"), {"sha256": execution.executed_sha256.upper()})
    assert by_hash.json()["valid"] is True
    assert by_hash.json()["organisation"] == org.name
    # a changed byte fails verification and reveals nothing
    tampered = bytearray(content)
    tampered[len(tampered) // 2] ^= 0x01
    missing = client.post(reverse("signing:verify"), {"file": SimpleUploadedFile("dpa.pdf", bytes(tampered))})
    body = missing.content.decode()
    assert "No executed DPA or report issued by this portal has this fingerprint" in body
    assert org.name not in body
    assert client.post(reverse("signing:api_verify"), {"sha256": "a" * 64}).json() == {"valid": False}


def test_executed_record_is_immutable(client, org_admin, org, legal, version):
    execution = _executed(org_admin, org, legal, client)
    execution.countersigner_name = "Someone Else"
    with pytest.raises(ApplicationError):
        execution.save()
    with pytest.raises(ApplicationError):
        execution.delete()
    execution.refresh_from_db()
    assert execution.countersigner_name == "Lena Jansen"


def test_executed_pdf_is_not_for_other_organisations(client, org_admin, org, legal, other_member, version):
    execution = _executed(org_admin, org, legal, client)
    login(client, other_member)
    assert client.get(reverse("signing:executed_pdf", args=[org.public_id, execution.public_id])).status_code == 404
    other_org = other_member.organisations.get()
    assert (
        client.get(reverse("signing:executed_pdf", args=[other_org.public_id, execution.public_id])).status_code == 404
    )


def test_older_signed_version_stays_in_force_and_re_signing_is_offered(client, org_admin, org, legal, version):
    _executed(org_admin, org, legal, client)
    published_version(label="2027.1")
    login(client, org_admin)
    page = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    assert "In force" in page
    assert "Version <strong>2026.1</strong>" in page
    assert "an earlier version, still valid" in page
    assert "Request a signed DPA (version 2027.1)" in page


def test_legal_declines_with_a_reason_and_the_customer_is_told(client, org_admin, org, legal, version):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token))
    login(client, legal)
    url = reverse("signing:staff_detail", args=[execution.public_id])
    assert client.post(url, {"action": "decline", "reason": ""}).status_code == 400
    response = client.post(url, {"action": "decline", "reason": "Signatory is not a registered director."})
    assert response.status_code == 302
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.DECLINED
    assert execution.declined_side == "processor"
    recipients = set(OutboundEmail.objects.filter(template="dpa_declined").values_list("to_email", flat=True))
    assert recipients == {"ines@acme.example", org_admin.email.lower()}


def test_staff_execution_list_query_count(client, legal, django_assert_max_num_queries, version):
    for _ in range(6):
        org = OrganisationFactory()
        admin = MembershipFactory(organisation=org, role="admin").user
        dpa_execution_request(membership=_membership(admin, org), actor=admin, **SIGNATORY)
    login(client, legal)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("signing:staff_list"))
    assert response.status_code == 200
    assert response.content.decode().count("Ines de Vries") == 6


def test_countersign_queue_is_on_the_staff_overview(client, legal, org_admin, org, version):
    execution, token = _request(org_admin, org)
    dpa_execution_sign(
        execution=execution,
        typed_name="Ines de Vries",
        confirms_authority=True,
        agreement_sha256=execution.agreement_sha256,
        ip=None,
        user_agent="",
    )
    login(client, legal)
    page = client.get(reverse("staff:home")).content.decode()
    assert "DPAs to countersign" in page


def test_database_refuses_raw_changes_to_an_executed_dpa(client, org_admin, org, legal, version):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    execution = _executed(org_admin, org, legal, client)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE signing_dpaexecution SET executed_sha256 = %s WHERE id = %s", ["f" * 64, execution.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM signing_dpaexecution WHERE id = %s", [execution.pk])
    execution.refresh_from_db()
    assert execution.executed_sha256 != "f" * 64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Upload the executed PDF or paste its SHA-256."),
        ({"sha256": "abc"}, "A SHA-256 is 64 characters"),
        ({"sha256": "z" * 64}, "A SHA-256 is 64 characters"),
    ],
)
def test_verify_bad_input_is_a_form_error(client, data, message):
    response = client.post(reverse("signing:verify"), data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_verify_api_bad_hash_is_a_400_with_field_message(client):
    response = client.post(reverse("signing:api_verify"), {"sha256": "nope"})
    assert response.status_code == 400
    assert response.json() == {"sha256": ["64 hexadecimal characters."]}


def test_admin_withdraws_an_open_request_and_can_request_again(client, org_admin, org, member, version):
    execution, token = _request(org_admin, org)
    url = reverse("signing:withdraw", args=[org.public_id, execution.public_id])
    # a plain member cannot
    login(client, member)
    assert client.post(url, {"reason": "Wrong signatory email address."}).status_code == 403
    # the admin can, with a reason
    login(client, org_admin)
    client.post(url, {"reason": "short"})
    assert DpaExecution.objects.get().status == DpaExecution.Status.AWAITING_SIGNATORY
    response = client.post(url, {"reason": "Wrong signatory email address."})
    assert response.status_code == 302
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.DECLINED
    assert execution.declined_by_label == org_admin.email
    assert client.get(_sign_page(token)).content.decode().count("This request was declined") == 1
    second, _ = _request(org_admin, org)
    assert second.status == DpaExecution.Status.AWAITING_SIGNATORY


def test_verify_page_is_rate_limited_per_address(client, settings):
    settings.DPA_VERIFY_RATE = "3/10m"
    data = {"sha256": "a" * 64}
    for _ in range(3):
        assert client.post(reverse("signing:verify"), data, REMOTE_ADDR="198.51.100.1").status_code == 200
    response = client.post(reverse("signing:verify"), data, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429
    assert "Too many verifications from your network" in response.content.decode()
    assert "Not verified" not in response.content.decode()
    # another address is not affected
    assert client.post(reverse("signing:verify"), data, REMOTE_ADDR="198.51.100.2").status_code == 200


# --- evidence files and failed transactions -----------------------------------------------------------------


def _executed_files() -> list[str]:
    return default_storage.listdir(pdf.EXECUTED_DIR)[1] if default_storage.exists(pdf.EXECUTED_DIR) else []


def test_a_countersignature_that_fails_to_commit_leaves_no_file_and_the_retry_works(
    client, org_admin, org, legal, version, monkeypatch
):
    from django.db import OperationalError

    from dpa.signing import events as signing_events

    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(token), HTTP_USER_AGENT=UA)
    execution.refresh_from_db()
    # given the database connection drops after the executed PDF was written, before the transaction commits
    real_audit = signing_events.audit_record

    def lost_connection(**kwargs):
        if kwargs.get("action") == "dpa.executed":
            raise OperationalError("server closed the connection unexpectedly")
        return real_audit(**kwargs)

    monkeypatch.setattr(signing_events, "audit_record", lost_connection)
    moment = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    countersign = {"actor": legal, "typed_name": "Lena Jansen", "title": "General Counsel", "confirms_authority": True}
    with time_machine.travel(moment, tick=False), pytest.raises(OperationalError):
        dpa_execution_countersign(execution=execution, **countersign)
    # then no executed file is left behind and nothing was recorded
    assert _executed_files() == []
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    # and the same countersignature retried (same moment, same bytes) succeeds instead of FileExistsError
    monkeypatch.setattr(signing_events, "audit_record", real_audit)
    with time_machine.travel(moment, tick=False):
        done = dpa_execution_countersign(execution=execution, **countersign)
    assert done.status == DpaExecution.Status.EXECUTED
    assert _executed_files() == [done.executed_path.rsplit("/", 1)[1]]


def test_an_orphan_with_the_same_bytes_is_reused_and_other_bytes_are_refused(org, version, org_admin):
    execution, _ = _request(org_admin, org)
    path, sha = pdf.executed_pdf_store(execution, b"%PDF-1.7 executed")
    assert pdf.executed_pdf_store(execution, b"%PDF-1.7 executed") == (path, sha)
    with default_storage.open(path, "wb") as fh:
        fh.write(b"%PDF-1.7 altered")
    with pytest.raises(FileExistsError):
        pdf.executed_pdf_store(execution, b"%PDF-1.7 executed")
