import datetime as dt
import hashlib
from html import escape
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dpa.breaches.delivery import breach_notification_resend
from dpa.breaches.models import BreachIncident, BreachNotification
from dpa.breaches.services import (
    ACK_INVALID,
    AWARE_REASON_REQUIRED,
    NATURE_TOO_SHORT,
    breach_ack_token,
    breach_incident_update,
    breach_notification_send,
)
from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from tests.auth import login
from tests.breaches.factories import make_incident, refuse_every_attempt, send_and_deliver
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.pdf import get_prepared
from tests.trust.factories import FILLED

pytestmark = pytest.mark.django_db
FAILING = "tests.delivery.test_outbox.FailingBackend"


@pytest.fixture
def incident(org, other_org, legal):
    return make_incident(organisations=[org, other_org], actor=legal, pending=("measures",))


def _notice(incident, org) -> BreachNotification:
    return BreachNotification.objects.get(incident=incident, organisation=org)


def _delivered(incident, org, legal):
    return send_and_deliver(_notice(incident, org), legal)


def _failed(incident, org, legal, settings):
    backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = FAILING
    n = breach_notification_send(notification=_notice(incident, org), actor=legal)
    refuse_every_attempt(n.email_id)
    settings.EMAIL_BACKEND = backend
    return _notice(incident, org)


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


def staff_urls(incident):
    return [
        reverse("breaches:staff_list"),
        reverse("breaches:staff_new"),
        reverse("breaches:staff_detail", args=[incident.public_id]),
        reverse("breaches:staff_edit", args=[incident.public_id]),
        reverse("breaches:staff_report", args=[incident.public_id]),
    ]


def test_staff_pages_permission_matrix(client, incident, org_admin, legal_no_mfa, legal):
    urls = staff_urls(incident)
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous → login
    login(client, org_admin)
    assert {client.get(url).status_code for url in urls} == {403}
    login(client, UserFactory(is_staff=True))  # staff but not legal
    assert {client.get(url).status_code for url in urls} in ({403}, {302})
    login(client, legal_no_mfa)
    assert all(client.get(url)["Location"] == reverse("mfa_activate_totp") for url in urls)
    login(client, legal)
    assert {client.get(url).status_code for url in urls} == {200, 202}  # 202: the report is being prepared


def test_staff_posts_refused_for_customers(client, incident, org, org_admin, legal, settings):
    n = _failed(incident, org, legal, settings)
    login(client, org_admin)
    for name in ("breaches:staff_send", "breaches:staff_followup", "breaches:staff_add_organisations"):
        assert client.post(reverse(name, args=[incident.public_id])).status_code == 403
    resend = reverse("breaches:staff_resend", args=[incident.public_id, n.public_id])
    assert client.post(resend, {f"resend-{n.public_id}-to": "x@evil.example"}).status_code == 403
    assert list(BreachNotification.objects.values_list("status", flat=True).order_by("id")) == ["failed", "drafted"]


# --- resend (new view): permission matrix ------------------------------------------------------------------


def test_resend_permission_matrix(
    client, incident, org, other_org, member, other_member, legal_no_mfa, legal, settings
):
    # given a notice to `org` whose delivery failed
    n = _failed(incident, org, legal, settings)
    url = reverse("breaches:staff_resend", args=[incident.public_id, n.public_id])
    data = {f"resend-{n.public_id}-to": "soc@acme-backup.example"}
    emails = OutboundEmail.objects.filter(template="breach_notice")
    # anonymous: to the login page
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # a customer of that organisation, and one of another organisation: refused
    for user in (member, other_member):
        login(client, user)
        assert client.post(url, data).status_code == 403
    # legal staff without MFA: sent to set it up; legal staff whose login skipped the MFA step: refused too
    login(client, legal_no_mfa)
    assert client.post(url, data)["Location"] == reverse("mfa_activate_totp")
    client.logout()
    login(client, legal, mfa=False)
    assert client.post(url, data)["Location"].startswith(reverse("mfa_reauthenticate"))
    # nothing happened so far
    assert emails.count() == 1
    assert _notice(incident, org).status == "failed"
    # a notification of another incident under this incident's URL: not found
    other_incident = make_incident(organisations=[other_org], actor=legal)
    login(client, legal)
    stray = _notice(other_incident, other_org)
    assert (
        client.post(reverse("breaches:staff_resend", args=[incident.public_id, stray.public_id]), data).status_code
        == 404
    )
    # legal staff with MFA: resent
    response = client.post(url, data)
    assert response.status_code == 302
    assert emails.count() == 2
    n = _notice(incident, org)
    assert n.status == "queued"
    assert n.recipient_email == "soc@acme-backup.example"
    assert AuditEvent.objects.get(action="breach.notification_resent").actor_label == legal.email


def test_resend_with_a_bad_address_is_a_form_error(client, incident, org, legal, settings):
    n = _failed(incident, org, legal, settings)
    login(client, legal)
    url = reverse("breaches:staff_resend", args=[incident.public_id, n.public_id])
    response = client.post(url, {f"resend-{n.public_id}-to": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert OutboundEmail.objects.filter(template="breach_notice").count() == 1
    # a notice that did not fail cannot be resent
    breach_notification_resend(notification=n, to=org.breach_contact_email, actor=legal)
    response = client.post(url, {f"resend-{n.public_id}-to": "other@acme.example"})
    assert response.status_code == 400
    assert "Only a notification whose delivery failed can be sent again." in response.content.decode()


# --- recording and editing ---------------------------------------------------------------------------------


def test_create_incident_from_the_form(client, legal, org, other_org):
    login(client, legal)
    # aware_at is local time (Europe/Amsterdam): 10:00 CEST = 08:00 UTC
    data = {
        "title": "Leaked API key",
        "aware_at": "2026-06-01T10:00",
        "detected_by": "Bug bounty",
        "severity": "high",
        "scope": "selected",
        "organisations": [org.pk],
        **FILLED,
    }
    response = client.post(reverse("breaches:staff_new"), data)
    incident = BreachIncident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("breaches:staff_detail", args=[incident.public_id])
    assert incident.aware_at == incident.earliest_aware_at == dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    n = incident.notifications.get()
    assert n.organisation == org
    assert n.deadline == dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC)


def test_create_all_customers(client, legal, org, other_org):
    login(client, legal)
    data = {"title": "X", "aware_at": "2026-06-01T10:00", "severity": "low", "scope": "all", **FILLED}
    assert client.post(reverse("breaches:staff_new"), data).status_code == 302
    assert BreachIncident.objects.get().notifications.count() == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"aware_at": "not a date"}, "aware_at", "Enter a valid date/time."),
        ({"aware_at": "2099-01-01T10:00"}, "aware_at", "cannot be in the future"),
        # 02:30 on 25 Oct 2026 happens twice in Amsterdam: ambiguous, refused rather than guessed
        ({"aware_at": "2026-10-25T02:30"}, "aware_at", "be interpreted in time zone Europe/Amsterdam"),
        ({"scope": "selected", "organisations": []}, "organisations", "Choose at least one"),
        ({"title": ""}, "title", "This field is required."),
        ({"scope": "subprocessor"}, "subprocessor", "Choose the sub-processor"),
        ({"nature": "x"}, "nature", NATURE_TOO_SHORT),
        ({"nature": "Logs leaked, 3 users."}, "nature", "at least 30 characters"),
    ],
)
def test_create_bad_input_is_a_form_error(client, legal, org, change, field, message):
    login(client, legal)
    data = {
        "title": "X",
        "aware_at": "2026-06-01T10:00",
        "severity": "low",
        "scope": "selected",
        "organisations": [org.pk],
        **FILLED,
        **change,
    }
    response = client.post(reverse("breaches:staff_new"), data)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors.get(field, response.context["form"].errors))
    assert BreachIncident.objects.count() == 0


def test_the_form_says_what_the_nature_needs_and_offers_no_will_follow_for_it(client, legal):
    login(client, legal)
    page = client.get(reverse("breaches:staff_new"))
    form = page.context["form"]
    assert "at least 30 characters" in form.fields["nature"].help_text
    assert "nature_pending" not in form.fields
    assert "data_pending" in form.fields
    assert "at least 30 characters" in page.content.decode()


def test_saving_the_form_clears_an_old_will_follow_on_the_nature(client, legal, org):
    # recorded before the nature had to be described: marked "will follow", so no first notice can go out
    incident = make_incident(organisations=[org], actor=legal)
    BreachIncident.objects.filter(pk=incident.pk).update(nature_pending=True)
    login(client, legal)
    url = reverse("breaches:staff_edit", args=[incident.public_id])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data["aware_at"] = timezone.localtime(incident.aware_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, data).status_code == 302
    assert BreachIncident.objects.get(pk=incident.pk).nature_pending is False
    breach_notification_send(notification=_notice(incident, org), actor=legal)


def test_editing_awareness_needs_a_reason_and_is_shown(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal, aware_at=timezone.now() - dt.timedelta(hours=5))
    login(client, legal)
    url = reverse("breaches:staff_edit", args=[incident.public_id])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data["aware_at"] = timezone.localtime(incident.aware_at).strftime("%Y-%m-%dT%H:%M")
    data["severity"] = incident.severity
    # the same minute as recorded is no change, even though the stored time has seconds
    assert client.post(url, data).status_code == 302
    assert BreachIncident.objects.get(pk=incident.pk).aware_at == incident.aware_at
    # an earlier time without a reason: a form error on the reason
    earlier = timezone.localtime(incident.aware_at - dt.timedelta(hours=2))
    response = client.post(url, {**data, "aware_at": earlier.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert AWARE_REASON_REQUIRED in str(response.context["form"].errors["awareness_reason"])
    # with a reason: saved, and the detail page shows the change and the new deadline base
    response = client.post(
        url, {**data, "aware_at": earlier.strftime("%Y-%m-%dT%H:%M"), "awareness_reason": "Alert seen earlier."}
    )
    assert response.status_code == 302
    body = client.get(reverse("breaches:staff_detail", args=[incident.public_id])).content.decode()
    assert "Awareness time corrections" in body
    assert "Reason: Alert seen earlier." in body
    assert f"by {legal.email}" in body


def test_editing_awareness_later_after_delivery_is_refused_on_the_form(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal, aware_at=timezone.now() - dt.timedelta(hours=5))
    _delivered(incident, org, legal)
    login(client, legal)
    url = reverse("breaches:staff_edit", args=[incident.public_id])
    page = client.get(url)
    assert "The awareness time is fixed because a notification was already sent" in page.content.decode()
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    later = timezone.localtime(incident.aware_at + dt.timedelta(hours=1))
    data.update(aware_at=later.strftime("%Y-%m-%dT%H:%M"), awareness_reason="Wrong hour.")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "it can only move earlier" in str(response.context["form"].errors["aware_at"])
    assert BreachIncident.objects.get(pk=incident.pk).aware_at == incident.aware_at


# --- sending and the incident page --------------------------------------------------------------------------


def test_send_refused_while_a_block_is_empty_shows_why(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal, empty=("data",))
    login(client, legal)
    response = client.post(reverse("breaches:staff_send", args=[incident.public_id]))
    assert response.status_code == 400
    assert "(ii) Affected data and approximate number of records" in response.content.decode()
    assert OutboundEmail.objects.count() == 0


def test_send_all_then_followup_from_the_dashboard(client, legal, incident, org, other_org, mailoutbox):
    login(client, legal)
    response = client.post(reverse("breaches:staff_send", args=[incident.public_id]))
    assert response.status_code == 302
    assert list(incident.notifications.values_list("status", flat=True)) == ["queued", "queued"]
    body = client.get(response["Location"]).content.decode()
    assert "2 notifications queued; each counts once delivered." in body
    assert body.count("Queued, not yet delivered") == 2
    response = client.post(reverse("breaches:staff_followup", args=[incident.public_id]), {"message": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(
        reverse("breaches:staff_followup", args=[incident.public_id]), {"message": "Measures agreed."}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="breach.followup_queued").count() == 2


def test_incident_page_says_delivered_with_message_id_and_flags_failures_red(
    client, legal, incident, org, other_org, settings
):
    delivered = _delivered(incident, org, legal)
    failed = _failed(incident, other_org, legal, settings)
    login(client, legal)
    body = client.get(reverse("breaches:staff_detail", args=[incident.public_id])).content.decode()
    assert "Delivered on time" in body
    assert f"(Message-ID {escape(delivered.delivered_message_id)})" in body
    assert "delivered at " in body
    assert "1 notification could not be delivered" in body
    assert "Delivery failed" in body
    assert "SMTPServerDisconnected" in body
    assert f'name="resend-{failed.public_id}-to"' in body
    assert f'value="{other_org.breach_contact_email}"' in body
    assert "breach.notification_failed" in body
    assert "Sent on time" not in body


def test_dashboard_and_incident_page_queries_do_not_grow(client, legal, settings, django_assert_max_num_queries):
    def world(n):
        orgs = [OrganisationFactory() for _ in range(n)]
        incident = make_incident(organisations=orgs, actor=legal, pending=("measures",))
        send_and_deliver(_notice(incident, orgs[0]), legal)
        _failed(incident, orgs[1], legal, settings)
        breach_notification_send(notification=_notice(incident, orgs[2]), actor=legal)
        breach_incident_update(
            incident=incident,
            actor=legal,
            data={"aware_at": incident.aware_at - dt.timedelta(minutes=5)},
            awareness_reason="Earlier.",
        )
        return incident

    login(client, legal)
    small, large = world(3), world(9)
    urls = [reverse("breaches:staff_list")]
    client.get(urls[0])  # warm the session
    counts = {}
    for incident in (small, large):
        url = reverse("breaches:staff_detail", args=[incident.public_id])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[incident.pk] = len(queries)
    assert counts[small.pk] == counts[large.pk]
    with django_assert_max_num_queries(14):
        client.get(reverse("breaches:staff_detail", args=[large.public_id]))
    with django_assert_max_num_queries(12):
        body = client.get(reverse("breaches:staff_list")).content.decode()
    assert "1 delivery failed" in body


def test_fallback_contact_flagged_on_the_dashboard(client, legal):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="privacy@nobreach.example")
    incident = make_incident(organisations=[org], actor=legal)
    login(client, legal)
    body = client.get(reverse("breaches:staff_detail", args=[incident.public_id])).content.decode()
    assert "fallback: privacy contact" in body


def test_compliance_report_pdf(client, legal, incident, org, other_org, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_DPO_NAME = "Mara Jansen"
    settings.PORTAL_DPO_EMAIL = "dpo@routewise.example"
    n = _delivered(incident, org, legal)
    breach_incident_update(
        incident=incident,
        actor=legal,
        data={"aware_at": incident.aware_at - dt.timedelta(minutes=10)},
        awareness_reason="Pager alert was earlier.",
    )
    login(client, legal)
    url = reverse("breaches:staff_report", args=[incident.public_id])
    response = get_prepared(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert org.name in text
    assert "Delivered on time" in text
    assert "Not sent" in text
    assert f"(Message-ID{n.delivered_message_id})" in text.replace(" ", "")  # a long id may wrap in its cell
    assert "46 h 49 min" in text  # delivered just over an hour after awareness, then awareness moved 10 min earlier
    assert "Mara Jansen, dpo@routewise.example" in text
    assert "Pager alert was earlier." in text
    event = AuditEvent.objects.get(action="report.issued")
    assert event.details["kind"] == "breach_report"
    assert event.details["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.target_id == str(incident.pk)


# --- customers ------------------------------------------------------------------------------------


def test_customer_sees_only_own_delivered_notifications(client, legal, incident, org, other_org, member, other_member):
    n = _delivered(incident, org, legal)
    other_n = breach_notification_send(notification=_notice(incident, other_org), actor=legal)  # queued only
    login(client, member)
    body = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    assert "Personal data breach notifications" in body
    assert incident.title in body
    detail = reverse("breaches:notification_detail", args=[org.public_id, n.public_id])
    page = client.get(detail)
    assert page.status_code == 200
    assert "Not yet known — will follow" in page.content.decode()
    # another organisation's member: 404 for the notification, under either organisation
    login(client, other_member)
    assert client.get(detail).status_code == 404
    assert (
        client.get(reverse("breaches:notification_detail", args=[other_org.public_id, n.public_id])).status_code == 404
    )
    # notifications not delivered are not shown even to the addressee
    assert (
        client.get(reverse("breaches:notification_detail", args=[other_org.public_id, other_n.public_id])).status_code
        == 404
    )
    body = client.get(reverse("organisations:detail", args=[other_org.public_id])).content.decode()
    assert incident.title not in body
    assert "No personal data breach notifications have been delivered to Globex GmbH." in body
    client.logout()
    assert client.get(detail).status_code == 302


def test_customer_notice_names_delivery_contact_point_and_awareness_corrections(
    client, legal, incident, org, member, settings
):
    settings.PORTAL_DPO_NAME = "Mara Jansen"
    settings.PORTAL_DPO_EMAIL = "dpo@routewise.example"
    settings.PORTAL_DPO_PHONE = "+31 20 555 0123"
    n = _delivered(incident, org, legal)
    breach_incident_update(
        incident=incident,
        actor=legal,
        data={"aware_at": incident.aware_at - dt.timedelta(hours=1)},
        awareness_reason="Monitoring alerted an hour earlier.",
    )
    login(client, member)
    body = client.get(reverse("breaches:notification_detail", args=[org.public_id, n.public_id])).content.decode()
    assert f"(Message-ID {escape(n.delivered_message_id)})" in body
    assert "Delivered to" in body
    assert "Mara Jansen" in body
    assert 'href="mailto:dpo@routewise.example"' in body
    assert "+31 20 555 0123" in body
    assert "Reason: Monitoring alerted an hour earlier." in body
    assert legal.email not in body  # who changed it is for staff


def test_customer_acknowledges_from_the_portal(client, legal, incident, org, member, other_member):
    n = _delivered(incident, org, legal)
    url = reverse("breaches:notification_detail", args=[org.public_id, n.public_id])
    login(client, other_member)
    assert client.post(url).status_code == 404
    n.refresh_from_db()
    assert n.acknowledged_at is None
    login(client, member)
    assert client.post(url).status_code == 302
    n.refresh_from_db()
    assert n.acknowledged_via == "portal"
    assert n.acknowledged_by == member.email
    assert n.status == "acknowledged"
    client.post(url)
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1


def test_ack_link_without_login_once(client, legal, incident, org):
    n = _delivered(incident, org, legal)
    url = reverse("breaches:ack", args=[breach_ack_token(n)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Acknowledge receipt" in page.content.decode()
    assert "delivered " in page.content.decode()
    n.refresh_from_db()
    assert n.acknowledged_at is None  # a GET (a link scanner) changes nothing
    response = client.post(url)
    assert "is acknowledged" in response.content.decode()
    n.refresh_from_db()
    assert n.acknowledged_via == "link"
    first = n.acknowledged_at
    # reused: nothing changes
    response = client.post(url)
    assert response.status_code == 200
    assert "already acknowledged" in response.content.decode()
    n.refresh_from_db()
    assert n.acknowledged_at == first
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1


def test_tampered_ack_link_is_refused(client, legal, incident, org, other_org):
    n = _delivered(incident, org, legal)
    token = breach_ack_token(n)
    other = breach_notification_send(notification=_notice(incident, other_org), actor=legal)  # queued only
    forged = breach_ack_token(other).split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (token[:-2] + ("aa" if not token.endswith("aa") else "bb"), forged, "garbage"):
        response = client.post(reverse("breaches:ack", args=[bad]))
        assert response.status_code == 404
        assert ACK_INVALID in response.content.decode()
    # a validly signed link for a notice not delivered is refused too
    response = client.post(reverse("breaches:ack", args=[breach_ack_token(other)]))
    assert response.status_code == 404
    assert not BreachNotification.objects.filter(acknowledged_at__isnull=False).exists()


def test_email_links_work(client, legal, org, run_on_commit, mailoutbox):
    incident = make_incident(organisations=[org], actor=legal)
    run_on_commit(
        breach_notification_send,
        notification=BreachNotification.objects.get(incident=incident),
        actor=legal,
    )
    body = mailoutbox[0].body
    ack = next(line for line in body.splitlines() if "/breach-ack/" in line).strip()
    assert client.post(ack.replace("http://testserver", "")).status_code == 200
    assert BreachNotification.objects.get(incident=incident).acknowledged_via == "link"
    member = MembershipFactory(organisation=org).user
    login(client, member)
    portal_link = next(line for line in body.splitlines() if "/breach-notifications/" in line).strip()
    assert client.get(portal_link.replace("http://testserver", "")).status_code == 200
    assert timezone.now()


def test_staff_home_shows_a_failed_delivery_red_and_first(client, legal, org, other_org, settings):
    # given one notice drafted (Acme) and one whose delivery failed (Globex), both inside the deadline
    with time_machine.travel(timezone.now(), tick=False):
        incident = make_incident(organisations=[org, other_org], actor=legal, title="Leak")
        _failed(incident, other_org, legal, settings)
        login(client, legal)
        body = client.get(reverse("staff:home")).content.decode()
    start = body.index('id="breach-notifications"')
    section = body[start : body.find("</section>", start)]
    assert ">2</span></h2>" in section
    assert '<p class="message error" role="status">1 delivery failed</p>' in section
    assert section.index("Globex GmbH") < section.index("Acme Health B.V.")
    globex_row = section[section.rfind("<tr", 0, section.index("Globex GmbH")) : section.index("Globex GmbH")]
    assert 'class="overdue"' in globex_row
    assert "Delivery failed" in section
