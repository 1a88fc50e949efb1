"""The proof-of-notice report of one sub-processor change (PDF): what was announced and the notice rule, then
every address the notice went to — queued, delivered (accepted by the mail server, with time and Message-ID) or
failed and why — with the verdict against the notice deadline, and the totals. Issued as evidence through
`portal.evidence.reports.report_issue`."""

from django.conf import settings
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone

from portal.core.errors import ApplicationError
from portal.deadlines.calendar import local_date
from portal.evidence.models import IssuedReport, PreparedFile
from portal.evidence.prepared import StoredFile, content_key, prepare
from portal.evidence.reports import html_to_pdf, report_issue
from portal.evidence.signing import sign_pdf
from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.changes.selectors import (
    change_notice_counts,
    change_notice_gap_organisations,
    change_notice_proof,
    notice_email_outcome,
    recipient_notice_in_time,
)
from subprocessors.changes.windows import KINDS_NEEDING_NOTICE, NOTICE_BUSINESS_DAYS, earliest_effective_date

CHANGE_NOT_ANNOUNCED_FOR_REPORT = "This change was never announced: there is no notice to report on."
# WeasyPrint lays out roughly 70-100 addresses per CPU-second, so the report is always issued by a worker.
REPORT_KIND = "notice_proof"
REPORT_TASK = "subprocessors.notices.tasks.notice_proof_issue_task"
REPORT_PERMISSION = "changes.view_subprocessorchange"


def _verdict(recipient, change: SubprocessorChange, now) -> tuple[str, str]:
    """(css class, words) for one address against the notice deadline."""
    if change.kind not in KINDS_NEEDING_NOTICE:
        return "", "no notice period for this kind of change"
    in_time = recipient_notice_in_time(recipient, change)
    if in_time:
        return "ok", "in time"
    if in_time is False:
        return "late", "late: delivered after the deadline"
    if change.notice_deadline_at and now >= change.notice_deadline_at:
        return "late", "not delivered by the deadline"
    return "open", "not delivered yet"


def _row(recipient, change: SubprocessorChange, now) -> dict:
    verdict_class, verdict = _verdict(recipient, change, now)
    return {
        "r": recipient,
        "announce": notice_email_outcome(recipient.announce_email),
        "postpone": notice_email_outcome(recipient.postpone_email),
        "withdraw": notice_email_outcome(recipient.withdraw_email),
        "verdict": verdict,
        "verdict_class": verdict_class,
    }


def notice_rule(change: SubprocessorChange) -> dict:
    """The notice period rule as it applies to this change, and the earliest effective date it allowed."""
    needs_notice = change.kind in KINDS_NEEDING_NOTICE
    return {
        "needs_notice": needs_notice,
        "business_days": NOTICE_BUSINESS_DAYS,
        "announced_on": local_date(change.announced_at) if change.announced_at else None,
        "earliest_date": earliest_effective_date(change.kind, change.announced_at) if change.announced_at else None,
    }


def notice_proof_html(*, change: SubprocessorChange, generated_by_label: str, now=None) -> str:
    now = now or timezone.now()
    rows = [_row(r, change, now) for r in change_notice_proof(change=change)]
    counts = change_notice_counts(change=change)
    counts["announce_queued"] = (
        counts["recipients"] - counts["announce_sent"] - counts["announce_failed"] - counts["announce_missing"]
    )
    counts["not_delivered"] = counts["recipients"] - counts["delivered"]
    counts["delivered_late"] = counts["delivered"] - counts["delivered_on_time"]
    return render_to_string(
        "notices/pdf/notice_proof.html",
        {
            "change": change,
            "rule": notice_rule(change),
            "rows": rows,
            "counts": counts,
            "gap_organisations": list(change_notice_gap_organisations(change=change).values_list("name", flat=True)),
            "show_postponement": change.postponements > 0,
            "show_withdrawal": change.status == "withdrawn",
            "generated_at": now,
            "generated_by": generated_by_label,
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
            "time_zone": settings.PORTAL_TIME_ZONE,
        },
    )


def notice_proof_pdf(*, change: SubprocessorChange, generated_by_label: str, now=None) -> bytes:
    """The report, signed (PAdES) when signing is configured."""
    content = html_to_pdf(notice_proof_html(change=change, generated_by_label=generated_by_label, now=now))
    return sign_pdf(content, reason=f"Proof of notice of the sub-processor change “{change.headline}”")


def notice_proof_label(change: SubprocessorChange) -> str:
    return f"change “{change.headline}” (effective {change.effective_date:%-d %B %Y}, ref. {change.public_id})"


def notice_proof_key(change: SubprocessorChange, *, now=None) -> str:
    """Names the change's notice as the report shows it: the change row, every recipient and the outcome of each
    of their emails, the totals, and whether the notice deadline has passed (it turns "not delivered yet" into
    "not delivered by the deadline"). Any change makes a new key, hence a new report; asking again without one gets
    the report already issued."""
    now = now or timezone.now()
    recipients = ChangeRecipient.objects.filter(change=change).aggregate(
        n=Count("id"),
        at=Max("updated_at"),
        announce=Max("announce_email__updated_at"),
        postpone=Max("postpone_email__updated_at"),
        withdraw=Max("withdraw_email__updated_at"),
    )
    deadline_passed = bool(change.notice_deadline_at and now >= change.notice_deadline_at)
    state = [change.updated_at, recipients, change_notice_counts(change=change), deadline_passed]
    return content_key(state, prefix=str(change.public_id))


def notice_proof_prepare(*, change: SubprocessorChange, actor) -> PreparedFile:
    """The proof-of-notice report of the change as it is now: issued already, or being issued by a worker in
    `actor`'s name. A change never announced has no notice to report on (ApplicationError)."""
    if change.announced_at is None:
        raise ApplicationError(CHANGE_NOT_ANNOUNCED_FOR_REPORT)
    return prepare(
        kind=REPORT_KIND,
        key=notice_proof_key(change),
        task=REPORT_TASK,
        args=[change.pk],
        actor=actor,
        label=f"proof of notice of “{change.headline}”",
        permission=REPORT_PERMISSION,
    )


def notice_proof_issue(*, change: SubprocessorChange, actor, request=None) -> tuple[IssuedReport, bytes]:
    """Render, record and return the proof-of-notice report of an announced change (called by the worker)."""
    if change.announced_at is None:
        raise ApplicationError(CHANGE_NOT_ANNOUNCED_FOR_REPORT)
    label = getattr(actor, "email", "") or "system"
    content = notice_proof_pdf(change=change, generated_by_label=label)
    report = report_issue(
        kind=IssuedReport.Kind.NOTICE_PROOF,
        content=content,
        label=notice_proof_label(change),
        actor=actor,
        stem=f"notice-{change.public_id}",
        subject=change,
        request=request,
    )
    return report, content


def notice_proof_render(job: PreparedFile) -> StoredFile:
    """The render step of a proof-of-notice row: issued in the name of the staff member who asked."""
    change = SubprocessorChange.objects.select_related("subprocessor", "replaces").get(pk=job.task_args[0])
    report, _ = notice_proof_issue(change=change, actor=job.requested_by)
    return StoredFile.from_report(report)
