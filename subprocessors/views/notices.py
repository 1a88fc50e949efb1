"""Staff pages for a change's notice: proof of notice (page and CSV), postponement, alternate contacts."""

from django.db.models import F
from django.shortcuts import render
from django.views.decorators.http import require_POST

from portal.permissions import legal_required
from portal.services.audit import audit_record
from portal.tables import Table
from portal.views.staff import csv_response
from subprocessors.filters import NoticeFilter
from subprocessors.forms.changes import AlternateContactForm, PostponeForm
from subprocessors.selectors.changes import change_notice_counts, change_notice_gap_organisations, change_notice_proof
from subprocessors.services.notices import change_notice_alternate, change_postpone
from subprocessors.views.changes import ANNOUNCE, VIEW, change_action, change_by_public_id

NOTICE_COLUMNS = {
    "recipient": ("email",),
    "role": ("role", "email"),
    "sent": (F("announce_email__sent_at"), "email"),
    "delivered": (F("notice_delivered_at"), "email"),
}
NOTICE_PAGE_SIZE = 100


def _outcome(email) -> dict:
    """One notice email as proof: queued, delivered or failed, with times, Message-ID and why not."""
    if email is None:
        return {"state": "", "queued_at": None, "sent_at": None, "failed_at": None, "message_id": "", "why": ""}
    failed = email.status == "failed"
    if email.sent_at:
        why = ""
    elif failed:
        why = f"failed: {email.last_error}"
    elif email.last_error:
        why = f"queued for retry after: {email.last_error}"
    else:
        why = f"{email.status} since {email.created_at:%Y-%m-%d %H:%M}"
    return {
        "state": "delivered" if email.sent_at else email.status,
        "queued_at": email.created_at,
        "sent_at": email.sent_at,
        "failed_at": email.updated_at if failed else None,
        "message_id": email.message_id,
        "why": why,
    }


def _on_time(recipient, change) -> bool | None:
    if recipient.notice_delivered_at is None or change.notice_deadline_at is None:
        return None
    return recipient.notice_delivered_at < change.notice_deadline_at


@legal_required(VIEW)
def change_notice(request, public_id):
    change = change_by_public_id(public_id)
    filterset = NoticeFilter(request.GET or None, queryset=change_notice_proof(change=change), change=change)
    table = Table.build(
        request,
        filterset.qs,
        columns=NOTICE_COLUMNS,
        default="recipient",
        noun=("recipient", "recipients"),
        page_size=NOTICE_PAGE_SIZE,
    )
    rows = []
    for r in table.page:
        announce = _outcome(r.announce_email)
        rows.append(
            {
                "recipient": r,
                "announce": announce,
                "postpone": _outcome(r.postpone_email),
                "withdraw": _outcome(r.withdraw_email),
                "on_time": _on_time(r, change),
                # kept for the page's "Sent" column
                "sent": announce["sent_at"],
                "why": announce["why"] or ("not created yet (fan-out in progress)" if r.announce_email is None else ""),
            }
        )
    return render(
        request,
        "subprocessors/staff/change_notice.html",
        {
            "change": change,
            "form": filterset.form,
            "table": table,
            "rows": rows,
            "counts": change_notice_counts(change=change),
        },
    )


def _iso(value) -> str:
    return value.isoformat() if value else ""


@legal_required(VIEW)
def change_notice_export(request, public_id):
    change = change_by_public_id(public_id)
    audit_record(action="subprocessor_change.notice_exported", actor=request.user, target=change, request=request)
    deadline = change.objection_deadline.isoformat()
    announced = _iso(change.announced_at)
    notice_deadline = _iso(change.notice_deadline_at)

    def rows():
        for r in change_notice_proof(change=change).iterator(chunk_size=2000):
            announce, postpone, withdraw = (
                _outcome(r.announce_email),
                _outcome(r.postpone_email),
                _outcome(r.withdraw_email),
            )
            on_time = _on_time(r, change)
            yield (
                r.email,
                r.get_role_display(),
                r.organisation_names,
                announced,
                change.effective_date.isoformat(),
                deadline,
                notice_deadline,
                _iso(announce["queued_at"]),
                _iso(announce["sent_at"]),
                _iso(announce["failed_at"]),
                announce["why"] if r.announce_email else "not created yet (fan-out in progress)",
                announce["message_id"],
                r.postpone_round or "",
                _iso(postpone["queued_at"]),
                _iso(postpone["sent_at"]),
                _iso(postpone["failed_at"]),
                postpone["why"],
                postpone["message_id"],
                _iso(r.notice_delivered_at),
                "" if on_time is None else ("yes" if on_time else "no"),
                _iso(withdraw["sent_at"]),
                withdraw["why"],
                withdraw["message_id"],
                r.added_by.email if r.added_by_id else "",
            )

    header = [
        "recipient",
        "role",
        "organisations",
        "announced_at",
        "effective_date",
        "objection_deadline",
        "notice_deadline",
        "queued_at",
        "sent_at",
        "failed_at",
        "not_sent_reason",
        "message_id",
        "postponement",
        "postponement_queued_at",
        "postponement_sent_at",
        "postponement_failed_at",
        "postponement_not_sent_reason",
        "postponement_message_id",
        "notice_delivered_at",
        "delivered_in_time",
        "withdrawal_sent_at",
        "withdrawal_not_sent_reason",
        "withdrawal_message_id",
        "added_by",
    ]
    return csv_response(f"notice-{change.public_id}.csv", header, rows())


@legal_required(ANNOUNCE)
@require_POST
def change_postpone_view(request, public_id):
    change = change_by_public_id(public_id)
    return change_action(
        request,
        change,
        form=PostponeForm(request.POST, prefix="postpone"),
        form_name="postpone_form",
        act=lambda data: change_postpone(change=change, actor=request.user, request=request, **data),
        success="Postponed. Everyone is notified of the new date; the hold lifts when they are.",
    )


@legal_required(ANNOUNCE)
@require_POST
def change_alternate_view(request, public_id):
    change = change_by_public_id(public_id)
    organisations = change_notice_gap_organisations(change=change)
    return change_action(
        request,
        change,
        form=AlternateContactForm(request.POST, organisations=organisations, prefix="alternate"),
        form_name="alternate_form",
        act=lambda data: change_notice_alternate(change=change, actor=request.user, request=request, **data),
        success=lambda recipient, data: (
            f"The notice is on its way to {recipient.email} for {data['organisation'].name}."
        ),
    )
