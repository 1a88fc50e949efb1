"""Private files in any S3-compatible bucket (AWS, MinIO, Scaleway, OVH, ...) instead of a local directory, so that
several web and worker containers share them.

`s3_storage()` turns the PRIVATE_STORAGE_* settings into a `STORAGES` entry; settings.py uses it for the `default`
alias (trust documents, rendered and executed PDFs, issued reports) and for `audit_checkpoints` under its own prefix.
Every file is read and written through Django's storage API, so the SHA-256 check on each download and
`verify_evidence_files` work the same on disk and in a bucket.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

BACKEND = "portal.object_storage.PrivateS3Storage"
ENCRYPTIONS = ("AES256", "aws:kms")
ADDRESSING_STYLES = ("path", "virtual")


class PrivateS3Storage(S3Storage):
    """A bucket that behaves like the private directory it replaces.

    - Nothing in it has a URL: the portal streams every file itself after its access and integrity checks, so `url()`
      answers the same unserved MEDIA_URL path as the local storage, never a bucket or presigned address.
    - A name is never overwritten: a second file under a taken name gets a new one, as on disk (the PDF cache and the
      executed-DPA store rely on it).
    - Objects are written with the private canned ACL unless the operator turns ACLs off (buckets with ACLs disabled,
      which refuse the header), and encrypted at rest when asked (`object_parameters`).
    """

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "file_overwrite": False,
            "querystring_auth": True,
            "custom_domain": None,
            "default_acl": "private",
        }

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))


def _prefix(value: str) -> str:
    return value.strip().strip("/")


def s3_storage(
    *,
    bucket: str,
    prefix: str,
    endpoint_url: str = "",
    region: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    encryption: str = "",
    kms_key_id: str = "",
    acl: str = "private",
    addressing_style: str = "",
) -> dict:
    """The STORAGES entry for `bucket` under `prefix`. Empty credentials fall back to boto3's own chain (AWS_*
    variables, an instance or pod role). Raises ImproperlyConfigured with the setting to fix."""
    if bool(access_key_id) != bool(secret_access_key):
        raise ImproperlyConfigured(
            "Set both PRIVATE_STORAGE_ACCESS_KEY_ID and PRIVATE_STORAGE_SECRET_ACCESS_KEY, or neither (then boto3 "
            "looks for credentials in AWS_* variables or an instance role)."
        )
    if encryption and encryption not in ENCRYPTIONS:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_ENCRYPTION is {encryption!r}: use AES256 (keys managed by the provider), aws:kms "
            "(with PRIVATE_STORAGE_KMS_KEY_ID for your own key), or leave it empty for the bucket's default."
        )
    if kms_key_id and encryption != "aws:kms":
        raise ImproperlyConfigured("PRIVATE_STORAGE_KMS_KEY_ID is set: it needs PRIVATE_STORAGE_ENCRYPTION=aws:kms.")
    if addressing_style and addressing_style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_ADDRESSING_STYLE is {addressing_style!r}: use path (MinIO and most self-hosted "
            "servers), virtual, or leave it empty to let boto3 choose."
        )
    object_parameters = {}
    if encryption:
        object_parameters["ServerSideEncryption"] = encryption
    if kms_key_id:
        object_parameters["SSEKMSKeyId"] = kms_key_id
    return {
        "BACKEND": BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "location": _prefix(prefix),
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key_id or None,
            "secret_key": secret_access_key or None,
            "object_parameters": object_parameters,
            "default_acl": acl or None,
            "addressing_style": addressing_style or None,
        },
    }


def check_prefixes(*, bucket: str, prefix: str, checkpoint_bucket: str, checkpoint_prefix: str) -> None:
    """The checkpoints may share the private files' bucket, but not their folder: a backup would copy them twice and
    a cleanup of one would touch the other."""
    if bucket != checkpoint_bucket:
        return
    private, checkpoints = _prefix(prefix), _prefix(checkpoint_prefix)
    if (
        not private
        or not checkpoints
        or private == checkpoints
        or (private.startswith(checkpoints + "/") or checkpoints.startswith(private + "/"))
    ):
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_PREFIX ({private!r}) and AUDIT_CHECKPOINT_PREFIX ({checkpoints!r}) share bucket "
            f"{bucket!r}: give each its own non-empty prefix, neither inside the other, or set "
            "AUDIT_CHECKPOINT_BUCKET."
        )
