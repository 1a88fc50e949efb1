# --- fixtures shared by the app test folders ---
import datetime as dt
import os
import socket
import ssl
import threading
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings as django_settings
from django.core.cache import cache

# --- fixtures shared by the app test folders ---
from django.test import override_settings

from portal.trust.services import access_request_submit
from tests.organisations.factories import MembershipFactory, OrganisationFactory, UserFactory, make_legal
from tests.pdf import get_prepared
from tests.pki import dummy_timestamper, make_test_pki
from tests.s3 import s3, s3_endpoint  # noqa: F401  (fixtures: a local S3 server and a bucket)
from tests.trust.factories import NdaVersionFactory

# The settings chose the development audit chain key because pytest is running; processes the tests start (Celery
# workers, `manage.py` checks) see the same key through the environment.
os.environ.setdefault("AUDIT_CHAIN_KEY", django_settings.AUDIT_CHAIN_KEY)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Keep the serialized test database reachable from every connection object.

    Transactional tests with serialized_rollback reload the data migrations' rows (the legal group and its
    permissions) from `_test_serialized_contents` on the connection. Once Playwright runs its event loop in
    this thread, asgiref hands out new connection objects without that attribute and Django silently skips
    the reload. A class attribute makes every connection of this backend carry it.
    """
    from django.db import connections

    wrapper = connections["default"]
    contents = getattr(wrapper, "_test_serialized_contents", None)
    if contents is not None:
        type(wrapper)._test_serialized_contents = contents


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    """A test CA and signing certificate (made like the demo ones), used by every test session-wide."""
    return make_test_pki(tmp_path_factory.mktemp("signing"))


@pytest.fixture(scope="session", autouse=True)
def _signing_settings(test_pki):
    with override_settings(**test_pki.settings):
        yield


@pytest.fixture
def tsa(test_pki, monkeypatch):
    """Signatures carry RFC 3161 timestamps from pyHanko's in-process TSA (certificate from the test CA)."""
    from portal.evidence import signing

    stamper = dummy_timestamper(test_pki.ca)
    monkeypatch.setattr(signing, "timestamper", lambda: stamper)
    return stamper


@pytest.fixture
def unsigned(settings):
    """Signing not configured: evidence is issued unsigned."""
    settings.PORTAL_SIGNING_KEY = ""
    settings.PORTAL_SIGNING_CERT = ""
    settings.PORTAL_SIGNING_CHAIN = []
    settings.DEBUG = False


@pytest.fixture(autouse=True)
def _portal_settings(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "audit_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "audit-checkpoints")},
        },
    }
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.AUDIT_CHECKPOINT_ROOT = tmp_path / "audit-checkpoints"
    settings.SITE_URL = "http://testserver"
    settings.ACCOUNT_RATE_LIMITS = False
    settings.STAFF_CHAT_WEBHOOK_URL = ""  # staff chat alerts off unless a test turns them on (`chat_webhook`)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme Health B.V.")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Globex GmbH")


@pytest.fixture
def member(org):
    return MembershipFactory(organisation=org).user


@pytest.fixture
def org_admin(org):
    return MembershipFactory(organisation=org, role="admin").user


@pytest.fixture
def other_member(other_org):
    return MembershipFactory(organisation=other_org, role="admin").user


@pytest.fixture
def legal(db):
    return make_legal(UserFactory(email="counsel@processor.example"))


@pytest.fixture
def legal_no_mfa(db):
    return make_legal(UserFactory(email="new-counsel@processor.example"), mfa=False)


@pytest.fixture
def outbox_sent(mailoutbox):
    """Emails actually handed to the email backend (the outbox rows delivered in-process)."""
    return mailoutbox


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run transaction.on_commit callbacks (Celery enqueues) as a real commit would."""

    def runner(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return runner


@pytest.fixture
def fetch_prepared(client, django_capture_on_commit_callbacks):
    """GET a download served as a prepared file (portal.evidence.prepared) as a browser ends up with it: the worker
    runs (eagerly) at the first request's commit, the second request gets the file. See tests.pdf.get_prepared."""

    def get(url, **kwargs):
        return get_prepared(client, url, django_capture_on_commit_callbacks, **kwargs)

    return get


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


class FakeDNS:
    """A `socket.getaddrinfo` stand-in with scripted answers per host name, and a record of every lookup.

    `answers[name]` is a list of answers, one per lookup, the last one repeating: `[["93.184.215.14"],
    ["127.0.0.1"]]` answers a public address once and loopback from then on (DNS rebinding). Names without a
    script and IP literals go to the real resolver (numeric, so no network).
    """

    def __init__(self, real):
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.calls.append(host)
        script = self.answers.get(host)
        if script is None:
            return self.real(host, port, family, type, proto, flags)
        answer = script.pop(0) if len(script) > 1 else script[0]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]

    def lookups(self, host: str) -> int:
        return self.calls.count(host)


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint on 127.0.0.1: answers the queued status codes (then 204) and keeps every request."""

    answers: list[int] = []
    received: list = []
    paths: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        type(self).paths.append(self.path)
        status = type(self).answers.pop(0) if type(self).answers else 204
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.end_headers()

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # refused TLS handshakes are what some tests are about


@contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    Receiver.answers, Receiver.received, Receiver.paths = [], [], []
    with serving(QuietServer(("127.0.0.1", 0), Receiver)) as server:
        yield Receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A private certificate authority; `issue(name)` writes a server certificate and key for `name`."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Portal test CA"))
        .issuer_name(_name("Portal test CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def issue(host: str) -> tuple[Path, Path]:
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(host))
            .issuer_name(ca.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = folder / f"{host}.pem", folder / f"{host}.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            leaf_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_path, key_path

    return ca_path, issue


@pytest.fixture
def tls_receiver(settings, test_ca):
    """`start(certificate_for)`: an HTTPS endpoint on 127.0.0.1 presenting a certificate for that name.

    Returns the handler class, the port and the SNI names clients sent.
    """
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # it listens on loopback
    Receiver.answers, Receiver.received, Receiver.paths = [], [], []
    _, issue = test_ca
    with ExitStack() as stack:

        def start(certificate_for: str):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*issue(certificate_for))
            sni: list[str | None] = []
            context.sni_callback = lambda sock, name, ctx: sni.append(name)
            server = QuietServer(("127.0.0.1", 0), Receiver)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            stack.enter_context(serving(server))
            return Receiver, server.server_address[1], sni

        yield start


@pytest.fixture
def connections(monkeypatch):
    """Where urllib3 was asked to connect; every attempt is refused, so nothing leaves the machine."""
    attempts: list[tuple] = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    return attempts


CHAT_URL = "https://hooks.slack.example/services/T000/B000/XXXX"


@pytest.fixture
def chat_webhook(settings):
    """Staff chat alerts on (portal.delivery.chat), to an address no test reaches: tests that run the delivery
    point STAFF_CHAT_WEBHOOK_URL at the `receiver` instead."""
    settings.STAFF_CHAT_WEBHOOK_URL = CHAT_URL
    return CHAT_URL
