import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.trust.services import access_request_submit
from portal.trust.stamping import sample_pdf
from tests.dpa.factories import NdaVersionFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Factories hash a password per user; the default hasher makes these tests slow for no gain.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def nda(db):
    return NdaVersionFactory()


@pytest.fixture
def submit(nda):
    def _submit(user, **kwargs):
        params = {
            "company": "Acme Health B.V.",
            "job_role": "Privacy officer",
            "reason": "Vendor assessment",
            "nda_version": nda,
            "nda_accepted": True,
            "ip": "203.0.113.5",
            "user_agent": "Mozilla/5.0 (test)",
            **kwargs,
        }
        return access_request_submit(user=user, **params)

    return _submit


def pdf_upload(name="Policy.pdf", lines=("Security policy",), pages=2):
    return SimpleUploadedFile(name, sample_pdf(list(lines), pages=pages), content_type="application/pdf")
