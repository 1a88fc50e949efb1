"""Executing a DPA with an enterprise customer: request → customer signatory signs through an emailed link →
legal staff countersign → executed PDF with a signature page, stored once, its SHA-256 in the audit log."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dpa.signing import events
from dpa.signing.agreement import agreement_render_on_commit
from dpa.signing.models import DpaExecution
from dpa.signing.pdf import (
    AGREEMENT_FILE_CHANGED,
    evidence_files_kept_only_on_success,
    executed_pdf_render,
    executed_pdf_seal,
    executed_pdf_store,
)
from dpa.versions.annex import annex_at
from dpa.versions.models import DpaVersion
from portal.audit.services import Actor
from portal.core.clients import client_ip
from portal.core.errors import ApplicationError
from portal.core.permissions import is_legal
from portal.delivery.outbox import email_queue
from portal.evidence.files import EvidenceIntegrityError, integrity_failure_record
from portal.organisations.models import Membership, Organisation

SIGNATORY_LINK_VALID_FOR = timedelta(days=14)

SELF_SERVE_REASON = (
    "A mutually signed DPA is part of the enterprise plan; the DPA applies to enterprise accounts only. On the "
    "self-serve plan you can read it for information. To upgrade, contact {support}."
)
NOT_ADMIN_REASON = "Only an admin of your organisation can request a signed DPA."
NO_VERSION = "No DPA version has been published yet."
OPEN_REQUEST_EXISTS = "A signing request for this organisation is already in progress."
ALREADY_EXECUTED = "Your organisation has already signed version {label}, the current version."
LINK_EXPIRED = "This signing link has expired. Ask an admin of your organisation to request the signature again."
LINK_CLOSED = "This signing link can no longer be used: the request is {status}."
NAME_MISMATCH = "Type the signatory's full name exactly as it appears above: {name}."
AUTHORITY_REQUIRED = "Confirm that you are authorised to sign on behalf of {organisation}."
NOT_AWAITING_COUNTERSIGNATURE = "This DPA is not waiting for a countersignature (it is {status})."
COUNTERSIGN_DOCUMENT_CHANGED = (
    "This is not the document up for countersignature: its SHA-256 is not the one given (the agreement was "
    "replaced, or the hash is wrong). Nothing was signed; fetch the document and its agreement_sha256 again, "
    "review it, then countersign."
)
COUNTERSIGN_LEGAL_ONLY = "Only the processor's legal staff can countersign a DPA."
REASON_REQUIRED = "Give a reason for declining (at least 10 characters)."
NOT_OPEN = "This request is already {status}; it can no longer be declined."
ANNEX_CHANGED = (
    "The sub-processor list changed since this document was prepared; review the updated document and sign again."
)
DOCUMENT_CHANGED = (
    "This is not the document that is up for signature now (it was replaced, for example because the "
    "sub-processor list changed); review the updated document and sign again."
)
AGREEMENT_BEING_PREPARED = (
    "Your agreement is still being prepared, so it cannot be signed yet. This page shows it as soon as it is "
    "ready; review it, then sign."
)
NO_LONGER_ENTERPRISE_SIGN = (
    "{organisation} is no longer on the enterprise plan, so this DPA can no longer be signed: a mutually signed "
    "DPA is part of the enterprise plan. Contact {support} if this is a mistake."
)
NO_LONGER_ENTERPRISE_COUNTERSIGN = (
    "{organisation} is no longer on the enterprise plan (it was moved to self-serve after this DPA was "
    "requested), so it cannot be countersigned. Decline it with a reason, or countersign once the organisation "
    "is on the enterprise plan again."
)


class ExecutionNotAllowed(ApplicationError):
    """The requester may not ask for execution at all (self-serve plan, not an admin): a 403, not a 400."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def execution_refusal(membership: Membership | None) -> str | None:
    """Why this member cannot request execution, or None when they can."""
    if membership is None:
        return NOT_ADMIN_REASON
    if not membership.organisation.is_enterprise:
        return SELF_SERVE_REASON.format(support=settings.PORTAL_SUPPORT_EMAIL)
    if membership.role != Membership.Role.ADMIN:
        return NOT_ADMIN_REASON
    return None


def signing_refusal(execution: DpaExecution) -> str | None:
    """Why the customer's signatory cannot sign this request now (beyond its status and link), or None."""
    if not execution.organisation.is_enterprise:
        return NO_LONGER_ENTERPRISE_SIGN.format(
            organisation=execution.organisation.name, support=settings.PORTAL_SUPPORT_EMAIL
        )
    return None


def countersign_refusal(execution: DpaExecution) -> str | None:
    """Why legal staff cannot countersign this request now (beyond its status), or None."""
    if not execution.organisation.is_enterprise:
        return NO_LONGER_ENTERPRISE_COUNTERSIGN.format(organisation=execution.organisation.name)
    return None


def _record_annex(execution: DpaExecution) -> None:
    """Record Annex 1 as of now (the moment, the rows, their SHA-256) and leave the agreement "being prepared":
    a worker renders it from exactly these rows after the commit (dpa.signing.agreement), because rendering the
    whole list takes longer than a request may."""

    annex = annex_at(timezone.now())
    execution.annex_as_of = annex.as_of
    execution.annex_rows = annex.rows
    execution.annex_sha256 = annex.sha256
    execution.agreement_path = ""
    execution.agreement_sha256 = ""
    execution.agreement_enqueued_at = None
    execution.agreement_attempts = 0
    execution.agreement_error = ""


def _sign_url(token: str) -> str:
    return settings.SITE_URL + reverse("signing:sign", args=[token])


def _expire_lapsed(organisation: Organisation, actor) -> None:
    lapsed = DpaExecution.objects.select_for_update().filter(
        organisation=organisation,
        status=DpaExecution.Status.AWAITING_SIGNATORY,
        link_expires_at__lt=timezone.now(),
    )
    for execution in lapsed:
        dpa_execution_expire(execution=execution, actor=actor)


@transaction.atomic
def dpa_execution_request(
    *, membership: Membership, signatory_name: str, signatory_title: str, signatory_email: str, actor, request=None
) -> tuple[DpaExecution, str]:
    """Returns the new request and the signatory's token (only ever sent by email; not stored in clear)."""
    refusal = execution_refusal(membership)
    if refusal:
        raise ExecutionNotAllowed(refusal)
    organisation = Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    version = DpaVersion.objects.filter(status=DpaVersion.Status.PUBLISHED).first()
    if version is None:
        raise ApplicationError(NO_VERSION)
    if DpaExecution.objects.filter(
        organisation=organisation, version=version, status=DpaExecution.Status.EXECUTED
    ).exists():
        raise ApplicationError(ALREADY_EXECUTED.format(label=version.label))
    _expire_lapsed(organisation, actor)
    if DpaExecution.objects.filter(organisation=organisation, status__in=DpaExecution.OPEN_STATUSES).exists():
        raise ApplicationError(OPEN_REQUEST_EXISTS)
    token = secrets.token_urlsafe(32)
    execution = DpaExecution(
        organisation=organisation,
        version=version,
        requested_by=actor,
        signatory_name=" ".join(signatory_name.split()),
        signatory_title=signatory_title.strip(),
        signatory_email=signatory_email.strip().lower(),
        token_hash=token_hash(token),
        link_expires_at=timezone.now() + SIGNATORY_LINK_VALID_FOR,
    )
    _record_annex(execution)
    execution.full_clean()
    execution.save()
    events.dpa_execution_requested(execution=execution, actor=actor, request=request)
    agreement_render_on_commit(execution)
    # The email goes out at once: until the worker has rendered the agreement, the link says it is being prepared.
    email_queue(
        key=f"dpa-sign-request:{execution.public_id}",
        to=execution.signatory_email,
        template="dpa_signature_request",
        context={
            "execution": execution,
            "requester": actor,
            "sign_url": _sign_url(token),
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
        },
        organisation=organisation,
        ref=execution,
    )
    return execution, token


def _locked(execution: DpaExecution, *, organisation: bool = False) -> DpaExecution:
    """The row, locked. With `organisation`, the organisation is locked first (the order `dpa_execution_request`
    uses), so a plan change cannot slip in between the check and the signature."""
    if organisation:
        Organisation.objects.select_for_update().filter(pk=execution.organisation_id).exists()
    return DpaExecution.objects.select_for_update().select_related("organisation", "version").get(pk=execution.pk)


def _annex_is_current(execution: DpaExecution) -> bool:
    """True when the list in force now is the annex printed in the agreement (by content, not by date)."""
    return bool(execution.annex_sha256) and annex_at(timezone.now()).sha256 == execution.annex_sha256


@transaction.atomic
def dpa_execution_agreement_refresh(*, execution: DpaExecution, request=None) -> DpaExecution:
    """Re-prepare the agreement a signatory has yet to sign when the sub-processor list changed since it was
    prepared, so the signatory reviews the list in force: the new annex is recorded and a worker renders the
    agreement from it (until then the page says it is being prepared; a render of the old annex still running is
    discarded). Does nothing otherwise (or once the request is no longer open for signing)."""
    execution = _locked(execution)
    if (
        execution.status != DpaExecution.Status.AWAITING_SIGNATORY
        or execution.link_expires_at <= timezone.now()
        or signing_refusal(execution)
        or _annex_is_current(execution)
    ):
        return execution
    before = events.annex_details(execution)
    _record_annex(execution)
    execution.save(
        update_fields=[
            "agreement_path",
            "agreement_sha256",
            "agreement_enqueued_at",
            "agreement_attempts",
            "agreement_error",
            "annex_as_of",
            "annex_rows",
            "annex_sha256",
            "updated_at",
        ]
    )
    events.dpa_agreement_regenerated(execution=execution, before=before, request=request)
    agreement_render_on_commit(execution)
    return execution


def signatory_actor(execution: DpaExecution) -> Actor:
    return Actor(label=f"{execution.signatory_name} <{execution.signatory_email}> (signatory link)")


@transaction.atomic
def dpa_execution_sign(
    *,
    execution: DpaExecution,
    typed_name: str,
    confirms_authority: bool,
    agreement_sha256: str,
    ip: str | None,
    user_agent: str,
    request=None,
) -> DpaExecution:
    """The signatory signs the agreement whose SHA-256 they were shown (`agreement_sha256`): refused unless it is
    the agreement up for signature and its Annex 1 is still the sub-processor list in force, so "signed" means
    the signatory saw exactly the document recorded."""
    execution = _locked(execution, organisation=True)
    if execution.status != DpaExecution.Status.AWAITING_SIGNATORY:
        raise ApplicationError(LINK_CLOSED.format(status=execution.get_status_display().lower()))
    if execution.link_expires_at <= timezone.now():
        raise ApplicationError(LINK_EXPIRED)
    refusal = signing_refusal(execution)
    if refusal:
        raise ApplicationError(refusal)
    if not execution.agreement_ready:
        raise ApplicationError(AGREEMENT_BEING_PREPARED)
    if (agreement_sha256 or "").strip().lower() != execution.agreement_sha256:
        raise ApplicationError(DOCUMENT_CHANGED)
    if not _annex_is_current(execution):
        raise ApplicationError(ANNEX_CHANGED)
    if _normalise_name(typed_name) != _normalise_name(execution.signatory_name):
        raise ApplicationError(NAME_MISMATCH.format(name=execution.signatory_name), field="typed_name")
    if not confirms_authority:
        raise ApplicationError(
            AUTHORITY_REQUIRED.format(organisation=execution.organisation.name), field="confirms_authority"
        )
    execution.customer_signed_name = " ".join(typed_name.split())
    execution.customer_signed_at = timezone.now()
    execution.customer_signed_ip = ip
    execution.customer_signed_user_agent = (user_agent or "")[:500]
    execution.status = DpaExecution.Status.AWAITING_COUNTERSIGNATURE
    execution.save()
    events.dpa_signed_by_customer(execution=execution, actor=signatory_actor(execution), ip=ip, request=request)
    email_queue(
        key=f"dpa-countersign:{execution.public_id}",
        to=settings.PORTAL_LEGAL_LEAD_EMAIL,
        template="dpa_countersign_needed",
        context={
            "execution": execution,
            "staff_url": settings.SITE_URL + reverse("signing:staff_detail", args=[execution.public_id]),
        },
        organisation=execution.organisation,
        ref=execution,
    )
    return execution


def dpa_execution_countersign(
    *,
    execution: DpaExecution,
    actor,
    typed_name: str,
    title: str,
    confirms_authority: bool,
    agreement_sha256: str | None = None,
    request=None,
) -> DpaExecution:
    """Legal countersigns; the executed PDF is stored and recorded in one go: if the transaction fails (a lost
    connection at commit included), the file is removed again and a retry starts clean. With `agreement_sha256`
    (the SHA-256 of the agreement the countersigner reviewed; the staff API requires it) the countersignature is
    refused, and nothing recorded, unless it is the agreement up for countersignature."""

    try:
        with evidence_files_kept_only_on_success():
            return _countersign(
                execution=execution,
                actor=actor,
                typed_name=typed_name,
                title=title,
                confirms_authority=confirms_authority,
                agreement_sha256=agreement_sha256,
                request=request,
            )
    except EvidenceIntegrityError as exc:
        # Nothing was executed. Now that the countersignature's transaction has rolled back, the failure is audited
        # and the legal lead alerted; the countersigner is told why on the page.
        integrity_failure_record(error=exc)
        raise ApplicationError(AGREEMENT_FILE_CHANGED) from exc


@transaction.atomic
def _countersign(
    *,
    execution: DpaExecution,
    actor,
    typed_name: str,
    title: str,
    confirms_authority: bool,
    agreement_sha256: str | None,
    request=None,
) -> DpaExecution:

    if not is_legal(actor):
        raise ExecutionNotAllowed(COUNTERSIGN_LEGAL_ONLY)
    execution = _locked(execution, organisation=True)
    if execution.status != DpaExecution.Status.AWAITING_COUNTERSIGNATURE:
        raise ApplicationError(NOT_AWAITING_COUNTERSIGNATURE.format(status=execution.get_status_display().lower()))
    refusal = countersign_refusal(execution)
    if refusal:
        raise ApplicationError(refusal)
    if agreement_sha256 is not None and agreement_sha256.strip().lower() != execution.agreement_sha256:
        raise ApplicationError(COUNTERSIGN_DOCUMENT_CHANGED, field="agreement_sha256")
    name = " ".join(typed_name.split())
    if len(name) < 3 or " " not in name:
        raise ApplicationError("Type your full name (first and last name).", field="typed_name")
    if not title.strip():
        raise ApplicationError("Give your title, e.g. General Counsel.", field="title")
    if not confirms_authority:
        raise ApplicationError(
            AUTHORITY_REQUIRED.format(organisation=settings.PORTAL_PROCESSOR_NAME), field="confirms_authority"
        )
    now = timezone.now()
    execution.countersigned_by = actor
    execution.countersigner_name = name
    execution.countersigner_title = title.strip()
    execution.countersigned_at = now
    execution.countersigned_ip = client_ip(request)
    execution.countersigned_user_agent = (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:500]
    # Sealed before it is stored: executed_sha256 is the hash of the signed file.
    content = executed_pdf_seal(execution, executed_pdf_render(execution, request=request, actor=actor))
    execution.executed_path, execution.executed_sha256 = executed_pdf_store(execution, content)
    execution.executed_at = now
    execution.status = DpaExecution.Status.EXECUTED
    execution.save()
    events.dpa_executed(execution=execution, actor=actor, request=request)
    _notify_customer(execution, template="dpa_executed", key="executed")
    return execution


def _notify_customer(execution: DpaExecution, *, template: str, key: str) -> None:
    org_url = settings.SITE_URL + reverse("organisations:detail", args=[execution.organisation.public_id]) + "#dpa"
    recipients = {execution.signatory_email}
    if execution.requested_by is not None:
        recipients.add(execution.requested_by.email.lower())
    for to in sorted(recipients):
        email_queue(
            key=f"dpa-{key}:{execution.public_id}:{to}",
            to=to,
            template=template,
            context={
                "execution": execution,
                "org_url": org_url,
                "processor_name": settings.PORTAL_PROCESSOR_NAME,
            },
            organisation=execution.organisation,
            ref=execution,
        )


@transaction.atomic
def dpa_execution_decline(*, execution: DpaExecution, side: str, reason: str, actor, request=None) -> DpaExecution:
    """Either side declines an open request with a reason; the other side is told."""
    execution = _locked(execution)
    if side == DpaExecution.Side.PROCESSOR and not is_legal(actor):
        raise ExecutionNotAllowed(COUNTERSIGN_LEGAL_ONLY)
    if not execution.is_open:
        raise ApplicationError(NOT_OPEN.format(status=execution.get_status_display().lower()))
    if side == DpaExecution.Side.CUSTOMER and execution.status != DpaExecution.Status.AWAITING_SIGNATORY:
        raise ApplicationError(LINK_CLOSED.format(status=execution.get_status_display().lower()))
    if side == DpaExecution.Side.CUSTOMER and execution.link_expires_at <= timezone.now():
        raise ApplicationError(LINK_EXPIRED)
    reason = reason.strip()
    if len(reason) < 10:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    if actor is None:
        actor = signatory_actor(execution)
    execution.status = DpaExecution.Status.DECLINED
    execution.declined_side = side
    execution.declined_at = timezone.now()
    execution.decline_reason = reason
    execution.declined_by_label = actor.label if isinstance(actor, Actor) else getattr(actor, "email", "")
    execution.save()
    events.dpa_execution_declined(execution=execution, actor=actor, request=request)
    if side == DpaExecution.Side.CUSTOMER:
        email_queue(
            key=f"dpa-declined:{execution.public_id}:legal",
            to=settings.PORTAL_LEGAL_LEAD_EMAIL,
            template="dpa_declined",
            context={"execution": execution, "processor_name": settings.PORTAL_PROCESSOR_NAME},
            organisation=execution.organisation,
            ref=execution,
        )
    else:
        _notify_customer(execution, template="dpa_declined", key="declined")
    return execution


@transaction.atomic
def dpa_execution_expire(*, execution: DpaExecution, actor=None) -> bool:
    """Mark a request whose signatory link lapsed unsigned as expired. Idempotent; returns True if it changed."""
    execution = _locked(execution)
    if execution.status != DpaExecution.Status.AWAITING_SIGNATORY or execution.link_expires_at > timezone.now():
        return False
    execution.status = DpaExecution.Status.EXPIRED
    execution.save()
    events.dpa_execution_link_expired(execution=execution, actor=actor)
    return True
