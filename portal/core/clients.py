"""The client's address of a request, as audit rows, NDAs, signatures and rate limits record it."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address as recorded for NDAs, signatures, downloads and rate limits.

    Behind a reverse proxy REMOTE_ADDR is the proxy. With ALLAUTH_TRUSTED_CLIENT_IP_HEADER set (env
    TRUSTED_CLIENT_IP_HEADER, e.g. CF-Connecting-IP) that header is used; with ALLAUTH_TRUSTED_PROXY_COUNT = n
    (env TRUSTED_PROXY_COUNT) the n-th X-Forwarded-For entry from the right, the one our own proxies appended.
    Entries further left are set by the client and never trusted. The same settings drive allauth's limits.
    """
    if request is None:
        return None
    header = settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER
    count = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    candidate = None
    if header:
        candidate = request.headers.get(header, "")
    elif count > 0:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        if len(hops) >= count:
            candidate = hops[-count]
    if candidate:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass  # a malformed header falls back to the connection's address
    return request.META.get("REMOTE_ADDR") or None
