"""Reactions to allauth's account events: a changed password or removed MFA revokes the user's API tokens.

(Tokens also fail on use when the password changed by another route: see `api_token_problem`.)"""

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_removed
from allauth.mfa.utils import is_mfa_enabled
from django.dispatch import receiver

from portal.organisations.tokens import REVOKED_MFA, REVOKED_PASSWORD, api_tokens_revoke_for_user


@receiver(password_changed)
@receiver(password_reset)
@receiver(password_set)
def revoke_tokens_on_password(sender, request, user, **kwargs):
    api_tokens_revoke_for_user(user=user, reason=REVOKED_PASSWORD, request=request)


@receiver(authenticator_removed)
def revoke_tokens_on_mfa_removed(sender, request, user, **kwargs):
    if not is_mfa_enabled(user):
        api_tokens_revoke_for_user(user=user, reason=REVOKED_MFA, request=request)
