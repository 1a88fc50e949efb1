"""Webhook signatures and the address rules for webhook URLs.

Each delivery carries `X-Portal-Timestamp` (Unix seconds) and `X-Portal-Signature: sha256=<hex>`, the
HMAC-SHA256 with the webhook's secret over `<timestamp>.<body>`; README "Webhooks" shows how to verify it.
URLs must be HTTPS and resolve only to public addresses; WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests, local
development) also accepts private, loopback and link-local addresses and plain HTTP.
"""

import hashlib
import hmac
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings

from portal.errors import ApplicationError

SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
EVENT_HEADER = "X-Portal-Event"
DELIVERY_HEADER = "X-Portal-Delivery"

URL_NOT_HTTPS = "Webhook URLs must start with https://."
URL_NO_HOST = "Enter a full URL with a host name, e.g. https://hooks.example.com/portal."
URL_UNRESOLVABLE = "The host name of this URL does not resolve."
URL_PRIVATE = "This URL points at a private, loopback or link-local address ({address}); use a public address."
URL_CREDENTIALS = "Webhook URLs may not contain a user name or password."


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: webhook_sign(secret, body, timestamp)}


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def webhook_resolve(url: str) -> list[str]:
    """Check a webhook URL and return the addresses its host resolves to; ApplicationError when refused."""
    parts = urlsplit(url.strip())
    allow_private = _allow_private()
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise ApplicationError(URL_NOT_HTTPS, field="url")
    if parts.username or parts.password:
        raise ApplicationError(URL_CREDENTIALS, field="url")
    host = parts.hostname
    if not host:
        raise ApplicationError(URL_NO_HOST, field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ApplicationError(URL_NO_HOST, field="url")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ApplicationError(URL_UNRESOLVABLE, field="url")
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise ApplicationError(URL_PRIVATE.format(address=address), field="url")
    return addresses
