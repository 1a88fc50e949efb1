import datetime as dt

import pytest
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.trust import services as svc
from portal.trust.models import AccessRequest
from portal.trust.selectors import user_can_open
from tests.organisations.factories import UserFactory, make_legal
from tests.trust.factories import AccessRequestFactory, grant


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_approve_sets_level_expiry_note_emails_and_audits(legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    until = timezone.now() + dt.timedelta(days=90)
    svc.access_request_approve(access_request=req, level="nda", expires_at=until, note="Welcome", actor=legal)
    req.refresh_from_db()
    assert (req.status, req.level, req.expires_at, req.decision_note, req.decided_by) == (
        "approved",
        "nda",
        until,
        "Welcome",
        legal,
    )
    email = OutboundEmail.objects.get(template="access_approved")
    assert email.to_email == req.user.email
    assert "Welcome" in email.body_text
    event = AuditEvent.objects.get(action="access.approved")
    assert event.actor == legal
    assert event.details["level"] == "nda"
    assert user_can_open(_fresh(req.user), "nda")


def test_default_expiry_is_twelve_months(legal, nda, settings):
    req = AccessRequestFactory(nda_version=nda)
    svc.access_request_approve(access_request=req, level="approved", actor=legal)
    req.refresh_from_db()
    expected = req.decided_at + dt.timedelta(days=365)
    assert abs((req.expires_at - expected).total_seconds()) < 2 * 86400
    settings.ACCESS_DEFAULT_EXPIRY_MONTHS = 1
    assert (svc.default_expiry(req.decided_at) - req.decided_at).days in (28, 29, 30, 31)


def test_expiry_date_means_end_of_that_local_day(legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    day = timezone.now().date() + dt.timedelta(days=30)
    svc.access_request_approve(access_request=req, level="approved", expires_at=day, actor=legal)
    req.refresh_from_db()
    local = timezone.localtime(req.expires_at)
    assert (local.date(), local.hour, local.minute) == (day, 23, 59)


def test_deny_needs_reason_and_shows_it(legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    with pytest.raises(ApplicationError, match="Give a reason"):
        svc.access_request_deny(access_request=req, reason="  ", actor=legal)
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"
    svc.access_request_deny(access_request=req, reason="We only share with customers.", actor=legal)
    req.refresh_from_db()
    assert req.status == "denied"
    assert "We only share with customers." in OutboundEmail.objects.get(template="access_denied").body_text
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


def test_staff_cannot_decide_their_own_request(legal, nda):
    req = AccessRequestFactory(user=legal, nda_version=nda)
    for call in (
        lambda: svc.access_request_approve(access_request=req, level="nda", actor=legal),
        lambda: svc.access_request_deny(access_request=req, reason="x", actor=legal),
    ):
        with pytest.raises(ApplicationError) as exc:
            call()
        assert exc.value.message == svc.SELF_DECISION
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"
    assert not OutboundEmail.objects.exists()
    colleague = make_legal(UserFactory())
    svc.access_request_approve(access_request=req, level="nda", actor=colleague)
    assert AccessRequest.objects.get(pk=req.pk).status == "approved"


def test_decided_request_cannot_be_decided_again(legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    svc.access_request_deny(access_request=req, reason="No", actor=legal)
    with pytest.raises(ApplicationError, match="already been decided"):
        svc.access_request_approve(access_request=req, level="approved", actor=legal)


def test_bad_level_and_past_expiry_refused(legal, nda):
    req = AccessRequestFactory(nda_version=nda)
    with pytest.raises(ApplicationError, match="Choose the access level"):
        svc.access_request_approve(access_request=req, level="enterprise", actor=legal)
    with pytest.raises(ApplicationError, match="must be in the future"):
        svc.access_request_approve(
            access_request=req, level="nda", expires_at=timezone.now() - dt.timedelta(days=1), actor=legal
        )
    assert AccessRequest.objects.get(pk=req.pk).status == "pending"


def test_bulk_approve_skips_own_and_decided(legal, nda):
    a, b = AccessRequestFactory(nda_version=nda), AccessRequestFactory(nda_version=nda)
    own = AccessRequestFactory(user=legal, nda_version=nda)
    denied = AccessRequestFactory(nda_version=nda, status="denied", denial_reason="no")
    approved, skipped = svc.access_requests_bulk_approve(
        ids=[a.public_id, b.public_id, own.public_id, denied.public_id], level="approved", actor=legal
    )
    assert {r.pk for r in approved} == {a.pk, b.pk}
    assert {r.pk for r, _ in skipped} == {own.pk, denied.pk}
    assert OutboundEmail.objects.filter(template="access_approved").count() == 2


def test_revocation_is_immediate(legal, nda):
    user = UserFactory()
    g = grant(user, "nda")
    assert user_can_open(_fresh(user), "approved")
    svc.access_revoke(access_request=g, reason="Left the company", actor=legal)
    assert not user_can_open(_fresh(user), "approved")
    assert "Left the company" in OutboundEmail.objects.get(template="access_revoked").body_text
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1
    with pytest.raises(ApplicationError, match="Only active access"):
        svc.access_revoke(access_request=g, reason="again", actor=legal)


def test_new_approval_supersedes_old_grant(legal, nda):
    user = UserFactory()
    old = grant(user, "approved")
    req = AccessRequestFactory(user=user, nda_version=nda)
    svc.access_request_approve(access_request=req, level="nda", actor=legal)
    old.refresh_from_db()
    assert old.status == AccessRequest.Status.SUPERSEDED
    assert AccessRequest.objects.filter(user=user, status="approved").count() == 1
