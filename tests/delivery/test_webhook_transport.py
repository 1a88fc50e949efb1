"""Delivery connects to the address that was checked, presents the host name, and shows only fixed texts."""

import logging
import re
import socket
import threading

import certifi
import pytest
import urllib3
from django.urls import reverse

from portal.delivery.webhook_transport import CONNECTION_FAILED, TIMED_OUT, TLS_CERTIFICATE_INVALID, TLS_FAILED
from subprocessors.webhooks.models import Webhook, WebhookDelivery
from subprocessors.webhooks.services import (
    REFUSED_ADDRESS,
    REFUSED_UNRESOLVABLE,
    REFUSED_URL,
    webhook_deliver,
    webhook_register,
)
from tests.auth import login
from tests.support import free_port

pytestmark = pytest.mark.django_db

# what a raw exception text would give away: class names, errno, pool reprs, addresses
RAW = re.compile(r"Error|Exception|Errno|Pool|\d+\.\d+\.\d+\.\d+|\[|host=")


def _delivery(org, url: str) -> WebhookDelivery:
    webhook = Webhook.objects.create(organisation=org, url=url, secret="whsec_abc")
    return WebhookDelivery.objects.create(webhook=webhook, event="test", payload={"event": "test"})


def _deliver(delivery: WebhookDelivery) -> WebhookDelivery:
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_a_rebinding_host_is_resolved_once_and_the_post_goes_to_the_checked_address(org, settings, dns, connections):
    # given a name that answers a public address first and loopback afterwards
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example"] = [["93.184.215.14"], ["127.0.0.1"]]
    delivery = _delivery(org, "https://hooks.example/hook")
    # when it is delivered
    delivery = _deliver(delivery)
    # then the name was resolved once and the connection went to the address that was checked
    assert dns.lookups("hooks.example") == 1
    assert connections == [("93.184.215.14", 443)]
    assert delivery.last_error == CONNECTION_FAILED  # the stub refuses every connection


def test_a_pinned_delivery_reaches_the_listener_under_its_host_name(receiver, org, dns):
    # given a listener on 127.0.0.1 and a name that points elsewhere after its first answer
    handler, url = receiver
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    dns.answers["hooks.test"] = [["127.0.0.1"], ["127.0.0.2"]]  # nothing listens on 127.0.0.2
    delivery = _delivery(org, f"http://hooks.test:{port}/portal/hook?org=7")
    # when it is delivered
    delivery = _deliver(delivery)
    # then the request arrived, addressed to the host name, after a single lookup
    assert delivery.status == "succeeded"
    assert dns.lookups("hooks.test") == 1
    headers, _ = handler.received[0]
    assert headers["Host"] == f"hooks.test:{port}"
    assert handler.paths == ["/portal/hook?org=7"]


@pytest.mark.parametrize(
    "now_resolves_to", ["10.0.0.1", "127.0.0.1", "2002:7f00:1::", "::ffff:169.254.169.254", "64:ff9b::c0a8:101"]
)
def test_a_host_that_now_resolves_to_a_private_address_is_refused_without_connecting(
    org, org_admin, settings, dns, connections, caplog, now_resolves_to
):
    # given a webhook registered while its name answered a public address
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example"] = [["93.184.215.14"], ["93.184.215.14", now_resolves_to]]
    webhook = webhook_register(organisation=org, url="https://hooks.example/hook", actor=org_admin)
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="test", payload={})
    # when the name answers a private address at delivery time
    with caplog.at_level(logging.WARNING, logger="subprocessors"):
        assert webhook_deliver(delivery_id=delivery.pk) == "retry"
    # then nothing was connected to, the customer reads a fixed text and the operator the address
    assert connections == []
    delivery.refresh_from_db()
    assert delivery.last_error == REFUSED_ADDRESS
    assert delivery.attempt_log[-1]["error"] == REFUSED_ADDRESS
    assert delivery.last_status_code is None
    assert now_resolves_to in caplog.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://gone.example/hook", REFUSED_UNRESOLVABLE), ("http://93.184.215.14/hook", REFUSED_URL)],
)
def test_other_refusals_at_delivery_time_are_fixed_texts(org, settings, dns, connections, url, expected):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["gone.example"] = [[]]
    delivery = _deliver(_delivery(org, url))
    assert delivery.last_error == expected
    assert connections == []


def test_https_certificate_is_verified_against_the_host_name_not_the_pinned_address(
    tls_receiver, test_ca, org, dns, monkeypatch
):
    # given an HTTPS endpoint on 127.0.0.1 whose certificate names hooks.example only
    handler, port, sni = tls_receiver("hooks.example")
    monkeypatch.setattr(certifi, "where", lambda: str(test_ca[0]))
    dns.answers["hooks.example"] = [["127.0.0.1"]]
    delivery = _delivery(org, f"https://hooks.example:{port}/hook")
    # when it is delivered
    delivery = _deliver(delivery)
    # then TLS asked for and accepted hooks.example while the socket went to 127.0.0.1
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("succeeded", 204, "")
    assert sni == ["hooks.example"]
    assert handler.received[0][0]["Host"] == f"hooks.example:{port}"


@pytest.mark.parametrize("trusted_ca", [True, False], ids=["certificate-for-another-host", "untrusted-ca"])
def test_a_certificate_not_valid_for_the_host_fails_with_a_fixed_text(
    tls_receiver, test_ca, org, dns, monkeypatch, trusted_ca
):
    if trusted_ca:
        handler, port, _ = tls_receiver("other.example")
        monkeypatch.setattr(certifi, "where", lambda: str(test_ca[0]))
    else:
        handler, port, _ = tls_receiver("hooks.example")
    dns.answers["hooks.example"] = [["127.0.0.1"]]
    delivery = _deliver(_delivery(org, f"https://hooks.example:{port}/hook"))
    assert delivery.last_error == TLS_CERTIFICATE_INVALID
    assert handler.received == []


class _RecordingPool:
    """Stands in for urllib3.HTTPSConnectionPool: keeps its arguments and answers 204."""

    made: list = []

    def __init__(self, **kwargs):
        self.kwargs, self.requests = kwargs, []
        type(self).made.append(self)

    def urlopen(self, method, url, **kwargs):
        self.requests.append((method, url, kwargs))
        return type("Response", (), {"status": 204, "close": lambda self: None})()

    def close(self):
        pass


def test_tls_parameters_name_the_host_while_the_pool_connects_to_the_address(org, settings, dns, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_TIMEOUT_SECONDS = 7
    _RecordingPool.made = []
    monkeypatch.setattr(urllib3, "HTTPSConnectionPool", _RecordingPool)
    dns.answers["hooks.example"] = [["93.184.215.14"], ["127.0.0.1"]]
    delivery = _deliver(_delivery(org, "https://hooks.example:8443/hook?x=1"))
    assert delivery.status == "succeeded"
    [pool] = _RecordingPool.made
    assert pool.kwargs == {
        "host": "93.184.215.14",
        "port": 8443,
        "server_hostname": "hooks.example",
        "assert_hostname": "hooks.example",
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": certifi.where(),
        "timeout": 7,
        "retries": False,
        "maxsize": 1,
    }
    [(method, path, kwargs)] = pool.requests
    assert (method, path) == ("POST", "/hook?x=1")
    assert kwargs["headers"]["Host"] == "hooks.example:8443"
    assert kwargs["redirect"] is False
    assert kwargs["retries"] is False


def _silent_listener():
    """Accepts connections (the kernel does) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock, sock.getsockname()[1]


def _hanging_up_listener():
    """Reads the request, then closes without a status line."""
    sock, port = _silent_listener()

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return sock, port


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("nothing-listening", CONNECTION_FAILED),
        ("never-answers", TIMED_OUT),
        ("hangs-up", CONNECTION_FAILED),
        ("plain-http-on-https", TLS_FAILED),
        ("redirect", "HTTP 302"),
    ],
)
def test_customer_visible_errors_are_fixed_texts_without_exception_details(
    receiver, org, settings, caplog, endpoint, expected
):
    handler, url = receiver
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    listener = None
    if endpoint == "nothing-listening":
        url = f"http://127.0.0.1:{free_port()}/hook"
    elif endpoint == "never-answers":
        listener, port = _silent_listener()
        url = f"http://127.0.0.1:{port}/hook"
    elif endpoint == "hangs-up":
        listener, port = _hanging_up_listener()
        url = f"http://127.0.0.1:{port}/hook"
    elif endpoint == "plain-http-on-https":
        url = url.replace("http://", "https://")
    else:
        handler.answers = [302]
    try:
        with caplog.at_level(logging.WARNING, logger="portal.delivery.webhook_transport"):
            delivery = _deliver(_delivery(org, url))
    finally:
        if listener:
            listener.close()
    assert delivery.last_error == expected
    assert delivery.attempt_log[-1]["error"] == expected
    assert not RAW.search(delivery.last_error)
    if endpoint == "redirect":
        assert delivery.last_status_code == 302
        assert handler.paths == ["/hook"]  # the Location was not followed
    else:  # the operator's log has the exception the customer does not see
        [record] = caplog.records
        assert RAW.search(record.getMessage())


def test_webhook_pages_show_the_fixed_text(client, org, org_admin, legal, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    _deliver(_delivery(org, f"http://127.0.0.1:{free_port()}/hook"))
    for user, url in [
        (org_admin, reverse("webhooks:list", args=[org.public_id])),
        (legal, reverse("webhooks:staff_deliveries")),
    ]:
        login(client, user)
        page = client.get(url).content.decode()
        assert CONNECTION_FAILED in page
        assert "Errno" not in page
        assert "NewConnectionError" not in page
        assert "Connection refused" not in page
