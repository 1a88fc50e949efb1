"""Trust-portal access: requests, decisions, auto-approval, escalation, expiry and revocation.

A request becomes the user's grant when approved (status `approved`, a level and an expiry); a newer approval
supersedes the older grant. Every state change is audited and emailed through the outbox.
"""

import datetime as dt

from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit.services import Actor
from portal.core.errors import ApplicationError
from portal.core.permissions import LEGAL_GROUP
from portal.deadlines.calendar import add_business_days, end_of_local_day, local_date, start_of_local_day
from portal.delivery.chat import chat_alert_queue, chat_text, chat_time
from portal.delivery.models import ChatAlert
from portal.delivery.outbox import email_queue
from portal.organisations.models import Membership, Organisation
from portal.trust import events
from portal.trust.models import AccessRequest, AutoApprovalRule, GrantLevel, NdaVersion
from portal.trust.selectors import current_nda

EMAIL_NOT_VERIFIED = "Verify your email address before requesting access."
ALREADY_PENDING = "You already have a pending access request. We will email you when it is decided."
NDA_NOT_ACCEPTED = "Accept the NDA to request access."
NDA_OUTDATED = "The NDA was updated while you were reading it. Please read and accept the current version."
NO_NDA = "Access requests are closed until legal staff publish an NDA."
NOT_YOUR_ORGANISATION = "Choose an organisation you are a member of, or enter your company's name."
NOT_PENDING = "This request has already been decided."
SELF_DECISION = "You cannot decide your own access request. Ask another member of the legal team."
BAD_LEVEL = "Choose the access level to grant: approved or NDA."
EXPIRY_IN_PAST = "The expiry must be in the future."
REASON_REQUIRED = "Give a reason; the requester will see it."
NOT_ACTIVE = "Only active access can be revoked."
RULE_NOT_ENTERPRISE = "Auto-approval is only for enterprise organisations."
RULE_NO_DOMAIN = "Set the organisation's email domain first (Staff → Organisations)."
RULE_FREEMAIL = "{domain} is a free-mail domain; requests from it always go to the queue."
RULE_EXISTS = "There is already a rule for {domain}."


def legal_staff_emails() -> list[str]:
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(groups__name=LEGAL_GROUP, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def access_deadlines(submitted_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(due_at, chase_after): end of the 2nd business day after the local submit date; start of the 3rd."""
    day = local_date(submitted_at)
    return end_of_local_day(add_business_days(day, 2)), start_of_local_day(add_business_days(day, 3))


def default_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + relativedelta(months=settings.ACCESS_DEFAULT_EXPIRY_MONTHS)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def is_freemail(domain: str) -> bool:
    return domain.lower() in {d.lower() for d in settings.ACCESS_FREEMAIL_DOMAINS}


def auto_rule_for(email: str) -> AutoApprovalRule | None:
    """The active rule for exactly this address's domain (no subdomains, no suffix matches), if any."""
    domain = email_domain(email)
    if not domain or is_freemail(domain):
        return None
    rule = AutoApprovalRule.objects.select_related("organisation").filter(domain=domain, active=True).first()
    if rule is None or rule.organisation.tier != Organisation.Tier.ENTERPRISE:
        return None
    return rule


@transaction.atomic
def access_request_submit(
    *,
    user,
    company: str,
    job_role: str,
    reason: str,
    nda_version: NdaVersion | None,
    nda_accepted: bool,
    organisation: Organisation | None = None,
    ip: str | None = None,
    user_agent: str = "",
    request=None,
) -> AccessRequest:
    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        raise ApplicationError(EMAIL_NOT_VERIFIED)
    if not nda_accepted:
        raise ApplicationError(NDA_NOT_ACCEPTED, field="accept_nda")
    current = current_nda()
    if current is None:
        raise ApplicationError(NO_NDA)
    if nda_version is None or nda_version.pk != current.pk:
        raise ApplicationError(NDA_OUTDATED, field="accept_nda")
    if organisation is not None and not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ApplicationError(NOT_YOUR_ORGANISATION, field="organisation")
    company = (company or "").strip() or (organisation.name if organisation else "")
    if not company:
        raise ApplicationError(NOT_YOUR_ORGANISATION, field="company")
    if AccessRequest.objects.filter(user=user, status=AccessRequest.Status.PENDING).exists():
        raise ApplicationError(ALREADY_PENDING)
    now = timezone.now()
    due_at, chase_after = access_deadlines(now)
    req = AccessRequest(
        user=user,
        organisation=organisation,
        company=company,
        job_role=job_role.strip(),
        reason=reason.strip(),
        submitted_at=now,
        due_at=due_at,
        chase_after=chase_after,
        nda_version=current,
        nda_accepted_at=now,
        nda_ip=ip or None,
        nda_user_agent=(user_agent or "")[:500],
    )
    req.full_clean()
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError as exc:  # a concurrent submit won the one-pending-request constraint
        raise ApplicationError(ALREADY_PENDING) from exc
    events.access_requested(access_request=req, nda_ip=ip, request=request)
    _email_requester(req, event="acknowledged", template="access_acknowledged")
    rule = auto_rule_for(user.email)
    if rule is not None:
        return _approve(req, level=rule.level, expires_at=default_expiry(now), note="", actor=events.SYSTEM, rule=rule)
    for staff_email in legal_staff_emails():
        email_queue(
            key=f"access:{req.public_id}:staff:{staff_email}",
            to=staff_email,
            template="access_staff_new",
            context={"req": req},
            ref=req,
        )
    _chat_alert_new(req)
    return req


def _chat_alert_new(req: AccessRequest) -> None:
    """Legal staff's chat hears of a request that waits for them (not of one an auto-approval rule granted)."""
    chat_alert_queue(
        kind=ChatAlert.Kind.ACCESS_REQUEST,
        text=chat_text(
            title="New access request",
            facts=[
                ("Who", req.user.email),
                ("Company", req.company),
                ("Role", req.job_role),
                ("Decide by", chat_time(req.due_at)),
            ],
        ),
        url=settings.SITE_URL + reverse("trust:staff_detail", args=[req.public_id]),
        dedupe_key=f"access:{req.public_id}:new",
        ref=req,
    )


def _email_requester(req: AccessRequest, *, event: str, template: str) -> None:
    """The requester hears about every step of their request, once per event (the outbox key)."""
    email_queue(
        key=f"access:{req.public_id}:{event}",
        to=req.user.email,
        template=template,
        context={"req": req},
        organisation=req.organisation,
        ref=req,
    )


def _lock(req: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update(of=("self",)).select_related("user", "organisation").get(pk=req.pk)


def _approve(req, *, level, expires_at, note, actor, rule=None, request=None) -> AccessRequest:
    now = timezone.now()
    superseded = list(
        AccessRequest.objects.select_for_update()
        .filter(user=req.user, status=AccessRequest.Status.APPROVED)
        .exclude(pk=req.pk)
    )
    for old in superseded:
        old.status = AccessRequest.Status.SUPERSEDED
        old.ended_at = now
        old.save(update_fields=["status", "ended_at", "updated_at"])
    req.status = AccessRequest.Status.APPROVED
    req.level = level
    req.expires_at = expires_at
    req.decision_note = note.strip()
    req.decided_at = now
    req.decided_by = None if isinstance(actor, Actor) else actor
    req.auto_rule = rule
    req.full_clean()
    req.save()
    events.access_request_approved(
        access_request=req, actor=actor, superseded=superseded, request=request, auto_rule=rule
    )
    _email_requester(req, event="approved", template="access_approved")
    req.user.__dict__.pop("_portal_active_access", None)
    return req


def _check_decider(req: AccessRequest, actor) -> None:
    if req.status != AccessRequest.Status.PENDING:
        raise ApplicationError(NOT_PENDING)
    if getattr(actor, "pk", None) == req.user_id:
        raise ApplicationError(SELF_DECISION)


@transaction.atomic
def access_request_approve(
    *, access_request: AccessRequest, level: str, actor, expires_at=None, note: str = "", request=None
) -> AccessRequest:
    req = _lock(access_request)
    _check_decider(req, actor)
    if level not in GrantLevel.values:
        raise ApplicationError(BAD_LEVEL, field="level")
    expires_at = expires_at or default_expiry()
    if isinstance(expires_at, dt.date) and not isinstance(expires_at, dt.datetime):
        expires_at = end_of_local_day(expires_at)
    if expires_at <= timezone.now():
        raise ApplicationError(EXPIRY_IN_PAST, field="expires_on")
    return _approve(req, level=level, expires_at=expires_at, note=note, actor=actor, request=request)


@transaction.atomic
def access_request_deny(*, access_request: AccessRequest, reason: str, actor, request=None) -> AccessRequest:
    req = _lock(access_request)
    _check_decider(req, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    req.status = AccessRequest.Status.DENIED
    req.denial_reason = reason
    req.decided_at = timezone.now()
    req.decided_by = actor
    req.full_clean()
    req.save()
    events.access_request_denied(access_request=req, actor=actor, request=request)
    _email_requester(req, event="denied", template="access_denied")
    return req


def access_requests_bulk_approve(*, ids: list, level: str, actor, note: str = "", request=None):
    """Approve each pending request in `ids` with the default expiry. Returns (approved, [(req, error)])."""
    approved, skipped = [], []
    for req in AccessRequest.objects.filter(public_id__in=ids).select_related("user").order_by("submitted_at"):
        try:
            approved.append(
                access_request_approve(access_request=req, level=level, note=note, actor=actor, request=request)
            )
        except ApplicationError as exc:
            skipped.append((req, exc.message))
    return approved, skipped


@transaction.atomic
def access_revoke(*, access_request: AccessRequest, reason: str, actor, request=None) -> AccessRequest:
    """Takes effect at once: the next page view or download checks the status."""
    req = _lock(access_request)
    if req.status != AccessRequest.Status.APPROVED:
        raise ApplicationError(NOT_ACTIVE)
    if getattr(actor, "pk", None) == req.user_id:
        raise ApplicationError(SELF_DECISION)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    req.status = AccessRequest.Status.REVOKED
    req.ended_at = timezone.now()
    req.ended_by = actor
    req.end_reason = reason
    req.save(update_fields=["status", "ended_at", "ended_by", "end_reason", "updated_at"])
    events.access_revoked(access_request=req, actor=actor, request=request)
    _email_requester(req, event="revoked", template="access_revoked")
    return req


@transaction.atomic
def access_request_escalate(*, access_request_id: int) -> bool:
    """Email the legal lead about an undecided request past its due time. Once per request."""
    req = AccessRequest.objects.select_for_update().select_related("user").filter(pk=access_request_id).first()
    now = timezone.now()
    if req is None or req.status != AccessRequest.Status.PENDING or req.escalated_at or req.due_at >= now:
        return False
    req.escalated_at = now
    req.save(update_fields=["escalated_at", "updated_at"])
    events.access_request_escalated(access_request=req)
    email_queue(
        key=f"access:{req.public_id}:escalated",
        to=settings.PORTAL_LEGAL_LEAD_EMAIL,
        template="access_escalated",
        context={"req": req},
        ref=req,
    )
    return True


@transaction.atomic
def access_expiry_warn(*, access_request_id: int) -> bool:
    req = AccessRequest.objects.select_for_update().select_related("user").filter(pk=access_request_id).first()
    now = timezone.now()
    window = now + dt.timedelta(days=settings.ACCESS_EXPIRY_WARNING_DAYS)
    if (
        req is None
        or req.status != AccessRequest.Status.APPROVED
        or req.expiry_warning_sent_at
        or req.expires_at is None
        or not (now < req.expires_at <= window)
    ):
        return False
    req.expiry_warning_sent_at = now
    req.save(update_fields=["expiry_warning_sent_at", "updated_at"])
    events.access_expiry_warned(access_request=req)
    _email_requester(req, event="expiry-warning", template="access_expiry_warning")
    return True


@transaction.atomic
def access_expire(*, access_request_id: int) -> bool:
    req = AccessRequest.objects.select_for_update().select_related("user").filter(pk=access_request_id).first()
    now = timezone.now()
    if req is None or req.status != AccessRequest.Status.APPROVED or req.expires_at is None or req.expires_at > now:
        return False
    req.status = AccessRequest.Status.EXPIRED
    req.ended_at = now
    req.save(update_fields=["status", "ended_at", "updated_at"])
    events.access_expired(access_request=req)
    return True


@transaction.atomic
def access_digest_send() -> int:
    """One email to each legal staff member listing auto-approvals not yet reported. Returns how many."""
    reqs = list(
        AccessRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(auto_rule__isnull=False, digest_sent_at__isnull=True, decided_at__isnull=False)
        .select_related("user", "auto_rule")
        .order_by("decided_at", "id")
    )
    if not reqs:
        return 0
    now = timezone.now()
    batch = f"{reqs[0].pk}-{reqs[-1].pk}-{len(reqs)}"
    for staff_email in legal_staff_emails():
        email_queue(
            key=f"access:digest:{batch}:{staff_email}",
            to=staff_email,
            template="access_digest",
            context={"requests": reqs},
        )
    AccessRequest.objects.filter(pk__in=[r.pk for r in reqs]).update(digest_sent_at=now, updated_at=now)
    events.access_digest_sent(access_requests=reqs, recipients=legal_staff_emails())
    return len(reqs)


# --- Auto-approval rules ---------------------------------------------------------------------


@transaction.atomic
def auto_rule_create(*, organisation: Organisation, level: str, actor, request=None) -> AutoApprovalRule:
    if organisation.tier != Organisation.Tier.ENTERPRISE:
        raise ApplicationError(RULE_NOT_ENTERPRISE, field="organisation")
    domain = (organisation.email_domain or "").strip().lower().rstrip(".")
    if not domain:
        raise ApplicationError(RULE_NO_DOMAIN, field="organisation")
    if is_freemail(domain):
        raise ApplicationError(RULE_FREEMAIL.format(domain=domain), field="organisation")
    if level not in GrantLevel.values:
        raise ApplicationError(BAD_LEVEL, field="level")
    if AutoApprovalRule.objects.filter(domain=domain).exists():
        raise ApplicationError(RULE_EXISTS.format(domain=domain), field="organisation")
    rule = AutoApprovalRule(organisation=organisation, domain=domain, level=level, created_by=actor)
    rule.full_clean()
    rule.save()
    events.auto_rule_created(rule=rule, actor=actor, request=request)
    return rule


@transaction.atomic
def auto_rule_set_active(*, rule: AutoApprovalRule, active: bool, actor, request=None) -> AutoApprovalRule:
    rule = AutoApprovalRule.objects.select_for_update().get(pk=rule.pk)
    if rule.active == active:
        return rule
    rule.active = active
    rule.save(update_fields=["active", "updated_at"])
    events.auto_rule_switched(rule=rule, actor=actor, request=request)
    return rule


@transaction.atomic
def nda_version_publish(*, version: str, title: str, body: str, actor, request=None) -> NdaVersion:
    """Publish a new click-through NDA. It applies to requests submitted from now on; texts never change."""
    version, body = version.strip(), body.strip()
    if not version:
        raise ApplicationError("Give the version a label, for example 2026-12.", field="version")
    if not body:
        raise ApplicationError("The NDA text cannot be empty.", field="body")
    if NdaVersion.objects.filter(version__iexact=version).exists():
        raise ApplicationError(
            f"NDA version {version} already exists; texts never change, use a new label.", field="version"
        )
    previous = current_nda()
    nda = NdaVersion.objects.create(
        version=version, title=title.strip() or "Non-disclosure agreement", body=body, published_at=timezone.now()
    )
    events.nda_version_published(nda=nda, previous=previous, actor=actor, request=request)
    return nda
