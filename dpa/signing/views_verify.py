"""The public verify page: is this file an executed DPA or a report we issued, and are its signatures intact?"""

from django.shortcuts import render

from dpa.signing.forms import VerifyForm
from dpa.signing.selectors import executed_by_sha256
from portal.core.request_limits import request_limits
from portal.evidence.selectors import issued_report_by_sha256
from portal.evidence.signatures import verify_pdf

VERIFY_RATE_LIMITED = "Too many verifications from your network. Please try again in a few minutes."


# The rate limit and the body limit hold in RequestLimitMiddleware, before the upload is parsed (here or by CSRF).


def _verify_refused(request, message, status):
    """The verify page with the reason it refused a request (too many, too large), before the upload was read."""
    return render(
        request, "signing/verify.html", {"form": VerifyForm(), "checked": False, "error": message}, status=status
    )


@request_limits(
    max_body="DPA_VERIFY_MAX_BYTES",
    rate="DPA_VERIFY_RATE",
    scope="dpa.verify",
    rate_message=VERIFY_RATE_LIMITED,
    refused=_verify_refused,
)
def verify(request):
    form = VerifyForm(request.POST if request.method == "POST" else None, request.FILES or None)
    result = signatures = issued = None
    checked = False
    if request.method == "POST" and form.is_valid():
        checked = True
        result = executed_by_sha256(form.fingerprint())
        issued = None if result else issued_report_by_sha256(form.fingerprint())
        if form.cleaned_data.get("file"):
            signatures = verify_pdf(form.pdf_content)
    return render(
        request,
        "signing/verify.html",
        {"form": form, "result": result, "issued": issued, "signatures": signatures, "checked": checked},
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
