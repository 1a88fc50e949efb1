from django.db.models import OuterRef, QuerySet, Subquery

from portal.audit.models import AuditEvent
from portal.audit.selectors import audit_events
from portal.organisations.models import Organisation


def audit_events_with_organisation(*, filters: dict) -> QuerySet[AuditEvent]:
    """`audit_events` with each row's organisation public id (`organisation_public_id`, None when the row has none
    or the organisation was deleted since: the log keeps only the number), in the same query."""
    organisation = Organisation.objects.filter(pk=OuterRef("organisation_id")).values("public_id")[:1]
    return audit_events(filters=filters).annotate(organisation_public_id=Subquery(organisation))
