"""Reads of DPA executions: per organisation, for the staff queue, by token and by file hash."""

from django.db.models import F, QuerySet
from django.utils import timezone

from dpa.signing.models import DpaExecution
from dpa.signing.services import token_hash
from portal.core.tables import OrderTerm

# The staff list's sortable columns (the console's table and the staff API's `sort`).
EXECUTION_COLUMNS: dict[str, tuple[OrderTerm, ...]] = {
    "organisation": ("organisation__name", "-created_at"),
    "version": ("version__created_at", "organisation__name"),
    "status": ("status", "-created_at"),
    "requested": ("created_at",),
    "executed": (F("executed_at"),),
}


def _base() -> QuerySet[DpaExecution]:
    return DpaExecution.objects.select_related("organisation", "version", "requested_by")


def executions_for_organisation(organisation) -> QuerySet[DpaExecution]:
    return _base().filter(organisation=organisation).order_by("-created_at", "-id")


def execution_in_force(organisation) -> DpaExecution | None:
    """The newest executed DPA: a signed older version stays valid until a newer one is executed."""
    return (
        _base()
        .filter(organisation=organisation, status=DpaExecution.Status.EXECUTED)
        .order_by("-executed_at", "-id")
        .first()
    )


def open_execution(organisation) -> DpaExecution | None:
    return _base().filter(organisation=organisation, status__in=DpaExecution.OPEN_STATUSES).first()


def execution_for_token(token: str) -> DpaExecution | None:
    if not token or len(token) > 100:
        return None
    return _base().filter(token_hash=token_hash(token)).first()


def staff_executions(*, status: str = "") -> QuerySet[DpaExecution]:
    qs = _base().select_related("countersigned_by").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def executed_register() -> QuerySet[DpaExecution]:
    """Every executed DPA, oldest execution first: the signed-DPA register."""
    return (
        DpaExecution.objects.filter(status=DpaExecution.Status.EXECUTED)
        .select_related("organisation", "version", "countersigned_by")
        .order_by("executed_at", "id")
    )


def executed_by_sha256(sha256: str) -> DpaExecution | None:
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    return _base().filter(executed_sha256=sha256, status=DpaExecution.Status.EXECUTED).first()


def lapsed_signatory_links() -> QuerySet[DpaExecution]:
    return DpaExecution.objects.filter(
        status=DpaExecution.Status.AWAITING_SIGNATORY, link_expires_at__lte=timezone.now()
    ).order_by("id")
