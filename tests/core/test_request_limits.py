"""Request bodies are bounded before anything parses them (portal.core.request_limits): Content-Length first, then the
bytes that actually stream in; rate limits hold before the body is read."""

import io
import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.base import BaseHandler
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from dpa.signing.views_verify import VERIFY_RATE_LIMITED

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
VERIFY_URLS = [pytest.param("signing:verify", id="page"), pytest.param("signing:api_verify", id="api")]


class UnreadableStream(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def _declared_body(client, url, *, length, content_type=MULTIPART_CONTENT, **extra):
    """A POST that announces `length` bytes but whose body may not be read."""
    return client.generic(
        "POST",
        url,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableStream()},
        **extra,
    )


def _pdf_upload(size: int) -> dict:
    return {"file": SimpleUploadedFile("dpa.pdf", b"%PDF-1.7\n" + b"0" * (size - 9), "application/pdf")}


def _is_413(response, url_name, text):
    assert response.status_code == 413
    if url_name.partition(":")[2].startswith("api_"):
        assert text in json.loads(response.content)["detail"]
    else:
        assert text in response.content.decode()


@pytest.mark.parametrize("url_name", VERIFY_URLS)
def test_a_25_mb_verify_upload_is_refused_before_its_body_is_read(client, url_name):
    # when a client announces a 25 MB upload (and reading it would fail this test)
    with (
        mock.patch("dpa.signing.views_verify.executed_by_sha256") as page,
        mock.patch("dpa.signing.api.executed_by_sha256") as api,
    ):
        response = _declared_body(client, reverse(url_name), length=25 * MB)
    # then it is refused with 413 and the file-too-large message; no verification ran
    limit = "10 MB"  # the page and the API take the same PDF
    _is_413(response, url_name, f"The upload is too large: at most {limit} can be sent here.")
    assert not page.called
    assert not api.called


@pytest.mark.parametrize("url_name", VERIFY_URLS)
def test_a_real_25_mb_verify_upload_is_a_413(client, url_name):
    with mock.patch("dpa.signing.views_verify.VerifyForm.is_valid") as form:
        response = client.post(reverse(url_name), _pdf_upload(25 * MB))
    _is_413(response, url_name, "The upload is too large")
    assert not form.called


def test_the_verify_page_shows_the_refusal_on_its_own_form(client):
    response = _declared_body(client, reverse("signing:verify"), length=25 * MB)
    body = response.content.decode()
    assert "Verify an executed DPA" in body
    assert 'enctype="multipart/form-data"' in body
    assert "Not verified" not in body


def test_an_upload_just_under_the_verify_limit_is_verified(client, settings):
    # given a PDF whose request body is just under DPA_VERIFY_MAX_BYTES (10 MB)
    size = settings.DPA_VERIFY_MAX_BYTES - 1024
    body = encode_multipart(BOUNDARY, _pdf_upload(size))
    assert settings.DPA_VERIFY_MAX_BYTES - 1024 < len(body) < settings.DPA_VERIFY_MAX_BYTES
    # when it is posted
    response = client.post(reverse("signing:verify"), _pdf_upload(size))
    # then it is read whole and checked (these zeros are no readable PDF: a form error, not a 413)
    assert response.status_code == 400
    assert "This PDF is damaged and cannot be read." in response.content.decode()


def test_a_body_just_over_the_verify_limit_is_refused(client, settings):
    settings.DPA_VERIFY_MAX_BYTES = 100 * 1024
    response = client.post(reverse("signing:verify"), _pdf_upload(100 * 1024))
    _is_413(response, "signing:verify", "at most 100 KB can be sent here")


def test_the_verify_rate_limit_answers_429_before_the_body_is_read(client, settings):
    # given an address that has used its one verification
    settings.DPA_VERIFY_RATE = "1/10m"
    assert client.post(reverse("signing:verify"), {"sha256": "a" * 64}).status_code == 200
    # when it announces a huge upload
    response = _declared_body(client, reverse("signing:verify"), length=25 * MB)
    # then the rate limit answers, and nothing read the body (UnreadableStream)
    assert response.status_code == 429
    assert VERIFY_RATE_LIMITED in response.content.decode()


def test_a_body_without_content_length_is_refused_unread(client):
    # a chunked body: Django would read nothing and the view would see a form without its file
    response = client.generic(
        "POST",
        reverse("signing:verify"),
        CONTENT_TYPE=MULTIPART_CONTENT,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableStream()},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()


def _asgi_post(path: str, body: bytes, *, declared: int, content_type: str = MULTIPART_CONTENT):
    """Run the whole middleware stack on an ASGI request whose Content-Length understates its body: Django's ASGI
    handler has read the stream to its end (chunked, or a lying header) and the multipart parser reads it all."""
    headers = [
        (b"host", b"testserver"),
        (b"content-type", content_type.encode()),
        (b"content-length", str(declared).encode()),
    ]
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": headers,
        "client": ("198.51.100.9", 50000),
        "server": ("testserver", 80),
    }
    stream = CountingStream(body)
    handler = BaseHandler()
    handler.load_middleware()
    return handler.get_response(ASGIRequest(scope, stream)), stream


@pytest.mark.parametrize("url_name", VERIFY_URLS)
def test_a_body_longer_than_it_said_is_stopped_at_the_limit(settings, url_name):
    # given a 3 MB upload that claims to be 1 KB, to a page (and the API) allowing 1 MB
    settings.DPA_VERIFY_MAX_BYTES = MB
    body = encode_multipart(BOUNDARY, _pdf_upload(3 * MB))
    # when it is posted
    response, stream = _asgi_post(reverse(url_name), body, declared=1024)
    # then the upload handler stops it within a chunk of the limit, and the answer is a 413, not a form without file
    limit = MB
    _is_413(response, url_name, "The upload is too large")
    assert stream.bytes_read <= limit + 2 * 64 * 1024


def test_a_json_body_is_bounded_by_data_upload_max_memory_size(client, settings):
    response = _declared_body(
        client,
        reverse("signing:api_list"),
        length=settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large: at most 2.5 MB can be sent here."}


def test_every_view_is_bounded_by_max_request_body_bytes(client, settings):
    # a view without limits of its own, anonymous: refused before login_required or CSRF get to it
    response = _declared_body(client, reverse("organisations:new"), length=settings.MAX_REQUEST_BODY_BYTES + 1)
    assert response.status_code == 413
    body = response.content.decode()
    assert "The upload is too large: at most 21 MB can be sent here." in body
    assert 'class="site-header"' in body


def test_the_largest_trust_document_fits_in_a_request(settings):
    assert settings.MAX_REQUEST_BODY_BYTES >= settings.TRUST_DOCUMENT_MAX_BYTES + 64 * 1024
    assert settings.FILE_UPLOAD_HANDLERS[0] == "portal.core.request_limits.BodyLimitUploadHandler"
