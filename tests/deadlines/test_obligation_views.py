import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.deadlines.models import Obligation
from portal.deadlines.obligations import BREACH_COMPLETES_WHEN_DELIVERED, obligation_complete, obligation_create
from tests.auth import login
from tests.breaches.factories import make_incident
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def obligation(org, legal):
    return obligation_create(
        kind="disclosure_order",
        organisation=org,
        received_at=timezone.now() - dt.timedelta(days=1),
        actor=legal,
        title="Court order from the Amsterdam district court",
    )


def urls(obligation):
    return [
        reverse("deadlines:staff_list"),
        reverse("deadlines:staff_new"),
        reverse("deadlines:staff_detail", args=[obligation.public_id]),
        reverse("deadlines:staff_export_csv"),
        reverse("deadlines:staff_export_ics"),
    ]


def test_permission_matrix(client, obligation, org_admin, legal_no_mfa, legal):
    for url in urls(obligation):
        assert client.get(url).status_code == 302
    login(client, org_admin)
    assert {client.get(url).status_code for url in urls(obligation)} == {403}
    login(client, UserFactory())
    assert {client.get(url).status_code for url in urls(obligation)} == {403}
    login(client, legal_no_mfa)
    assert {client.get(url)["Location"] for url in urls(obligation)} == {reverse("mfa_activate_totp")}
    login(client, legal)
    assert {client.get(url).status_code for url in urls(obligation)} == {200}


def test_customer_cannot_complete(client, obligation, org_admin):
    login(client, org_admin)
    url = reverse("deadlines:staff_detail", args=[obligation.public_id])
    assert client.post(url, {"evidence": "done"}).status_code == 403
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_record_from_the_form_computes_the_due_date(client, legal, org):
    login(client, legal)
    with time_machine.travel(dt.datetime(2026, 4, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        response = client.post(
            reverse("deadlines:staff_new"),
            {"kind": "data_subject_request", "organisation": org.pk, "received_at": "2026-04-02T16:30"},
        )
    o = Obligation.objects.get()
    assert response.status_code == 302
    assert o.received_at == dt.datetime(2026, 4, 2, 16, 30, tzinfo=AMS)
    assert o.due_at.astimezone(AMS).date() == dt.date(2026, 4, 13)  # Easter in between
    assert o.created_by == legal


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "breach_notification"}, "kind", "Select a valid choice"),
        ({"kind": "nonsense"}, "kind", "Select a valid choice"),
        ({"received_at": "yesterday"}, "received_at", "Enter a valid date/time."),
        ({"received_at": "2099-01-01T10:00"}, "received_at", "cannot be in the future"),
        ({"organisation": "999999"}, "organisation", "Select a valid choice"),
    ],
)
def test_record_bad_input(client, legal, org, data, field, message):
    login(client, legal)
    payload = {"kind": "disclosure_order", "organisation": org.pk, "received_at": "2026-04-02T16:30", **data}
    response = client.post(reverse("deadlines:staff_new"), payload)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert Obligation.objects.count() == 0


def test_complete_with_evidence_and_file(client, legal, obligation):
    login(client, legal)
    url = reverse("deadlines:staff_detail", args=[obligation.public_id])
    response = client.post(url, {"evidence": ""})
    assert response.status_code == 400
    upload = SimpleUploadedFile("notice.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = client.post(url, {"evidence": "Controller notified by email on 3 June.", "evidence_file": upload})
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.status == "completed"
    assert obligation.evidence_file.name.endswith(".pdf")
    download = client.get(reverse("deadlines:staff_evidence", args=[obligation.public_id]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    assert AuditEvent.objects.filter(action="obligation.evidence_downloaded").count() == 1
    # completing again is refused with a message, not a 500
    response = client.post(url, {"evidence": "again"})
    assert response.status_code == 400
    assert "already completed" in response.content.decode()


def test_breach_obligation_is_completed_by_sending_only(client, legal, org):
    incident = make_incident(organisations=[org], actor=legal)
    obligation = incident.notifications.get().obligation
    login(client, legal)
    response = client.post(
        reverse("deadlines:staff_detail", args=[obligation.public_id]), {"evidence": "sent by phone"}
    )
    assert response.status_code == 400
    assert BREACH_COMPLETES_WHEN_DELIVERED in response.content.decode()
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_register_lists_overdue_and_due_soon(client, legal, org, obligation, django_assert_max_num_queries):
    late = obligation_create(
        kind="data_subject_request",
        organisation=org,
        received_at=timezone.now() - dt.timedelta(days=20),
        actor=legal,
        title="Old request",
    )
    login(client, legal)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("deadlines:staff_list"), {"state": "overdue"}).content.decode()
    assert late.title in body
    assert obligation.title not in body
    body = client.get(reverse("deadlines:staff_list"), {"state": "open"}).content.decode()
    assert late.title in body
    assert "Court order" in body


def test_csv_export(client, legal, org, obligation):
    obligation_complete(obligation=obligation, evidence="=HYPERLINK(evil)", actor=legal)
    login(client, legal)
    response = client.get(reverse("deadlines:staff_export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "kind", "organisation", "title"]
    assert rows[1][2] == org.name
    assert rows[1][7] == "completed"
    assert rows[1][9] == "yes"
    assert rows[1][11] == "'=HYPERLINK(evil)"  # formula neutralised
    assert AuditEvent.objects.filter(action="obligation.register_exported").count() == 1


def test_ics_feed(client, legal, org, obligation):
    login(client, legal)
    response = client.get(reverse("deadlines:staff_export_ics"))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"UID:obligation-{obligation.public_id}@trust-portal" in body
    assert f"DTSTART:{obligation.due_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # completed obligations leave the default feed
    obligation_complete(obligation=obligation, evidence="done", actor=legal)
    assert "BEGIN:VEVENT" not in client.get(reverse("deadlines:staff_export_ics")).content.decode()


def test_calendar_subscription_link(client, legal, obligation):
    from django.contrib.auth.models import Group

    from portal.deadlines.ics import obligations_feed_token

    login(client, legal)
    page = client.get(reverse("deadlines:staff_list")).content.decode()
    url = re.search(r'value="http://testserver(/calendar/obligations/[^"]+\.ics)"', page).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    client.logout()
    # a calendar app fetches it without a session
    response = client.get(url)
    assert response.status_code == 200
    assert f"UID:obligation-{obligation.public_id}@trust-portal" in response.content.decode()
    # tampered
    assert client.get(reverse("deadlines:feed", args=[token[:-1] + "x"])).status_code == 404
    # revoked by a password change
    legal.set_password("a-new-password-2026")
    legal.save()
    assert client.get(url).status_code == 404
    # no longer legal staff
    token = obligations_feed_token(legal)
    legal.groups.remove(Group.objects.get(name="legal"))
    assert client.get(reverse("deadlines:feed", args=[token])).status_code == 404
