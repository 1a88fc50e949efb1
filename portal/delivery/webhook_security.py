"""Webhook signatures and the address rules for webhook URLs.

Deliveries are signed as the Standard Webhooks specification says (`standardwebhooks` package): `webhook-id` (the
delivery's id, the same on every retry), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the bytes of the webhook's
secret `whsec_<base64>`. README "Webhooks" shows how a receiver verifies it.
URLs must be HTTPS and resolve only to globally routable unicast addresses (`address_allowed`); IPv6 forms that
carry an IPv4 address are judged by that address, and tunnelling prefixes (6to4, Teredo) are refused outright.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests, local development) skips the address rules and also accepts plain HTTP.
"""

import base64
import datetime as dt
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks import Webhook as StandardWebhook

from portal.core.errors import ApplicationError

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_HEADER = "X-Portal-Event"
# The same value as webhook-id, under the name receivers of earlier versions deduplicate on.
DELIVERY_HEADER = "X-Portal-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker of Standard Webhooks secrets, not a secret

URL_NOT_HTTPS = "Webhook URLs must start with https://."
URL_NO_HOST = "Enter a full URL with a host name, e.g. https://hooks.example.com/portal."
URL_UNRESOLVABLE = "The host name of this URL does not resolve."
URL_PRIVATE = (
    "This URL points at a private, loopback, link-local or otherwise non-public address ({address}); "
    "use a public address."
)
URL_CREDENTIALS = "Webhook URLs may not contain a user name or password."


def webhook_secret_new() -> str:
    """24–64 random bytes in standard base64 after `whsec_`, as Standard Webhooks libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_sign(secret: str, msg_id: str, body: bytes, timestamp: int) -> str:
    """`v1,<base64>`: the Standard Webhooks signature of `<msg_id>.<timestamp>.<body>` with the secret's bytes."""
    return StandardWebhook(secret).sign(msg_id, dt.datetime.fromtimestamp(timestamp, dt.UTC), body.decode())


def webhook_signature_headers(secret: str, body: bytes, timestamp: int, msg_id: str) -> dict[str, str]:
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_sign(secret, msg_id, body, timestamp),
    }


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


# Prefixes that tunnel to an IPv4 address somewhere else (6to4 relays, Teredo, local-use NAT64): a public
# look hides where the packets end up, and no webhook receiver needs one, so they are refused outright.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "64:ff9b:1::/48",  # NAT64, local use (RFC 8215)
        "::/96",  # IPv4-compatible (deprecated), also :: and ::1
    )
)
# Prefixes whose last 32 bits are the IPv4 address actually reached; that address must itself be public.
_EMBEDDED_IPV4_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
    )
)


def address_allowed(address: str) -> bool:
    """Whether a webhook may connect to this address: globally routable unicast only.

    `ipaddress.is_global` alone is not enough: it calls multicast, site-local (fec0::/10) and, depending on
    the Python release, 6to4 addresses global, and it judges an IPv4 address embedded in an IPv6 one by the
    IPv6 prefix rather than by the IPv4 address that is reached.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _REFUSED_NETWORKS):
            return False
        if any(ip in net for net in _EMBEDDED_IPV4_NETWORKS):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL: where to connect (`addresses`) and what to present there (`host`, `path`)."""

    scheme: str
    host: str  # ASCII (IDNA) host name, or an IP address without brackets: for SNI, certificate and Host
    port: int
    path: str  # path and query string sent in the request line
    addresses: tuple[str, ...]  # what the single resolution answered, every one of them checked

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.scheme == "https" else 80) else f"{host}:{self.port}"


def _ascii_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.encode("idna").decode("ascii")


def webhook_target(url: str) -> WebhookTarget:
    """Check a webhook URL, resolve its host once and check every address; ApplicationError when refused.

    Delivery connects to one of `addresses` and never resolves the host name again, so a name that answers
    a public address to this check and a private one a moment later (DNS rebinding) cannot redirect it.
    """
    parts = urlsplit(url.strip())
    allow_private = _allow_private()
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise ApplicationError(URL_NOT_HTTPS, field="url")
    if parts.username or parts.password:
        raise ApplicationError(URL_CREDENTIALS, field="url")
    if not parts.hostname:
        raise ApplicationError(URL_NO_HOST, field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ApplicationError(URL_NO_HOST, field="url")
    try:
        host = _ascii_host(parts.hostname)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ApplicationError(URL_UNRESOLVABLE, field="url")
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))  # IPv4/IPv6 sockaddr: (address, port, …)
    if not addresses:
        raise ApplicationError(URL_UNRESOLVABLE, field="url")
    if not allow_private:
        for address in addresses:
            if not address_allowed(address):
                raise ApplicationError(URL_PRIVATE.format(address=address), field="url", extra={"address": address})
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)


def webhook_resolve(url: str) -> list[str]:
    """Check a webhook URL and return the addresses its host resolves to; ApplicationError when refused."""
    return list(webhook_target(url).addresses)
