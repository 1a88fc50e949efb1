"""Drafting and publishing DPA versions. Publishing freezes the text, supersedes the previous version and tells
every enterprise customer."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dpa.versions import enqueue, events
from dpa.versions.clauses import split_clauses
from dpa.versions.models import CONTENT_FIELDS, VERSION_IMMUTABLE, DpaVersion
from portal.audit.services import diff, snapshot
from portal.core.errors import ApplicationError
from portal.delivery.outbox import email_queue
from portal.organisations.models import Organisation

NO_CLAUSES = "The text needs at least one clause: start each clause with a '## Heading' line."
ALREADY_PUBLISHED = "Version {label} is already {status}."


def _check_body(body: str) -> None:
    if not any(c.kind == "clause" for c in split_clauses(body)):
        raise ApplicationError(NO_CLAUSES, field="body")


@transaction.atomic
def dpa_version_create(
    *, label: str, body: str, change_summary: str, effective_date, actor, title: str | None = None, request=None
) -> DpaVersion:
    """`title` is optional (the API does not require it): without one the model's default title is used."""
    _check_body(body)
    version = DpaVersion(
        label=label.strip(),
        title=DpaVersion._meta.get_field("title").get_default() if title is None else title.strip(),
        body=body,
        change_summary=change_summary.strip(),
        effective_date=effective_date,
    )
    version.full_clean()
    version.save()
    events.dpa_version_drafted(version=version, actor=actor, request=request)
    return version


@transaction.atomic
def dpa_version_update(*, version: DpaVersion, data: dict, actor, request=None) -> DpaVersion:
    version = DpaVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ApplicationError(VERSION_IMMUTABLE.format(label=version.label, status=version.status))
    fields = [f for f in data if f in CONTENT_FIELDS]
    if "body" in data:
        _check_body(data["body"])
    before = snapshot(version, fields)
    for name in fields:
        value = data[name]
        setattr(version, name, value.strip() if isinstance(value, str) and name != "body" else value)
    version.full_clean()
    version.save()
    changes = diff(before, snapshot(version, fields))
    if changes["after"]:
        events.dpa_version_edited(version=version, changes=changes, actor=actor, request=request)
    return version


def current_version() -> DpaVersion | None:
    return DpaVersion.objects.filter(status=DpaVersion.Status.PUBLISHED).first()


@transaction.atomic
def dpa_version_publish(*, version: DpaVersion, actor, request=None) -> DpaVersion:
    # Lock every non-draft row too, so two publishes cannot both supersede the same version.
    list(DpaVersion.objects.select_for_update().exclude(status=DpaVersion.Status.DRAFT).values_list("pk"))
    version = DpaVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ApplicationError(ALREADY_PUBLISHED.format(label=version.label, status=version.get_status_display()))
    _check_body(version.body)
    now = timezone.now()
    previous = DpaVersion.objects.filter(status=DpaVersion.Status.PUBLISHED).first()
    if previous is not None:
        previous.status = DpaVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at", "updated_at"])
        events.dpa_version_superseded(version=previous, superseded_by=version, actor=actor, request=request)
    version.status = DpaVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = actor if getattr(actor, "is_authenticated", False) else None
    version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    events.dpa_version_published(version=version, previous=previous, actor=actor, request=request)
    _notify_enterprise_customers(version, previous)
    transaction.on_commit(lambda: enqueue.informational_pdf_render(version.pk))
    return version


def _body_hash(version: DpaVersion) -> str:
    return hashlib.sha256(version.body.encode()).hexdigest()


def _notify_enterprise_customers(version: DpaVersion, previous: DpaVersion | None) -> int:
    diff_url = ""
    if previous is not None:
        diff_url = settings.SITE_URL + reverse("versions:diff") + f"?from={previous.label}&to={version.label}"
    orgs = Organisation.objects.filter(tier=Organisation.Tier.ENTERPRISE).exclude(privacy_contact_email="")
    count = 0
    for org in orgs.order_by("pk").iterator():
        email_queue(
            key=f"dpa-published:{version.public_id}:{org.public_id}",
            to=org.privacy_contact_email,
            template="dpa_version_published",
            context={
                "version": version,
                "previous": previous,
                "processor_name": settings.PORTAL_PROCESSOR_NAME,
                "organisation": org,
                "diff_url": diff_url,
                "version_url": settings.SITE_URL + reverse("versions:detail", args=[version.label]),
                "sign_url": settings.SITE_URL + reverse("organisations:detail", args=[org.public_id]) + "#dpa",
            },
            organisation=org,
            ref=version,
        )
        count += 1
    return count
