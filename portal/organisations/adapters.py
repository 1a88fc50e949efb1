import ipaddress
import uuid

from allauth import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from portal.core.clients import client_ip
from portal.delivery.outbox import email_queue_raw


def _address_block(ip: str) -> str:
    """An IPv6 client controls its whole /64 (allauth's RATE_LIMIT_IPV6_PREFIX): count it as one address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{allauth_settings.RATE_LIMIT_IPV6_PREFIX}", strict=False))
    return str(address)


class AccountAdapter(DefaultAccountAdapter):
    """Route allauth's emails (verification, password reset, MFA notices) through the outbox; count failed
    sign-ins per account and client address."""

    def send_mail(self, template_prefix, email, context):
        msg = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", []):
            if mimetype == "text/html":
                html = content
        email_queue_raw(
            key=f"allauth:{template_prefix}:{uuid.uuid4()}",
            to=email,
            subject=msg.subject,
            text=msg.body,
            html=html,
        )

    def get_client_ip(self, request) -> str:
        """allauth's per-address limits use the same client address as the audit log and our own limits."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of ACCOUNT_RATE_LIMITS["login_failed"]'s `/key` rate: the login email *and* the client address.

        allauth keys it by the email alone, so five wrong passwords sent from anywhere lock the account for
        everyone, its owner included. Per account and address, a guesser only locks themselves out; the `/ip`
        rate still bounds their guesses across accounts. A password reset clears the key of the address it is
        completed from (allauth's `_delete_login_attempts_cached_email` uses this key).
        """
        account_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}:{_address_block(self.get_client_ip(request))}"
