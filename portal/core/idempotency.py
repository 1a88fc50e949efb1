"""`Idempotency-Key` for creating POSTs: a retried script never announces a change or sends breach notices twice.

A POST decorated with `@idempotent` and sent with the header by a signed-in caller:
- the first time runs as usual; its answer (any status below 500) is stored with the key, in the same database
  transaction as whatever the request changed. A refused request (4xx) changes nothing but its answer is kept;
  a 5xx or a crash stores nothing, so the retry runs again;
- again with the same key, path and body: the stored answer, with `Idempotent-Replayed: true`, and nothing runs;
- again with the same key but another path or body: 409, and nothing runs;
- twice at the same moment: the second waits on the key's unique index until the first commits, then replays it.

Keys belong to the user (two users may pick the same key) and are kept `IDEMPOTENCY_KEY_HOURS` (24); the beat
task `core-idempotency-sweep` deletes older ones, after which a key may be used again. Without the header (or
for an anonymous caller) a POST behaves as before. Written here rather than taken from a library because the
record must commit with the change itself: the libraries store it in a separate step (or in Redis), where a
crash in between replays an answer for something that never happened, or runs twice.
"""

import hashlib
import json
import re
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response

from portal.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
KEY_INVALID = "An Idempotency-Key is 1 to 255 printable ASCII characters without spaces, e.g. a UUID."
KEY_REUSED = (
    "This Idempotency-Key was already used for a different request (another path or body). "
    "Send a new key for a new request."
)


def key_lifetime() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def _canonical(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _request_body(request) -> object:
    data = request.data
    if hasattr(data, "getlist"):  # a form or multipart body: every value of every field, files by their hash
        return {key: _canonical(data.getlist(key)) for key in data}
    return _canonical(data)


def request_fingerprint(request) -> str:
    body = json.dumps(_request_body(request), sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return Response({HEADER: [KEY_REUSED]}, status=status.HTTP_409_CONFLICT)
    response = Response(record.body, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


class _Refused(Exception):
    """Leaves the inner atomic block so that a refused request's partial writes (if any) are rolled back."""

    def __init__(self, response):
        self.response = response


def idempotent(handler):
    """Decorate an APIView's `post` (or `post = idempotent(generics.CreateAPIView.post)`)."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            return Response({HEADER: [KEY_INVALID]}, status=status.HTTP_400_BAD_REQUEST)
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                user=request.user, key=key, created_at__lt=timezone.now() - key_lifetime()
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        fingerprint=fingerprint,
                        status_code=0,
                    )
            except IntegrityError:
                # Another request with this key committed first (we waited for it on the unique index).
                return _replay(IdempotencyRecord.objects.get(user=request.user, key=key), fingerprint)
            try:
                with transaction.atomic():
                    try:
                        response = handler(view, request, *args, **kwargs)
                    except Exception as exc:  # noqa: BLE001 - DRF turns it into its answer, or re-raises (a 500)
                        response = view.handle_exception(exc)
                    if response.status_code >= 400:
                        raise _Refused(response)
            except _Refused as refused:
                response = refused.response
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.save(update_fields=["status_code", "body"])
            return response

    wrapper._idempotent = True  # type: ignore[attr-defined]
    return wrapper


def is_idempotent(view_class) -> bool:
    return bool(getattr(getattr(view_class, "post", None), "_idempotent", False))


def idempotency_sweep(*, now=None) -> int:
    """Forget keys older than their lifetime; returns how many."""
    cutoff = (now or timezone.now()) - key_lifetime()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
