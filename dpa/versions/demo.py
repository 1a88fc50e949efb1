"""Demo DPA versions (idempotent): 2025.1 published and 2026.1 drafted. The signing app's demo has Acme Health
sign 2025.1 and then publishes 2026.1, so the older signed DPA stays in force and re-signing is offered."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model

from dpa.versions import sample_dpa
from dpa.versions.models import DpaVersion
from dpa.versions.services import dpa_version_create, dpa_version_publish


def _draft(spec: dict, which: str, effective: dt.date) -> DpaVersion:
    existing = DpaVersion.objects.filter(label=spec["label"]).first()
    if existing:
        return existing
    return dpa_version_create(
        label=spec["label"],
        title=spec["title"],
        body=sample_dpa.body(which, settings.PORTAL_PROCESSOR_NAME),
        change_summary=spec["change_summary"],
        effective_date=effective,
        actor=None,
    )


def load_demo() -> None:
    legal = get_user_model().objects.filter(email="legal@portal.example").first()
    previous = _draft(sample_dpa.PREVIOUS, "previous", dt.date(2025, 1, 1))
    if previous.is_draft:
        dpa_version_publish(version=previous, actor=legal)
    _draft(sample_dpa.CURRENT, "current", dt.date(2026, 1, 1))
