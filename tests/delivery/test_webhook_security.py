import base64
import ipaddress
import json
import re
import time
from pathlib import Path

import pytest
from standardwebhooks import Webhook as StandardWebhook

from portal.core.errors import ApplicationError
from portal.delivery.webhook_security import (
    URL_NOT_HTTPS,
    URL_PRIVATE,
    URL_UNRESOLVABLE,
    address_allowed,
    webhook_resolve,
    webhook_secret_new,
    webhook_signature_headers,
    webhook_target,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_snippet() -> dict:
    text = README.read_text()
    section = text[text.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the documented snippet, run as a customer would
    return namespace


def test_signature_verifies_with_standardwebhooks_and_the_readme_snippet():
    verify = _readme_snippet()["verify"]
    secret = webhook_secret_new()
    body = b'{"event":"subprocessor_change.announced","id":7}'
    now = int(time.time())
    headers = webhook_signature_headers(secret, body, now, "5f0c7d2e-delivery")
    # the receiver's library verifies it as the spec says
    assert StandardWebhook(secret).verify(body, headers) == json.loads(body)
    assert verify(secret, body, headers) == json.loads(body)
    assert headers["webhook-id"] == "5f0c7d2e-delivery"
    assert headers["webhook-timestamp"] == str(now)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    # a changed body, another secret, another delivery id, an old timestamp or a malformed header fail
    assert verify(secret, body + b" ", headers) is None
    assert verify(webhook_secret_new(), body, headers) is None
    assert verify(secret, body, {**headers, "webhook-id": "another"}) is None
    assert verify(secret, body, webhook_signature_headers(secret, body, now - 3600, "5f0c7d2e-delivery")) is None
    assert verify(secret, body, {**headers, "webhook-signature": "garbage"}) is None


def test_new_secrets_have_the_standard_webhooks_form():
    secret = webhook_secret_new()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert secret != webhook_secret_new()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_link_local_urls_are_refused_by_default(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError) as exc:
        webhook_resolve(url)
    assert exc.value.field == "url"
    assert exc.value.message.startswith(URL_PRIVATE.split("(")[0])


def test_plain_http_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError, match=re.escape(URL_NOT_HTTPS)):
        webhook_resolve("http://93.184.215.14/hook")


def test_public_https_address_is_accepted(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert webhook_resolve("https://93.184.215.14:8443/hook") == ["93.184.215.14"]


def test_setting_allows_loopback_for_tests(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert webhook_resolve("http://127.0.0.1:9999/hook") == ["127.0.0.1"]


# IPv6 forms that reach (or may reach) an IPv4 address: each builds the IPv6 address around `v4`.
TRANSITION_FORMS = {
    "6to4": lambda v4: (0x2002 << 112) | (int(v4) << 80),
    "teredo": lambda v4: (0x2001_0000 << 96) | (int(v4) << 64) | (int(v4) ^ 0xFFFF_FFFF),
    "nat64": lambda v4: (0x0064_FF9B << 96) | int(v4),
    "nat64-local-use": lambda v4: (0x0064_FF9B_0001 << 80) | int(v4),
    "ipv4-mapped": lambda v4: (0xFFFF << 32) | int(v4),
    "ipv4-compatible": lambda v4: int(v4),
}


def transition(form: str, v4: str) -> str:
    return str(ipaddress.IPv6Address(TRANSITION_FORMS[form](ipaddress.IPv4Address(v4))))


def test_transition_forms_are_built_as_their_rfcs_write_them():
    assert transition("6to4", "127.0.0.1") == "2002:7f00:1::"
    assert ipaddress.IPv6Address(transition("teredo", "10.0.0.1")).teredo == (
        ipaddress.IPv4Address("10.0.0.1"),
        ipaddress.IPv4Address("10.0.0.1"),
    )
    assert transition("nat64", "169.254.169.254") == "64:ff9b::a9fe:a9fe"
    assert transition("nat64-local-use", "192.168.1.1") == "64:ff9b:1::c0a8:101"
    assert transition("ipv4-mapped", "127.0.0.1") == "::ffff:7f00:1"  # ::ffff:127.0.0.1
    assert transition("ipv4-compatible", "10.0.0.1") == "::a00:1"  # ::10.0.0.1


@pytest.mark.parametrize("v4", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1"])
@pytest.mark.parametrize("form", TRANSITION_FORMS)
def test_ipv6_transition_forms_around_private_ipv4_are_refused_at_save_time(settings, form, v4):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    address = transition(form, v4)
    with pytest.raises(ApplicationError) as exc:
        webhook_resolve(f"https://[{address}]/hook")
    assert exc.value.message.startswith(URL_PRIVATE.split("(")[0])
    assert exc.value.field == "url"
    # getaddrinfo may write the address another way (::ffff:127.0.0.1); it is the same address
    assert ipaddress.ip_address(exc.value.extra["address"]) == ipaddress.ip_address(address)


@pytest.mark.parametrize("form", ["6to4", "teredo", "nat64-local-use", "ipv4-compatible"])
def test_tunnelling_prefixes_are_refused_even_around_a_public_ipv4(settings, form):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError, match="non-public address"):
        webhook_resolve(f"https://[{transition(form, '8.8.8.8')}]/hook")


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "198.51.100.10",
        "203.0.113.10",
        "198.18.0.1",  # benchmarking
        "172.16.0.1",
        "::",
        "::1",
        "fe80::1%eth0",  # link-local, as getaddrinfo writes it with its zone
        "fec0::1",  # site-local (ipaddress calls it global)
        "fd12:3456::1",  # unique local
        "ff02::1",  # multicast
        "2001:db8::1",  # documentation
        "2002:808:808::",  # 6to4 around 8.8.8.8
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    ],
)
def test_a_name_resolving_to_a_non_global_address_is_refused(settings, dns, address):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example"] = [[address]]
    with pytest.raises(ApplicationError) as exc:
        webhook_resolve("https://hooks.example/hook")
    assert exc.value.message == URL_PRIVATE.format(address=address)
    assert not address_allowed(address)


def test_one_non_global_address_among_public_ones_refuses_the_url(settings, dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example"] = [["8.8.8.8", "2001:4860:4860::8888", "::ffff:10.0.0.1"]]
    with pytest.raises(ApplicationError, match=re.escape("(::ffff:10.0.0.1)")):
        webhook_resolve("https://hooks.example/hook")


@pytest.mark.parametrize(
    "answer",
    [
        ["8.8.8.8"],
        ["2001:4860:4860::8888"],
        ["2001:4860:4860::8888", "8.8.8.8"],
        ["64:ff9b::808:808"],  # NAT64 around a public address
        ["::ffff:8.8.8.8"],  # IPv4-mapped around a public address
    ],
)
def test_a_name_resolving_to_global_addresses_is_accepted(settings, dns, answer):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example"] = [answer]
    assert webhook_resolve("https://hooks.example/hook") == answer
    assert dns.lookups("hooks.example") == 1


def test_unresolvable_host_is_refused(settings, dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["gone.example"] = [[]]
    with pytest.raises(ApplicationError, match=re.escape(URL_UNRESOLVABLE)):
        webhook_resolve("https://gone.example/hook")


def test_target_presents_the_host_name_and_connects_to_the_checked_addresses(settings, dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["xn--bcher-kva.example"] = [["8.8.8.8", "8.8.4.4"]]
    target = webhook_target(" https://Bücher.example:8443/portal/hook?org=7#frag ")
    assert target.host == "xn--bcher-kva.example"  # what SNI, the certificate check and Host: use
    assert target.host_header == "xn--bcher-kva.example:8443"
    assert target.port == 8443
    assert target.path == "/portal/hook?org=7"
    assert target.addresses == ("8.8.8.8", "8.8.4.4")
    assert webhook_target("https://[2001:4860:4860::8888]").host_header == "[2001:4860:4860::8888]"
    assert webhook_target("https://[2001:4860:4860::8888]").path == "/"
