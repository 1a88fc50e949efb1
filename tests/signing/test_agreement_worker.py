"""The agreement for signature is rendered by a worker, never inside a request: the request and a re-preparation
record Annex 1 and leave the agreement "being prepared"; the worker renders it from the recorded rows and attaches
it only if the execution still has that annex; a lost or failed render is sent again by the sweep; nobody signs
before the agreement is there, and every page says so honestly."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from dpa.signing import agreement
from dpa.signing.agreement import MAX_ATTEMPTS, dpa_agreements_sweep, dpa_execution_agreement_render
from dpa.signing.models import DpaExecution
from dpa.signing.services import (
    AGREEMENT_BEING_PREPARED,
    dpa_execution_agreement_refresh,
    dpa_execution_request,
    dpa_execution_sign,
)
from dpa.versions.annex import annex_sha256
from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Membership
from tests.auth import login
from tests.listing.factories import make_subprocessor
from tests.pdf import pdf_text
from tests.signing.factories import memoize_pdf, published_version

pytestmark = pytest.mark.django_db

SIGNATORY = {
    "signatory_name": "Ines de Vries",
    "signatory_title": "Managing Director",
    "signatory_email": "ines@acme.example",
}
PREPARING = "Your agreement is being prepared"
SIGN_BUTTON = "Sign the DPA</button>"


@pytest.fixture
def rendered(monkeypatch):
    """The HTML documents WeasyPrint was asked to lay out (memoized: each distinct one is rendered once)."""
    return memoize_pdf(monkeypatch)


@pytest.fixture
def version(db):
    return published_version(label="2026.1")


@pytest.fixture
def listed(db):
    return make_subprocessor(name="Hetzner", slug="hetzner", legal_entity="Hetzner Online GmbH")


def _request(org_admin, org):
    """The request's transaction only; its on_commit callbacks (the render task) are left to the test."""
    membership = Membership.objects.get(user=org_admin, organisation=org)
    return dpa_execution_request(membership=membership, actor=org_admin, **SIGNATORY)


def _token_from_email(execution) -> str:
    row = OutboundEmail.objects.get(template="dpa_signature_request", ref_id=str(execution.pk))
    return re.search(r"/dpa/sign/([^/]+)/", row.body_text).group(1)


def _sign_page(token):
    return reverse("signing:sign", args=[token])


def _sign_data(sha256=""):
    return {"action": "sign", "typed_name": "Ines de Vries", "confirms_authority": "on", "agreement_sha256": sha256}


def _agreement_text(execution) -> str:
    with default_storage.open(execution.agreement_path, "rb") as fh:
        return " ".join(pdf_text(fh.read()).split())


def _add_latecomer():
    return make_subprocessor(name="Latecomer Labs", slug="latecomer", legal_entity="Latecomer Labs SAS")


# --- the request ------------------------------------------------------------------------------


def test_request_post_renders_nothing_and_the_worker_renders_after_the_commit(
    client, org_admin, org, version, listed, rendered, django_capture_on_commit_callbacks
):
    login(client, org_admin)
    # when the admin requests a signed DPA
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("signing:request", args=[org.public_id]), SIGNATORY)
    # then the request answers without laying out any PDF
    assert response.status_code == 302
    assert rendered == []
    execution = DpaExecution.objects.get()
    # and it recorded the annex, with the agreement left "being prepared"
    assert [row["name"] for row in execution.annex_rows] == ["Hetzner"]
    assert execution.annex_sha256 == annex_sha256(execution.annex_rows)
    assert execution.annex_as_of is not None
    assert (execution.agreement_path, execution.agreement_sha256) == ("", "")
    # and the signatory's email goes out at once: the link says the agreement is being prepared until it is
    token = _token_from_email(execution)
    assert PREPARING in client.get(_sign_page(token)).content.decode()
    # when the commit's callbacks run (the eager worker)
    for callback in callbacks:
        callback()
    # then the agreement was rendered once, stored, and recorded with its SHA-256
    assert len(rendered) == 1
    execution.refresh_from_db()
    with default_storage.open(execution.agreement_path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == execution.agreement_sha256
    assert "Hetzner Online GmbH" in _agreement_text(execution)
    prepared = AuditEvent.objects.get(action="dpa.agreement_prepared")
    assert prepared.details["agreement_sha256"] == execution.agreement_sha256
    assert prepared.details["annex_sha256"] == execution.annex_sha256
    assert execution.agreement_enqueued_at is not None
    assert execution.agreement_attempts == 1


def test_the_worker_renders_the_recorded_rows_not_the_list_read_again(org_admin, org, version, listed, rendered):
    execution, _ = _request(org_admin, org)
    recorded = execution.annex_sha256
    # given the list changed after the request recorded its annex, before the worker ran
    _add_latecomer()
    # when the worker renders
    assert dpa_execution_agreement_render(execution_id=execution.pk) is True
    # then the agreement prints exactly the recorded rows
    execution.refresh_from_db()
    assert execution.annex_sha256 == recorded
    text = _agreement_text(execution)
    assert "Hetzner Online GmbH" in text
    assert "Latecomer Labs" not in text


def test_the_task_is_idempotent(org_admin, org, version, listed, rendered):
    execution, _ = _request(org_admin, org)
    assert dpa_execution_agreement_render(execution_id=execution.pk) is True
    first = DpaExecution.objects.get()
    assert dpa_execution_agreement_render(execution_id=execution.pk) is False
    again = DpaExecution.objects.get()
    assert (again.agreement_path, again.agreement_sha256) == (first.agreement_path, first.agreement_sha256)
    assert again.agreement_attempts == 1
    assert AuditEvent.objects.filter(action="dpa.agreement_prepared").count() == 1
    assert len(rendered) == 1


def test_recorded_rows_that_no_longer_match_their_hash_are_not_printed(org_admin, org, version, listed, rendered):
    execution, _ = _request(org_admin, org)
    DpaExecution.objects.filter(pk=execution.pk).update(annex_rows=[{"name": "Forged"}])
    with pytest.raises(ApplicationError, match="no longer have the recorded SHA-256"):
        dpa_execution_agreement_render(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.agreement_sha256 == ""
    assert "no longer have the recorded SHA-256" in execution.agreement_error
    assert rendered == []


# --- a list change while the worker renders ---------------------------------------------------


def test_list_changed_mid_signing_the_stale_render_is_discarded_and_the_new_annex_wins(
    client, org_admin, org, version, listed, rendered, monkeypatch, django_capture_on_commit_callbacks
):
    execution, token = _request(org_admin, org)
    first_annex = execution.annex_sha256
    real = agreement.version_pdf
    renders = []

    def list_changes_while_rendering(version, **kwargs):
        renders.append(kwargs["annex"].sha256)
        if len(renders) == 1:
            # the list changes and the signatory reopens the page while the first render is still running
            _add_latecomer()
            dpa_execution_agreement_refresh(execution=execution)
        return real(version, **kwargs)

    monkeypatch.setattr(agreement, "version_pdf", list_changes_while_rendering)
    # when the first render finishes after the refresh recorded a new annex
    with django_capture_on_commit_callbacks(execute=True):
        assert dpa_execution_agreement_render(execution_id=execution.pk) is False
    # then its document was discarded, and the refresh's own render (of the new annex) is the agreement
    execution.refresh_from_db()
    assert renders[0] == first_annex
    assert renders[1] == execution.annex_sha256 != first_annex
    assert "Latecomer Labs" in _agreement_text(execution)
    prepared = AuditEvent.objects.filter(action="dpa.agreement_prepared")
    assert [e.details["annex_sha256"] for e in prepared] == [execution.annex_sha256]
    assert AuditEvent.objects.filter(action="dpa.agreement_regenerated").count() == 1
    # and the signatory signs that document
    page = client.get(_sign_page(token)).content.decode()
    assert execution.agreement_sha256 in page
    assert client.post(_sign_page(token), _sign_data(execution.agreement_sha256)).status_code == 302


def test_a_render_finishing_after_the_request_was_withdrawn_is_discarded(org_admin, org, version, listed, rendered):
    execution, _ = _request(org_admin, org)
    claimed = agreement._claim(execution.pk)
    DpaExecution.objects.filter(pk=execution.pk).update(
        status=DpaExecution.Status.DECLINED, decline_reason="Wrong signatory.", declined_side="customer"
    )
    annex = agreement.recorded_annex(claimed)
    assert agreement._attach(claimed, annex, path="dpa/pdf/x.pdf", sha256="a" * 64, render_ms=1) is False
    assert DpaExecution.objects.get().agreement_sha256 == ""


# --- the pages while the agreement is being prepared ------------------------------------------


def test_sign_page_says_the_agreement_is_being_prepared_and_refuses_a_signature(
    client, org_admin, org, version, listed, rendered
):
    execution, token = _request(org_admin, org)
    # the page says so, refreshes itself, offers a Refresh link and nothing to sign
    response = client.get(_sign_page(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<h2 id="preparing-h">{PREPARING}</h2>' in page
    assert 'aria-labelledby="preparing-h"' in page
    # it checks the agreement's link in the background and reloads once that is ready (static/js/poll.js)
    assert f'data-poll-url="{reverse("signing:sign_pdf", args=[token])}"' in page
    assert "js/poll" in page
    assert f'href="{_sign_page(token)}">Refresh</a>' in page
    assert SIGN_BUTTON not in page
    assert "Review the agreement (PDF)" not in page
    # a signature posted meanwhile (whatever hash) is refused with a clear error and changes nothing
    audit_before = AuditEvent.objects.count()
    for posted in ("", "0" * 64):
        response = client.post(_sign_page(token), _sign_data(posted))
        assert response.status_code == 400
        assert AGREEMENT_BEING_PREPARED in response.content.decode()
        assert SIGN_BUTTON not in response.content.decode()
    with pytest.raises(ApplicationError, match="still being prepared"):
        dpa_execution_sign(
            execution=execution,
            typed_name="Ines de Vries",
            confirms_authority=True,
            agreement_sha256="",
            ip=None,
            user_agent="",
        )
    execution.refresh_from_db()
    assert execution.status == DpaExecution.Status.AWAITING_SIGNATORY
    assert execution.customer_signed_at is None
    assert AuditEvent.objects.count() == audit_before
    assert not OutboundEmail.objects.filter(template="dpa_countersign_needed").exists()
    # the PDF link answers "being prepared", not a broken download
    pdf = client.get(reverse("signing:sign_pdf", args=[token]))
    assert pdf.status_code == 202
    assert pdf["Retry-After"] == "3"
    assert PREPARING in pdf.content.decode()
    # once the worker rendered it, the page offers it for signature
    dpa_execution_agreement_render(execution_id=execution.pk)
    execution.refresh_from_db()
    page = client.get(_sign_page(token)).content.decode()
    assert SIGN_BUTTON in page
    assert PREPARING not in page
    assert client.get(reverse("signing:sign_pdf", args=[token])).content.startswith(b"%PDF")
    assert client.post(_sign_page(token), _sign_data(execution.agreement_sha256)).status_code == 302


def test_staff_and_customer_pages_say_being_prepared_rather_than_a_broken_link(
    client, org_admin, org, member, legal, version, listed, rendered
):
    execution, _ = _request(org_admin, org)
    login(client, legal)
    detail = client.get(reverse("signing:staff_detail", args=[execution.public_id])).content.decode()
    assert "Being prepared by a worker" in detail
    assert "The agreement for signature is being prepared" in detail
    assert reverse("signing:staff_pdf", args=[execution.public_id]) not in detail
    pdf = client.get(reverse("signing:staff_pdf", args=[execution.public_id]))
    assert pdf.status_code == 202
    assert PREPARING in pdf.content.decode()
    login(client, member)
    home = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    assert "the agreement for signature is being prepared" in home
    # the permission rules are unchanged while it is being prepared
    assert client.get(reverse("signing:staff_pdf", args=[execution.public_id])).status_code in (302, 403, 404)
    client.logout()
    assert client.get(reverse("signing:staff_pdf", args=[execution.public_id])).status_code == 302


# --- lost and failed renders ------------------------------------------------------------------


def test_sweep_re_sends_an_agreement_whose_task_was_lost(
    org_admin, org, version, listed, rendered, django_capture_on_commit_callbacks
):
    # given a request whose render task never reached a worker (its on_commit callbacks are dropped)
    execution, _ = _request(org_admin, org)
    # then the sweep leaves it alone while it may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        assert dpa_agreements_sweep() == 0
    # and sends it again once it is overdue; the worker then renders it
    later = timezone.now() + agreement.LOST_AFTER + dt.timedelta(seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert dpa_agreements_sweep(now=later) == 1
    execution.refresh_from_db()
    assert execution.agreement_ready
    assert len(rendered) == 1
    # and a rendered agreement is never sent again
    with django_capture_on_commit_callbacks(execute=True):
        assert dpa_agreements_sweep(now=later + dt.timedelta(hours=1)) == 0


def test_sweep_skips_closed_and_expired_requests(org_admin, org, version, listed, rendered):
    execution, _ = _request(org_admin, org)
    with time_machine.travel(execution.link_expires_at + dt.timedelta(minutes=1)):
        assert dpa_agreements_sweep() == 0
        assert dpa_execution_agreement_render(execution_id=execution.pk) is False


def test_a_failed_render_is_recorded_retried_by_the_sweep_and_the_pages_stay_honest(
    client, org_admin, org, legal, version, listed, rendered, monkeypatch, django_capture_on_commit_callbacks
):
    real = agreement.version_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr(agreement, "version_pdf", broken)
    # when the worker's render raises (the eager task swallows it like a worker would log it)
    with django_capture_on_commit_callbacks(execute=True):
        execution, token = _request(org_admin, org)
    execution.refresh_from_db()
    assert execution.agreement_error == "RuntimeError: WeasyPrint ran out of memory"
    assert execution.agreement_attempts == 1
    assert not execution.agreement_ready
    # then the signatory is told it takes longer and is retried, with still nothing to sign
    page = client.get(_sign_page(token)).content.decode()
    assert PREPARING in page
    assert "the last attempt failed and is being retried automatically" in page
    assert SIGN_BUTTON not in page
    assert client.post(_sign_page(token), _sign_data()).status_code == 400
    # and legal staff see the error
    login(client, legal)
    detail = client.get(reverse("signing:staff_detail", args=[execution.public_id])).content.decode()
    assert "WeasyPrint ran out of memory" in detail
    # when the sweep tries again after the back-off and the render works this time
    monkeypatch.setattr(agreement, "version_pdf", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert dpa_agreements_sweep(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    # then the agreement is there and the error gone
    execution.refresh_from_db()
    assert execution.agreement_ready
    assert execution.agreement_error == ""
    assert execution.agreement_attempts == 2


def test_after_the_last_attempt_failed_the_sweep_stops_and_the_pages_say_so(
    client, org_admin, org, version, listed, rendered, monkeypatch
):
    execution, token = _request(org_admin, org)
    DpaExecution.objects.filter(pk=execution.pk).update(
        agreement_attempts=MAX_ATTEMPTS, agreement_error="RuntimeError: boom"
    )
    assert dpa_agreements_sweep(now=timezone.now() + dt.timedelta(days=1)) == 0
    page = client.get(_sign_page(token)).content.decode()
    assert "Your agreement could not be prepared" in page
    assert "data-poll-url" not in page
    assert SIGN_BUTTON not in page
    pdf = client.get(reverse("signing:sign_pdf", args=[token]))
    assert pdf.status_code == 503
    assert "could not be prepared" in pdf.content.decode()


def test_a_list_change_starts_the_attempts_again(client, org_admin, org, version, listed, rendered):
    execution, token = _request(org_admin, org)
    DpaExecution.objects.filter(pk=execution.pk).update(
        agreement_attempts=MAX_ATTEMPTS, agreement_error="RuntimeError: boom"
    )
    _add_latecomer()
    page = client.get(_sign_page(token)).content.decode()
    execution.refresh_from_db()
    assert (execution.agreement_attempts, execution.agreement_error) == (0, "")
    assert PREPARING in page
    assert "could not be prepared" not in page


def test_an_agreement_being_prepared_is_not_reported_as_a_missing_evidence_file(
    org_admin, org, version, listed, rendered
):
    from portal.audit.services import Actor
    from portal.evidence.files import evidence_files_verify

    execution, _ = _request(org_admin, org)
    before, failures = evidence_files_verify(alert=False, actor=Actor(label="test"))
    assert failures == []
    dpa_execution_agreement_render(execution_id=execution.pk)
    checked, failures = evidence_files_verify(alert=False, actor=Actor(label="test"))
    assert (checked, failures) == (before + 1, [])


# --- legal staff retry a failed render --------------------------------------------------------


def _failed(org_admin, org):
    execution, _ = _request(org_admin, org)
    DpaExecution.objects.filter(pk=execution.pk).update(
        agreement_attempts=MAX_ATTEMPTS, agreement_error="RuntimeError: boom"
    )
    return execution


def test_legal_staff_retry_a_failed_render_now(
    client, org_admin, org, legal, version, listed, rendered, django_capture_on_commit_callbacks
):
    execution = _failed(org_admin, org)
    login(client, legal)
    detail = client.get(reverse("signing:staff_detail", args=[execution.public_id])).content.decode()
    assert "Could not be prepared" in detail
    assert "Try again now" in detail
    url = reverse("signing:staff_agreement_retry", args=[execution.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("signing:staff_detail", args=[execution.public_id])
    execution.refresh_from_db()
    assert execution.agreement_ready
    assert (execution.agreement_attempts, execution.agreement_error) == (1, "")
    # the retry is in the audit log with the failure it answered, before the render it caused
    actions = list(
        AuditEvent.objects.filter(action__startswith="dpa.agreement_", target_id=str(execution.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["dpa.agreement_retried", "dpa.agreement_prepared"]
    retried = AuditEvent.objects.get(action="dpa.agreement_retried")
    assert (retried.actor, retried.organisation_id) == (legal, org.pk)
    assert retried.details == {
        "version": execution.version.label,
        "error": "RuntimeError: boom",
        "attempts": MAX_ATTEMPTS,
    }
    # a second retry has nothing to do, says so and records nothing
    response = client.post(url, follow=True)
    assert "not waiting for another attempt" in response.content.decode()
    assert AuditEvent.objects.filter(action="dpa.agreement_retried").count() == 1


@pytest.mark.parametrize("who", ["anonymous", "customer admin", "other organisation", "staff without legal"])
def test_only_legal_staff_may_retry_a_render(client, org_admin, org, other_member, version, listed, rendered, who):
    from tests.organisations.factories import UserFactory

    execution = _failed(org_admin, org)
    user = {
        "anonymous": None,
        "customer admin": org_admin,
        "other organisation": other_member,
        "staff without legal": UserFactory(is_staff=True),
    }[who]
    if user is not None:
        login(client, user)
    response = client.post(reverse("signing:staff_agreement_retry", args=[execution.public_id]))
    if user is None:
        assert response.status_code == 302
        assert "/login" in response["Location"]
    elif who == "staff without legal":
        # Django staff without the legal group: refused (or first sent to set up MFA, which still gives nothing)
        assert response.status_code in (302, 403)
    else:
        assert response.status_code == 403
    execution.refresh_from_db()
    assert (execution.agreement_attempts, execution.agreement_error) == (MAX_ATTEMPTS, "RuntimeError: boom")
    assert not AuditEvent.objects.filter(action="dpa.agreement_retried").exists()


def test_retry_is_post_only(client, org_admin, org, legal, version, listed, rendered):
    execution = _failed(org_admin, org)
    login(client, legal)
    assert client.get(reverse("signing:staff_agreement_retry", args=[execution.public_id])).status_code == 405
