import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from portal.delivery.models import OutboundEmail
from tests.organisations.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_signup_requires_email_verification_and_the_email_goes_through_the_outbox(client, run_on_commit, mailoutbox):
    # when someone signs up
    response = run_on_commit(
        client.post,
        "/accounts/signup/",
        {"email": "new.person@acme.example", "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77"},
    )
    # then they are asked to verify, and the verification email is an outbox row that was delivered
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    row = OutboundEmail.objects.get(to_email="new.person@acme.example")
    assert row.status == "sent"
    assert len(mailoutbox) == 1
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    assert not EmailAddress.objects.get(email="new.person@acme.example").verified


def test_unverified_user_cannot_sign_in(client, db):
    UserFactory(email="unverified@acme.example", verified=False)
    EmailAddress.objects.create(
        user=get_user_model().objects.get(email="unverified@acme.example"),
        email="unverified@acme.example",
        verified=False,
        primary=True,
    )
    response = client.post("/accounts/login/", {"login": "unverified@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_verified_user_signs_in(client, member):
    response = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_login_is_rate_limited_after_repeated_failures(client, member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
    cache.clear()
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": member.email, "password": "wrong-password"})
        assert response.status_code == 200
    # even the right password is refused while the limit holds
    response = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def _real_login_limits(settings):
    """tests/conftest.py switches allauth's rate limits off; these tests need the production rates."""
    from portal import settings as portal_settings

    settings.ACCOUNT_RATE_LIMITS = portal_settings.ACCOUNT_RATE_LIMITS
    cache.clear()


def _sign_in(email, password, address):
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address)
    return client, response


def test_failed_logins_lock_the_account_for_that_address_only(member, settings):
    # given the production limits
    _real_login_limits(settings)
    # when someone at 10.0.0.1 tries five wrong passwords
    for _ in range(5):
        _client, response = _sign_in(member.email, "wrong-password", "10.0.0.1")
        assert response.status_code == 200
    # then 10.0.0.1 is refused for this account, even with the right password
    client, response = _sign_in(member.email, PASSWORD, "10.0.0.1")
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    # and the owner signs in from 10.0.0.2
    client, response = _sign_in(member.email, PASSWORD, "10.0.0.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_failed_logins_are_also_limited_per_address_across_accounts(db, settings):
    # given the production limits and eleven accounts
    _real_login_limits(settings)
    users = [UserFactory() for _ in range(11)]
    # when one address sends a wrong password for each of ten accounts
    for user in users[:10]:
        _client, response = _sign_in(user.email, "wrong-password", "10.0.0.1")
        assert "Too many failed login attempts" not in response.content.decode()
    # then it may not try an eleventh, even with the right password; another address may
    client, response = _sign_in(users[10].email, PASSWORD, "10.0.0.1")
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    client, response = _sign_in(users[10].email, PASSWORD, "10.0.0.2")
    assert client.session["_auth_user_id"] == str(users[10].pk)


def test_login_failures_of_one_ipv6_64_count_together(rf):
    from portal.organisations.adapters import AccountAdapter

    def key(address):
        request = rf.post("/accounts/login/", REMOTE_ADDR=address)
        return AccountAdapter()._get_login_attempts_cache_key(request, email="Owner@Acme.example")

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("10.0.0.1").endswith(":owner@acme.example:10.0.0.1")


def test_password_reset_email_goes_through_the_outbox(client, member, run_on_commit, mailoutbox):
    response = run_on_commit(client.post, "/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(to_email=member.email, status="sent").count() == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_allauth_pages_use_the_site_layout(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'class="site-header"' in body
    assert "Skip to content" in body


def _installed_apps(extra_env: dict) -> str:
    env = {**os.environ, **extra_env}
    code = "import django; django.setup(); from django.conf import settings; print(settings.INSTALLED_APPS)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_social_providers_only_when_their_keys_are_configured():
    plain = _installed_apps({})
    assert "providers.google" not in plain
    assert "providers.github" not in plain
    configured = _installed_apps(
        {"GOOGLE_CLIENT_ID": "gid", "GOOGLE_SECRET": "gs", "GITHUB_CLIENT_ID": "hid", "GITHUB_SECRET": "hs"}
    )
    assert "allauth.socialaccount.providers.google" in configured
    assert "allauth.socialaccount.providers.github" in configured
