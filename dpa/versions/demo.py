"""Demo DPA versions and one executed DPA (idempotent). Acme Health signed 2025.1, then 2026.1 was published:
its signed DPA on the older version stays in force and the organisation page offers re-signing."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model

from dpa.signing.models import DpaExecution
from dpa.versions import sample_dpa
from dpa.versions.models import DpaVersion
from portal.organisations.models import Membership, Organisation


def _draft(spec: dict, which: str, effective: dt.date) -> DpaVersion:
    from dpa.versions.services import dpa_version_create

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
    from dpa.signing.services import dpa_execution_countersign, dpa_execution_request, dpa_execution_sign
    from dpa.versions.services import dpa_version_publish

    User = get_user_model()
    legal = User.objects.filter(email="legal@portal.example").first()
    previous = _draft(sample_dpa.PREVIOUS, "previous", dt.date(2025, 1, 1))
    if previous.is_draft:
        previous = dpa_version_publish(version=previous, actor=legal)
    acme = Organisation.objects.filter(name="Acme Health B.V.").first()
    admin = Membership.objects.filter(organisation=acme, role=Membership.Role.ADMIN).select_related("user").first()
    if (
        acme
        and admin
        and legal
        and not DpaExecution.objects.filter(organisation=acme).exists()
        and previous.status == "published"
    ):
        execution, _token = dpa_execution_request(
            membership=admin,
            signatory_name="Anna de Boer",
            signatory_title="Managing Director",
            signatory_email=admin.user.email,
            actor=admin.user,
        )
        execution = dpa_execution_sign(
            execution=execution,
            typed_name="Anna de Boer",
            confirms_authority=True,
            agreement_sha256=execution.agreement_sha256,
            ip="127.0.0.1",
            user_agent="demo",
        )
        dpa_execution_countersign(
            execution=execution, actor=legal, typed_name="Lena Jansen", title="General Counsel", confirms_authority=True
        )
    current = _draft(sample_dpa.CURRENT, "current", dt.date(2026, 1, 1))
    if current.is_draft:
        dpa_version_publish(version=current, actor=legal)
