"""Demo: an enterprise customer objects to the announced demo change and legal answers (idempotent)."""

from portal.organisations.models import Membership, Organisation
from subprocessors.changes.models import SubprocessorChange
from subprocessors.objections.models import Objection
from subprocessors.objections.services import objection_create, objection_message_post


def load_demo() -> None:
    change = SubprocessorChange.objects.filter(status=SubprocessorChange.Status.ANNOUNCED).order_by("id").first()
    if change is None or Objection.objects.exists():
        return
    org = Organisation.objects.filter(tier=Organisation.Tier.ENTERPRISE).order_by("name").first()
    member = Membership.objects.filter(organisation=org).select_related("user").order_by("role").first()
    if member is not None:
        objection = objection_create(
            change=change,
            organisation=org,
            grounds="Our hospital contracts require a transfer impact assessment for every new AI provider; "
            "please share Nordlicht's technical and organisational measures before it is engaged.",
            actor=member.user,
        )
        objection_message_post(
            objection=objection,
            body="We will share the TOMs and the audit report this week.",
            actor=None,
            from_staff=True,
        )
