"""The client address recorded with NDAs, signatures and downloads, and used for rate limits, behind proxies."""

import pytest
from django.test import RequestFactory

from portal.core.clients import client_ip


def _request(remote="10.0.0.5", **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_proxy_settings_the_connection_address_is_used(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.5"


def test_one_trusted_proxy_takes_the_address_it_appended(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # the client forged the first entry; our proxy appended the real one
    assert client_ip(_request(HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


@pytest.mark.parametrize("xff", ["", "not-an-ip", "203.0.113.9"])
def test_missing_short_or_malformed_header_falls_back_to_the_connection(settings, xff):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2 if xff == "203.0.113.9" else 1
    assert client_ip(_request(HTTP_X_FORWARDED_FOR=xff)) == "10.0.0.5"


def test_trusted_header_wins(settings):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "CF-Connecting-IP"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = _request(HTTP_CF_CONNECTING_IP="2001:db8::1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "2001:db8::1"


def test_no_request_no_address():
    assert client_ip(None) is None
