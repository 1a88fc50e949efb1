"""Reads of DPA versions and who may read their full text."""

from django.db.models import QuerySet
from django.http import Http404

from dpa.versions.models import DpaVersion
from portal.core.permissions import is_staff_verified
from portal.trust.selectors import is_enterprise_member, user_can_open


def can_read_dpa(user) -> bool:
    """Full text, diff and the informational PDF: approved trust-portal users and legal staff, and members of
    enterprise organisations (they are asked to sign each new version, so they must be able to read it)."""

    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff_verified(user) or user_can_open(user, "approved") or is_enterprise_member(user)


def public_versions() -> QuerySet[DpaVersion]:
    """Published and superseded versions, newest first (the public version list)."""
    return DpaVersion.objects.published().order_by("-published_at", "-id")


def current_version() -> DpaVersion | None:
    return DpaVersion.objects.filter(status=DpaVersion.Status.PUBLISHED).first()


def public_version(label: str) -> DpaVersion:
    version = public_versions().filter(label=label).first()
    if version is None:
        raise Http404
    return version


def staff_versions() -> QuerySet[DpaVersion]:
    return DpaVersion.objects.select_related("published_by").order_by("-created_at", "-id")
