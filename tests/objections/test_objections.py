import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.organisations.models import Organisation
from subprocessors.objections.models import Objection, ObjectionMessage
from subprocessors.objections.services import (
    OBJECTION_DUPLICATE,
    OBJECTION_GROUNDS_SHORT,
    objection_create,
    objection_message_post,
    objection_reminders_send,
    objection_set_status,
)
from tests.auth import login
from tests.changes.factories import make_change
from tests.organisations.factories import MembershipFactory

pytestmark = pytest.mark.django_db
GROUNDS = "The new provider would receive patient identifiers outside our approved data-processing regions."
CET = dt.timezone(dt.timedelta(hours=1))
DAY_BEFORE_2359 = dt.datetime(2026, 12, 28, 23, 59, tzinfo=CET)
EFFECTIVE_0000 = dt.datetime(2026, 12, 29, 0, 0, tzinfo=CET)


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    settings.SESSION_COOKIE_AGE = 120 * 24 * 3600  # the tests travel weeks ahead of the login


@pytest.fixture
def change(db):
    return make_change(status="announced", effective_date=dt.date(2026, 12, 29))


def _post_form(client, change, org, grounds=GROUNDS):
    return client.post(
        reverse("objections:new", args=[change.public_id]), {"organisation": org.public_id, "grounds": grounds}
    )


def test_objection_at_2359_local_on_the_day_before_is_accepted(client, member, org, change, legal):
    login(client, member)
    with time_machine.travel(DAY_BEFORE_2359, tick=False):
        response = _post_form(client, change, org)
    objection = Objection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("objections:detail", args=[org.public_id, objection.public_id])
    assert (objection.status, objection.organisation, objection.raised_by) == ("received", org, member)
    assert AuditEvent.objects.filter(action="objection.received", target_id=str(objection.pk)).exists()
    recipients = set(
        OutboundEmail.objects.filter(template__startswith="objection_received").values_list("to_email", flat=True)
    )
    assert {legal.email, member.email, org.privacy_contact_email} <= recipients


def test_objection_at_0000_on_the_effective_date_is_refused_form_and_api(client, member, org, change):
    login(client, member)
    with time_machine.travel(EFFECTIVE_0000, tick=False):
        page = client.get(reverse("objections:new", args=[change.public_id]))
        form = _post_form(client, change, org)
        api = client.post(
            reverse("objections:api_create", args=[change.public_id]),
            {"organisation": str(org.public_id), "grounds": GROUNDS},
            content_type="application/json",
        )
    assert "Objections to this change closed at 29 December 2026 00:00" in page.content.decode()
    assert 'name="grounds"' not in page.content.decode()
    assert form.status_code == 400
    assert "closed at 29 December 2026 00:00" in form.content.decode()
    assert api.status_code == 400
    assert api.json()["deadline"] == "2026-12-29T00:00:00+01:00"
    assert "closed at 29 December 2026 00:00" in api.json()["detail"]
    assert not Objection.objects.exists()


def test_api_accepts_an_objection_before_the_deadline(client, member, org, change):
    login(client, member)
    with time_machine.travel(DAY_BEFORE_2359, tick=False):
        response = client.post(
            reverse("objections:api_create", args=[change.public_id]),
            {"organisation": str(org.public_id), "grounds": GROUNDS},
            content_type="application/json",
        )
    assert response.status_code == 201
    assert response.json()["status"] == "received"


def test_duplicate_open_objection_is_refused(client, member, org, org_admin, change):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
        login(client, org_admin)
        response = _post_form(client, change, org)
        api = client.post(
            reverse("objections:api_create", args=[change.public_id]),
            {"organisation": str(org.public_id), "grounds": GROUNDS},
            content_type="application/json",
        )
    assert response.status_code == 400
    assert OBJECTION_DUPLICATE in response.content.decode()
    assert api.status_code == 400
    assert api.json() == {"detail": OBJECTION_DUPLICATE}
    assert Objection.objects.count() == 1


def test_after_withdrawal_the_organisation_may_object_again(member, org, change):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        first = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
        objection_set_status(objection=first, status="withdrawn", actor=member, by_customer=True)
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    assert Objection.objects.count() == 2


@pytest.mark.parametrize("grounds", ["", "Too short", " " * 80])
def test_grounds_are_required_with_a_minimum_length(client, member, org, change, grounds):
    login(client, member)
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        response = _post_form(client, change, org, grounds=grounds)
        api = client.post(
            reverse("objections:api_create", args=[change.public_id]),
            {"organisation": str(org.public_id), "grounds": grounds + "x"},
            content_type="application/json",
        )
    assert response.status_code == 400
    assert api.status_code == 400
    assert "grounds" in api.json()
    assert not Objection.objects.exists()
    assert OBJECTION_GROUNDS_SHORT  # the service's message, used when the form's own check is bypassed


def test_cannot_object_for_another_organisation(client, member, other_org, change):
    login(client, member)
    with time_machine.travel(DAY_BEFORE_2359, tick=False):
        response = _post_form(client, change, other_org)
        api = client.post(
            reverse("objections:api_create", args=[change.public_id]),
            {"organisation": str(other_org.public_id), "grounds": GROUNDS},
            content_type="application/json",
        )
    assert response.status_code == 400
    assert api.status_code == 400
    assert "organisation" in api.json()
    assert not Objection.objects.exists()


def test_customers_see_only_their_own_objections(client, member, org, other_member, other_org, change):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        mine = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
        theirs = objection_create(
            change=change, organisation=other_org, grounds=GROUNDS + " (Globex)", actor=other_member
        )
    login(client, member)
    listing = client.get(reverse("objections:list", args=[org.public_id])).content.decode()
    assert reverse("objections:detail", args=[org.public_id, mine.public_id]) in listing
    assert str(theirs.public_id) not in listing
    assert client.get(reverse("objections:detail", args=[org.public_id, theirs.public_id])).status_code == 404
    assert client.get(reverse("objections:detail", args=[other_org.public_id, theirs.public_id])).status_code == 404
    assert client.get(reverse("objections:list", args=[other_org.public_id])).status_code == 404


def test_consultation_thread_emails_the_other_side_and_moves_status(client, member, org, change, legal):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        objection = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    OutboundEmail.objects.all().delete()
    # when legal staff write
    login(client, legal)
    response = client.post(reverse("objections:staff_detail", args=[objection.public_id]), {"body": "Which regions?"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == "in_consultation"
    to_customer = set(OutboundEmail.objects.values_list("to_email", flat=True))
    assert to_customer == {member.email, org.privacy_contact_email}
    assert "Which regions?" in OutboundEmail.objects.first().body_text
    OutboundEmail.objects.all().delete()
    # when the customer answers
    login(client, member)
    url = reverse("objections:detail", args=[org.public_id, objection.public_id])
    assert client.post(url, {"action": "message", "body": "Only NL and DE."}).status_code == 302
    assert legal.email in set(OutboundEmail.objects.values_list("to_email", flat=True))
    assert member.email not in set(OutboundEmail.objects.values_list("to_email", flat=True))
    page = client.get(url).content.decode()
    assert "Which regions?" in page
    assert "Only NL and DE." in page
    assert ObjectionMessage.objects.filter(objection=objection).count() == 2
    # empty message: form error, nothing sent
    assert client.post(url, {"action": "message", "body": " "}).status_code == 400
    assert ObjectionMessage.objects.count() == 2


def test_unresolved_objection_lets_an_admin_confirm_termination(client, member, org, org_admin, change, legal):
    from portal.deadlines.models import Obligation

    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        objection = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    login(client, legal)
    staff_url = reverse("objections:staff_detail", args=[objection.public_id])
    response = client.post(staff_url, {"status": "unresolved", "note": "We keep the provider."})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == "unresolved"
    assert objection.closed_at is not None
    # a closed objection cannot be moved again
    assert client.post(staff_url, {"status": "accommodated"}).status_code == 400
    url = reverse("objections:detail", args=[org.public_id, objection.public_id])
    # a plain member may not confirm termination
    login(client, member)
    client.post(url, {"action": "terminate"})
    objection.refresh_from_db()
    assert objection.termination_confirmed_at is None
    assert not Obligation.objects.exists()
    # the admin may
    login(client, org_admin)
    assert client.post(url, {"action": "terminate"}).status_code == 302
    objection.refresh_from_db()
    assert objection.termination_confirmed_by == org_admin
    obligation = Obligation.objects.get()
    assert obligation.kind == "deletion_after_termination"
    assert obligation.organisation == org
    assert AuditEvent.objects.filter(action="objection.termination_confirmed").count() == 1
    # confirming twice changes nothing
    client.post(url, {"action": "terminate"})
    assert Obligation.objects.count() == 1


def test_customer_cannot_set_staff_outcomes(member, org, change):
    from portal.core.errors import ApplicationError

    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        objection = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    with pytest.raises(ApplicationError):
        objection_set_status(objection=objection, status="accommodated", actor=member, by_customer=True)
    objection.refresh_from_db()
    assert objection.status == "received"


def test_legal_sees_objections_per_change_with_counts(client, legal, member, org, other_member, other_org, change):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=3), tick=False):
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
        second = objection_create(change=change, organisation=other_org, grounds=GROUNDS, actor=other_member)
        objection_message_post(objection=second, body="Let us talk.", actor=legal, from_staff=True)
    login(client, legal)
    page = client.get(reverse("changes:staff_detail", args=[change.public_id])).content.decode()
    assert "Received: 1" in page
    assert "In consultation: 1" in page
    assert org.name in page
    assert other_org.name in page


def test_reminder_two_business_days_before_effective_date_once(member, org, change, legal):
    with time_machine.travel(DAY_BEFORE_2359 - dt.timedelta(days=10), tick=False):
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    quiet = make_change(status="announced", effective_date=dt.date(2026, 12, 29))  # no objections
    # Thursday 24 Dec: 25/26 Dec are holidays, so 29 Dec is 2 business days ahead (28th, 29th)
    with time_machine.travel(dt.datetime(2026, 12, 23, 9, 0, tzinfo=CET), tick=False):
        assert objection_reminders_send() == 0
    with time_machine.travel(dt.datetime(2026, 12, 24, 9, 0, tzinfo=CET), tick=False):
        assert objection_reminders_send() == 1
        assert objection_reminders_send() == 0
    reminders = OutboundEmail.objects.filter(template="objection_reminder")
    assert legal.email in set(reminders.values_list("to_email", flat=True))
    assert all(str(quiet.pk) != r.ref_id for r in reminders)
    assert org.name in reminders.first().body_text


def test_self_serve_organisation_cannot_object(client, db):
    """SPEC: filing objections is for enterprise customers (their signed DPA gives the right)."""
    change = make_change(status="announced", effective_date=dt.date(2026, 12, 29))
    member = MembershipFactory(organisation__tier=Organisation.Tier.SELF_SERVE, organisation__name="TinyApps").user
    org = member.memberships.get().organisation
    with pytest.raises(ApplicationError, match="TinyApps is on the self-serve plan"):
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    login(client, member)
    page = client.get(reverse("objections:new", args=[change.public_id])).content.decode()
    assert "TinyApps is on the self-serve plan" in page
    assert "File objection" not in page
    response = client.post(
        reverse("objections:new", args=[change.public_id]), {"organisation": org.public_id, "grounds": GROUNDS}
    )
    assert response.status_code == 400
    assert not Objection.objects.exists()
    home = client.get(reverse("organisations:detail", args=[org.public_id])).content.decode()
    assert "Enterprise plan only" in home
    assert reverse("objections:new", args=[change.public_id]) not in home
