"""/metrics as Prometheus scrapes it: closed without the token, and gauges that tell an operator what is late."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from portal.deadlines.models import Obligation
from portal.delivery.models import OutboundEmail
from portal.delivery.outbox import email_queue_raw
from tests.breaches.factories import make_incident
from tests.changes.factories import make_change
from tests.organisations.factories import OrganisationFactory

TOKEN = "s3cret-metrics-token"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return get


def value(body: str, metric: str, **labels) -> float:
    label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = "^" + re.escape(metric) + (r"\{" + re.escape(label_text) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(pattern, body, re.MULTILINE)
    assert match, f"{metric} {labels} not in the scrape"
    return float(match.group(1))


@pytest.mark.django_db
def test_no_token_configured_means_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_refuse_without_the_right_token(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"portal_" not in response.content


@pytest.mark.django_db
def test_empty_portal_reports_zeroes(scrape):
    body = scrape()
    assert value(body, "portal_breach_notifications_unsent", status="queued") == 0
    assert value(body, "portal_obligations_overdue") == 0
    assert value(body, "portal_changes_held") == 0
    assert value(body, "portal_deliveries", channel="email", status="failed") == 0
    assert value(body, "portal_delivery_oldest_waiting_seconds", channel="webhook") == 0
    assert "portal_breach_notification_deadline_minutes" not in body  # no deadline running


@pytest.mark.django_db
def test_gauges_count_what_is_late(scrape, client):
    now = timezone.now()
    make_incident(organisations=[OrganisationFactory(), OrganisationFactory()], aware_at=now - dt.timedelta(hours=1))
    Obligation.objects.create(
        kind=Obligation.Kind.DISCLOSURE_ORDER,
        organisation=OrganisationFactory(),
        title="Overdue",
        received_at=now - dt.timedelta(days=3),
        due_at=now - dt.timedelta(hours=2),
    )
    make_change(status="held")
    email = email_queue_raw(key="metrics-test", to="dpo@acme.example", subject="Hello", text="Hi")
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=now - dt.timedelta(minutes=10))
    client.get("/")  # a request to count

    body = scrape()
    assert value(body, "portal_breach_notifications_unsent", status="drafted") == 2
    minutes = value(body, "portal_breach_notification_deadline_minutes")
    assert 47 * 60 - 2 <= minutes <= 47 * 60  # 48 hours from awareness, one hour ago
    assert value(body, "portal_obligations_overdue") == 1
    assert value(body, "portal_obligation_due_minutes") == pytest.approx(-120, abs=2)
    assert value(body, "portal_changes_held") == 1
    assert value(body, "portal_deliveries", channel="email", status="queued") == 1
    assert value(body, "portal_delivery_oldest_waiting_seconds", channel="email") >= 600
    assert "django_http_requests_total_by_method_total" in body
    assert "django_db_execute_total" in body
