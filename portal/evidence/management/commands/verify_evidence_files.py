from django.core.management.base import BaseCommand, CommandError

from portal.audit.services import Actor
from portal.evidence.files import evidence_files_verify, evidence_sources


class Command(BaseCommand):
    help = (
        "Check every stored evidence file (executed DPAs, agreements awaiting signature, trust document versions, "
        "and any other registered source) against its recorded SHA-256; exit non-zero with a list of the files "
        "that are missing or altered."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--alert",
            action="store_true",
            help="Also audit each failure and email the legal lead (at most once per file per day), as the daily "
            "beat task does.",
        )

    def handle(self, *args, **options):
        actor = Actor(label="system (verify_evidence_files command)")
        checked, failures = evidence_files_verify(alert=options["alert"], actor=actor)
        sources = ", ".join(evidence_sources()) or "none registered"
        if failures:
            for error in failures:
                state = "MISSING" if error.missing else f"ALTERED (now {error.actual})"
                self.stderr.write(f"{state}: {error.what} {error.path} (recorded {error.expected})")
            raise CommandError(f"{len(failures)} of {checked} evidence files failed their integrity check.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} evidence files match their recorded SHA-256 ({sources})."))
