import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_legal
from tests.signing import dummy_timestamper, make_test_pki

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
