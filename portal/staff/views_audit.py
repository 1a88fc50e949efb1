from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.audit.selectors import AUDIT_EXPORT_HEADER, audit_events
from portal.core.csv import csv_response
from portal.core.errors import ApplicationError
from portal.core.permissions import legal_required
from portal.core.tables import Table, valid_filters
from portal.evidence.checkpoints import CHECKPOINT_NOT_STORED, audit_checkpoint_latest, audit_checkpoint_write
from portal.staff.forms import AuditFilterForm
from portal.staff.services import audit_log_export

AUDIT_COLUMNS = {"time": ("id",), "actor": ("actor_label",), "action": ("action",), "target": ("target_type",)}


@legal_required("audit.view_auditevent")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    table = Table.build(
        request,
        audit_events(filters=valid_filters(form)),
        columns=AUDIT_COLUMNS,
        default="-time",
        noun=("event", "events"),
    )
    return render(
        request,
        "staff/audit_list.html",
        {"form": form, "table": table, "checkpoint": audit_checkpoint_latest()},
    )


@legal_required("audit.view_auditevent")
@require_POST
def audit_checkpoint(request):
    """Seal the log as it is now: a signed checkpoint outside the database, emailed to the legal lead."""
    try:
        checkpoint = audit_checkpoint_write(trigger="staff", actor=request.user, request=request)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except OSError:
        messages.error(request, CHECKPOINT_NOT_STORED)
    else:
        messages.success(
            request,
            f"Checkpoint written: {checkpoint.data['row_count']} rows, emailed to {settings.PORTAL_LEGAL_LEAD_EMAIL}.",
        )
    return redirect("staff:audit")


@legal_required("audit.export_auditevent")
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    rows = audit_log_export(filters=valid_filters(form), actor=request.user, request=request)
    return csv_response("audit-log.csv", AUDIT_EXPORT_HEADER, rows)
