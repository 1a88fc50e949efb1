"""Breach notification deadlines in the staff chat: at 24, 12, 4 and 1 hours before the 48-hour deadline, once per
incident, while any of its notifications is not delivered (the obligation reminders' beat, every minute)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dpa.breaches.models import BreachNotification
from portal.deadlines.tasks import obligation_reminders_sweep
from portal.delivery.models import ChatAlert
from tests.breaches.factories import make_incident, send_and_deliver

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
DEADLINE = T0 + dt.timedelta(hours=48)


def _sweep(before: dt.timedelta) -> list[str]:
    """Run the beat at `before` the deadline; the stages of the chat alerts that exist afterwards."""
    with time_machine.travel(DEADLINE - before, tick=False):
        obligation_reminders_sweep()
    return list(ChatAlert.objects.order_by("id").values_list("idempotency_key", flat=True))


def _minutes(hours: int, minutes: int = 0) -> dt.timedelta:
    return dt.timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def incident(org, other_org, legal):
    """Aware at T0, two affected organisations (two notifications, two obligations)."""
    with time_machine.travel(T0, tick=False):
        return make_incident(organisations=[org, other_org], aware_at=T0, actor=legal)


def test_each_threshold_once_per_incident_to_the_minute(chat_webhook, incident):
    key = f"breach:{incident.pk}:deadline:"
    assert _sweep(_minutes(24, 1)) == []  # 24 h 01 min before: not yet
    assert _sweep(_minutes(23, 59)) == [key + "24h"]  # one alert for both notifications
    assert _sweep(_minutes(12, 1)) == [key + "24h"]
    assert _sweep(_minutes(11, 59)) == [key + "24h", key + "12h"]
    assert _sweep(_minutes(11, 58)) == [key + "24h", key + "12h"]
    assert _sweep(_minutes(3, 59)) == [key + "24h", key + "12h", key + "4h"]
    assert _sweep(_minutes(0, 59)) == [key + "24h", key + "12h", key + "4h", key + "1h"]
    assert _sweep(-_minutes(0, 1)) == [key + "24h", key + "12h", key + "4h", key + "1h"]  # overdue: email only


def test_the_alert_names_the_incident_the_deadline_and_what_is_left(chat_webhook, incident):
    _sweep(_minutes(23, 59))
    alert = ChatAlert.objects.get()
    url = "http://testserver" + reverse("breaches:staff_detail", args=[incident.public_id])
    assert (alert.kind, alert.url) == ("breach_deadline", url)
    assert alert.text == (
        "Breach notification deadline in 24 hours\n"
        "Incident: Log bucket exposed\n"
        "Deadline: 2026-06-03 08:00 UTC (10:00 Europe/Amsterdam)\n"
        "Time left: 23 h 59 min\n"
        "Notifications not yet delivered: 2\n"
        f"{url}"
    )


def test_a_tick_that_catches_up_posts_only_the_latest_threshold(chat_webhook, incident):
    assert _sweep(_minutes(3, 30)) == [f"breach:{incident.pk}:deadline:4h"]
    assert ChatAlert.objects.get().text.startswith("Breach notification deadline in 4 hours\n")


def test_counts_only_undelivered_notifications_and_stops_once_all_are_delivered(
    chat_webhook, incident, org, other_org, legal
):
    # one of the two notices delivered: the 12h alert says one is left
    with time_machine.travel(DEADLINE - _minutes(20), tick=False):
        send_and_deliver(BreachNotification.objects.get(incident=incident, organisation=org), legal)
    _sweep(_minutes(11, 59))
    assert "Notifications not yet delivered: 1\n" in ChatAlert.objects.get().text
    # both delivered: no more alerts
    with time_machine.travel(DEADLINE - _minutes(10), tick=False):
        send_and_deliver(BreachNotification.objects.get(incident=incident, organisation=other_org), legal)
    only = [f"breach:{incident.pk}:deadline:12h"]
    assert _sweep(_minutes(3, 59)) == only
    assert _sweep(_minutes(0, 59)) == only


def test_no_alert_when_chat_is_off(incident):
    assert _sweep(_minutes(23, 59)) == []
