"""A new access request that waits for legal staff posts one staff chat alert linking to its decision page."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.delivery.models import ChatAlert
from portal.trust.models import AccessRequest
from tests.auth import login
from tests.organisations.factories import OrganisationFactory, UserFactory
from tests.trust.factories import AutoApprovalRuleFactory

pytestmark = pytest.mark.django_db
MOMENT = dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC)  # Tuesday: due Thursday 23:59 in Amsterdam


def test_new_request_queues_one_alert_with_the_decision_link(chat_webhook, submit):
    user = UserFactory(email="dpo@acme-health.example")
    with time_machine.travel(MOMENT, tick=False):
        req = submit(user, company="Acme <!channel> Health", job_role="DPO")
    alert = ChatAlert.objects.get()
    url = "http://testserver" + reverse("trust:staff_detail", args=[req.public_id])
    assert (alert.kind, alert.url, alert.idempotency_key) == ("access_request", url, f"access:{req.public_id}:new")
    assert alert.text == (
        "New access request\n"
        "Who: dpo@acme-health.example\n"
        "Company: Acme &lt;!channel&gt; Health\n"
        "Role: DPO\n"
        "Decide by: 2026-11-19 22:59 UTC (23:59 Europe/Amsterdam)\n"
        f"{url}"
    )


def test_auto_approved_request_needs_no_decision_and_no_alert(chat_webhook, submit):
    acme = OrganisationFactory(name="Acme", tier="enterprise", email_domain="acme-health.example")
    AutoApprovalRuleFactory(organisation=acme, domain="acme-health.example", level="nda")
    req = submit(UserFactory(email="cfo@acme-health.example"))
    assert req.status == AccessRequest.Status.APPROVED
    assert not ChatAlert.objects.exists()


def test_no_alert_when_chat_is_off(submit):
    submit(UserFactory())
    assert not ChatAlert.objects.exists()


def test_a_chat_server_that_is_down_never_breaks_the_request(
    client, nda, receiver, settings, django_capture_on_commit_callbacks
):
    # given the chat server answers 500 (the alert's first attempt runs at the request's commit, Celery eager)
    handler, url = receiver
    handler.answers = [500]
    settings.STAFF_CHAT_WEBHOOK_URL = url
    user = UserFactory()
    login(client, user)
    # when the customer submits the form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("trust:access_request"),
            {
                "company": "Globex",
                "job_role": "CISO",
                "reason": "Assessment",
                "nda_version": nda.version,
                "accept_nda": "on",
            },
        )
    # then the request went through and the alert waits for its retry
    assert response.status_code == 302
    assert AccessRequest.objects.filter(user=user).exists()
    alert = ChatAlert.objects.get()
    assert (alert.status, alert.attempts, alert.last_error) == ("queued", 1, "HTTP 500")
