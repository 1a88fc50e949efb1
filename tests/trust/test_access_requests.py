import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress

from portal.audit.models import AuditEvent
from portal.core.errors import ApplicationError
from portal.delivery.models import OutboundEmail
from portal.trust import services as svc
from portal.trust.models import AccessRequest
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.trust.factories import NdaVersionFactory

AMS = ZoneInfo("Europe/Amsterdam")


def _local(*args):
    return dt.datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(
    ("submitted", "due_day", "chase_day"),
    [
        # Tuesday morning: Thursday end of day, chase from Friday.
        (_local(2026, 11, 17, 9, 0), dt.date(2026, 11, 19), dt.date(2026, 11, 20)),
        # Friday evening local time: the weekend does not count.
        (_local(2026, 11, 20, 21, 45), dt.date(2026, 11, 24), dt.date(2026, 11, 25)),
        # Thursday 23:30 UTC is already Friday in Amsterdam.
        (dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC), dt.date(2026, 11, 24), dt.date(2026, 11, 25)),
        # Maundy Thursday: Good Friday and Easter Monday are closed.
        (_local(2026, 4, 2, 10, 0), dt.date(2026, 4, 8), dt.date(2026, 4, 9)),
        # Before Christmas: 25 December closed, 26 December a Saturday.
        (_local(2026, 12, 23, 16, 0), dt.date(2026, 12, 28), dt.date(2026, 12, 29)),
        # Friday before King's Day (Monday 27 April 2026).
        (_local(2026, 4, 24, 17, 0), dt.date(2026, 4, 29), dt.date(2026, 4, 30)),
    ],
)
def test_deadlines_in_business_days(submitted, due_day, chase_day, submit):
    user = UserFactory()
    with time_machine.travel(submitted, tick=False):
        req = submit(user)
    assert req.due_at.astimezone(AMS).replace(microsecond=0) == _local(*due_day.timetuple()[:3], 23, 59, 59)
    assert req.chase_after.astimezone(AMS) == _local(*chase_day.timetuple()[:3], 0, 0)


def test_submit_stores_nda_acceptance_emails_and_audits(submit, nda, legal):
    # given
    user = UserFactory(email="dpo@acme-health.example")
    moment = _local(2026, 11, 17, 9, 0)
    # when
    with time_machine.travel(moment, tick=False):
        req = submit(user)
    # then
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.PENDING
    assert (req.nda_version, req.nda_accepted_at, req.nda_ip, req.nda_user_agent) == (
        nda,
        moment,
        "203.0.113.5",
        "Mozilla/5.0 (test)",
    )
    ack = OutboundEmail.objects.get(template="access_acknowledged")
    assert ack.to_email == user.email
    assert "Thursday 19 November 2026" in ack.body_text
    assert req.reference in ack.subject
    staff = OutboundEmail.objects.get(template="access_staff_new")
    assert staff.to_email == legal.email
    assert OutboundEmail.objects.count() == 2
    event = AuditEvent.objects.get(action="access.requested")
    assert event.details["nda_version"] == nda.version
    assert event.details["nda_ip"] == "203.0.113.5"


def test_one_pending_request_per_user(submit):
    user = UserFactory()
    submit(user)
    with pytest.raises(ApplicationError, match="already have a pending"):
        submit(user)
    assert AccessRequest.objects.count() == 1


def test_database_refuses_a_second_pending_request(nda):
    from django.db import IntegrityError, transaction

    from tests.trust.factories import AccessRequestFactory

    user = UserFactory()
    AccessRequestFactory(user=user, nda_version=nda)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequestFactory(user=user, nda_version=nda)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nda_accepted": False}, svc.NDA_NOT_ACCEPTED),
        ({"nda_version": None}, svc.NDA_OUTDATED),
        ({"company": "   "}, svc.NOT_YOUR_ORGANISATION),
    ],
)
def test_bad_submissions_change_nothing(kwargs, message, submit):
    user = UserFactory()
    with pytest.raises(ApplicationError) as exc:
        submit(user, **kwargs)
    assert exc.value.message == message
    assert not AccessRequest.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_outdated_nda_version_refused(submit, nda):
    import datetime as _dt

    from django.utils import timezone

    NdaVersionFactory(version="2026-02", published_at=timezone.now() - _dt.timedelta(minutes=1))
    with pytest.raises(ApplicationError, match="NDA was updated"):
        submit(UserFactory(), nda_version=nda)


def test_unverified_email_refused(submit):
    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)
    with pytest.raises(ApplicationError, match="Verify your email"):
        submit(user)


def test_organisation_must_be_the_users(submit, org):
    user = UserFactory()
    with pytest.raises(ApplicationError, match="organisation you are a member of"):
        submit(user, organisation=org)
    MembershipFactory(user=user, organisation=org)
    req = submit(user, organisation=org, company="")
    assert req.company == org.name


def test_no_published_nda_refuses(db):
    user = UserFactory()
    with pytest.raises(ApplicationError, match="closed until"):
        svc.access_request_submit(user=user, company="X", job_role="Y", reason="Z", nda_version=None, nda_accepted=True)


def test_self_serve_org_request_goes_to_queue(submit):
    org = OrganisationFactory(tier="self_serve", email_domain="tinyapps.example")
    user = UserFactory(email="sam@tinyapps.example")
    MembershipFactory(user=user, organisation=org)
    assert submit(user, organisation=org).status == AccessRequest.Status.PENDING
