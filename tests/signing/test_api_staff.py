"""Staff API of signed DPAs (dpa/signing/api_staff.py): the console's list, page, actions, document and register,
through the same services, with the same rules, messages and audit events."""

import csv
import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from dpa.signing.agreement import MAX_ATTEMPTS, NOT_FAILED
from dpa.signing.models import DpaExecution
from dpa.signing.services import COUNTERSIGN_DOCUMENT_CHANGED, NOT_AWAITING_COUNTERSIGNATURE, REASON_REQUIRED
from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from tests.auth import login
from tests.organisations.factories import OrganisationFactory
from tests.signing.factories import awaiting_countersignature, memoize_pdf, published_version
from tests.staff_api import CALLERS, REFUSED, api_client, expected_ok

pytestmark = pytest.mark.django_db

VIEW = "signing.view_dpaexecution"
CHANGE = "signing.change_dpaexecution"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    memoize_pdf(monkeypatch)


@pytest.fixture
def version(db):
    return published_version(label="2026.1")


@pytest.fixture
def staff(request, db):
    return api_client("legal_session", request)


@pytest.fixture
def signed(org, org_admin, version):
    """An execution waiting for our countersignature."""
    return awaiting_countersignature(organisation=org, version=version, requested_by=org_admin)


def _url(name, execution=None):
    return reverse(f"signing:{name}", args=[execution.public_id] if execution else [])


def _countersign_body(execution, **change):
    return {
        "agreement_sha256": execution.agreement_sha256,
        "typed_name": "Lena Jansen",
        "title": "General Counsel",
        "confirms_authority": True,
        **change,
    }


def _actions(after=0) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=after).order_by("id").values_list("action", flat=True))


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _failed_agreement(org, version):
    execution = awaiting_countersignature(
        organisation=org,
        version=version,
        status=DpaExecution.Status.AWAITING_SIGNATORY,
        agreement_path="",
        agreement_sha256="",
        customer_signed_name="",
        customer_signed_at=None,
        agreement_attempts=MAX_ATTEMPTS,
        agreement_error="WeasyPrint: out of memory",
    )
    return execution


# --- permission matrix -------------------------------------------------------------------------------------------

READS = ["api_staff_executions", "api_staff_execution", "api_staff_execution_document", "api_staff_register_csv"]
WRITES = {
    "api_staff_execution_countersign": _countersign_body,
    "api_staff_execution_decline": lambda execution: {"reason": "The signatory is not a registered director."},
}


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("name", READS)
def test_reads_need_legal_staff_after_mfa_with_the_view_permission(request, who, name, signed):
    client = api_client(who, request, without=VIEW)
    url = _url(name, signed if "execution_" in name or name == "api_staff_execution" else None)
    response = client.get(url)
    if expected_ok(who, write=False):
        assert response.status_code == 200
    else:
        assert response.status_code in REFUSED
        assert not AuditEvent.objects.filter(action="dpa.register_exported").exists()


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("name", WRITES)
def test_actions_need_the_change_permission_and_a_write_token(request, who, name, signed):
    # given a caller; "legal_without_permission" keeps the view permission but lacks the change permission
    client = api_client(who, request, without=CHANGE)
    before = _last_event_id()
    # when
    response = client.post(_url(name, signed), WRITES[name](signed), format="json")
    # then
    signed.refresh_from_db()
    if expected_ok(who, write=True):
        assert response.status_code == 200, response.json()
        assert signed.status != DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    else:
        assert response.status_code in REFUSED
        assert signed.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
        assert _actions(before) == []


def test_a_legal_user_without_the_change_permission_reads_but_cannot_act(request, signed, org, version):
    client = api_client("legal_without_permission", request, without=CHANGE)
    failed = _failed_agreement(OrganisationFactory(), version)
    assert client.get(_url("api_staff_execution", signed)).status_code == 200
    for name, execution in [
        ("api_staff_execution_countersign", signed),
        ("api_staff_execution_retry_agreement", failed),
    ]:
        response = client.post(_url(name, execution), _countersign_body(execution), format="json")
        assert response.status_code == 403
        assert CHANGE in response.json()["detail"]
    failed.refresh_from_db()
    assert failed.agreement_attempts == MAX_ATTEMPTS


# --- list and detail ---------------------------------------------------------------------------------------------


def test_list_filters_and_sorts_as_the_console(staff, signed, version, django_assert_max_num_queries):
    # given executions of several organisations
    for i in range(5):
        awaiting_countersignature(
            organisation=OrganisationFactory(name=f"Zeta {i}"),
            version=version,
            status=DpaExecution.Status.DECLINED,
            decline_reason="No longer needed here.",
        )
    staff.get(_url("api_staff_executions"))  # warm the session and permission caches
    # when
    with django_assert_max_num_queries(8):
        response = staff.get(_url("api_staff_executions"), {"page_size": 100})
    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 6
    assert rows[0]["organisation"]["name"] == "Zeta 4"  # newest request first
    waiting = staff.get(_url("api_staff_executions"), {"status": "awaiting_countersignature"}).json()["results"]
    assert [r["id"] for r in waiting] == [str(signed.public_id)]
    assert staff.get(_url("api_staff_executions"), {"q": "zeta"}).json()["count"] == 5
    by_name = staff.get(_url("api_staff_executions"), {"sort": "-organisation"}).json()["results"]
    assert [r["organisation"]["name"] for r in by_name][:2] == ["Zeta 4", "Zeta 3"]
    assert waiting[0]["console_url"].endswith(_url("staff_detail", signed))
    assert waiting[0]["url"].endswith(_url("api_staff_execution", signed))


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"sort": "nope"}, {"page_size": "0"}])
def test_a_bad_filter_is_400_with_the_field(staff, params):
    response = staff.get(_url("api_staff_executions"), params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_detail_shows_parties_hashes_and_links(staff, signed, org, org_admin):
    body = staff.get(_url("api_staff_execution", signed)).json()
    assert body["id"] == str(signed.public_id)
    assert body["organisation"] == {"id": str(org.public_id), "name": org.name, "tier": org.tier}
    assert body["version"]["label"] == "2026.1"
    assert body["signatory"] == {"name": "Ines de Vries", "title": "Managing Director", "email": "ines@acme.example"}
    assert body["status"] == "awaiting_countersignature"
    assert body["requested_by"] == org_admin.email
    assert body["agreement_sha256"] == body["document_sha256"] == signed.agreement_sha256
    assert body["document_kind"] == "for-signature"
    assert body["countersign_refusal"] == ""
    assert body["console_url"].endswith(_url("staff_detail", signed))
    assert body["document_url"].endswith(_url("api_staff_execution_document", signed))
    assert body["countersign_url"].endswith(_url("api_staff_execution_countersign", signed))


def test_unknown_id_is_404(staff):
    url = reverse("signing:api_staff_execution", args=["00000000-0000-0000-0000-000000000000"])
    assert staff.get(url).status_code == 404


# --- countersign -------------------------------------------------------------------------------------------------


def test_countersign_executes_and_audits_exactly_as_the_console(
    client, staff, legal, org, org_admin, version, run_on_commit
):
    # given two signed requests, one countersigned on the console page
    console_execution = awaiting_countersignature(organisation=OrganisationFactory(), version=version)
    login(client, legal)
    before_console = _last_event_id()
    console = run_on_commit(
        client.post,
        _url("staff_detail", console_execution),
        {"action": "countersign", "typed_name": "Lena Jansen", "title": "General Counsel", "confirms_authority": "on"},
    )
    assert console.status_code == 302
    console_events = list(AuditEvent.objects.filter(id__gt=before_console).order_by("id"))
    execution = awaiting_countersignature(organisation=org, version=version, requested_by=org_admin)
    before = _last_event_id()
    # when the other is countersigned through the API
    response = run_on_commit(
        staff.post, _url("api_staff_execution_countersign", execution), _countersign_body(execution), format="json"
    )
    # then it is executed, with the file stored under its hash
    assert response.status_code == 200, response.json()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.EXECUTED
    assert execution.countersigner_name == "Lena Jansen"
    assert execution.countersigned_by.email == "legal_session@processor.example"
    with default_storage.open(execution.executed_path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == execution.executed_sha256
    body = response.json()
    assert body["status"] == "executed"
    assert body["executed_sha256"] == body["document_sha256"] == execution.executed_sha256
    assert body["document_kind"] == "executed"
    # and the audit log says what the console's countersignature says
    api_events = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
    assert [e.action for e in api_events] == [e.action for e in console_events] == ["dpa.executed"]
    assert set(api_events[0].details) == set(console_events[0].details)
    assert api_events[0].details["executed_sha256"] == execution.executed_sha256
    assert OutboundEmail.objects.filter(template="dpa_executed", ref_id=str(execution.pk)).exists()


@pytest.mark.parametrize("given", ["0" * 64, "other"])
def test_countersign_with_another_documents_hash_records_nothing(staff, signed, given, run_on_commit):
    # given the agreement was replaced after the staff member reviewed it (or they send a stale hash)
    reviewed = signed.agreement_sha256
    if given == "other":
        DpaExecution.objects.filter(pk=signed.pk).update(agreement_sha256="a" * 64)
    sent = reviewed if given == "other" else given
    before, emails, files = _last_event_id(), OutboundEmail.objects.count(), default_storage.listdir("dpa")[0]
    # when
    response = run_on_commit(
        staff.post,
        _url("api_staff_execution_countersign", signed),
        _countersign_body(signed, agreement_sha256=sent),
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"agreement_sha256": [COUNTERSIGN_DOCUMENT_CHANGED]}
    signed.refresh_from_db()
    assert signed.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert signed.countersigned_at is None
    assert not signed.executed_path
    assert _actions(before) == []
    assert OutboundEmail.objects.count() == emails
    assert default_storage.listdir("dpa")[0] == files  # no executed file either


def test_countersign_hash_is_case_insensitive(staff, signed, run_on_commit):
    body = _countersign_body(signed, agreement_sha256=signed.agreement_sha256.upper())
    response = run_on_commit(staff.post, _url("api_staff_execution_countersign", signed), body, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agreement_sha256": "xyz"}, "agreement_sha256"),
        ({"agreement_sha256": None}, "agreement_sha256"),
        ({"typed_name": "Lena"}, "typed_name"),
        ({"title": " "}, "title"),
        ({"confirms_authority": False}, "confirms_authority"),
        ({"typed_name": "Lena\x00 Jansen"}, "typed_name"),
    ],
)
def test_countersign_bad_input_is_400_with_the_field_and_changes_nothing(staff, signed, change, field):
    before = _last_event_id()
    body = {k: v for k, v in _countersign_body(signed, **change).items() if v is not None}
    response = staff.post(_url("api_staff_execution_countersign", signed), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    signed.refresh_from_db()
    assert signed.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert _actions(before) == []


def test_countersign_of_a_request_not_signed_yet_is_the_services_400(staff, org, version):
    execution = awaiting_countersignature(organisation=org, version=version, status="awaiting_signatory")
    response = staff.post(
        _url("api_staff_execution_countersign", execution), _countersign_body(execution), format="json"
    )
    assert response.status_code == 400
    status = "waiting for the customer's signatory"
    assert response.json() == {"detail": NOT_AWAITING_COUNTERSIGNATURE.format(status=status)}


def test_countersign_is_idempotent_with_a_key(staff, signed, run_on_commit):
    # when the same countersignature is sent twice with one key
    url, body = _url("api_staff_execution_countersign", signed), _countersign_body(signed)
    first = run_on_commit(staff.post, url, body, format="json", HTTP_IDEMPOTENCY_KEY="cs-1")
    again = run_on_commit(staff.post, url, body, format="json", HTTP_IDEMPOTENCY_KEY="cs-1")
    # then it was countersigned once, and the repeat got the first answer
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(action="dpa.executed").count() == 1
    assert OutboundEmail.objects.filter(template="dpa_executed").count() == 2  # the signatory and the requester
    signed.refresh_from_db()
    assert signed.status == DpaExecution.Status.EXECUTED


# --- decline -----------------------------------------------------------------------------------------------------


def test_decline_tells_the_customer_and_audits_as_the_console(staff, signed, org_admin, run_on_commit):
    before = _last_event_id()
    reason = "The signatory is not a registered director."
    response = run_on_commit(staff.post, _url("api_staff_execution_decline", signed), {"reason": reason}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == reason
    signed.refresh_from_db()
    assert signed.declined_side == "processor"
    assert _actions(before) == ["dpa.execution_declined"]
    recipients = set(OutboundEmail.objects.filter(template="dpa_declined").values_list("to_email", flat=True))
    assert recipients == {"ines@acme.example", org_admin.email.lower()}


def test_decline_needs_a_reason_and_changes_nothing(staff, signed):
    response = staff.post(_url("api_staff_execution_decline", signed), {"reason": "no"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reason": [REASON_REQUIRED]}
    signed.refresh_from_db()
    assert signed.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE


def test_decline_is_idempotent_with_a_key(staff, signed):
    url, body = _url("api_staff_execution_decline", signed), {"reason": "The signatory is not a director."}
    first = staff.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="dec-1")
    again = staff.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="dec-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="dpa.execution_declined").count() == 1


# --- agreement retry ---------------------------------------------------------------------------------------------


def test_retry_agreement_starts_the_attempts_again(
    staff, org, version, monkeypatch, django_capture_on_commit_callbacks
):
    # given an agreement whose every render failed
    execution = _failed_agreement(org, version)
    sent = []
    monkeypatch.setattr("dpa.signing.enqueue.agreement_render", sent.append)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_url("api_staff_execution_retry_agreement", execution), format="json")
    # then
    assert response.status_code == 202, response.json()
    assert response.json()["execution"]["agreement_failed"] is False
    execution.refresh_from_db()
    assert (execution.agreement_attempts, execution.agreement_error) == (0, "")
    assert sent == [execution.pk]
    # and a second retry has nothing to retry
    again = staff.post(_url("api_staff_execution_retry_agreement", execution), format="json")
    assert again.status_code == 400
    assert again.json() == {"detail": NOT_FAILED}


# --- files -------------------------------------------------------------------------------------------------------


def test_document_is_the_agreement_with_its_hash(staff, signed):
    response = staff.get(_url("api_staff_execution_document", signed), HTTP_ACCEPT="*/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == response["X-Document-SHA256"] == signed.agreement_sha256


@pytest.mark.parametrize(("attempts", "code", "state"), [(1, 202, "preparing"), (MAX_ATTEMPTS, 409, "failed")])
def test_document_while_the_agreement_is_prepared_is_a_json_status(staff, org, version, attempts, code, state):
    execution = _failed_agreement(org, version)
    DpaExecution.objects.filter(pk=execution.pk).update(agreement_attempts=attempts)
    response = staff.get(_url("api_staff_execution_document", execution), HTTP_ACCEPT="application/pdf")
    assert response.status_code == code
    assert response.json()["status"] == state
    assert int(response["Retry-After"]) > 0


def test_register_csv_has_the_consoles_rows_and_is_audited(client, staff, legal, signed, run_on_commit):
    run_on_commit(staff.post, _url("api_staff_execution_countersign", signed), _countersign_body(signed), format="json")
    login(client, legal)
    console = b"".join(client.get(_url("staff_register_csv")).streaming_content).decode()
    before = _last_event_id()
    response = staff.get(_url("api_staff_register_csv"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text == console
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["reference"] for r in rows] == [str(signed.public_id)]
    assert _actions(before) == ["dpa.register_exported"]


def test_register_pdf_is_prepared_then_served(staff, signed, django_capture_on_commit_callbacks):
    # the first answer is the prepared file's JSON status (whatever the client accepts), the worker runs at commit
    with django_capture_on_commit_callbacks(execute=True):
        first = staff.get(_url("api_staff_register_pdf"), HTTP_ACCEPT="*/*")
    assert first.status_code == 202
    assert first.json()["status"] == "pending"
    assert first["Retry-After"]
    response = staff.get(_url("api_staff_register_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="report.issued", details__kind="dpa_register").count() == 1
