"""Staff API of webhook deliveries: list with the console's filters, one delivery, retry (the console's service,
event and messages)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from subprocessors.webhooks.services import DELIVERY_RETRY_NOT_FAILED, DELIVERY_RETRY_WEBHOOK_REMOVED
from tests.auth import staff_token
from tests.changes.factories import make_change
from tests.organisations.factories import OrganisationFactory
from tests.staff.api_callers import READ, WRITE, api_caller

pytestmark = pytest.mark.django_db

LIST = reverse("webhooks:api_staff_deliveries")


def _delivery(org, n=0, **fields) -> WebhookDelivery:
    webhook, _ = Webhook.objects.get_or_create(
        organisation=org, url=f"https://hooks.{org.pk}.example/in", defaults={"secret": "whsec_secret"}
    )
    return WebhookDelivery.objects.create(
        webhook=webhook, event=f"subprocessor_change.announced.{n}", payload={"secret": "payload"}, **fields
    )


@pytest.fixture
def api(legal):
    return APIClient(HTTP_AUTHORIZATION=f"Token {staff_token(legal)}")


@pytest.fixture
def deliveries(org, other_org):
    change = make_change(status="announced")
    return [
        _delivery(org, 0, status=WebhookDelivery.Status.SUCCEEDED, attempts=1, last_status_code=204, change=change),
        _delivery(other_org, 1, status=WebhookDelivery.Status.FAILED, attempts=7, last_error="HTTP 500"),
        _delivery(org, 2, status=WebhookDelivery.Status.PENDING),
    ]


def test_list_is_newest_first_and_shows_what_the_console_shows(api, deliveries, org):
    response = api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [d["id"] for d in body["results"]] == [str(d.delivery_id) for d in reversed(deliveries)]
    first = body["results"][2]
    delivery = deliveries[0]
    for key in ("created_at", "updated_at"):
        assert dt.datetime.fromisoformat(first.pop(key)) == getattr(delivery, key)
    change = delivery.change
    assert first == {
        "id": str(delivery.delivery_id),
        "organisation": {"id": str(org.public_id), "name": org.name},
        "webhook": {"id": str(delivery.webhook.public_id), "url": delivery.webhook.url, "active": True},
        "event": "subprocessor_change.announced.0",
        "change": {
            "id": str(change.public_id),
            "subprocessor": change.subprocessor.name,
            "console_url": settings.SITE_URL + reverse("changes:staff_detail", args=[change.public_id]),
        },
        "status": "succeeded",
        "attempts": 1,
        "last_status_code": 204,
        "last_error": "",
        "delivered_at": None,
        "can_retry": False,
        "console_url": f"{settings.SITE_URL}{reverse('webhooks:staff_deliveries')}?url=https%3A%2F%2Fhooks.{org.pk}"
        ".example%2Fin",
    }
    assert (body["results"][1]["change"], body["results"][1]["can_retry"]) == (None, True)
    # never the payload or the signing secret: the console does not show them either
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, [1]),
        ({"organisation": "globex"}, [1]),  # name contains, as on the console
        ({"url": "hooks."}, [2, 1, 0]),
        ({"status": "pending", "organisation": "acme"}, [2]),
        ({"status": ""}, [2, 1, 0]),
    ],
)
def test_list_filters_as_the_console(api, deliveries, query, expected):
    results = api.get(LIST, query).json()["results"]
    assert [d["id"] for d in results] == [str(deliveries[i].delivery_id) for i in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "exploded"}, {"status": ["Select a valid choice. exploded is not one of the available choices."]}),
        ({"page_size": "x"}, {"page_size": ["A valid integer is required."]}),
    ],
)
def test_bad_filters_are_400_with_the_field_message(api, deliveries, query, errors):
    response = api.get(LIST, query)
    assert response.status_code == 400
    assert response.json() == errors


def test_list_queries_do_not_grow_with_rows(api, django_assert_max_num_queries):
    change = make_change(status="announced")
    for n in range(30):
        org = OrganisationFactory()
        _delivery(org, n, status=WebhookDelivery.Status.FAILED, change=change)
        _delivery(org, n + 100, status=WebhookDelivery.Status.SUCCEEDED)
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 60})
    assert len(response.json()["results"]) == 60


def test_one_delivery(api, deliveries):
    response = api.get(reverse("webhooks:api_staff_delivery", args=[deliveries[1].delivery_id]))
    assert response.status_code == 200
    assert response.json()["last_error"] == "HTTP 500"
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(reverse("webhooks:api_staff_delivery", args=[unknown])).status_code == 404


# --- retry ------------------------------------------------------------------------------------------------


def test_retry_queues_a_failed_delivery_and_is_audited_as_in_the_console(
    api, legal, other_org, deliveries, django_capture_on_commit_callbacks
):
    failed = deliveries[1]
    with django_capture_on_commit_callbacks() as enqueued:
        response = api.post(reverse("webhooks:api_staff_delivery_retry", args=[failed.delivery_id]))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["attempts"], body["can_retry"]) == (
        str(failed.delivery_id),
        "pending",
        0,
        False,
    )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (WebhookDelivery.Status.PENDING, 0)
    assert len(enqueued) == 1  # its delivery, after the commit
    event = AuditEvent.objects.get(action="webhook.delivery_retried")
    assert (event.actor_id, event.organisation_id) == (legal.pk, other_org.pk)
    assert (event.target_type, event.target_id) == ("webhooks.WebhookDelivery", str(failed.pk))
    assert event.details == {"url": failed.webhook.url, "event": failed.event}


@pytest.mark.parametrize("index", [0, 2])  # succeeded, pending
def test_retrying_a_delivery_that_did_not_fail_is_400_with_the_service_message(api, deliveries, index):
    row = deliveries[index]
    response = api.post(reverse("webhooks:api_staff_delivery_retry", args=[row.delivery_id]))
    assert response.status_code == 400
    assert response.json() == {"detail": DELIVERY_RETRY_NOT_FAILED}
    before = (row.status, row.attempts, row.updated_at)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.updated_at) == before
    assert not AuditEvent.objects.filter(action="webhook.delivery_retried").exists()


def test_deliveries_of_a_removed_webhook_are_not_retried(api, deliveries):
    failed = deliveries[1]
    Webhook.objects.filter(pk=failed.webhook_id).update(active=False)
    response = api.post(reverse("webhooks:api_staff_delivery_retry", args=[failed.delivery_id]))
    assert response.status_code == 400
    assert response.json() == {"detail": DELIVERY_RETRY_WEBHOOK_REMOVED}
    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.FAILED
    assert not AuditEvent.objects.filter(action="webhook.delivery_retried").exists()


def test_retrying_an_unknown_delivery_is_404(api):
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.post(reverse("webhooks:api_staff_delivery_retry", args=[unknown])).status_code == 404


def test_retry_with_the_same_idempotency_key_retries_once(api, deliveries):
    url = reverse("webhooks:api_staff_delivery_retry", args=[deliveries[1].delivery_id])
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="retry-hook")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="retry-hook")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="webhook.delivery_retried").count() == 1


# --- who may call them ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["webhooks:api_staff_deliveries", "webhooks:api_staff_delivery"])
@pytest.mark.parametrize("who", list(READ))
def test_who_may_read(name, who, legal, legal_no_mfa, member, deliveries):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="webhooks.view_webhookdelivery")
    args = [deliveries[0].delivery_id] if name.endswith("_delivery") else []
    response = api.get(reverse(name, args=args))
    assert response.status_code == (READ[who] or 200)
    if READ[who]:
        assert "example/in" not in response.content.decode()


@pytest.mark.parametrize("who", list(WRITE))
def test_who_may_retry(who, legal, legal_no_mfa, member, deliveries):
    api = api_caller(who, legal=legal, legal_no_mfa=legal_no_mfa, member=member, perm="webhooks.change_webhookdelivery")
    failed = deliveries[1]
    response = api.post(reverse("webhooks:api_staff_delivery_retry", args=[failed.delivery_id]))
    assert response.status_code == (WRITE[who] or 200)
    failed.refresh_from_db()
    assert failed.status == ("pending" if WRITE[who] is None else "failed")
    assert AuditEvent.objects.filter(action="webhook.delivery_retried").count() == (1 if WRITE[who] is None else 0)
