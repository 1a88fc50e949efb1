import pgtrigger
from django.core.management.commands import flush

# The TRUNCATE guards on the evidence tables (see portal/triggers.py).
TRUNCATE_GUARDS = (
    "audit.AuditEvent:audit_log_no_truncate",
    "versions.DpaVersion:dpa_version_no_truncate",
    "signing.DpaExecution:dpa_execution_no_truncate",
)


class Command(flush.Command):
    help = (
        f"{flush.Command.help} This includes the audit log, published DPA versions and executed DPAs, which "
        "PostgreSQL otherwise refuses to truncate: flush is the deliberate, confirmed wipe of the whole database "
        "(and what Django's transactional tests run after each test)."
    )

    def handle(self, **options):
        with pgtrigger.ignore(*TRUNCATE_GUARDS, databases=[options["database"]]):
            return super().handle(**options)
