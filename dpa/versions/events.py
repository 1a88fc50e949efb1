"""Audit events of DPA versions: drafted, edited, published (superseding the previous one) and downloaded."""

import hashlib

from django.http import HttpRequest

from dpa.versions.models import DpaVersion
from portal.audit.event_types import event_type
from portal.audit.models import AuditEvent
from portal.audit.services import AuditActor, audit_record, snapshot

DPA_VERSION_DRAFTED = event_type("dpa.version_drafted", "DPA version drafted")
DPA_VERSION_EDITED = event_type("dpa.version_edited", "DPA draft edited")
DPA_VERSION_PUBLISHED = event_type("dpa.version_published", "DPA version published")
DPA_VERSION_SUPERSEDED = event_type("dpa.version_superseded", "DPA version superseded")
DPA_INFORMATIONAL_COPY_DOWNLOADED = event_type("dpa.informational_copy_downloaded", "DPA informational copy downloaded")


def dpa_version_drafted(*, version: DpaVersion, actor: AuditActor, request: HttpRequest | None = None) -> AuditEvent:
    return audit_record(
        action=DPA_VERSION_DRAFTED.action,
        actor=actor,
        target=version,
        request=request,
        details={"after": snapshot(version, ["label", "title", "change_summary", "effective_date"])},
    )


def dpa_version_edited(
    *, version: DpaVersion, changes: dict, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """`changes`: the before/after diff of the edited fields."""
    return audit_record(action=DPA_VERSION_EDITED.action, actor=actor, target=version, request=request, details=changes)


def dpa_version_superseded(
    *, version: DpaVersion, superseded_by: DpaVersion, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    return audit_record(
        action=DPA_VERSION_SUPERSEDED.action,
        actor=actor,
        target=version,
        request=request,
        details={"label": version.label, "superseded_by": superseded_by.label},
    )


def dpa_version_published(
    *, version: DpaVersion, previous: DpaVersion | None, actor: AuditActor, request: HttpRequest | None = None
) -> AuditEvent:
    """The body's SHA-256 is recorded: the published text can be shown unchanged later."""
    return audit_record(
        action=DPA_VERSION_PUBLISHED.action,
        actor=actor,
        target=version,
        request=request,
        details={
            "label": version.label,
            "effective_date": version.effective_date.isoformat(),
            "supersedes": previous.label if previous else None,
            "body_sha256": hashlib.sha256(version.body.encode()).hexdigest(),
        },
    )


def dpa_informational_copy_downloaded(*, version: DpaVersion, actor: AuditActor, request: HttpRequest) -> AuditEvent:
    return audit_record(
        action=DPA_INFORMATIONAL_COPY_DOWNLOADED.action,
        actor=actor,
        target=version,
        request=request,
        details={"label": version.label},
    )
