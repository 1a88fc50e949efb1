"""Evidence files that fail their integrity check answer 503, never a 500 or the file."""

from portal.core.views import evidence_unavailable
from portal.evidence.files import EvidenceIntegrityError, integrity_failure_record


class EvidenceIntegrityMiddleware:
    """A view that asked for a stored evidence file that is missing or altered answers 503 with a clear page (JSON
    under /api/) instead of a 500 or the file. The failure is recorded here if the view's transaction kept it from
    being recorded when it was found (see portal.evidence.files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, EvidenceIntegrityError):
            return None
        integrity_failure_record(error=exception)
        return evidence_unavailable(request, exception)
