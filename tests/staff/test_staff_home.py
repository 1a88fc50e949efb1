"""The staff home: what needs a decision, with counts, alerts, the most urgent rows and links."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dpa.signing.models import DpaExecution
from portal.audit.models import AuditEvent
from portal.deadlines.models import Obligation
from portal.delivery.models import OutboundEmail
from subprocessors.objections.models import Objection
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from tests.auth import login
from tests.breaches.factories import make_incident, mark_delivered
from tests.changes.factories import make_change
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.signing.factories import DpaVersionFactory
from tests.trust.factories import AccessRequestFactory, grant

pytestmark = pytest.mark.django_db

PANELS = [
    "Breach notifications not yet delivered",
    "Access requests to decide",
    "DPAs to countersign",
    "Changes awaiting their effective date",
    "Obligations due within 2 days",
    "Failed emails",
    "Failed webhook deliveries",
]


def _home(client, user):
    login(client, user)
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(body: str, key: str) -> str:
    start = body.index(f'id="{key}"')
    end = body.find("</section>", start)
    return body[start:end]


def test_nothing_to_decide_shows_every_queue_empty(client, legal):
    body = _home(client, legal)
    assert "Nothing is waiting for a decision" in body
    for title in PANELS:
        assert title in body
    assert "Every breach notification has been delivered." in body
    assert "No access request is waiting for a decision." in body
    assert "Every webhook delivery succeeded or is still being retried." in body
    assert body.count('class="badge ok">Clear</span>') == len(PANELS)


def test_queues_are_ordered_most_urgent_first_with_anchor_links(client, legal):
    body = _home(client, legal)
    order = [body.index(f">{title} <span") for title in PANELS]
    assert order == sorted(order)
    for key in ("breach-notifications", "access-requests", "countersign", "changes", "obligations"):
        assert f'href="#{key}"' in body
        assert f'id="{key}"' in body


def test_access_requests_show_due_and_overdue(client, legal, org):
    now = timezone.now()
    late = AccessRequestFactory(
        organisation=org, submitted_at=now - dt.timedelta(days=4), due_at=now - dt.timedelta(minutes=1)
    )
    fresh = AccessRequestFactory(submitted_at=now, due_at=now + dt.timedelta(days=2))
    grant(MembershipFactory(organisation=org).user)  # decided: not in the queue
    body = _home(client, legal)
    section = _section(body, "access-requests")
    assert ">2</span></h2>" in section
    assert "1 past their 2-business-day answer date" in section
    assert reverse("trust:staff_detail", args=[late.public_id]) in section
    assert section.count("Overdue") == 1
    assert section.index(late.user.email) < section.index(fresh.user.email)  # earliest answer date first


@time_machine.travel(dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), tick=False)
def test_breach_notifications_near_and_past_their_deadline(client, legal):
    a, b, c = OrganisationFactory(name="Alpha"), OrganisationFactory(name="Bravo"), OrganisationFactory(name="Charlie")
    now = timezone.now()
    # 48h clock: aware 47h59m ago → 1 minute left; aware 48h01m ago → 1 minute late; aware 1h ago → 47h left.
    make_incident(organisations=[a], aware_at=now - dt.timedelta(hours=47, minutes=59), title="Near")
    make_incident(organisations=[b], aware_at=now - dt.timedelta(hours=48, minutes=1), title="Late")
    make_incident(organisations=[c], aware_at=now - dt.timedelta(hours=1), title="Fresh")
    section = _section(_home(client, legal), "breach-notifications")
    assert ">3</span></h2>" in section
    assert "1 past the 48-hour deadline, 1 due within 12 hours" in section
    assert section.index("Bravo") < section.index("Alpha") < section.index("Charlie")
    assert "overdue by 1\xa0minute" in section
    assert "1\xa0minute left" in section
    assert "1\xa0day, 23\xa0hours left" in section


def test_delivered_notifications_and_closed_incidents_are_not_listed(client, legal):
    org = OrganisationFactory(name="Delta")
    incident = make_incident(organisations=[org], title="Old one")
    mark_delivered(incident.notifications.all())
    closed = make_incident(organisations=[OrganisationFactory(name="Echo")], title="Closed one")
    type(closed).objects.filter(pk=closed.pk).update(status="closed")
    section = _section(_home(client, legal), "breach-notifications")
    assert "Every breach notification has been delivered." in section


def test_announced_changes_with_open_objections_first(client, legal, org, other_org):
    quiet = make_change(status="announced", effective_date=dt.date(2026, 12, 20))
    disputed = make_change(status="announced", effective_date=dt.date(2027, 1, 15))
    make_change(status="draft")
    for o, status in ((org, "received"), (other_org, "in_consultation")):
        Objection.objects.create(change=disputed, organisation=o, grounds="EU only", status=status)
    Objection.objects.create(
        change=quiet, organisation=OrganisationFactory(), grounds="withdrawn", status=Objection.Status.WITHDRAWN
    )
    section = _section(_home(client, legal), "changes")
    assert ">2</span></h2>" in section
    assert "2 open objections on 1 change" in section
    assert section.index(disputed.subprocessor.name) < section.index(quiet.subprocessor.name)
    assert reverse("changes:staff_detail", args=[disputed.public_id]) in section


def test_obligations_due_within_two_days(client, legal, org):
    now = timezone.now()

    def obligation(title, due):
        return Obligation.objects.create(
            kind=Obligation.Kind.DISCLOSURE_ORDER, organisation=org, title=title, received_at=now, due_at=due
        )

    obligation("Court order A", now - dt.timedelta(hours=1))
    obligation("Court order B", now + dt.timedelta(days=1))
    obligation("Court order C", now + dt.timedelta(days=5))
    done = obligation("Court order D", now - dt.timedelta(days=1))
    Obligation.objects.filter(pk=done.pk).update(status=Obligation.Status.COMPLETED, completed_at=now)
    section = _section(_home(client, legal), "obligations")
    assert ">2</span></h2>" in section
    assert "1 overdue" in section
    assert "Court order A" in section
    assert "Court order B" in section
    assert "Court order C" not in section
    assert "Court order D" not in section


def _execution(org, status=DpaExecution.Status.AWAITING_COUNTERSIGNATURE):
    return DpaExecution.objects.create(
        organisation=org,
        version=DpaVersionFactory(),
        status=status,
        agreement_path="x.pdf",
        agreement_sha256="0" * 64,
        signatory_name="Ada Signer",
        signatory_title="CEO",
        signatory_email="ada@acme.example",
        link_expires_at=timezone.now() + dt.timedelta(days=14),
        customer_signed_name="Ada Signer",
        customer_signed_at=timezone.now(),
    )


def test_dpas_waiting_for_countersignature(client, legal, org, other_org):
    waiting = _execution(org)
    _execution(other_org, status=DpaExecution.Status.AWAITING_SIGNATORY)
    section = _section(_home(client, legal), "countersign")
    assert ">1</span></h2>" in section
    assert reverse("signing:staff_detail", args=[waiting.public_id]) in section
    assert other_org.name not in section


def test_failed_emails_and_webhooks(client, legal, org):
    OutboundEmail.objects.create(
        idempotency_key="f1", to_email="dpo@acme.example", subject="Notice", body_text="B", status="failed"
    )
    OutboundEmail.objects.create(idempotency_key="s1", to_email="ok@acme.example", subject="S", body_text="B")
    _delivery(org, status=WebhookDelivery.Status.FAILED, last_status_code=502)
    body = _home(client, legal)
    emails = _section(body, "failed-emails")
    assert "dpo@acme.example" in emails
    assert "ok@acme.example" not in emails
    assert reverse("delivery:staff_outbox") + "?status=failed" in emails
    hooks = _section(body, "failed-webhooks")
    assert "HTTP 502" in hooks
    assert org.name in hooks
    assert reverse("webhooks:staff_deliveries") + "?status=failed" in hooks
    assert "2 of 7 queues need attention" in body


def _delivery(org, n=0, **fields):
    webhook, _ = Webhook.objects.get_or_create(
        organisation=org, url=f"https://hooks.{org.pk}.example/in", defaults={"secret": "s"}
    )
    return WebhookDelivery.objects.create(
        webhook=webhook, event=f"subprocessor_change.announced.{n}", payload={"n": n}, **fields
    )


def _fill(n):
    now = timezone.now()
    orgs = [OrganisationFactory() for _ in range(n)]
    for i, o in enumerate(orgs):
        AccessRequestFactory(organisation=o, due_at=now - dt.timedelta(hours=i))
        Obligation.objects.create(
            kind=Obligation.Kind.DISCLOSURE_ORDER, organisation=o, title="Order", received_at=now, due_at=now
        )
        _execution(o)
        _delivery(o, i, status=WebhookDelivery.Status.FAILED)
        OutboundEmail.objects.create(
            idempotency_key=f"k{n}-{i}",
            to_email="x@y.example",
            subject="S",
            body_text="B",
            status="failed",
            organisation=o,
        )
        change = make_change(status="announced")
        Objection.objects.create(change=change, organisation=o, grounds="g")
    incident = make_incident(organisations=orgs, aware_at=now - dt.timedelta(hours=40))
    # half of them failed delivery: shown first, in red, with their status
    incident.notifications.filter(organisation__in=orgs[::2]).update(
        status="failed", queued_at=now, failed_at=now, failure_reason="SMTPRecipientsRefused"
    )


def test_query_count_does_not_grow_with_rows(client, legal):
    login(client, legal)
    url = reverse("staff:home")
    _fill(1)
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _fill(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]


def test_query_count_is_bounded(client, legal, django_assert_max_num_queries):
    _fill(3)
    login(client, legal)
    client.get(reverse("staff:home"))
    with django_assert_max_num_queries(19):  # 18, and the request log line's organisations (portal.request_log)
        assert client.get(reverse("staff:home")).status_code == 200


# --- Webhook deliveries page ------------------------------------------------------------------------------


def test_deliveries_page_filters_and_counts(client, legal, org, other_org):
    _delivery(org, 1, status=WebhookDelivery.Status.FAILED, last_error="ConnectionError: refused")
    _delivery(other_org, 2, status=WebhookDelivery.Status.SUCCEEDED, last_status_code=200)
    login(client, legal)
    body = client.get(reverse("webhooks:staff_deliveries"), {"status": "failed"}).content.decode()
    assert "ConnectionError: refused" in body
    assert other_org.name not in body.split("<tbody>")[1]
    assert "Failed: 1" in body
    assert "Delivered: 1" in body
    body = client.get(reverse("webhooks:staff_deliveries"), {"organisation": "nomatch"}).content.decode()
    assert "No deliveries match these filters." in body


def test_deliveries_page_bad_filter_is_a_form_error(client, legal):
    login(client, legal)
    response = client.get(reverse("webhooks:staff_deliveries"), {"status": "exploded"})
    assert response.status_code == 200  # the invalid filter is ignored and explained, as on every staff list
    assert "Select a valid choice" in response.content.decode()


def test_deliveries_page_empty_state(client, legal):
    login(client, legal)
    body = client.get(reverse("webhooks:staff_deliveries")).content.decode()
    assert "No webhook deliveries yet." in body


def test_retry_failed_delivery_is_queued_and_audited(client, legal, org):
    delivery = _delivery(org, status=WebhookDelivery.Status.FAILED, attempts=7, last_error="HTTP 500")
    login(client, legal)
    response = client.post(
        reverse("webhooks:staff_delivery_retry", args=[delivery.delivery_id]),
        {"next": reverse("webhooks:staff_deliveries") + "?status=failed"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:staff_deliveries") + "?status=failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)
    event = AuditEvent.objects.get(action="webhook.delivery_retried")
    assert event.organisation_id == org.pk
    assert event.actor_id == legal.pk


@pytest.mark.parametrize("status", [WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.PENDING])
def test_only_failed_deliveries_can_be_retried(client, legal, org, status):
    delivery = _delivery(org, status=status)
    login(client, legal)
    response = client.post(reverse("webhooks:staff_delivery_retry", args=[delivery.delivery_id]), follow=True)
    assert "Only failed deliveries can be retried." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == status
    assert not AuditEvent.objects.filter(action="webhook.delivery_retried").exists()


def test_deliveries_of_a_removed_webhook_are_not_retried(client, legal, org):
    delivery = _delivery(org, status=WebhookDelivery.Status.FAILED)
    Webhook.objects.filter(pk=delivery.webhook_id).update(active=False)
    login(client, legal)
    response = client.post(reverse("webhooks:staff_delivery_retry", args=[delivery.delivery_id]), follow=True)
    assert "The webhook was removed by the customer" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED


def test_retry_ignores_an_offsite_next(client, legal, org):
    delivery = _delivery(org, status=WebhookDelivery.Status.FAILED)
    login(client, legal)
    response = client.post(
        reverse("webhooks:staff_delivery_retry", args=[delivery.delivery_id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("webhooks:staff_deliveries")


def test_customer_admin_cannot_see_or_retry_deliveries(client, org):
    admin = MembershipFactory(organisation=org, role="admin").user
    delivery = _delivery(org, status=WebhookDelivery.Status.FAILED)
    login(client, admin)
    assert client.get(reverse("webhooks:staff_deliveries")).status_code == 403
    assert client.post(reverse("webhooks:staff_delivery_retry", args=[delivery.delivery_id])).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
