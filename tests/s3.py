"""A local S3 server (moto) and buckets for the object-storage and backup tests."""

import logging
import secrets
import socket
from dataclasses import dataclass

import pytest

from portal.object_storage import s3_storage

REGION = "eu-central-1"
PRIVATE_PREFIX = "private"
CHECKPOINT_PREFIX = "audit-checkpoints"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server in a thread of this process, on a free port: a real HTTP endpoint for boto3."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class Bucket:
    """The bucket behind the S3 storages, seen from outside the portal (as someone with bucket access would)."""

    client: object
    name: str
    options: dict

    def key(self, name: str, prefix: str = PRIVATE_PREFIX) -> str:
        return f"{prefix}/{name}"

    def read(self, name: str, prefix: str = PRIVATE_PREFIX) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=self.key(name, prefix))["Body"].read()

    def write(self, name: str, content: bytes, prefix: str = PRIVATE_PREFIX) -> None:
        self.client.put_object(Bucket=self.name, Key=self.key(name, prefix), Body=content)

    def delete(self, name: str, prefix: str = PRIVATE_PREFIX) -> None:
        self.client.delete_object(Bucket=self.name, Key=self.key(name, prefix))

    def head(self, name: str, prefix: str = PRIVATE_PREFIX) -> dict:
        return self.client.head_object(Bucket=self.name, Key=self.key(name, prefix))

    def object_keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def make_bucket(endpoint: str) -> Bucket:
    import boto3

    name = f"portal-{secrets.token_hex(6)}"
    options = {
        "endpoint_url": endpoint,
        "region": REGION,
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "encryption": "AES256",
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return Bucket(client=client, name=name, options=options)


def use_bucket(settings, bucket: Bucket) -> None:
    """Point the private files and the audit checkpoints at `bucket`, as PRIVATE_STORAGE_BUCKET does."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(bucket=bucket.name, prefix=PRIVATE_PREFIX, **bucket.options),
        "audit_checkpoints": s3_storage(bucket=bucket.name, prefix=CHECKPOINT_PREFIX, **bucket.options),
    }


@pytest.fixture
def s3(s3_endpoint, settings) -> Bucket:
    """A new bucket per test, with the portal's private storages in it."""
    bucket = make_bucket(s3_endpoint)
    use_bucket(settings, bucket)
    return bucket
