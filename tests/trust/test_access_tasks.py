import datetime as dt

import time_machine
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.delivery.models import OutboundEmail
from portal.trust import tasks
from portal.trust.models import AccessRequest
from tests.organisations.factories import UserFactory
from tests.trust.factories import grant


def test_escalation_to_legal_lead_once_after_due(submit, settings):
    settings.PORTAL_LEGAL_LEAD_EMAIL = "lead@processor.example"
    start = dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC)  # Tuesday: due end of Thursday
    with time_machine.travel(start, tick=False):
        req = submit(UserFactory())
    with time_machine.travel(dt.datetime(2026, 11, 19, 22, 58, tzinfo=dt.UTC), tick=False):  # 23:58 Amsterdam
        assert tasks.access_escalate_sweep() == 0
    with time_machine.travel(dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC), tick=False):  # Friday 00:00
        assert tasks.access_escalate_sweep() == 1
        assert tasks.access_escalate_sweep() == 0
    emails = OutboundEmail.objects.filter(template="access_escalated")
    assert [e.to_email for e in emails] == ["lead@processor.example"]
    assert req.reference in emails[0].subject
    assert AuditEvent.objects.filter(action="access.escalated").count() == 1


def test_decided_requests_are_not_escalated(submit, legal):
    from portal.trust.services import access_request_deny

    with time_machine.travel(dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC), tick=False):
        req = submit(UserFactory())
        access_request_deny(access_request=req, reason="no", actor=legal)
    with time_machine.travel(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), tick=False):
        assert tasks.access_escalate_sweep() == 0


def test_expiry_warning_14_days_before_then_expiry_once_each(nda):
    user = UserFactory()
    g = grant(user, "nda", days=30)
    expires = g.expires_at
    with time_machine.travel(expires - dt.timedelta(days=15), tick=False):
        assert tasks.access_expiry_sweep() == {"expired": 0, "warned": 0}
    with time_machine.travel(expires - dt.timedelta(days=14), tick=False):
        assert tasks.access_expiry_sweep() == {"expired": 0, "warned": 1}
        assert tasks.access_expiry_sweep() == {"expired": 0, "warned": 0}
    with time_machine.travel(expires + dt.timedelta(seconds=1), tick=False):
        assert tasks.access_expiry_sweep() == {"expired": 1, "warned": 0}
        assert tasks.access_expiry_sweep() == {"expired": 0, "warned": 0}
    g.refresh_from_db()
    assert g.status == AccessRequest.Status.EXPIRED
    warnings = OutboundEmail.objects.filter(template="access_expiry_warning")
    assert [w.to_email for w in warnings] == [user.email]
    assert AuditEvent.objects.filter(action="access.expired").count() == 1


def test_grant_expired_while_beat_was_down_is_expired_without_late_warning(nda):
    g = grant(UserFactory(), "approved", days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        assert tasks.access_expiry_sweep() == {"expired": 1, "warned": 0}
    assert not OutboundEmail.objects.filter(template="access_expiry_warning").exists()
    g.refresh_from_db()
    assert g.status == "expired"
