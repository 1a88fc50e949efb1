"""Piped into `python manage.py shell` inside the web container by tests/container/smoke.py (not a test module).

Creates a legal user, one customer organisation with a privacy contact and a proposed sub-processor, then
announces its addition through the services the change page uses. The announcement only commits and enqueues:
the fan-out and the email delivery are left to the containerised Celery worker."""

import json

from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.organisations.services import organisation_create
from subprocessors.changes.services import change_announce, change_create_with_subprocessor
from subprocessors.changes.windows import earliest_effective_date

legal = get_user_model().objects.create_user(username="legal@container.example", email="legal@container.example")
organisation = organisation_create(
    name="Container Customer B.V.", creator=legal, privacy_contact_email="privacy@customer.example"
)
change = change_create_with_subprocessor(
    subprocessor_data={
        "name": "Container Inference",
        "slug": "container-inference",
        "legal_entity": "Container Inference B.V.",
        "category": "ai_provider",
        "purpose": "Model hosting for the container smoke test",
        "hq_country": "NL",
        "processing_region": "NL",
    },
    kind="add",
    reason="Faster inference in the EU",
    effective_date=earliest_effective_date("add", timezone.now()),
    actor=legal,
)
change = change_announce(change=change, effective_date=None, actor=legal)
print(json.dumps({"change": change.pk, "recipient": organisation.privacy_contact_email}))
