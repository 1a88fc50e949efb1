import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dpa.models import BreachIncident, BreachNotification
from dpa.services.breaches import ACK_INVALID, breach_ack_token, breach_notification_send
from portal.models import AuditEvent, OutboundEmail
from tests.auth import login
from tests.dpa.factories import FILLED, make_incident
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(org, other_org, legal):
    return make_incident(organisations=[org, other_org], actor=legal, pending=("measures",))


def _sent(incident, org, legal):
    n = BreachNotification.objects.get(incident=incident, organisation=org)
    return breach_notification_send(notification=n, actor=legal)


def staff_urls(incident):
    return [
        reverse("dpa_staff_breaches"),
        reverse("dpa_staff_breach_new"),
        reverse("dpa_staff_breach_detail", args=[incident.public_id]),
        reverse("dpa_staff_breach_edit", args=[incident.public_id]),
        reverse("dpa_staff_breach_report", args=[incident.public_id]),
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
    assert {client.get(url).status_code for url in urls} == {200}


def test_staff_posts_refused_for_customers(client, incident, org_admin):
    login(client, org_admin)
    for name in ("dpa_staff_breach_send", "dpa_staff_breach_followup", "dpa_staff_breach_add_orgs"):
        assert client.post(reverse(name, args=[incident.public_id])).status_code == 403
    assert not BreachNotification.objects.filter(sent_at__isnull=False).exists()


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
    response = client.post(reverse("dpa_staff_breach_new"), data)
    incident = BreachIncident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dpa_staff_breach_detail", args=[incident.public_id])
    assert incident.aware_at == dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    n = incident.notifications.get()
    assert n.organisation == org
    assert n.deadline == dt.datetime(2026, 6, 3, 8, 0, tzinfo=dt.UTC)


def test_create_all_customers(client, legal, org, other_org):
    login(client, legal)
    data = {"title": "X", "aware_at": "2026-06-01T10:00", "severity": "low", "scope": "all", **FILLED}
    assert client.post(reverse("dpa_staff_breach_new"), data).status_code == 302
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
    response = client.post(reverse("dpa_staff_breach_new"), data)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors.get(field, response.context["form"].errors))
    assert BreachIncident.objects.count() == 0


def test_send_refused_while_a_block_is_empty_shows_why(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal, empty=("data",))
    login(client, legal)
    response = client.post(reverse("dpa_staff_breach_send", args=[incident.public_id]))
    assert response.status_code == 400
    assert "(ii) Affected data and approximate number of records" in response.content.decode()
    assert OutboundEmail.objects.count() == 0


def test_send_all_then_followup_from_the_dashboard(client, legal, incident, org, other_org, mailoutbox):
    login(client, legal)
    response = client.post(reverse("dpa_staff_breach_send", args=[incident.public_id]))
    assert response.status_code == 302
    assert incident.notifications.filter(sent_at__isnull=True).count() == 0
    response = client.post(reverse("dpa_staff_breach_followup", args=[incident.public_id]), {"message": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(
        reverse("dpa_staff_breach_followup", args=[incident.public_id]), {"message": "Measures agreed."}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="breach.followup_sent").count() == 2


def test_dashboard_shows_countdown_statuses_and_timeline(
    client, legal, incident, org, other_org, django_assert_max_num_queries
):
    _sent(incident, org, legal)
    for _ in range(3):
        make_incident(organisations=[org, other_org], actor=legal)
    login(client, legal)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("dpa_staff_breaches")).content.decode()
    assert body.count("data-deadline=") == 4
    assert "js/countdown.js" in body
    with django_assert_max_num_queries(14):
        body = client.get(reverse("dpa_staff_breach_detail", args=[incident.public_id])).content.decode()
    assert "Sent on time" in body
    assert "Unsent" in body
    assert "breach.notification_sent" in body
    assert "breach.incident_created" in body


def test_fallback_contact_flagged_on_the_dashboard(client, legal):
    org = OrganisationFactory(breach_contact_email="", privacy_contact_email="privacy@nobreach.example")
    incident = make_incident(organisations=[org], actor=legal)
    login(client, legal)
    body = client.get(reverse("dpa_staff_breach_detail", args=[incident.public_id])).content.decode()
    assert "fallback: privacy contact" in body


def test_compliance_report_pdf(client, legal, incident, org):
    _sent(incident, org, legal)
    login(client, legal)
    response = client.get(reverse("dpa_staff_breach_report", args=[incident.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages).split())
    assert org.name in text
    assert "Sent on time" in text
    assert "Unsent" in text
    assert "46 h 59 min" in text  # margin of the notification sent just over an hour after awareness
    assert AuditEvent.objects.filter(action="breach.report_downloaded").count() == 1


# --- customers ------------------------------------------------------------------------------------


def test_customer_sees_only_own_sent_notifications(client, legal, incident, org, other_org, member, other_member):
    n = _sent(incident, org, legal)
    other_n = BreachNotification.objects.get(incident=incident, organisation=other_org)  # unsent
    login(client, member)
    body = client.get(reverse("organisation_detail", args=[org.public_id])).content.decode()
    assert "Personal data breach notifications" in body
    assert incident.title in body
    detail = reverse("dpa_org_breach_detail", args=[org.public_id, n.public_id])
    page = client.get(detail)
    assert page.status_code == 200
    assert "Not yet known — will follow" in page.content.decode()
    # another organisation's member: 404 for the notification, under either organisation
    login(client, other_member)
    assert client.get(detail).status_code == 404
    assert client.get(reverse("dpa_org_breach_detail", args=[other_org.public_id, n.public_id])).status_code == 404
    # unsent notifications are not shown even to the addressee
    assert (
        client.get(reverse("dpa_org_breach_detail", args=[other_org.public_id, other_n.public_id])).status_code == 404
    )
    body = client.get(reverse("organisation_detail", args=[other_org.public_id])).content.decode()
    assert incident.title not in body
    assert "No personal data breach notifications have been sent to Globex GmbH." in body
    client.logout()
    assert client.get(detail).status_code == 302


def test_customer_acknowledges_from_the_portal(client, legal, incident, org, member, other_member):
    n = _sent(incident, org, legal)
    url = reverse("dpa_org_breach_detail", args=[org.public_id, n.public_id])
    login(client, other_member)
    assert client.post(url).status_code == 404
    n.refresh_from_db()
    assert n.acknowledged_at is None
    login(client, member)
    assert client.post(url).status_code == 302
    n.refresh_from_db()
    assert n.acknowledged_via == "portal"
    assert n.acknowledged_by == member.email
    client.post(url)
    assert AuditEvent.objects.filter(action="breach.notification_acknowledged").count() == 1


def test_ack_link_without_login_once(client, legal, incident, org):
    n = _sent(incident, org, legal)
    url = reverse("dpa_breach_ack", args=[breach_ack_token(n)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Acknowledge receipt" in page.content.decode()
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
    n = _sent(incident, org, legal)
    token = breach_ack_token(n)
    other = BreachNotification.objects.get(incident=incident, organisation=other_org)
    forged = breach_ack_token(other).split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (token[:-2] + ("aa" if not token.endswith("aa") else "bb"), forged, "garbage"):
        response = client.post(reverse("dpa_breach_ack", args=[bad]))
        assert response.status_code == 404
        assert ACK_INVALID in response.content.decode()
    # a validly signed link for an unsent notification is refused too
    response = client.post(reverse("dpa_breach_ack", args=[breach_ack_token(other)]))
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
