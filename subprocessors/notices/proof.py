"""The proof of notice of one change, row by row: who was notified when, delivered or not. One place for the CSV
export of the staff page and for the staff API (JSON and CSV), so they cannot disagree."""

from collections.abc import Iterator

from subprocessors.changes.models import ChangeRecipient, SubprocessorChange
from subprocessors.changes.selectors import notice_email_outcome, recipient_notice_in_time

NOT_CREATED_YET = "not created yet (fan-out in progress)"

CSV_HEADER = [
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


def _iso(value) -> str:
    return value.isoformat() if value else ""


def notice_proof_record(recipient: ChangeRecipient, change: SubprocessorChange) -> dict:
    """One recipient as proof: each notice email's outcome, the first delivery and whether it was in time."""
    announce = notice_email_outcome(recipient.announce_email)
    if recipient.announce_email is None:
        announce["why"] = NOT_CREATED_YET
    return {
        "recipient": recipient,
        "announce": announce,
        "postpone": notice_email_outcome(recipient.postpone_email),
        "withdraw": notice_email_outcome(recipient.withdraw_email),
        "on_time": recipient_notice_in_time(recipient, change),
    }


def notice_proof_csv_rows(*, change: SubprocessorChange, recipients) -> Iterator[tuple]:
    """CSV rows (in CSV_HEADER's order) for `recipients` (from `change_notice_proof`)."""
    deadline = change.objection_deadline.isoformat()
    announced = _iso(change.announced_at)
    notice_deadline = _iso(change.notice_deadline_at)
    for r in recipients:
        record = notice_proof_record(r, change)
        announce, postpone, withdraw, on_time = (record[k] for k in ("announce", "postpone", "withdraw", "on_time"))
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
            announce["why"],
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
            r.added_by.email if r.added_by else "",
        )
