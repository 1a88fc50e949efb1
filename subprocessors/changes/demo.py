"""Demo sub-processor changes (idempotent): one announced addition with an objection thread, one draft."""

from django.utils import timezone

from portal.organisations.models import Membership, Organisation
from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.models import Subprocessor

PROPOSED = {
    "name": "Nordlicht Inference GmbH",
    "slug": "nordlicht-inference",
    "legal_entity": "Nordlicht Inference GmbH",
    "category": Subprocessor.Category.AI_PROVIDER,
    "purpose": "Hosting of open-weight models for EU-only routing",
    "processes_customer_data": True,
    "customer_data_note": "May process API traffic transiently",
    "location": "Germany; no transfers outside the EEA",
    "hq_country": "DE",
    "processing_region": "DE",
    "eea_only": True,
    "retains_prompts": False,
    "trains_on_data": False,
    "website": "https://nordlicht.example",
    "status": Subprocessor.Status.PROPOSED,
}


def load_demo() -> None:
    from subprocessors.changes.services import change_announce, change_create
    from subprocessors.listing.services import subprocessor_create
    from subprocessors.objections.services import objection_create, objection_message_post

    if SubprocessorChange.objects.exists():
        return
    actor = None
    proposed = Subprocessor.objects.filter(slug=PROPOSED["slug"]).first() or subprocessor_create(
        data=PROPOSED, actor=actor, note="demo"
    )
    now = timezone.now()
    change = change_create(
        kind=SubprocessorChange.Kind.ADD,
        subprocessor=proposed,
        reason="Customers asked for open-weight models served from Germany only; Nordlicht runs them in Frankfurt.",
        effective_date=earliest_effective_date("add", now),
        actor=actor,
    )
    change_announce(change=change, effective_date=None, actor=actor, now=now)
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
