"""Demo sub-processor changes (idempotent): one announced addition with an objection thread, one draft."""

from django.utils import timezone

from subprocessors.changes.models import SubprocessorChange
from subprocessors.changes.services import change_announce, change_create
from subprocessors.changes.windows import earliest_effective_date
from subprocessors.listing.models import Subprocessor
from subprocessors.listing.services import subprocessor_create

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
