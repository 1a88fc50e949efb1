"""Demo: Acme Health signed DPA 2025.1 (countersigned), then 2026.1 is published, so its signed DPA on the older
version stays in force and the organisation page offers re-signing (idempotent)."""

from django.contrib.auth import get_user_model

from dpa.signing.agreement import dpa_execution_agreement_render
from dpa.signing.models import DpaExecution
from dpa.signing.services import dpa_execution_countersign, dpa_execution_request, dpa_execution_sign
from dpa.versions import sample_dpa
from dpa.versions.models import DpaVersion
from dpa.versions.services import dpa_version_publish
from portal.organisations.models import Membership, Organisation


def load_demo() -> None:
    legal = get_user_model().objects.filter(email="legal@portal.example").first()
    previous = DpaVersion.objects.filter(label=sample_dpa.PREVIOUS["label"]).first()
    acme = Organisation.objects.filter(name="Acme Health B.V.").first()
    admin = Membership.objects.filter(organisation=acme, role=Membership.Role.ADMIN).select_related("user").first()
    if (
        acme
        and admin
        and legal
        and previous
        and previous.status == "published"
        and not DpaExecution.objects.filter(organisation=acme).exists()
    ):
        execution, _token = dpa_execution_request(
            membership=admin,
            signatory_name="Anna de Boer",
            signatory_title="Managing Director",
            signatory_email=admin.user.email,
            actor=admin.user,
        )
        # The demo signs at once, so it renders the agreement here rather than waiting for the worker.
        dpa_execution_agreement_render(execution_id=execution.pk)
        execution.refresh_from_db()
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
    current = DpaVersion.objects.filter(label=sample_dpa.CURRENT["label"]).first()
    if current and current.is_draft:
        dpa_version_publish(version=current, actor=legal)
