import hashlib

from django import forms
from django.conf import settings

from portal.core.forms import PortalForm
from portal.core.request_limits import size_label
from portal.evidence.signatures import UnusablePdf, open_pdf


class ExecutionRequestForm(PortalForm):
    signatory_name = forms.CharField(label="Signatory's full name", max_length=200)
    signatory_title = forms.CharField(label="Signatory's title", max_length=200, help_text="E.g. Managing Director.")
    signatory_email = forms.EmailField(
        label="Signatory's email", help_text="They receive a personal link to sign, valid for 14 days."
    )


class SignForm(PortalForm):
    # The SHA-256 of the agreement shown on the page: signing is refused unless it is still the one up for
    # signature. Not required here so that a missing value gets the service's explanation, not a hidden error.
    agreement_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    typed_name = forms.CharField(label="Type your full name to sign", max_length=200)
    confirms_authority = forms.BooleanField(
        label="I confirm that I am authorised to sign this agreement on behalf of my organisation.", required=False
    )


class CountersignForm(PortalForm):
    typed_name = forms.CharField(label="Type your full name to countersign", max_length=200)
    title = forms.CharField(label="Your title", max_length=200, help_text="E.g. General Counsel.")
    confirms_authority = forms.BooleanField(
        label="I confirm that I am authorised to sign this agreement on behalf of the processor.", required=False
    )


class DeclineForm(PortalForm):
    reason = forms.CharField(label="Reason for declining", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class VerifyForm(PortalForm):
    file = forms.FileField(
        label="PDF issued by this portal",
        required=False,
        help_text="An executed DPA or another evidence PDF. The file is checked and not kept.",
    )
    sha256 = forms.CharField(label="…or its SHA-256", required=False, max_length=100)

    def clean_sha256(self):
        value = self.cleaned_data["sha256"].strip().lower()
        if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
            raise forms.ValidationError("A SHA-256 is 64 characters 0–9 and a–f.")
        return value

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            self.pdf_content = upload_pdf_content(upload)
        return upload

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not self.errors and not data.get("file") and not data.get("sha256"):
            raise forms.ValidationError("Upload the executed PDF or paste its SHA-256.")
        if data.get("file") and data.get("sha256"):
            raise forms.ValidationError("Upload a file or paste a hash, not both.")
        return data

    def fingerprint(self) -> str:
        if self.cleaned_data.get("file"):
            return hashlib.sha256(self.pdf_content).hexdigest()
        return self.cleaned_data["sha256"]


def upload_pdf_content(upload) -> bytes:
    """The bytes of an uploaded PDF to verify, or a ValidationError saying why it cannot be checked (too large,
    empty, not a PDF, encrypted, damaged). Used by the verify page and the API."""

    # RequestLimitMiddleware refuses a larger body before it is read; this holds wherever the form is used.
    if upload.size > settings.DPA_VERIFY_MAX_BYTES:
        limit = size_label(settings.DPA_VERIFY_MAX_BYTES)
        raise forms.ValidationError(f"The file is larger than any executed DPA ({limit} at most).")
    content = b"".join(upload.chunks())
    try:
        open_pdf(content)
    except UnusablePdf as exc:
        raise forms.ValidationError(str(exc)) from exc
    return content
