"""Annex 1 as signed: the agreement a signatory reviews lists the sub-processors in force when it was prepared,
a list change before signing means a new document to review, and the executed PDF keeps the signed annex.
Also: no signature or countersignature once the organisation has left the enterprise plan."""

import datetime as dt
import hashlib
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from dpa.signing import pdf
from dpa.signing.models import DpaExecution
from dpa.signing.selectors import execution_for_token
from dpa.signing.services import (
    ANNEX_CHANGED,
    DOCUMENT_CHANGED,
    NO_LONGER_ENTERPRISE_COUNTERSIGN,
    dpa_execution_countersign,
    dpa_execution_request,
    dpa_execution_sign,
)
from dpa.versions import pdf as versions_pdf
from dpa.versions.annex import annex_sha256
from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Membership, Organisation
from portal.organisations.services import organisation_update
from subprocessors.changes.services import change_make_effective
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_update
from tests.auth import login
from tests.changes.factories import make_change
from tests.listing.factories import make_subprocessor
from tests.pdf import pdf_text
from tests.signing.factories import CommittingClient, committed, memoize_pdf, published_version

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
SIGNING_DAY = dt.datetime(2026, 11, 30, 10, 14, tzinfo=AMS)
SIGNATORY = {
    "signatory_name": "Ines de Vries",
    "signatory_title": "Managing Director",
    "signatory_email": "ines@acme.example",
}


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    memoize_pdf(monkeypatch)


@pytest.fixture
def clock():
    """30 November 2026, 10:14 in Amsterdam, and running (list changes and signatures get later times)."""
    with time_machine.travel(SIGNING_DAY) as traveller:
        yield traveller


@pytest.fixture
def version(db):
    # Version 2026.1 took effect on 1 January 2026, before any row of the list below existed.
    return published_version(label="2026.1", effective_date=dt.date(2026, 1, 1))


@pytest.fixture
def listed(db):
    """The list as it grew during 2026 (nothing was engaged on 1 January)."""
    hetzner = make_subprocessor(
        name="Hetzner",
        slug="hetzner",
        legal_entity="Hetzner Online GmbH",
        category=Subprocessor.Category.CUSTOMER_DATA,
        hq_country="DE",
        processing_region="DE",
        at=dt.datetime(2026, 2, 2, 9, 0, tzinfo=AMS),
    )
    mistral = make_subprocessor(name="Mistral AI", slug="mistral-ai", at=dt.datetime(2026, 6, 1, 9, 0, tzinfo=AMS))
    gone = make_subprocessor(name="Gone Cloud", slug="gone-cloud", at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=AMS))
    subprocessor_update(
        subprocessor=gone,
        data={"status": Subprocessor.Status.RETIRED},
        actor=None,
        at=dt.datetime(2026, 9, 1, 9, 0, tzinfo=AMS),
    )
    return {"hetzner": hetzner, "mistral": mistral}


@pytest.fixture
def client():
    """Each request commits and the eager worker then renders what it left being prepared."""
    return CommittingClient()


def _request(org_admin, org):
    """A request as the worker leaves it: committed, and the agreement for signature rendered."""
    membership = Membership.objects.get(user=org_admin, organisation=org)
    execution, token = committed(dpa_execution_request, membership=membership, actor=org_admin, **SIGNATORY)
    execution.refresh_from_db()
    return execution, token


def _sign_page(token):
    return reverse("signing:sign", args=[token])


def _shown_hash(html: str) -> str:
    """The SHA-256 in the sign form's hidden field: what the signatory was shown."""
    return re.search(r'name="agreement_sha256" value="([0-9a-f]{64})"', html).group(1)


def _sign_data(sha256: str) -> dict:
    return {"action": "sign", "typed_name": "Ines de Vries", "confirms_authority": "on", "agreement_sha256": sha256}


def _text(content: bytes) -> str:
    return " ".join(pdf_text(content).split())


def _agreement_text(execution) -> str:
    with default_storage.open(execution.agreement_path, "rb") as fh:
        return _text(fh.read())


def _annex_text(text: str) -> str:
    """Annex 1's table as extracted from the PDF: from its heading to the end of the agreement."""
    start = text.index("Sub-processors as ")
    end = text.find("Signature page", start)
    return text[start : end if end >= 0 else len(text)].strip()


def _add_latecomer(_listed=None):
    return make_subprocessor(name="Latecomer Labs", slug="latecomer", legal_entity="Latecomer Labs SAS")


def _retire_hetzner(listed):
    subprocessor_update(subprocessor=listed["hetzner"], data={"status": Subprocessor.Status.RETIRED}, actor=None)


def _change_mistral_purpose(listed):
    subprocessor_update(subprocessor=listed["mistral"], data={"purpose": "Model inference, EU only"}, actor=None)


def _scheduled_addition_takes_effect(listed):
    change = make_change(
        kind="add",
        status="announced",
        effective_date=dt.date(2026, 11, 30),
        announced_at=dt.datetime(2026, 11, 13, 9, 0, tzinfo=AMS),
    )
    assert change_make_effective(change=change)


LIST_CHANGES = {
    "added": _add_latecomer,
    "retired": _retire_hetzner,
    "changed": _change_mistral_purpose,
    "scheduled change took effect": _scheduled_addition_takes_effect,
}


# --- the agreement for signature --------------------------------------------------------------


def test_agreement_lists_the_sub_processors_in_force_when_prepared_not_on_the_effective_date(
    clock, org_admin, org, version, listed
):
    # when an admin requests execution on 30 November of a version effective 1 January
    execution, _token = _request(org_admin, org)
    # then Annex 1 is the list of 30 November, 10:14, and says so
    text = _agreement_text(execution)
    assert "Sub-processors as of 30 November 2026, 10:14 CET" in text
    assert "No sub-processors were engaged" not in text
    assert "Hetzner Online GmbH" in text
    assert "Mistral AI" in text
    assert "Gone Cloud" not in text  # retired in September
    # and the record keeps what went into the annex
    assert SIGNING_DAY <= execution.annex_as_of < SIGNING_DAY + dt.timedelta(minutes=1)
    assert [row["name"] for row in execution.annex_rows] == ["Hetzner", "Mistral AI"]
    assert execution.annex_sha256 == annex_sha256(execution.annex_rows)
    event = AuditEvent.objects.get(action="dpa.execution_requested")
    assert event.details["annex_sha256"] == execution.annex_sha256
    assert event.details["annex_as_of"].startswith("2026-11-30T09:14")  # UTC
    # the request records the annex; the worker that rendered it records the agreement's SHA-256 for that annex
    assert event.details["agreement_sha256"] == ""
    prepared = AuditEvent.objects.get(action="dpa.agreement_prepared")
    assert prepared.details["agreement_sha256"] == execution.agreement_sha256
    assert prepared.details["annex_sha256"] == execution.annex_sha256


def test_informational_copy_keeps_the_list_of_the_effective_date(clock, version, listed):
    text = _text(versions_pdf.informational_pdf(version).read())
    assert "Sub-processors as at 1 January 2026" in text
    assert "No sub-processors were engaged on that date." in text


def test_sign_page_shows_the_annex_date_and_carries_the_hash_of_the_agreement(
    client, clock, org_admin, org, version, listed
):
    execution, token = _request(org_admin, org)
    page = client.get(_sign_page(token)).content.decode()
    assert _shown_hash(page) == execution.agreement_sha256
    assert "Sub-processors as of 30 November 2026, 10:14 CET" in page
    download = client.get(reverse("signing:sign_pdf", args=[token])).content
    assert hashlib.sha256(download).hexdigest() == execution.agreement_sha256


def test_opening_the_page_again_with_an_unchanged_list_keeps_the_document(client, clock, org_admin, org, version):
    execution, token = _request(org_admin, org)
    clock.shift(dt.timedelta(days=2))
    page = client.get(_sign_page(token)).content.decode()
    assert _shown_hash(page) == execution.agreement_sha256
    assert DpaExecution.objects.get().annex_as_of == execution.annex_as_of
    assert not AuditEvent.objects.filter(action="dpa.agreement_regenerated").exists()


# --- a list change before the signature -------------------------------------------------------


@pytest.mark.parametrize("change", LIST_CHANGES.values(), ids=LIST_CHANGES.keys())
def test_list_change_between_opening_the_page_and_signing_refuses_and_shows_the_new_document(
    client, clock, org_admin, org, version, listed, change
):
    # given the signatory opened the sign page
    execution, token = _request(org_admin, org)
    shown = _shown_hash(client.get(_sign_page(token)).content.decode())
    old_annex = execution.annex_sha256
    # when the public list changes before they press "Sign"
    clock.shift(dt.timedelta(minutes=3))
    change(listed)
    clock.shift(dt.timedelta(minutes=3))
    response = client.post(_sign_page(token), _sign_data(shown))
    # then the signature is refused with the reason, and nothing is signed
    assert response.status_code == 400
    page = response.content.decode()
    assert ANNEX_CHANGED in page
    # and the page says the updated document is being prepared (a worker renders it), with nothing to sign yet
    assert "Your agreement is being prepared" in page
    assert "Sign the DPA</button>" not in page
    page = client.get(_sign_page(token)).content.decode()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.customer_signed_at is None
    assert not AuditEvent.objects.filter(action="dpa.signed_by_customer").exists()
    assert not OutboundEmail.objects.filter(template="dpa_countersign_needed").exists()
    # and once the worker rendered it, the page shows the regenerated document, its hash in the form
    assert execution.agreement_sha256 != shown
    assert execution.annex_sha256 != old_annex
    assert execution.annex_as_of >= SIGNING_DAY + dt.timedelta(minutes=6)
    assert _shown_hash(page) == execution.agreement_sha256
    assert "Sub-processors as of 30 November 2026, 10:20 CET" in page
    assert "Sub-processors as of 30 November 2026, 10:20 CET" in _agreement_text(execution)
    regenerated = AuditEvent.objects.get(action="dpa.agreement_regenerated")
    assert regenerated.details["before"]["agreement_sha256"] == shown
    assert regenerated.details["after"]["annex_sha256"] == execution.annex_sha256
    prepared = AuditEvent.objects.filter(action="dpa.agreement_prepared").order_by("-id").first()
    assert prepared.details["agreement_sha256"] == execution.agreement_sha256
    # when they sign the document now shown, it is signed
    assert client.post(_sign_page(token), _sign_data(execution.agreement_sha256)).status_code == 302
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    signed = AuditEvent.objects.get(action="dpa.signed_by_customer")
    assert signed.details["agreement_sha256"] == execution.agreement_sha256
    assert signed.details["annex_sha256"] == execution.annex_sha256


def test_list_change_seen_on_reopening_the_page_gives_the_new_document(client, clock, org_admin, org, version, listed):
    execution, token = _request(org_admin, org)
    clock.shift(dt.timedelta(hours=1))
    _add_latecomer()
    assert "Your agreement is being prepared" in client.get(_sign_page(token)).content.decode()
    page = client.get(_sign_page(token)).content.decode()
    execution.refresh_from_db()
    assert _shown_hash(page) == execution.agreement_sha256
    assert "Latecomer Labs" in _agreement_text(execution)
    assert "Sub-processors as of 30 November 2026, 11:14 CET" in page


@pytest.mark.parametrize(
    "posted", ["", "0" * 64, "not a hash", "old"], ids=["missing", "other", "garbage", "superseded document"]
)
def test_signature_for_another_document_than_the_current_one_is_refused(
    client, clock, org_admin, org, version, listed, posted
):
    execution, token = _request(org_admin, org)
    if posted == "old":
        posted = execution.agreement_sha256
        clock.shift(dt.timedelta(minutes=5))
        _add_latecomer()
        client.get(_sign_page(token))  # someone opened the link again: the document was replaced
    current = DpaExecution.objects.get().agreement_sha256
    audit_before = AuditEvent.objects.count()
    response = client.post(_sign_page(token), _sign_data(posted))
    assert response.status_code == 400
    assert DOCUMENT_CHANGED in response.content.decode()
    assert _shown_hash(response.content.decode()) == current
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.customer_signed_at is None
    assert execution.agreement_sha256 == current
    assert AuditEvent.objects.count() == audit_before


def test_service_refuses_a_signature_when_the_list_changed_since_the_document_was_prepared(
    clock, org_admin, org, version, listed
):
    execution, _token = _request(org_admin, org)
    clock.shift(dt.timedelta(minutes=1))
    _change_mistral_purpose(listed)
    with pytest.raises(ApplicationError, match=re.escape(ANNEX_CHANGED)):
        dpa_execution_sign(
            execution=execution,
            typed_name="Ines de Vries",
            confirms_authority=True,
            agreement_sha256=execution.agreement_sha256,
            ip=None,
            user_agent="",
        )
    assert DpaExecution.objects.get().status == DpaExecution.Status.AWAITING_SIGNATORY


def test_request_made_before_the_annex_was_recorded_is_prepared_again_when_opened(
    client, clock, org_admin, org, version, listed
):
    execution, token = _request(org_admin, org)
    DpaExecution.objects.filter(pk=execution.pk).update(annex_as_of=None, annex_rows=None, annex_sha256="")
    client.get(_sign_page(token))  # records the annex; the worker renders the agreement
    page = client.get(_sign_page(token)).content.decode()
    execution.refresh_from_db()
    assert execution.annex_sha256 == annex_sha256(execution.annex_rows)
    assert _shown_hash(page) == execution.agreement_sha256


# --- the executed PDF -------------------------------------------------------------------------


def test_executed_pdf_carries_the_annex_the_customer_signed_after_a_later_list_change(
    client, clock, org_admin, org, version, listed, legal
):
    from pypdf import PdfReader

    # given the signatory signed the agreement with the list of 30 November, 10:14
    execution, token = _request(org_admin, org)
    with default_storage.open(execution.agreement_path, "rb") as fh:
        signed_agreement = fh.read()
    assert client.post(_sign_page(token), _sign_data(execution.agreement_sha256)).status_code == 302
    # when the list changes before legal countersigns
    clock.shift(dt.timedelta(days=1))
    _add_latecomer()
    _retire_hetzner(listed)
    execution = dpa_execution_countersign(
        execution=execution, actor=legal, typed_name="Lena Jansen", title="General Counsel", confirms_authority=True
    )
    # then the executed PDF starts with the signed agreement, page for page, and its annex text is the signed one
    with default_storage.open(execution.executed_path, "rb") as fh:
        executed = fh.read()
    assert hashlib.sha256(executed).hexdigest() == execution.executed_sha256
    signed_pages = PdfReader(io.BytesIO(signed_agreement)).pages
    executed_pages = PdfReader(io.BytesIO(executed)).pages
    assert len(executed_pages) == len(signed_pages) + 1
    assert [p.extract_text() for p in executed_pages[: len(signed_pages)]] == [p.extract_text() for p in signed_pages]
    executed_text = _text(executed)
    assert _annex_text(executed_text) == _annex_text(_text(signed_agreement))
    assert "Sub-processors as of 30 November 2026, 10:14 CET" in executed_text
    assert "Hetzner Online GmbH" in _annex_text(executed_text)
    assert "Latecomer Labs" not in executed_text
    # and the signature page names the annex date next to the agreement's SHA-256
    assert "Annex 1 lists the sub-processors as of 30 November 2026, 10:14 CET" in executed_text
    assert execution.agreement_sha256 in executed_text.replace(" ", "")
    event = AuditEvent.objects.get(action="dpa.executed")
    assert event.details["annex_sha256"] == execution.annex_sha256


def test_countersigning_refuses_an_agreement_file_that_no_longer_matches_its_hash(
    client, clock, org_admin, org, version, legal
):
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(execution.agreement_sha256))
    execution.refresh_from_db()
    default_storage.delete(execution.agreement_path)
    default_storage.save(execution.agreement_path, io.BytesIO(b"%PDF-1.7 something else"))
    with pytest.raises(ApplicationError, match="no longer matches"):
        dpa_execution_countersign(
            execution=execution, actor=legal, typed_name="Lena Jansen", title="GC", confirms_authority=True
        )
    assert DpaExecution.objects.get().status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE


# --- leaving the enterprise plan --------------------------------------------------------------


def _executed_files() -> set[str]:
    return set(default_storage.listdir(pdf.EXECUTED_DIR)[1]) if default_storage.exists(pdf.EXECUTED_DIR) else set()


def _downgrade(org, actor):
    organisation_update(organisation=org, actor=actor, data={"tier": Organisation.Tier.SELF_SERVE})


def test_countersigning_refuses_an_organisation_downgraded_after_the_request(
    client, clock, org_admin, org, version, legal
):
    # given a request signed by the customer, then the organisation moved to self-serve
    execution, token = _request(org_admin, org)
    client.post(_sign_page(token), _sign_data(execution.agreement_sha256))
    _downgrade(org, legal)
    audit_before = AuditEvent.objects.count()
    emails_before = OutboundEmail.objects.count()
    files_before = _executed_files()
    # when legal countersigns, through the service or the staff page
    message = NO_LONGER_ENTERPRISE_COUNTERSIGN.format(organisation=org.name)
    with pytest.raises(ApplicationError, match=re.escape(message)):
        dpa_execution_countersign(
            execution=execution, actor=legal, typed_name="Lena Jansen", title="GC", confirms_authority=True
        )
    login(client, legal)
    url = reverse("signing:staff_detail", args=[execution.public_id])
    page = client.get(url).content.decode()
    assert message in page
    assert "Countersign and execute" not in page
    response = client.post(
        url, {"action": "countersign", "typed_name": "Lena Jansen", "title": "GC", "confirms_authority": "on"}
    )
    # then it is refused with the reason and nothing changed
    assert response.status_code == 400
    assert message in response.content.decode()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    assert execution.countersigned_at is None
    assert not execution.executed_path
    assert AuditEvent.objects.count() == audit_before
    assert OutboundEmail.objects.count() == emails_before
    assert _executed_files() == files_before
    # and once the organisation is enterprise again, legal can countersign
    organisation_update(organisation=org, actor=legal, data={"tier": Organisation.Tier.ENTERPRISE})
    execution = dpa_execution_countersign(
        execution=execution, actor=legal, typed_name="Lena Jansen", title="GC", confirms_authority=True
    )
    assert execution.status == DpaExecution.Status.EXECUTED


def test_signatory_cannot_sign_once_the_organisation_is_no_longer_enterprise(
    client, clock, org_admin, org, version, listed, legal
):
    execution, token = _request(org_admin, org)
    _downgrade(org, legal)
    page = client.get(_sign_page(token)).content.decode()
    assert "no longer on the enterprise plan" in page
    assert "Sign the DPA</button>" not in page
    response = client.post(_sign_page(token), _sign_data(execution.agreement_sha256))
    assert response.status_code == 400
    assert "no longer on the enterprise plan" in response.content.decode()
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.customer_signed_at is None
    assert execution_for_token(token).agreement_sha256 == execution.agreement_sha256
    assert not AuditEvent.objects.filter(action="dpa.signed_by_customer").exists()
