"""Staff pages for a change's notice: proof of notice (page and CSV), postponement, alternate contacts."""

from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from portal.core.csv import csv_response
from portal.core.errors import ApplicationError
from portal.core.permissions import legal_required
from portal.core.tables import Table
from portal.evidence.models import IssuedReport
from portal.evidence.selectors import issued_reports_about
from portal.evidence.views import prepared_file_response
from subprocessors.changes import events
from subprocessors.changes.filters import NoticeFilter
from subprocessors.changes.forms import AlternateContactForm, PostponeForm
from subprocessors.changes.notices import change_notice_alternate, change_postpone
from subprocessors.changes.selectors import (
    change_notice_counts,
    change_notice_gap_organisations,
    change_notice_proof,
    notice_email_outcome,
    recipient_notice_in_time,
)
from subprocessors.changes.views import ANNOUNCE, VIEW, change_action, change_by_public_id
from subprocessors.notices.proof import CSV_HEADER, NOT_CREATED_YET, notice_proof_csv_rows
from subprocessors.notices.reports import notice_proof_prepare

NOTICE_COLUMNS = {
    "recipient": ("email",),
    "role": ("role", "email"),
    "sent": (F("announce_email__sent_at"), "email"),
    "delivered": (F("notice_delivered_at"), "email"),
}
NOTICE_PAGE_SIZE = 100


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
        announce = notice_email_outcome(r.announce_email)
        rows.append(
            {
                "recipient": r,
                "announce": announce,
                "postpone": notice_email_outcome(r.postpone_email),
                "withdraw": notice_email_outcome(r.withdraw_email),
                "on_time": recipient_notice_in_time(r, change),
                # kept for the page's "Sent" column
                "sent": announce["sent_at"],
                "why": announce["why"] or (NOT_CREATED_YET if r.announce_email is None else ""),
            }
        )
    return render(
        request,
        "notices/staff/change_notice.html",
        {
            "change": change,
            "form": filterset.form,
            "table": table,
            "rows": rows,
            "counts": change_notice_counts(change=change),
            "issued_reports": issued_reports_about(subject=change, kind=IssuedReport.Kind.NOTICE_PROOF),
        },
    )


@legal_required(VIEW)
def change_notice_export(request, public_id):
    change = change_by_public_id(public_id)
    events.change_notice_exported(change=change, actor=request.user, request=request)
    recipients = change_notice_proof(change=change).iterator(chunk_size=2000)
    rows = notice_proof_csv_rows(change=change, recipients=recipients)
    return csv_response(f"notice-{change.public_id}.csv", CSV_HEADER, rows)


@require_safe
@legal_required(VIEW)
def change_notice_report(request, public_id):
    """The proof-of-notice report (PDF), issued as evidence (stored, recorded with its SHA-256 and audited) by a
    worker, once per state of the notice; until it is, a page that says so and reloads itself."""
    change = change_by_public_id(public_id)
    try:
        job = notice_proof_prepare(change=change, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("notices:staff_notice", public_id=change.public_id)
    return prepared_file_response(
        request,
        job,
        filename=f"proof-of-notice-{change.public_id}.pdf",
        back_url=reverse("notices:staff_notice", args=[change.public_id]),
    )


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
