"""One webhook POST, sent to the address that `webhook_target` checked and to no other.

The connection goes to the pinned IP address while TLS (SNI and certificate) and the `Host:` header use the
URL's host name, so the host name is never resolved a second time (no DNS rebinding between check and
connect). No retries inside (the delivery schedule retries), no redirects (a 3xx is just a status), no proxy.

Customers see only the fixed texts below; the exception itself goes to the server log for operators.
"""

import logging
import ssl

import certifi
import urllib3
from urllib3 import exceptions
from urllib3.util.ssl_match_hostname import CertificateError

from portal.delivery.webhook_security import WebhookTarget

logger = logging.getLogger(__name__)

CONNECTION_FAILED = "connection failed"
TIMED_OUT = "timed out"
TLS_CERTIFICATE_INVALID = "TLS certificate not valid for the host"
TLS_FAILED = "TLS handshake failed"


class DeliveryFailed(Exception):
    """No HTTP status came back; `reason` is one of the fixed texts above, safe to show the customer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def webhook_pool(target: WebhookTarget, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to `address` that presents itself as `target.host`."""
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            host=address,
            port=target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            timeout=timeout,
            retries=False,
            maxsize=1,
        )
    return urllib3.HTTPConnectionPool(host=address, port=target.port, timeout=timeout, retries=False, maxsize=1)


def webhook_post(*, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to the first checked address of `target`; the HTTP status, or DeliveryFailed."""
    address = target.addresses[0]
    pool = webhook_pool(target, address, timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            retries=False,
            redirect=False,
            preload_content=False,  # only the status matters; never read an endless body
        )
        response.close()
        return response.status
    except (exceptions.HTTPError, OSError) as exc:
        reason = _reason(exc)
        logger.warning(
            "Webhook POST to %s (%s port %s) failed, shown as %r: %s: %s",
            target.host,
            address,
            target.port,
            reason,
            type(exc).__name__,
            exc,
        )
        raise DeliveryFailed(reason) from exc
    finally:
        pool.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, exceptions.SSLError):
        return TLS_CERTIFICATE_INVALID if _certificate_error(exc) else TLS_FAILED
    if isinstance(exc, exceptions.NewConnectionError):  # a subclass of ConnectTimeoutError in urllib3 2
        return CONNECTION_FAILED
    if isinstance(exc, exceptions.TimeoutError | TimeoutError):
        return TIMED_OUT
    return CONNECTION_FAILED


def _certificate_error(exc: BaseException) -> bool:
    """Whether the TLS failure was the certificate (untrusted, expired, another host's) and not the handshake."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError | CertificateError):
            return True
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False
