"""A new objection posts one staff chat alert linking to the staff page that decides it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from portal.delivery.models import ChatAlert
from subprocessors.objections.services import objection_create
from tests.changes.factories import make_change

pytestmark = pytest.mark.django_db
GROUNDS = "The new provider would receive patient identifiers outside our approved data-processing regions."
MOMENT = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def change(db):
    return make_change(status="announced", effective_date=dt.date(2026, 12, 29))


def test_new_objection_queues_one_alert_with_the_staff_link(chat_webhook, member, org, change):
    with time_machine.travel(MOMENT, tick=False):
        objection = objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    alert = ChatAlert.objects.get()
    url = "http://testserver" + reverse("objections:staff_detail", args=[objection.public_id])
    assert (alert.kind, alert.url) == ("objection", url)
    assert alert.text == (
        "New objection to a sub-processor change\n"
        "Organisation: Acme Health B.V.\n"
        f"Raised by: {member.email}\n"
        f"Change: {change.headline}\n"
        "Effective: 2026-12-29\n"
        "Objections close: 2026-12-28 23:00 UTC (2026-12-29 00:00 Europe/Amsterdam)\n"
        f"{url}"
    )


def test_no_alert_when_chat_is_off(member, org, change):
    with time_machine.travel(MOMENT, tick=False):
        objection_create(change=change, organisation=org, grounds=GROUNDS, actor=member)
    assert not ChatAlert.objects.exists()
