"""A change notice as data: what `GET /api/v1/subprocessor-changes/` lists and each webhook delivery carries.

Plain functions, so that services build webhook payloads without the API layer; a test keeps the API's serializer
and `change_notice` equal field for field."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from subprocessors.changes.models import SubprocessorChange
from subprocessors.listing.models import Subprocessor

OBJECTION_TERMS = (
    "Enterprise customers with a signed DPA, on data-protection grounds, until the deadline (00:00 local time on "
    "the effective date)."
)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601 as the API writes it: datetimes in the portal's time zone, UTC written as Z."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        text = timezone.localtime(value).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


def notice_subprocessor(subprocessor: Subprocessor) -> dict:
    return {
        "slug": subprocessor.slug,
        "name": subprocessor.name,
        "legal_entity": subprocessor.legal_entity,
        "category": subprocessor.category,
        "purpose": subprocessor.purpose,
        "processes_customer_data": subprocessor.processes_customer_data,
        "customer_data_note": subprocessor.customer_data_note,
        "hq_country": subprocessor.hq_country,
        "hq_country_name": subprocessor.hq_country_name,
        "processing_location": subprocessor.location,
        "processing_region": subprocessor.processing_region,
        "processing_region_name": subprocessor.processing_region_name,
        "eea_only": subprocessor.eea_only,
        "retains_prompts": subprocessor.retains_prompts,
        "trains_on_data": subprocessor.trains_on_data,
        "retention_training": subprocessor.retention_training,
        "website": subprocessor.website,
    }


def change_notice(change: SubprocessorChange) -> dict:
    """The full notice (who the sub-processor is, where it processes, the dates, how to object) and its state."""
    return {
        "id": str(change.public_id),
        "kind": change.kind,
        "subprocessor": notice_subprocessor(change.subprocessor),
        "replaces": change.replaces.slug if change.replaces else None,
        "modification": change.modification,
        "reason": change.reason,
        "status": change.status,
        "held": change.is_held,
        "held_at": _iso(change.held_at),
        "announced_at": _iso(change.announced_at),
        "effective_date": _iso(change.effective_date),
        "previous_effective_date": _iso(change.previous_effective_date),
        "postponed_at": _iso(change.postponed_at),
        "postponement_reason": change.postponement_reason,
        "objection_deadline": _iso(change.objection_deadline),
        "how_to_object": {
            "deadline": _iso(change.objection_deadline),
            "url": settings.SITE_URL + reverse("objections:new", args=[change.public_id]),
            "api": settings.SITE_URL + reverse("objections:api_create", args=[change.public_id]),
            "who": OBJECTION_TERMS,
        },
    }


def change_payload(change: SubprocessorChange, event: str) -> dict:
    """A webhook delivery's body: the event and the change as the API shows it."""
    return {"event": event, "change": change_notice(change)}
