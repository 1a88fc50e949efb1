"""The signed-DPA register: every executed DPA with its organisation, version, both signatories and their times,
the execution time and the SHA-256 of the executed file. As a PDF it is issued as evidence (stored, recorded,
audited, signed when signing is configured); the CSV carries the same columns."""

from django.conf import settings
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone

from dpa.signing.selectors import executed_register
from portal.evidence.models import IssuedReport, PreparedFile
from portal.evidence.prepared import StoredFile, content_key, prepare
from portal.evidence.reports import html_to_pdf, report_issue
from portal.evidence.signing import sign_pdf

REGISTER_KIND = "dpa_register"
REGISTER_TASK = "dpa.signing.tasks.dpa_register_task"
REGISTER_PERMISSION = "signing.view_dpaexecution"

REGISTER_HEADER = [
    "organisation",
    "version",
    "customer_signatory",
    "customer_signatory_title",
    "customer_signatory_email",
    "customer_signed_at",
    "processor_signatory",
    "processor_signatory_title",
    "processor_signatory_account",
    "countersigned_at",
    "executed_at",
    "executed_sha256",
    "reference",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


def register_csv_rows():
    for e in executed_register().iterator(chunk_size=2000):
        yield (
            e.organisation.name,
            e.version.label,
            e.customer_signed_name,
            e.signatory_title,
            e.signatory_email,
            _iso(e.customer_signed_at),
            e.countersigner_name,
            e.countersigner_title,
            e.countersigned_by.email if e.countersigned_by else "",
            _iso(e.countersigned_at),
            _iso(e.executed_at),
            e.executed_sha256,
            str(e.public_id),
        )


def register_html(*, executions: list, generated_by_label: str, now) -> str:
    return render_to_string(
        "signing/reports/dpa_register.html",
        {
            "executions": executions,
            "generated_at": now,
            "generated_by": generated_by_label,
            "processor_name": settings.PORTAL_PROCESSOR_NAME,
            "time_zone": settings.PORTAL_TIME_ZONE,
        },
    )


def register_label(*, count: int, now) -> str:
    local = timezone.localtime(now)
    noun = "executed DPA" if count == 1 else "executed DPAs"
    return f"the {count} {noun} as of {local:%-d %B %Y %H:%M %Z}"


def dpa_register_issue(*, actor, request=None) -> tuple[IssuedReport, bytes]:
    """Render, sign (when signing is configured), record and return the signed-DPA register (PDF)."""
    now = timezone.now()
    executions = list(executed_register())
    content = sign_pdf(
        html_to_pdf(
            register_html(executions=executions, generated_by_label=getattr(actor, "email", "system"), now=now)
        ),
        reason=f"Register of executed DPAs of {settings.PORTAL_PROCESSOR_NAME}",
    )
    report = report_issue(
        kind=IssuedReport.Kind.DPA_REGISTER,
        content=content,
        label=register_label(count=len(executions), now=now),
        actor=actor,
        stem=f"dpa-register-{timezone.localtime(now):%Y-%m-%d}",
        request=request,
    )
    return report, content


def dpa_register_key() -> str:
    """Names the register's content: the executed DPAs (how many, the last executed and the last changed) and
    whose register it is. A new execution makes a new key, hence a new issue; asking again without one gets the
    register already issued."""
    state = [
        executed_register().aggregate(n=Count("id"), executed=Max("executed_at"), at=Max("updated_at")),
        settings.PORTAL_PROCESSOR_NAME,
        settings.PORTAL_TIME_ZONE,
    ]
    return content_key(state)


def dpa_register_prepare(*, actor) -> PreparedFile:
    """The register as it is now: issued already, or being issued by a worker in `actor`'s name."""
    return prepare(
        kind=REGISTER_KIND,
        key=dpa_register_key(),
        task=REGISTER_TASK,
        actor=actor,
        label="signed-DPA register",
        permission=REGISTER_PERMISSION,
    )


def dpa_register_render(job: PreparedFile) -> StoredFile:
    """The render step of a register row: issued in the name of the staff member who asked."""
    report, _ = dpa_register_issue(actor=job.requested_by)
    return StoredFile.from_report(report)
